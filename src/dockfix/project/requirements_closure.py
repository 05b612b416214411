""":func:`requirements_closure` follows pip requirements files the way pip's
``req_file.py`` does (logical lines, comments, ``-r``/``-c`` includes relative
to the including file) and reports every file the install reads plus every
line that reads the local filesystem, points outside the context, is missing,
is excluded by ``.dockerignore`` or depends on ``${VAR}`` expansion.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterator, Sequence

from ..build.context import BuildContext
from ..build.paths import _join_rel, _normalize_rel
from .requirements import (
    _ARCHIVE_EXTENSIONS,
    _ENV_VAR_RE,
    _EXTRAS_RE,
    _INCLUDE_SCHEME_RE,
    _SCHEME_RE,
    _URL_SCHEMES,
    _VCS,
    parse_requirements_text,
    RequirementLine,
)


def _scheme(value: str) -> str | None:
    m = _SCHEME_RE.match(value)
    return m.group(1).lower() if m else None


def _is_vcs_scheme(scheme: str | None) -> bool:
    return scheme is not None and any(
        scheme == vcs or scheme.startswith(vcs + "+") for vcs in _VCS
    )


def _is_file_scheme(scheme: str | None) -> bool:
    return scheme is not None and (scheme == "file" or scheme.endswith("+file"))


def _looks_like_path(name: str) -> bool:
    return "/" in name or name.startswith(".")


def _strip_extras(value: str) -> str:
    m = _EXTRAS_RE.match(value)
    return m.group(1) if m else value


def _requirement_local_kind(req: str) -> tuple[str, str] | None:
    """(kind, detail) if a requirement line reads the local filesystem.

    Follows pip's ``parse_req_from_line``/``_get_url_from_path``; relative
    paths there are relative to the working directory, not the file."""
    scheme = _scheme(req)
    is_url = scheme in _URL_SCHEMES or _is_vcs_scheme(scheme)
    req = req.split("; " if is_url else ";", 1)[0].strip()
    if is_url:
        if _is_file_scheme(scheme):
            return "file-url", "file: URL read from the image filesystem"
        return None
    if "@" in req:
        name, _, url = req.partition("@")
        if not _looks_like_path(name):  # PEP 508 direct reference
            url = url.strip()
            uscheme = _scheme(url)
            if _is_file_scheme(uscheme):
                return "file-url", "direct reference to a file: URL"
            if uscheme is None:
                return "path", "direct reference to a local path"
            return None
    bare = _strip_extras(req)
    if _looks_like_path(bare):
        return "path", "local path, relative to the working directory"
    if bare.lower().endswith(_ARCHIVE_EXTENSIONS):
        return "archive", "local archive file, relative to the working directory"
    return None


def _editable_kind(value: str) -> tuple[str, str]:
    scheme = _scheme(value)
    if _is_vcs_scheme(scheme):
        return (
            "editable-vcs",
            "editable VCS checkout: pip clones it into <venv>/src, or into ./src "
            "of the working directory outside a virtualenv",
        )
    if _is_file_scheme(scheme):
        return "editable", "editable install of a local file: URL"
    return "editable", "editable install of a local project directory"


def _link_is_local(value: str) -> bool:
    """--find-links / --index-url values that are paths or file: URLs."""
    scheme = _scheme(value)
    return scheme not in ("http", "https")


def _var_at_head(value: str) -> bool:
    value = value.strip()
    if value.startswith("${"):
        return True
    if "@" in value:
        name, _, url = value.partition("@")
        if not _looks_like_path(name) and url.strip().startswith("${"):
            return True
    return False


def _placeholder(value: str) -> str:
    return _ENV_VAR_RE.sub("x", value)


@dataclass(frozen=True)
class RequirementsRef:
    """A problem or include inside a requirements file.

    ``file`` is the file holding the line (for a root: the root itself),
    ``lineno`` the line (0 for a root), ``text`` the logical line as written
    (for a root: its path).  ``kind`` says what was found (``include``,
    ``editable``, ``editable-vcs``, ``path``, ``archive``, ``file-url``,
    ``find-links``, ``index``, ``absolute``, ``symlink``, ``not-a-file``,
    ``unreadable``, ``parse``, ...), ``target`` the context-relative file an
    include resolves to (when known), ``detail`` a one-line explanation.
    """

    file: str
    lineno: int
    text: str
    kind: str = ""
    target: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class RequirementsClosure:
    """What ``pip install -r <roots>`` reads from the build context.

    ``files`` lists every existing file reached (roots first, then includes in
    depth-first order as pip reads them), including ignored ones.  The other
    tuples list problems; each logical line lands in at most one of
    ``local_refs``, ``variables``, ``errors``.
    """

    files: tuple[str, ...]
    local_refs: tuple[RequirementsRef, ...]
    missing: tuple[RequirementsRef, ...]
    ignored: tuple[RequirementsRef, ...]
    outside: tuple[RequirementsRef, ...]
    variables: tuple[RequirementsRef, ...]
    remote: tuple[RequirementsRef, ...] = ()  # -r https://... (not followed)
    errors: tuple[RequirementsRef, ...] = ()  # lines pip would refuse, unreadable files

    @property
    def problems(self) -> tuple[RequirementsRef, ...]:
        """Everything that stops "copy these files, then install" being safe
        (remote includes are not counted)."""
        return (
            self.missing + self.ignored + self.outside + self.variables
            + self.local_refs + self.errors
        )

    @property
    def ok(self) -> bool:
        return not self.problems


def requirements_closure(ctx: BuildContext, roots: Sequence[str]) -> RequirementsClosure:
    """Follow ``-r``/``-c`` includes from ``roots`` (context-relative paths).

    Includes are resolved relative to the including file's directory, as pip
    does; requirement paths (``./pkg``, ``-e .``) are relative to the working
    directory and are only reported.  Cycles terminate.
    """
    files: list[str] = []
    local_refs: list[RequirementsRef] = []
    missing: list[RequirementsRef] = []
    ignored: list[RequirementsRef] = []
    outside: list[RequirementsRef] = []
    variables: list[RequirementsRef] = []
    remote: list[RequirementsRef] = []
    errors: list[RequirementsRef] = []
    seen: set[str] = set()

    def admit(target: str, ref: RequirementsRef) -> str | None:
        """Check a resolved context path; returns it if it can be parsed."""
        kind = ctx.kind(target)
        if kind == "outside":
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "symlink", target,
                                "a symlink leads outside the build context")
            )
            return None
        if kind == "missing":
            missing.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, target,
                                "no such file in the build context")
            )
            return None
        if kind != "file":
            missing.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "not-a-file", target,
                                f"{target} is not a regular file")
            )
            return None
        if target not in seen:
            seen.add(target)
            files.append(target)
            if ctx.is_ignored(target):
                ignored.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, target,
                                    "excluded by .dockerignore")
                )
        return target

    def classify_include(including: str | None, value: str, ref: RequirementsRef) -> str | None:
        """Resolve an include value; record problems; the path to parse or None."""
        if _ENV_VAR_RE.search(value):
            if _scheme(_placeholder(value)) in ("http", "https"):
                remote.append(ref)
            else:
                variables.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, None,
                                    "path uses ${VAR} expansion; cannot be resolved statically")
                )
            return None
        m = _INCLUDE_SCHEME_RE.match(value)
        if m:
            if m.group(1).lower() == "file":
                outside.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, "file-url", None,
                                    "file: URL names a path in the image, not in the context")
                )
            else:
                remote.append(ref)
            return None
        if value.startswith("/"):
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "absolute", value,
                                "absolute path names a file in the image, not in the context")
            )
            return None
        joined = value if including is None else _join_rel(posixpath.dirname(including), value)
        target = _normalize_rel(joined)
        if target is None:
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, None,
                                "resolves outside the build context")
            )
            return None
        return admit(target, ref)

    # roots first
    queue: list[str] = []
    for root in roots:
        ref = RequirementsRef(root, 0, root, "root")
        target = classify_include(None, root, ref)
        if target is not None and target not in queue:
            queue.append(target)

    parsed: set[str] = set()

    def visit(start: str) -> None:
        stack: list[tuple[str, Iterator[RequirementLine]]] = []

        def push(path: str) -> None:
            if path in parsed:
                return
            parsed.add(path)
            text = ctx.read_text(path)
            if text is None:
                errors.append(
                    RequirementsRef(path, 0, path, "unreadable", path,
                                    "cannot read the file (binary or unreadable)")
                )
                return
            stack.append((path, iter(parse_requirements_text(text))))

        push(start)
        while stack:
            path, lines = stack[-1]
            line = next(lines, None)
            if line is None:
                stack.pop()
                continue
            child = _handle_line(path, line)
            if child is not None:
                push(child)

    def _handle_line(path: str, line: RequirementLine) -> str | None:
        def ref(kind: str, detail: str = "", target: str | None = None) -> RequirementsRef:
            return RequirementsRef(path, line.lineno, line.text, kind, target, detail)

        if line.error is not None:
            errors.append(ref("parse", f"pip refuses this line: {line.error}"))
            return None
        has_var = bool(_ENV_VAR_RE.search(line.text))
        if line.requirement:
            req = line.requirement
            if has_var and _ENV_VAR_RE.search(req):
                if _var_at_head(req):
                    variables.append(ref("requirement", "requirement uses ${VAR} expansion"))
                    return None
                local = _requirement_local_kind(_placeholder(req))
                if local is not None:
                    variables.append(ref(local[0], local[1] + "; uses ${VAR} expansion"))
                return None
            local = _requirement_local_kind(req)
            if local is not None:
                local_refs.append(ref(*local))
            return None
        editables = line.values("editables")
        if editables:
            value = editables[0]
            if _ENV_VAR_RE.search(value):
                kind, detail = _editable_kind(_placeholder(value))
                if _var_at_head(value) or kind != "editable-vcs":
                    variables.append(ref("editable", "editable path uses ${VAR} expansion"))
                    return None
                local_refs.append(ref(kind, detail))
                return None
            local_refs.append(ref(*_editable_kind(value)))
            return None
        includes = line.values("requirements")
        kind = "include"
        if not includes:
            includes = line.values("constraints")
            kind = "constraint"
        if includes:
            return classify_include(path, includes[0], ref(kind))
        links: list[tuple[str, str]] = []
        find_links = line.values("find_links")
        if find_links:
            links.append(("find-links", find_links[0]))
        index_urls = line.values("index_url")
        if index_urls:
            links.append(("index", index_urls[-1]))
        links.extend(("index", v) for v in line.values("extra_index_urls"))
        for link_kind, value in links:
            if _ENV_VAR_RE.search(value):
                if _var_at_head(value) or _link_is_local(_placeholder(value)):
                    variables.append(ref(link_kind, f"{link_kind} location uses ${{VAR}} expansion"))
                    return None
                continue
            if _link_is_local(value):
                local_refs.append(ref(link_kind, f"{link_kind} points at a local directory or file: URL"))
                return None
        return None

    for start in queue:
        visit(start)

    return RequirementsClosure(
        files=tuple(files),
        local_refs=tuple(local_refs),
        missing=tuple(missing),
        ignored=tuple(ignored),
        outside=tuple(outside),
        variables=tuple(variables),
        remote=tuple(remote),
        errors=tuple(errors),
    )
