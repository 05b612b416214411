"""Finding Dockerfiles: explicit files, and the Dockerfiles inside directories.

A directory is walked for ``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``Containerfile`` and
``Containerfile.*`` (any case). The walk skips version-control folders, virtual environments,
``node_modules`` and caches, everything each repository's ``.gitignore`` files (and
``.git/info/exclude``) ignore, ``exclude`` patterns (gitignore syntax, relative to the walked
directory) and the ``exclude`` of the closest configuration. Symbolic links to directories are not
followed; a symbolic link to a file is taken only when its target is inside the walked tree, and a
file reached twice is taken once. Compose files met on the way are collected for build contexts.

Templates are never taken: files named ``*.j2`` (and other template suffixes) and folders whose
name holds ``{{`` or ``{%`` (cookiecutter). Everything skipped is recorded with its reason
(``Discovery.skipped``) for ``--verbose`` and for the message when nothing is found.

Explicitly named files are taken whatever the excludes say, unless ``force_exclude`` (for hooks
that name every file, like pre-commit); templates named explicitly are reported, not read; files
whose name says they are something else (``NOTES.md``, ``app.py``) are refused.
"""

from __future__ import annotations

import fnmatch
import os

DOCKERFILE_PATTERNS = ("dockerfile", "dockerfile.*", "*.dockerfile", "containerfile", "containerfile.*")
VCS_DIRS = {".git", ".hg", ".svn"}  # skipped without a note
SKIP_DIRS = VCS_DIRS | {"node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache"}
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template")
# Names that say a file is something else: refused when named explicitly.
OTHER_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".py", ".pyi", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini",
                  ".sh", ".bash", ".lock", ".html", ".xml", ".js", ".ts", ".go", ".rs", ".orig", ".rej", ".bak", ".swp",
                  ".patch", ".diff")


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(OTHER_SUFFIXES + TEMPLATE_SUFFIXES) or lower.endswith("ignore"):
        return False
    return any(fnmatch.fnmatchcase(lower, p) for p in DOCKERFILE_PATTERNS)


def template_reason(path: str) -> str | None:
    """Why ``path`` is a template rather than a Dockerfile (by its name or a folder's), or None."""
    name = os.path.basename(path).lower()
    if name.endswith(TEMPLATE_SUFFIXES):
        return f"a template ({os.path.splitext(name)[1]}): render it, then run dockfix on the result"
    for part in os.path.normpath(path).split(os.sep):
        if "{{" in part or "{%" in part:
            return "in a template folder (cookiecutter/Jinja): render it, then run dockfix on the result"
    return None


def other_kind(name: str) -> str | None:
    """The suffix of a name that says the file is not a Dockerfile (``.md``), or None."""
    lower = name.lower()
    for suffix in OTHER_SUFFIXES:
        if lower.endswith(suffix) and lower != suffix:
            return suffix
    return None


class Discovery:
    """What a walk found (a plain class: a dataclass costs a few ms of every start)."""

    def __init__(self):
        self.files: list[str] = []
        self.compose_files: list[str] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []
        # (path, reason) for what the walk (or --force-exclude) left out
        self.skipped: list[tuple[str, str]] = []
        self.templates: list[tuple[str, str]] = []  # named explicitly: (path, reason)


def skipped_summary(skipped) -> str:
    """``2 gitignored, 1 virtual environment`` from (path, reason) pairs."""
    from collections import Counter

    kinds = Counter(_kind(reason) for _, reason in skipped)
    return ", ".join(f"{k} {kind}" for kind, k in sorted(kinds.items(), key=lambda item: (-item[1], item[0])))


def _kind(reason: str) -> str:
    for word, kind in (("gitignore", "gitignored"), ("git/info/exclude", "gitignored"), ("virtual environment", "virtual environment"),
                       ("--exclude", "excluded"), ("exclude in", "excluded"), ("template", "template"), ("symbolic link", "symbolic link")):
        if word in reason:
            return kind
    return "tool folder"


class _Ignores:
    """Layers of gitignore-style specs, each anchored at a directory: the last match decides."""

    def __init__(self, layers: tuple = ()):
        self.layers = layers  # ((base directory, spec, sticky, where the patterns come from), ...)

    def add(self, base: str, lines, *, sticky: bool = False, source: str = "") -> _Ignores:
        lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            return self
        import pathspec  # ~30 ms: only when there is something to match

        return _Ignores(self.layers + ((base, pathspec.GitIgnoreSpec.from_lines(lines), sticky, source),))

    def repository(self) -> _Ignores:
        """Inside a nested repository only the excludes (not the outer .gitignore files) apply."""
        return _Ignores(tuple(layer for layer in self.layers if layer[2]))

    def ignored(self, path: str, is_dir: bool) -> str | None:
        """Where the pattern that ignores ``path`` comes from, or None when it is not ignored."""
        verdict = None
        for base, spec, _, source in self.layers:
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if rel.startswith(".."):
                continue
            hit = spec.check_file(rel + "/" if is_dir else rel).include
            if hit is not None:
                verdict = (source or "an exclude pattern") if hit else None
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
    return ignores.add(directory, cfg.exclude, sticky=True, source=f"exclude in {cfg.path}") if cfg and cfg.exclude else ignores


def _start_ignores(root: str, exclude, use_config: bool) -> _Ignores:
    ignores = _Ignores().add(root, exclude, sticky=True, source="--exclude")
    if use_config:
        from .config import ConfigError, find_config

        try:
            cfg = find_config(root)
        except ConfigError:
            cfg = None
        if cfg and cfg.exclude and cfg.root != root:
            ignores = ignores.add(cfg.root, cfg.exclude, sticky=True, source=f"exclude in {cfg.path}")
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
            exclude_file = os.path.join(dirpath, ".git", "info", "exclude")
            ignores = ignores.repository().add(absdir, _read_lines(exclude_file), source=f"gitignored ({exclude_file})")
        if ".gitignore" in names:
            gitignore = os.path.join(dirpath, ".gitignore")
            ignores = ignores.add(absdir, _read_lines(gitignore), source=f"gitignored ({gitignore})")
        if ".dockfix.toml" in names or "pyproject.toml" in names:
            ignores = _config_excludes(ignores, absdir, use_config)
        subdirs = []
        for entry in entries:
            path = os.path.normpath(os.path.join(dirpath, entry.name))
            if entry.is_dir(follow_symlinks=False):
                if entry.name in VCS_DIRS:
                    continue
                why = _dir_skip_reason(entry.name, path) or ignores.ignored(os.path.join(absdir, entry.name), True)
                if why:
                    found.skipped.append((path + os.sep, why))
                    continue
                subdirs.append((path, ignores))
            elif entry.name.lower() in COMPOSE_NAMES:
                found.compose_files.append(path)
            elif is_dockerfile_name(entry.name) and entry.is_file():
                why = ignores.ignored(os.path.join(absdir, entry.name), False)
                if why:
                    found.skipped.append((path, why))
                    continue
                real = os.path.realpath(path)
                if entry.is_symlink() and os.path.commonpath([real, real_root]) != real_root:
                    found.skipped.append((path, "a symbolic link out of the tree"))
                    continue
                if real not in seen:
                    seen.add(real)
                    found.files.append(path)
            elif entry.name.lower().startswith(("dockerfile", "containerfile")) and entry.name.lower().endswith(TEMPLATE_SUFFIXES):
                found.skipped.append((path, template_reason(path)))
        stack.extend(reversed(subdirs))
    return found


def _dir_skip_reason(name: str, path: str) -> str | None:
    if name in SKIP_DIRS:
        return "a virtual environment" if "venv" in name else f"a tool folder ({name})"
    if _is_venv(path):
        return "a virtual environment (pyvenv.cfg)"
    if "{{" in name or "{%" in name:
        return "a template folder (cookiecutter/Jinja)"
    return None


def expand_paths(paths: list[str], exclude=(), *, use_config: bool = True, allow_empty: bool = False,
                 force_exclude: bool = False) -> Discovery:
    """Directories become the Dockerfiles below them; files are taken as given (see the module doc).

    A directory without Dockerfiles gives a warning (unless ``allow_empty``) naming what was skipped.
    """
    found = Discovery()
    for p in paths:
        if os.path.isdir(p):
            before, skipped_before = len(found.files), len(found.skipped)
            find_dockerfiles(p, exclude, use_config=use_config, found=found)
            if len(found.files) == before and not allow_empty:
                skipped = found.skipped[skipped_before:]
                detail = f" (skipped: {skipped_summary(skipped)}; --verbose lists them)" if skipped else ""
                found.warnings.append(f"{p}: no Dockerfiles found in this directory{detail}")
        elif os.path.exists(p):
            why = excluded_reason(p, exclude, use_config) if force_exclude else None
            if why:
                found.skipped.append((p, why))
            elif template_reason(p):
                found.templates.append((p, template_reason(p)))
            elif other_kind(os.path.basename(p)):
                found.errors.append(f"{p}: not a Dockerfile (a {other_kind(os.path.basename(p))} file); "
                                    "Dockerfiles are named Dockerfile, Dockerfile.*, *.Dockerfile or Containerfile")
            else:
                found.files.append(p)
        else:
            found.errors.append(f"{p}: No such file or directory")
    return found


def excluded_reason(path: str, exclude=(), use_config: bool = True) -> str | None:
    """Why an explicitly named file is excluded (``--force-exclude``): ``exclude`` patterns (relative
    to the working directory) or the ``exclude`` of its configuration; None when it is not."""
    absolute = os.path.abspath(path)
    ignores = _Ignores().add(os.getcwd(), exclude, sticky=True, source="--exclude")
    if use_config:
        from .config import ConfigError, find_config

        try:
            cfg = find_config(os.path.dirname(absolute))
        except ConfigError:
            cfg = None
        if cfg and cfg.exclude:
            ignores = ignores.add(cfg.root, cfg.exclude, sticky=True, source=f"exclude in {cfg.path}")
    # a pattern may name any folder above the file, as in a walk
    parts = absolute.split(os.sep)
    for k in range(2, len(parts)):
        why = ignores.ignored(os.sep.join(parts[:k]), True)
        if why:
            return why
    return ignores.ignored(absolute, False)
