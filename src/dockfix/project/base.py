"""What reading one project shares: the result (``ProjectDeps``), the failure, the per-project state."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ..build.context import BuildContext
from ..build.paths import _join_rel, _normalize_rel
from .requirements import _COMMENT_RE, _logical_lines
from .requirements_closure import _requirement_local_kind


@dataclass(frozen=True)
class ProjectDeps:
    """A Python project's dependencies, read statically.

    ``dependencies`` is None when they cannot be known without running code;
    ``reason`` then says why, with ``file:line`` where possible.  ``reads``
    lists the existing context-relative files that building the project's
    metadata reads; ``missing_reads`` those it would read that are not in the
    context (missing, outside).  ``optional_reason`` is set when the extras are
    not (completely) known.
    """

    dependencies: tuple[str, ...] | None
    optional: dict[str, tuple[str, ...]] = field(hash=False)
    reads: tuple[str, ...]
    build_requires: tuple[str, ...]
    reason: str | None
    source: str | None = None  # where dependencies came from
    optional_reason: str | None = None
    build_backend: str | None = None
    missing_reads: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # the requirements files (context paths) the dependencies were read from, when every one of
    # them comes from such a file (``pip install -r`` of these installs exactly ``dependencies``)
    dependency_files: tuple[str, ...] = ()


class _Fail(Exception):
    """Dependencies are not statically known; the message is the reason."""


_SCM_PLUGINS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs", "versioningit", "dunamai")


class _Project:
    """Shared state while reading one project."""

    def __init__(self, ctx: BuildContext, proj: str):
        self.ctx = ctx
        self.proj = proj
        self.reads: list[str] = []
        self.missing: list[str] = []
        self.notes: list[str] = []

    def rel(self, name: str) -> str | None:
        """Context-relative path of a project-relative file name."""
        if name.startswith("/"):
            return None
        return _normalize_rel(_join_rel(self.proj, name))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def touch(self, name: str) -> str | None:
        """Record that the metadata build reads ``name`` (project-relative).
        Returns the context path if the file exists."""
        rel = self.rel(name)
        if rel is None or not self.ctx.is_file(rel):
            shown = rel if rel is not None else name
            if shown not in self.missing and shown not in self.reads:
                self.missing.append(shown)
            return None
        if rel not in self.reads:
            self.reads.append(rel)
        return rel

    def requirements_from_file(self, name: str, mode: str) -> list[str]:
        """Requirements listed in a file read as dependencies.

        ``mode`` ``setuptools``: setuptools' ``file:`` directive (one per line,
        ``#`` lines skipped, a missing file is skipped as setuptools does);
        ``setup.py``: a file setup.py reads (pip's logical lines).  Option
        lines and local paths make the result unknown."""
        rel = self.touch(name)
        shown = self.rel(name) or name
        if rel is None:
            raise _Fail(f"{shown} is not in the build context")
        text = self.ctx.read_text(rel)
        if text is None:
            raise _Fail(f"{rel} cannot be read")
        out: list[str] = []
        if mode == "setuptools":
            lines = []
            for number, line in enumerate(text.splitlines(), start=1):
                stripped = line.strip()
                if stripped and not stripped.startswith("#"):
                    lines.append((number, _COMMENT_RE.sub("", stripped).strip()))
        else:
            lines = list(_logical_lines(text))
        for number, line in lines:
            if line.startswith("-"):
                raise _Fail(f"{rel}:{number}: `{line}` is a pip option, not a dependency")
            local = _requirement_local_kind(line)
            if local is not None:
                raise _Fail(f"{rel}:{number}: `{line}` is a {local[1]}")
            out.append(line)
        return out

    def module_files(self, dotted_attr: str, package_dirs: dict[str, str], attr: bool = True) -> None:
        """Record the module file an ``attr:`` directive points at."""
        parts = dotted_attr.split(".")
        if attr:
            parts = parts[:-1]
        if not parts:
            return
        roots: list[str] = []
        if parts[0] in package_dirs:
            base = package_dirs[parts[0]]
            candidates = [posixpath.join(base, *parts[1:])]
        else:
            if "" in package_dirs:
                roots.append(package_dirs[""])
            roots.extend(["", "src"])
            candidates = [posixpath.join(r, *parts) if r else posixpath.join(*parts) for r in roots]
        for cand in candidates:
            for name in (posixpath.join(cand, "__init__.py"), cand + ".py"):
                rel = self.rel(name)
                if rel is not None and self.ctx.is_file(rel):
                    self.touch(name)
                    return
        self.note(f"version/attribute `{dotted_attr}`: module not found in the context")


def _as_str_tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _Fail(f"{where} is not a list of strings")


def _file_list(spec: object) -> list[str] | None:
    """``{file = "x"}`` / ``{file = ["x", "y"]}`` -> names (None if not a file spec)."""
    if isinstance(spec, dict) and "file" in spec:
        files = spec["file"]
        if isinstance(files, str):
            return [files]
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            return list(files)
    return None


def _parse_cfg_list(value: str) -> list[str]:
    """setuptools' ``_parse_list_semicolon`` + comment filtering."""
    chunks = value.splitlines() if "\n" in value else value.split(";")
    return [c.strip() for c in chunks if c.strip() and not c.strip().startswith("#")]



@dataclass
class _Partial:
    """What one metadata file says about the dependencies and extras, or why it cannot say."""

    deps: tuple[str, ...] | None = None
    deps_reason: str | None = None
    deps_source: str | None = None
    deps_files: tuple[str, ...] = ()  # every dependency was read from these requirements files
    deps_found: bool = False
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extras_reason: str | None = None
    extras_found: bool = False
