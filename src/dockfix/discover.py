"""Finding Dockerfiles: explicit files, and the Dockerfiles inside directories.

A directory is walked for ``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``Containerfile`` and
``Containerfile.*`` (any case). The walk skips version-control folders, virtual environments,
``node_modules`` and caches, everything each repository's ``.gitignore`` files (and
``.git/info/exclude``) ignore, ``exclude`` patterns (gitignore syntax, relative to the walked
directory) and the ``exclude`` of the closest configuration. Symbolic links to directories are not
followed; a symbolic link to a file is taken only when its target is inside the walked tree, and a
file reached twice is taken once. Compose files met on the way are collected for build contexts.

Explicitly named files are always taken, whatever the excludes say.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field

DOCKERFILE_PATTERNS = ("dockerfile", "dockerfile.*", "*.dockerfile", "containerfile", "containerfile.*")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache"}
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith((".md", ".txt", ".orig", ".rej", ".bak", ".swp")) or lower.endswith("ignore"):
        return False
    return any(fnmatch.fnmatchcase(lower, p) for p in DOCKERFILE_PATTERNS)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    compose_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Ignores:
    """Layers of gitignore-style specs, each anchored at a directory: the last match decides."""

    def __init__(self, layers: tuple = ()):
        self.layers = layers  # ((base directory, spec, sticky), ...)

    def add(self, base: str, lines, *, sticky: bool = False) -> _Ignores:
        lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            return self
        import pathspec  # ~30 ms: only when there is something to match

        return _Ignores(self.layers + ((base, pathspec.GitIgnoreSpec.from_lines(lines), sticky),))

    def repository(self) -> _Ignores:
        """Inside a nested repository only the excludes (not the outer .gitignore files) apply."""
        return _Ignores(tuple(layer for layer in self.layers if layer[2]))

    def ignored(self, path: str, is_dir: bool) -> bool:
        verdict = False
        for base, spec, _ in self.layers:
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if rel.startswith(".."):
                continue
            hit = spec.check_file(rel + "/" if is_dir else rel).include
            if hit is not None:
                verdict = hit
        return verdict


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read().splitlines()
    except OSError:
        return []


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _config_excludes(ignores: _Ignores, directory: str, use_config: bool) -> _Ignores:
    if not use_config:
        return ignores
    from .config import ConfigError, config_in_dir

    try:
        cfg = config_in_dir(directory)
    except ConfigError:  # reported for each file it governs
        return ignores
    return ignores.add(directory, cfg.exclude, sticky=True) if cfg and cfg.exclude else ignores


def _start_ignores(root: str, exclude, use_config: bool) -> _Ignores:
    ignores = _Ignores().add(root, exclude, sticky=True)
    if use_config:
        from .config import ConfigError, find_config

        try:
            cfg = find_config(root)
        except ConfigError:
            cfg = None
        if cfg and cfg.exclude and cfg.root != root:
            ignores = ignores.add(cfg.root, cfg.exclude, sticky=True)
    return ignores


def find_dockerfiles(root: str, exclude=(), *, use_config: bool = True, found: Discovery | None = None) -> Discovery:
    """Walk ``root`` (see the module docstring); paths are returned as ``root`` + relative path."""
    found = found if found is not None else Discovery()
    real_root = os.path.realpath(root)
    seen: set[str] = set()
    stack = [(root, _start_ignores(os.path.abspath(root), exclude, use_config))]
    while stack:
        dirpath, ignores = stack.pop()
        try:
            entries = sorted(os.scandir(dirpath), key=lambda e: e.name)
        except OSError as e:
            found.errors.append(f"{dirpath}: {e.strerror or e}")
            continue
        names = {e.name for e in entries}
        absdir = os.path.abspath(dirpath)
        if ".git" in names:  # a repository: the ignores above it do not apply inside
            ignores = ignores.repository().add(absdir, _read_lines(os.path.join(dirpath, ".git", "info", "exclude")))
        if ".gitignore" in names:
            ignores = ignores.add(absdir, _read_lines(os.path.join(dirpath, ".gitignore")))
        if ".dockfix.toml" in names or "pyproject.toml" in names:
            ignores = _config_excludes(ignores, absdir, use_config)
        subdirs = []
        for entry in entries:
            path = os.path.normpath(os.path.join(dirpath, entry.name))
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or _is_venv(path) or ignores.ignored(os.path.join(absdir, entry.name), True):
                    continue
                subdirs.append((path, ignores))
            elif entry.name.lower() in COMPOSE_NAMES:
                found.compose_files.append(path)
            elif is_dockerfile_name(entry.name) and entry.is_file():
                if ignores.ignored(os.path.join(absdir, entry.name), False):
                    continue
                real = os.path.realpath(path)
                if entry.is_symlink() and os.path.commonpath([real, real_root]) != real_root:
                    continue
                if real not in seen:
                    seen.add(real)
                    found.files.append(path)
        stack.extend(reversed(subdirs))
    return found


def expand_paths(paths: list[str], exclude=(), *, use_config: bool = True, allow_empty: bool = False) -> Discovery:
    """Directories become the Dockerfiles below them; files are taken as given.

    A directory without Dockerfiles is an error unless ``allow_empty``.
    """
    found = Discovery()
    for p in paths:
        if os.path.isdir(p):
            before = len(found.files)
            find_dockerfiles(p, exclude, use_config=use_config, found=found)
            if len(found.files) == before and not allow_empty:
                found.errors.append(f"{p}: no Dockerfiles found in this directory")
        elif os.path.exists(p):
            found.files.append(p)
        else:
            found.errors.append(f"{p}: No such file or directory")
    return found
