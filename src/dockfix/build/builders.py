"""Which builder will build the Dockerfile, and what that builder supports.

A cache mount (``RUN --mount=type=cache``) needs BuildKit. The classic builder (``DOCKER_BUILDKIT=0``)
and Google's kaniko reject the flag (``Unknown flag: mount``); Podman and Buildah accept it only in
newer versions and implement it themselves (their own cache store and locking), so a rewrite proven
with BuildKit is not proven there. The ``builder`` setting says which builder is used:

    buildkit   BuildKit as Docker 20.10 and later ship it (the oldest supported: Debian 12's docker.io
               20.10.24, Dockerfile frontend 1.2), buildx, buildctl: every rule
    legacy     the classic builder (DOCKER_BUILDKIT=0): no cache mounts (DF002, DF004 make no change)
    kaniko     kaniko: no cache mounts
    buildah    Podman / Buildah: no cache mounts

When the setting is not given (or is ``auto``), dockfix assumes ``buildkit`` unless the repository shows that it is
built another way: a CI file, Makefile or script that builds with kaniko, sets DOCKER_BUILDKIT=0, or
runs ``buildah``/``podman build``. Then the cache-mount rules refuse, naming the file and line, until
the setting says otherwise. Reading is static and bounded: a fixed list of files, each read once
per repository and process.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

BUILDERS = ("auto", "buildkit", "legacy", "kaniko", "buildah")
MOUNTS = frozenset({"buildkit"})  # builders that support RUN --mount=type=cache as dockfix writes it

# Files where a repository says how it builds images (relative to the repository root; a folder
# ending in "/" means its YAML files, not recursively).
PLACES = (
    ".gitlab-ci.yml", ".gitlab-ci.yaml", ".gitlab/ci/", ".github/workflows/", "Jenkinsfile", ".circleci/config.yml",
    "azure-pipelines.yml", "bitbucket-pipelines.yml", ".drone.yml", ".travis.yml", "cloudbuild.yaml",
    "cloudbuild.yml", ".tekton/", "skaffold.yaml", "Makefile", "makefile", "GNUmakefile", "justfile",
    "Taskfile.yml", "docker-bake.hcl", "build.sh", "scripts/", "ci/", ".ci/",
)
MAX_BYTES = 1 << 20  # a file larger than this is read up to here
SIGNALS = (
    ("legacy", re.compile(r"DOCKER_BUILDKIT\s*[=:]\s*[\"']?(0|false)\b", re.I)),
    ("kaniko", re.compile(r"\bkaniko\b", re.I)),
    ("buildah", re.compile(r"\b(buildah\s+(bud|build)\b|buildah-build\b|podman\s+build\b|podman-build\b)", re.I)),
)


@dataclass(frozen=True)
class Signal:
    """A line of the repository that names the builder used (``legacy``, ``kaniko``, ``buildah``)."""

    builder: str
    file: str  # relative to the repository root
    line: int
    text: str

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def repository_root(start: str | os.PathLike[str]) -> Path | None:
    """The closest folder at or above ``start`` holding ``.git`` (a folder or a worktree's file)."""
    return _repository_root(os.path.abspath(start))


@functools.lru_cache(maxsize=4096)
def _repository_root(folder: str) -> Path | None:
    # Once per folder and process, like ``signals``: the passes over one file, and the files of one
    # folder or of sibling folders (a bulk run), share the walk up.
    if os.path.exists(os.path.join(folder, ".git")):
        return Path(folder)
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository_root(parent)


def clear_caches() -> None:
    """Forget what was read (for a process that lives on while repositories change, and tests)."""
    _repository_root.cache_clear()
    signals.cache_clear()


def _files(root: Path) -> list[Path]:
    out = []
    for place in PLACES:
        if place.endswith("/"):
            folder = root / place
            if folder.is_dir() and not folder.is_symlink():
                names = sorted(os.listdir(folder))
                suffixes = (".yml", ".yaml", ".sh") if place in ("scripts/", "ci/", ".ci/") else (".yml", ".yaml")
                out += [folder / n for n in names if n.endswith(suffixes)]
        else:
            out.append(root / place)
    return [f for f in out if f.is_file() and not f.is_symlink()]


@functools.lru_cache(maxsize=256)
def signals(root: Path) -> tuple[Signal, ...]:
    """Every place in the repository at ``root`` that builds with something other than BuildKit."""
    found = []
    for f in _files(root):
        try:
            with open(f, "rb") as fh:
                text = fh.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith(("#", "//")):
                continue  # a commented-out build command or setting is not in force
            for builder, pattern in SIGNALS:
                if pattern.search(line):
                    found.append(Signal(builder, f.relative_to(root).as_posix(), number, line.strip()[:80]))
    return tuple(found)


def refusal(setting: str | None, dockerfile: str | os.PathLike[str] | None, context: str | os.PathLike[str]) -> tuple[str | None, bool]:
    """(why cache mounts cannot be added, whether the user said so) for one Dockerfile.

    ``(None, False)``: the builder supports them. With an explicit non-BuildKit ``setting`` the
    rules stay silent (the user knows); with a detected signal they explain themselves.
    """
    if setting not in (None, "auto"):
        if setting in MOUNTS:
            return None, False
        return f"the builder is set to {setting}, which has no RUN --mount=type=cache", True
    start = os.path.dirname(os.path.abspath(dockerfile)) if dockerfile not in (None, "-") else context
    root = repository_root(start)
    if root is None:
        return None, False
    found = signals(root)
    if not found:
        return None, False
    s = found[0]
    return (
        f"{s.where()} suggests this repository builds with {s.builder} ('{s.text}'), which may not support "
        "RUN --mount=type=cache; set builder = \"buildkit\" in the dockfix configuration if it does not",
        False,
    )
