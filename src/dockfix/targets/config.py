"""Settings from ``.dockfix.toml`` or ``[tool.dockfix]`` in ``pyproject.toml``, merged with the CLI.

The closest configuration to each Dockerfile wins: its folder, then each parent up to the root of
the file system. In one folder ``.dockfix.toml`` (top-level keys) comes before ``pyproject.toml``
(the ``[tool.dockfix]`` table); a ``pyproject.toml`` without that table does not count. Keys:

    select = ["DF001"]        # only these rules (default: all)
    ignore = ["DF002"]        # never these rules
    unsafe-fixes = false      # also apply fixes marked unsafe
    add-syntax = false        # add "# syntax=docker/dockerfile:1" where a cache mount is added
    exclude = ["legacy/"]     # gitignore-style patterns, relative to the configuration's folder
    builder = "auto"          # auto | buildkit | legacy | kaniko | buildah (dockfix.build.builders; auto:
                              # BuildKit unless the repository's CI files show another builder)
    root-images = ["ghcr.io/acme/python"]    # base images (reference prefixes) that run as root,
                                             # HOME=/root, no cache variables (DF002, DF004)
    debian-images = ["ghcr.io/acme/python"]  # base images known to be Debian or Ubuntu (DF004)

On the command line ``--select`` replaces the configuration's list, ``--ignore`` adds to it, and
``--unsafe-fixes``/``--no-unsafe-fixes``, ``--add-syntax``/``--no-add-syntax``, ``--builder`` replace the values.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from ..dockerfile.model import Settings

CONFIG_NAMES = (".dockfix.toml", "pyproject.toml")
KEYS = ("select", "ignore", "unsafe-fixes", "add-syntax", "exclude", "builder", "root-images", "debian-images")


class ConfigError(ValueError):
    """A configuration file dockfix cannot use (one line, with the file's path)."""


@dataclass(frozen=True)
class Config:
    path: str
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    unsafe_fixes: bool | None = None
    add_syntax: bool | None = None
    exclude: tuple[str, ...] = ()
    builder: str | None = None
    root_images: tuple[str, ...] = ()
    debian_images: tuple[str, ...] = ()

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)


@dataclass(frozen=True)
class Overrides:
    """What the command line (or a library caller) set; None leaves the configuration's value."""

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    unsafe_fixes: bool | None = None
    add_syntax: bool | None = None
    builder: str | None = None

    def settings(self, cfg: Config | None = None) -> Settings:
        cfg = cfg or Config("")
        select = self.select if self.select is not None else cfg.select
        return Settings(
            select=select,
            ignore=cfg.ignore | self.ignore,
            unsafe_fixes=_first(self.unsafe_fixes, cfg.unsafe_fixes, False),
            add_syntax=_first(self.add_syntax, cfg.add_syntax, False),
            builder=_first(self.builder, cfg.builder, None),
            root_images=cfg.root_images,
            debian_images=cfg.debian_images,
        )


def _first(*values):
    return next((v for v in values if v is not None), None)


def builder_name(value, where: str) -> str:
    """A valid ``builder`` setting (case-insensitive), or ConfigError naming ``where``."""
    from ..build.builders import BUILDERS

    if not isinstance(value, str) or value.strip().lower() not in BUILDERS:
        raise ConfigError(f"{where}: builder must be one of {', '.join(BUILDERS)}")
    return value.strip().lower()


def option_codes(values: list[str] | None) -> frozenset[str] | None:
    """Rule codes given as options (``--select A,B --select C``), upper case; None if none."""
    if not values:
        return None
    return frozenset(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def unknown_codes(codes) -> list[str]:
    from ..rules import BY_CODE

    return sorted(c for c in codes if c not in BY_CODE)


def _codes(path: str, key: str, value) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of rule codes")
    codes = frozenset(v.strip().upper() for v in value)
    bad = unknown_codes(codes)
    if bad:
        raise ConfigError(f"{path}: unknown rule code {bad[0]} in {key}")
    return codes


def _images(path: str, key: str, value) -> tuple[str, ...]:
    """Image reference prefixes (``registry/name`` or ``registry/name:tag``), without variables."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: {key} must be a list of image names")
    if any("$" in v for v in value):
        raise ConfigError(f"{path}: {key} names an image with a variable, which dockfix cannot match")
    return tuple(v.strip() for v in value)


def _bool(path: str, key: str, value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be true or false")
    return value


def parse(path: str, table: dict) -> Config:
    """A Config from the keys of ``.dockfix.toml`` or ``[tool.dockfix]``."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]} (known: {', '.join(KEYS)})")
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(v, str) for v in exclude):
        raise ConfigError(f"{path}: exclude must be a list of patterns")
    return Config(
        path=path,
        select=_codes(path, "select", table["select"]) if "select" in table else None,
        ignore=_codes(path, "ignore", table.get("ignore", [])),
        unsafe_fixes=_bool(path, "unsafe-fixes", table["unsafe-fixes"]) if "unsafe-fixes" in table else None,
        add_syntax=_bool(path, "add-syntax", table["add-syntax"]) if "add-syntax" in table else None,
        exclude=tuple(exclude),
        builder=builder_name(table["builder"], path) if "builder" in table else None,
        root_images=_images(path, "root-images", table.get("root-images", [])),
        debian_images=_images(path, "debian-images", table.get("debian-images", [])),
    )


def load(path: str) -> Config | None:
    """The configuration in one file; None for a pyproject.toml without ``[tool.dockfix]``."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror or e}") from None
    is_pyproject = os.path.basename(path) == "pyproject.toml"
    if is_pyproject and b"dockfix" not in data:  # skip parsing (and importing tomllib) for most projects
        return None
    import tomllib

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    if is_pyproject:
        table = doc.get("tool", {}).get("dockfix")
        if table is None:
            return None
    else:
        table = doc
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dockfix] must be a table")
    return parse(path, table)


@functools.lru_cache(maxsize=4096)
def config_in_dir(directory: str) -> Config | None:
    """The configuration defined in this very folder (absolute path), if any."""
    for name in CONFIG_NAMES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            cfg = load(path)
            if cfg is not None:
                return cfg
    return None


@functools.lru_cache(maxsize=4096)
def find_config(directory: str) -> Config | None:
    """The closest configuration for files in ``directory``: it or its nearest parent's."""
    directory = os.path.abspath(directory)
    cfg = config_in_dir(directory)
    if cfg is not None:
        return cfg
    parent = os.path.dirname(directory)
    return None if parent == directory else find_config(parent)


def settings_for(path: str, overrides: Overrides, use_config: bool = True) -> Settings:
    """The settings for one Dockerfile (``-`` is looked up from the working directory)."""
    if not use_config:
        return overrides.settings()
    directory = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
    return overrides.settings(find_config(directory))


def resolved(path: str, overrides: Overrides, use_config: bool = True, exclude: tuple[str, ...] = ()) -> dict:
    """The settings dockfix uses for ``path`` (a Dockerfile, a folder, or ``-``), where each value
    came from ("command line", the configuration file, or "default"), for ``--show-settings``."""
    from ..rules import BY_CODE

    if path == "-":
        directory = os.getcwd()
    else:
        directory = os.path.abspath(path) if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    cfg = find_config(directory) if use_config else None
    settings = overrides.settings(cfg)
    where = cfg.path if cfg else None

    def source(cli_set: bool, cfg_set: bool) -> str:
        return "command line" if cli_set else where if cfg_set else "default"

    ignore_sources = [s for s, on in ((where, bool(cfg and cfg.ignore)), ("command line", bool(overrides.ignore))) if on]
    excludes = list(cfg.exclude if cfg else ()) + list(exclude)
    exclude_sources = [s for s, on in ((where, bool(cfg and cfg.exclude)), ("command line", bool(exclude))) if on]
    select = sorted(settings.select) if settings.select is not None else list(BY_CODE)
    return {
        "path": path,
        "config": where,
        "config_used": use_config,
        "settings": {
            "select": select,
            "ignore": sorted(settings.ignore),
            "unsafe-fixes": settings.unsafe_fixes,
            "add-syntax": settings.add_syntax,
            "builder": settings.builder or "auto",
            "root-images": list(settings.root_images),
            "debian-images": list(settings.debian_images),
            "exclude": excludes,
        },
        "sources": {
            "select": source(overrides.select is not None, bool(cfg and cfg.select is not None)),
            "ignore": " + ".join(ignore_sources) or "default",
            "unsafe-fixes": source(overrides.unsafe_fixes is not None, bool(cfg and cfg.unsafe_fixes is not None)),
            "add-syntax": source(overrides.add_syntax is not None, bool(cfg and cfg.add_syntax is not None)),
            "builder": source(overrides.builder is not None, bool(cfg and cfg.builder is not None)),
            "root-images": where if cfg and cfg.root_images else "default",
            "debian-images": where if cfg and cfg.debian_images else "default",
            "exclude": " + ".join(exclude_sources) or "default",
        },
    }


def format_resolved(doc: dict) -> str:
    """``--show-settings`` as text: the configuration file, then one ``key = value`` a line."""
    import json

    if not doc["config_used"]:
        config = "none (--no-config)"
    else:
        config = doc["config"] or "none found (defaults; looked in the folder and its parents)"
    lines = [f"{doc['path']}:", f"  configuration: {config}"]
    width = max(len(k) for k in doc["settings"])
    for key, value in doc["settings"].items():
        shown = json.dumps(value)
        note = doc["sources"][key]
        if key == "select" and note == "default":
            note = "default: all rules"
        lines.append(f"  {key:<{width}} = {shown:<30}  # {note}")
    return "\n".join(lines) + "\n"
