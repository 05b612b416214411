"""Build contexts from Compose files: which folder each Dockerfile is built from.

A service's ``build`` is either a path (the context; the Dockerfile is ``Dockerfile`` in it) or a
mapping with ``context`` (default ``.``, relative to the Compose file) and ``dockerfile`` (default
``Dockerfile``, relative to the context). Remote contexts (URLs, ``git@``), ``dockerfile_inline``
and values with ``${...}`` interpolation are ignored. PyYAML is imported only when a Compose file
is read.

The files read for a Dockerfile are the Compose files found while walking the trees given on the
command line plus those in its own folder and each parent up to its repository's root (the
closest folder holding ``.git``).
"""

from __future__ import annotations

import os

from .discover import COMPOSE_NAMES


def _services(path: str) -> dict:
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=loader)  # noqa: S506 (a safe loader)
    except Exception:  # a broken Compose file says nothing about contexts
        return {}
    services = doc.get("services") if isinstance(doc, dict) else None
    return services if isinstance(services, dict) else {}


def _is_local(value) -> bool:
    return isinstance(value, str) and bool(value) and "$" not in value and "://" not in value and not value.startswith("git@")


def builds_in(path: str) -> list[tuple[str, str]]:
    """(Dockerfile, context) pairs, both real absolute paths, that one Compose file declares."""
    base = os.path.dirname(os.path.abspath(path))
    pairs = []
    for service in _services(path).values():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict) or "dockerfile_inline" in build:
            continue
        context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
        if not (_is_local(context) and _is_local(dockerfile)):
            continue
        context = os.path.realpath(os.path.join(base, context))
        pairs.append((os.path.realpath(os.path.join(context, dockerfile)), context))
    return pairs


def _ancestors(path: str):
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
            return
        directory = parent


class ComposeIndex:
    """Contexts declared for Dockerfiles, read lazily and once per Compose file."""

    def __init__(self, compose_files=()):
        self._read: set[str] = set()
        self._scanned: set[str] = set()  # folders already looked at for Compose files
        self._contexts: dict[str, dict[str, str]] = {}  # Dockerfile -> {context: compose file}
        for f in compose_files:
            self.add(f)

    def add(self, compose_file: str) -> None:
        key = os.path.realpath(compose_file)
        if key in self._read:
            return
        self._read.add(key)
        for dockerfile, context in builds_in(compose_file):
            self._contexts.setdefault(dockerfile, {}).setdefault(context, compose_file)

    def contexts(self, dockerfile: str) -> dict[str, str]:
        """{context: the Compose file declaring it} for one Dockerfile (empty when none does)."""
        for directory in _ancestors(dockerfile):
            if directory in self._scanned:
                break
            self._scanned.add(directory)
            for name in COMPOSE_NAMES:
                candidate = os.path.join(directory, name)
                if os.path.isfile(candidate):
                    self.add(candidate)
        return self._contexts.get(os.path.realpath(dockerfile), {})
