"""Static reading of Python project metadata: pyproject.toml, setup.cfg, setup.py (via libcst).

Kept apart from context.py so that libcst is imported only when a rule needs project metadata.
setup.py is read, never executed.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .context import (
    BuildContext,
    _COMMENT_RE,
    _join_rel,
    _logical_lines,
    _normalize_rel,
    _requirement_local_kind,
)

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


def project_deps(ctx: BuildContext, project_dir: str = ".") -> ProjectDeps:
    """Read a project's dependencies statically.

    Order: ``pyproject.toml`` ``[project]`` (dynamic dependencies via
    ``[tool.setuptools.dynamic]``), then ``setup.cfg`` ``[options]
    install_requires``, then ``setup.py`` read with libcst.  Poetry projects
    are out of scope (``reason == "poetry project"``).
    """
    key = ("project_deps", project_dir)
    if key not in ctx.memo:
        ctx.memo[key] = _project_deps(ctx, project_dir)
    return ctx.memo[key]


def _project_deps(ctx: BuildContext, project_dir: str) -> ProjectDeps:
    proj = _normalize_rel(project_dir)
    if proj is None or ctx.kind(proj) == "outside":
        return ProjectDeps(None, {}, (), (), f"project directory {project_dir} is outside the build context")
    st = _Project(ctx, proj)
    deps: tuple[str, ...] | None = None
    reason: str | None = None
    source: str | None = None
    dep_files: tuple[str, ...] = ()
    optional: dict[str, tuple[str, ...]] = {}
    optional_known = False
    optional_reason: str | None = None
    build_requires: tuple[str, ...] = ()
    backend: str | None = None
    package_dirs: dict[str, str] = {}

    def result() -> ProjectDeps:
        return ProjectDeps(
            dependencies=deps if reason is None else None,
            optional=optional,
            reads=tuple(st.reads),
            build_requires=build_requires,
            reason=reason,
            source=source if reason is None else None,
            optional_reason=optional_reason,
            build_backend=backend,
            missing_reads=tuple(m for m in st.missing if m not in st.reads),
            notes=tuple(st.notes),
            dependency_files=dep_files if reason is None else (),
        )

    pp_name = "pyproject.toml"
    pp_rel = st.rel(pp_name)
    data: dict | None = None
    if pp_rel is not None and ctx.is_file(pp_rel):
        st.touch(pp_name)
        text = ctx.read_text(pp_rel)
        try:
            data = tomllib.loads(text or "")
        except tomllib.TOMLDecodeError as exc:
            reason = f"{pp_rel}: invalid TOML ({exc})"
            return result()

    has_cfg = ctx.is_file(st.rel("setup.cfg") or "")
    has_py = ctx.is_file(st.rel("setup.py") or "")
    if data is None and not has_cfg and not has_py:
        where = "the context root" if proj == "." else proj
        reason = f"no pyproject.toml, setup.cfg or setup.py in {where}"
        return result()

    setuptools_like = True
    project: dict | None = None
    tool: dict = {}
    if data is not None:
        build_system = data.get("build-system")
        if isinstance(build_system, dict):
            requires = build_system.get("requires", [])
            if isinstance(requires, list):
                build_requires = tuple(r for r in requires if isinstance(r, str))
            if isinstance(build_system.get("build-backend"), str):
                backend = build_system["build-backend"]
        setuptools_like = backend is None or backend.split(":")[0].split(".")[0] == "setuptools"
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        if any(p in r.replace("_", "-") for r in build_requires for p in ("setuptools-scm", "hatch-vcs", "versioningit", "dunamai")) or "setuptools_scm" in tool:
            st.note("the version comes from VCS metadata (setuptools-scm or similar): building metadata needs .git or a pretend version")
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
        if poetry is not None and "dependencies" in poetry:
            if isinstance(poetry.get("readme"), str):
                st.touch(poetry["readme"])
            reason = "poetry project"
            return result()
        if isinstance(data.get("project"), dict):
            project = data["project"]
        setuptools_tool = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
        pkg_dir = setuptools_tool.get("package-dir")
        if isinstance(pkg_dir, dict):
            package_dirs = {k: v for k, v in pkg_dir.items() if isinstance(v, str)}

    dynamic: set[str] = set()
    deps_done = False
    if project is not None:
        raw_dynamic = project.get("dynamic", [])
        dynamic = set(raw_dynamic) if isinstance(raw_dynamic, list) else set()
        readme = project.get("readme")
        if isinstance(readme, str):
            st.touch(readme)
        elif isinstance(readme, dict) and isinstance(readme.get("file"), str):
            st.touch(readme["file"])
        license_ = project.get("license")
        if isinstance(license_, dict) and isinstance(license_.get("file"), str):
            st.touch(license_["file"])
        st_dynamic = {}
        if setuptools_like:
            st_tool = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
            st_dynamic = st_tool.get("dynamic") if isinstance(st_tool.get("dynamic"), dict) else {}
            for key, spec in st_dynamic.items():
                if key in ("dependencies", "optional-dependencies"):
                    continue
                names = _file_list(spec)
                for name in names or ():
                    st.touch(name)
                if isinstance(spec, dict) and isinstance(spec.get("attr"), str):
                    st.module_files(spec["attr"], package_dirs)
                    st.note(f"{pp_rel}: {key} = attr: {spec['attr']} may import the package")
        try:
            if "dependencies" not in dynamic:
                deps = _as_str_tuple(project.get("dependencies", []), f"{pp_rel}: [project].dependencies")
                source = f"{pp_rel} [project].dependencies"
                deps_done = True
            elif setuptools_like and "dependencies" in st_dynamic:
                names = _file_list(st_dynamic["dependencies"])
                if names is None:
                    raise _Fail(f"{pp_rel}: [tool.setuptools.dynamic].dependencies is not a file list")
                collected: list[str] = []
                for name in names:
                    try:
                        collected.extend(st.requirements_from_file(name, "setuptools"))
                    except _Fail as exc:
                        raise _Fail(f"{pp_rel}: [tool.setuptools.dynamic].dependencies reads {name}: {exc}") from None
                deps = tuple(collected)
                source = f"{pp_rel} [tool.setuptools.dynamic].dependencies ({', '.join(names)})"
                dep_files = tuple(dict.fromkeys(st.rel(n) for n in names))
                deps_done = True
            elif not setuptools_like:
                raise _Fail(f"{pp_rel}: dependencies are dynamic and the build backend is {backend}")
        except _Fail as exc:
            reason = str(exc)
            deps_done = True
        try:
            if "optional-dependencies" not in dynamic:
                raw = project.get("optional-dependencies", {})
                if not isinstance(raw, dict):
                    raise _Fail(f"{pp_rel}: [project].optional-dependencies is not a table")
                optional = {k: _as_str_tuple(v, f"{pp_rel}: optional-dependencies.{k}") for k, v in raw.items()}
                optional_known = True
            elif setuptools_like and isinstance(st_dynamic.get("optional-dependencies"), dict):
                for extra, spec in st_dynamic["optional-dependencies"].items():
                    names = _file_list(spec)
                    if names is None:
                        raise _Fail(f"{pp_rel}: optional-dependencies.{extra} is not a file list")
                    collected = []
                    for name in names:
                        try:
                            collected.extend(st.requirements_from_file(name, "setuptools"))
                        except _Fail as exc:
                            raise _Fail(f"{pp_rel}: optional-dependencies.{extra} reads {name}: {exc}") from None
                    optional[extra] = tuple(collected)
                optional_known = True
            elif not setuptools_like:
                raise _Fail(f"{pp_rel}: optional-dependencies are dynamic and the build backend is {backend}")
        except _Fail as exc:
            optional, optional_reason, optional_known = {}, str(exc), True
    elif data is not None and not setuptools_like:
        reason = f"{pp_rel} has no [project] table (build backend {backend})"
        return result()

    if not setuptools_like:
        return result()

    # setuptools (or legacy): setup.cfg and setup.py are read when present
    cfg = _read_setup_cfg(st, package_dirs) if has_cfg else None
    py = _read_setup_py(st) if has_py else None

    if not deps_done:
        if cfg is not None and cfg.deps_found:
            deps, reason, source, dep_files = cfg.deps, cfg.deps_reason, cfg.deps_source, cfg.deps_files
        elif py is not None:
            deps, reason, source, dep_files = py.deps, py.deps_reason, py.deps_source, py.deps_files
        elif project is not None:
            reason = f"{pp_rel}: dependencies are dynamic but nothing provides them"
        else:
            deps, source = (), f"{st.rel('setup.cfg')} has no install_requires"
    if not optional_known:
        if cfg is not None and cfg.extras_found:
            optional, optional_reason = cfg.extras, cfg.extras_reason
        elif py is not None:
            optional, optional_reason = py.extras, py.extras_reason
    return result()


@dataclass
class _Partial:
    deps: tuple[str, ...] | None = None
    deps_reason: str | None = None
    deps_source: str | None = None
    deps_files: tuple[str, ...] = ()  # every dependency was read from these requirements files
    deps_found: bool = False
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extras_reason: str | None = None
    extras_found: bool = False


def _read_setup_cfg(st: _Project, package_dirs: dict[str, str]) -> _Partial:
    out = _Partial()
    rel = st.touch("setup.cfg")
    assert rel is not None
    text = st.ctx.read_text(rel) or ""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=rel)
    except configparser.Error as exc:
        out.deps_found = True
        out.deps_reason = f"{rel}: cannot parse ({str(exc).splitlines()[0]})"
        return out

    def get(section: str, key: str) -> str | None:
        if not parser.has_section(section):
            return None
        for name in (key, key.replace("_", "-")):
            if parser.has_option(section, name):
                return parser.get(section, name)
        return None

    def expand(value: str) -> str:
        stripped = value.strip()
        if not stripped.startswith("file:"):
            return value
        contents = []
        for name in (p.strip() for p in stripped[len("file:"):].split(",")):
            if name:
                try:
                    contents.extend(st.requirements_from_file(name, "setuptools"))
                except _Fail as exc:
                    raise _Fail(f"{rel}: file: {name}: {exc}") from None
        return "\n".join(contents) + "\n"

    pkg_dir_value = get("options", "package_dir")
    if pkg_dir_value:
        for chunk in _parse_cfg_list(pkg_dir_value.replace(",", "\n") + "\n"):
            key, _, value = chunk.partition("=")
            package_dirs.setdefault(key.strip(), value.strip())
    for key in ("long_description", "version", "license_file"):
        value = get("metadata", key)
        if value and value.strip().startswith("file:"):
            for name in value.strip()[len("file:"):].split(","):
                if name.strip():
                    st.touch(name.strip())
        elif value and value.strip().startswith("attr:") and key == "version":
            st.module_files(value.strip()[len("attr:"):].strip(), package_dirs)
            st.note(f"{rel}: version = attr: may import the package")
    lic = get("metadata", "license_files")
    if lic:
        for name in _parse_cfg_list(lic.replace(",", "\n") + "\n"):
            if not any(ch in name for ch in "*?["):
                st.touch(name)

    value = get("options", "install_requires")
    if value is not None:
        out.deps_found = True
        try:
            out.deps = tuple(_parse_cfg_list(expand(value)))
            out.deps_source = f"{rel} [options] install_requires"
            if value.strip().startswith("file:"):
                names = [n.strip() for n in value.strip()[len("file:"):].split(",") if n.strip()]
                out.deps_files = tuple(dict.fromkeys(st.rel(n) for n in names))
        except _Fail as exc:
            out.deps_reason = str(exc)
    if parser.has_section("options.extras_require"):
        out.extras_found = True
        try:
            for extra in parser.options("options.extras_require"):
                out.extras[extra] = tuple(_parse_cfg_list(expand(parser.get("options.extras_require", extra))))
        except _Fail as exc:
            out.extras, out.extras_reason = {}, str(exc)
    return out


# -- setup.py ---------------------------------------------------------------

_MUTATORS = {
    "append", "extend", "insert", "remove", "pop", "clear", "update",
    "setdefault", "__setitem__", "__delitem__", "__iadd__",
}
_OPEN_FUNCS = {"open", "io.open", "codecs.open", "builtins.open", "io.open_code"}
_JOIN_FUNCS = {"os.path.join", "path.join", "join", "posixpath.join", "osp.join"}
_SAME_FUNCS = {
    "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser",
    "path.abspath", "path.realpath", "path.normpath", "abspath", "realpath",
    "normpath", "os.fspath", "str", "osp.abspath", "osp.realpath",
}
_DIRNAME_FUNCS = {"os.path.dirname", "path.dirname", "dirname", "osp.dirname"}
_CWD_FUNCS = {"os.getcwd", "Path.cwd", "pathlib.Path.cwd", "getcwd"}
_PATH_CLASSES = {
    "Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "PosixPath",
    "pathlib.PosixPath", "PurePosixPath", "pathlib.PurePosixPath",
}
# function -> index of the argument naming a file it reads
_READER_FUNCS = {
    "runpy.run_path": 0, "run_path": 0, "imp.load_source": 1, "load_source": 1,
    "importlib.util.spec_from_file_location": 1, "spec_from_file_location": 1,
    "importlib.machinery.SourceFileLoader": 1, "SourceFileLoader": 1,
}


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - libcst edge cases
            return None
        return value if isinstance(value, str) else None
    return None


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


@dataclass
class _Binding:
    value: cst.BaseExpression | None
    line: int
    blocks: tuple[str, ...]
    withs: tuple[tuple[str, cst.BaseExpression], ...]
    how: str


class _Facts(cst.CSTVisitor):
    """Module-level facts about setup.py."""

    def __init__(self, positions) -> None:
        super().__init__()
        self.positions = positions
        self.bindings: dict[str, list[_Binding]] = defaultdict(list)
        self.mutations: dict[str, list[int]] = defaultdict(list)
        self.functions: dict[str, cst.FunctionDef] = {}
        self.calls: list[tuple[cst.Call, bool]] = []  # (call, inside a def)
        self.setup_calls: list[cst.Call] = []
        self.imports: list[tuple[str, int]] = []
        self.star_imports: list[tuple[str, int]] = []
        self.exec_lines: list[int] = []
        self._blocks: list[str] = []
        self._withs: list[tuple[str, cst.BaseExpression]] = []
        self._with_counts: list[int] = []

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None, how: str) -> None:
        if isinstance(target, cst.Name):
            self.bindings[target.value].append(
                _Binding(value, self.line(target), tuple(self._blocks), tuple(self._withs), how)
            )
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None, "unpacking")
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, None, "unpacking")
        else:
            name = _root_name(target)
            if name is not None:
                self.mutations[name].append(self.line(target))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value, "assignment")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, "assignment")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        name = _root_name(node.target)
        if name is not None:
            self.mutations[name].append(self.line(node))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, None, "walrus")

    def visit_Del(self, node: cst.Del) -> None:
        name = _root_name(node.target) if not isinstance(node.target, cst.Tuple) else None
        if name is not None:
            self.mutations[name].append(self.line(node))

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.mutations[item.name.value].append(self.line(node))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name) or ""
            self.imports.append((dotted, self.line(node)))
            bound = alias.asname.name if alias.asname else None
            if isinstance(bound, cst.Name):
                self._bind(bound, None, "import")
            elif dotted:
                self.bindings[dotted.split(".")[0]].append(
                    _Binding(None, self.line(node), tuple(self._blocks), (), "import")
                )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative:
            return
        module = _dotted(node.module) if node.module is not None else None
        if module:
            self.imports.append((module, self.line(node)))
        if isinstance(node.names, cst.ImportStar):
            self.star_imports.append((module or "?", self.line(node)))
            return
        for alias in node.names:
            target = alias.asname.name if alias.asname else alias.name
            if isinstance(target, cst.Name):
                self._bind(target, None, "import")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._blocks:
            self.functions[node.name.value] = node
        self.bindings[node.name.value].append(
            _Binding(None, self.line(node), tuple(self._blocks), (), "def")
        )
        self._blocks.append("def")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._blocks.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._blocks.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._blocks.pop()

    def visit_If(self, node: cst.If) -> None:
        self._blocks.append("if")

    def leave_If(self, original_node: cst.If) -> None:
        self._blocks.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self._blocks.append("try")

    def leave_Try(self, original_node: cst.Try) -> None:
        self._blocks.pop()

    def visit_While(self, node: cst.While) -> None:
        self._blocks.append("while")

    def leave_While(self, original_node: cst.While) -> None:
        self._blocks.pop()

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None, "for loop")
        self._blocks.append("for")

    def leave_For(self, original_node: cst.For) -> None:
        self._blocks.pop()

    def visit_With(self, node: cst.With) -> None:
        count = 0
        for item in node.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                self._bind(item.asname.name, None, "with")
                self._withs.append((item.asname.name.value, item.item))
                count += 1
        self._with_counts.append(count)
        self._blocks.append("with")

    def leave_With(self, original_node: cst.With) -> None:
        self._blocks.pop()
        for _ in range(self._with_counts.pop()):
            self._withs.pop()

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, "def" in self._blocks))
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
            name = _root_name(func.value)
            if name is not None:
                self.mutations[name].append(self.line(node))
        dotted = _dotted(func)
        if dotted in ("exec", "execfile", "builtins.exec"):
            self.exec_lines.append(self.line(node))
        if dotted in ("setup", "setuptools.setup", "distutils.core.setup", "core.setup"):
            self.setup_calls.append(node)


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.names: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)


_UNKNOWN = object()  # a read whose file name is not literal

# Calls that read a requirements file without dropping or changing a requirement line.
_FAITHFUL_CALLS = frozenset({
    "open", "io.open", "codecs.open", "read", "readlines", "splitlines", "strip", "lstrip", "rstrip",
    "read_text", "join", "os.path.join", "dirname", "os.path.dirname", "abspath", "os.path.abspath",
    "realpath", "os.path.realpath", "Path", "pathlib.Path", "list", "str", "fspath", "os.fspath", "resolve",
    "append", "extend", "parse_requirements", "pkg_resources.parse_requirements", "startswith", "parent",
})
_SAFE_TEST = re.compile(r"""\.startswith\(\s*(['"])#\1\s*\)|\.[lr]?strip\(\s*\)|\b(?:not|and|or)\b|[A-Za-z_][A-Za-z0-9_]*|[()\s]""")


def _comment_safe(test: str) -> bool:
    """Does a condition only look at blank and comment lines (truthiness, ``.strip()``,
    ``.startswith("#")``, ``not``/``and``/``or``)?"""
    return _SAFE_TEST.sub("", test) == ""


class _Transforms(cst.CSTVisitor):
    """What a requirements-reading expression or helper does to the lines: the calls it makes, the
    conditions it tests, and constructs that may drop or change lines (slices, loops, del)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.tests: list[cst.CSTNode] = []
        self.bad: list[cst.CSTNode] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_If(self, node: cst.If) -> None:
        self.tests.append(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.bad.append(node)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self.tests.append(node.test)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.bad.append(node)

    def visit_While(self, node: cst.While) -> None:
        self.bad.append(node)

    def visit_Del(self, node: cst.Del) -> None:
        self.bad.append(node)


class _SetupPy:
    def __init__(self, st: _Project, rel: str, source: str):
        self.st = st
        self.rel = rel
        self.wrapper = MetadataWrapper(cst.parse_module(source))
        self.module = self.wrapper.module
        self.facts = _Facts(self.wrapper.resolve(PositionProvider))
        self.module.visit(self.facts)
        self.req_files: list[str] = []  # requirement files eval_reqs read
        self.req_lines = 0  # how many requirements came from them

    def code(self, node: cst.CSTNode) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= 60 else text[:57] + "..."

    def where(self, node: cst.CSTNode) -> str:
        try:
            return f"{self.rel}:{self.facts.line(node)}"
        except KeyError:
            return self.rel

    # -- names ----------------------------------------------------------------

    def resolve(self, name: str, what: str = "") -> tuple[cst.BaseExpression, tuple[tuple[str, cst.BaseExpression], ...]]:
        """The one module-level value bound to ``name`` (and the ``with``
        items around it), or _Fail with the reason."""
        prefix = f"{what} comes from `{name}`, which" if what else f"`{name}`"
        bindings = self.facts.bindings.get(name, [])
        if not bindings:
            hint = ""
            if self.facts.exec_lines:
                hint = f" (it may come from exec() at line {self.facts.exec_lines[0]})"
            elif self.facts.star_imports:
                module, line = self.facts.star_imports[0]
                hint = f" (it may come from `from {module} import *` at line {line})"
            raise _Fail(f"{self.rel}: {prefix} is not assigned in setup.py{hint}")
        if len(bindings) > 1:
            lines = ", ".join(str(b.line) for b in bindings)
            raise _Fail(f"{self.rel}:{bindings[0].line}: {prefix} is bound {len(bindings)} times (lines {lines})")
        binding = bindings[0]
        if binding.value is None:
            how = {
                "import": "is imported",
                "def": "is a function",
                "for loop": "is a for-loop variable",
                "with": "is bound by a with statement",
            }.get(binding.how, f"is bound by {binding.how}")
            raise _Fail(f"{self.rel}:{binding.line}: {prefix} {how}")
        blocks = [b for b in binding.blocks if b != "with"]
        if blocks:
            raise _Fail(f"{self.rel}:{binding.line}: {prefix} is assigned inside {'a function' if blocks[0] == 'def' else 'an ' + blocks[0] if blocks[0] == 'if' else 'a ' + blocks[0]} block")
        if self.facts.mutations.get(name):
            raise _Fail(f"{self.rel}:{self.facts.mutations[name][0]}: {prefix} is modified")
        return binding.value, binding.withs

    # -- paths ----------------------------------------------------------------

    def path_of(self, node: cst.BaseExpression, env: dict[str, object], depth: int = 0) -> str | None:
        """Project-relative path an expression evaluates to ('' = project dir)."""
        if depth > 8:
            return None
        s = _string_value(node)
        if s is not None:
            return s
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return "setup.py"
            if node.value in env:
                value = env[node.value]
                return value if isinstance(value, str) else None
            try:
                value_node, _ = self.resolve(node.value)
            except _Fail:
                return None
            return self.path_of(value_node, {}, depth + 1)
        if isinstance(node, cst.Attribute) and node.attr.value == "parent":
            base = self.path_of(node.value, env, depth + 1)
            return None if base is None else _dirname(base)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self.path_of(node.left, env, depth + 1)
            right = self.path_of(node.right, env, depth + 1)
            return None if left is None or right is None else _pjoin(left, right)
        if isinstance(node, cst.Call):
            dotted = _dotted(node.func)
            args = self._path_args(node, env, depth)
            if dotted in _CWD_FUNCS:
                return ""
            if args is None:
                return None
            if dotted in _JOIN_FUNCS and args:
                return _pjoin(*args)
            if dotted in _SAME_FUNCS and len(args) == 1:
                return args[0]
            if dotted in _DIRNAME_FUNCS and len(args) == 1:
                return _dirname(args[0])
            if dotted in _PATH_CLASSES:
                return _pjoin(*args) if args else ""
            if isinstance(node.func, cst.Attribute):
                method = node.func.attr.value
                if method in ("resolve", "absolute", "expanduser") and not args:
                    return self.path_of(node.func.value, env, depth + 1)
                if method == "joinpath":
                    base = self.path_of(node.func.value, env, depth + 1)
                    return None if base is None else _pjoin(base, *args)
        return None

    def _path_args(self, call: cst.Call, env: dict[str, object], depth: int) -> list[str] | None:
        out: list[str] = []
        for arg in call.args:
            if arg.keyword is not None:
                continue
            if arg.star == "*":
                if isinstance(arg.value, cst.Name) and isinstance(env.get(arg.value.value), list):
                    out.extend(env[arg.value.value])  # type: ignore[arg-type]
                    continue
                return None
            if arg.star:
                return None
            value = self.path_of(arg.value, env, depth + 1)
            if value is None:
                return None
            out.append(value)
        return out

    # -- reads ------------------------------------------------------------------

    def call_reads(self, call: cst.Call, env: dict[str, object], depth: int, seen: frozenset[str]) -> list[object]:
        """Files one call reads: paths, or _UNKNOWN for a non-literal name."""
        dotted = _dotted(call.func)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if dotted in _OPEN_FUNCS or dotted in _READER_FUNCS:
            index = 0 if dotted in _OPEN_FUNCS else _READER_FUNCS[dotted]
            target = None
            if len(positional) > index:
                target = positional[index].value
            else:
                for a in call.args:
                    if a.keyword is not None and a.keyword.value in ("file", "path", "pathname", "location"):
                        target = a.value
            if target is None:
                return [_UNKNOWN]
            path = self.path_of(target, env)
            return [path if path is not None else _UNKNOWN]
        if isinstance(call.func, cst.Attribute):
            method = call.func.attr.value
            receiver = call.func.value
            if method in ("read_text", "read_bytes"):
                path = self.path_of(receiver, env)
                return [path if path is not None else _UNKNOWN]
            if method == "open" and dotted not in ("tarfile.open", "zipfile.open", "webbrowser.open"):
                if isinstance(receiver, cst.BinaryOperation) or (
                    isinstance(receiver, cst.Call) and _dotted(receiver.func) in _PATH_CLASSES
                ):
                    path = self.path_of(receiver, env)
                    return [path if path is not None else _UNKNOWN]
        if isinstance(call.func, cst.Name) and call.func.value in self.facts.functions:
            name = call.func.value
            if name in seen or depth > 3:
                return []
            return self.helper_reads(self.facts.functions[name], call, env, depth + 1, seen | {name})
        return []

    def helper_reads(self, func: cst.FunctionDef, call: cst.Call, env: dict[str, object], depth: int, seen: frozenset[str]) -> list[object]:
        local: dict[str, object] = {}
        params = list(func.params.posonly_params) + list(func.params.params)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        for index, param in enumerate(params):
            value_node = positional[index].value if index < len(positional) else keywords.get(param.name.value, param.default)
            if value_node is not None:
                value = self.path_of(value_node, env)
                if value is not None:
                    local[param.name.value] = value
        star = func.params.star_arg
        if isinstance(star, cst.Param):
            rest = [self.path_of(a.value, env) for a in positional[len(params):]]
            if all(r is not None for r in rest):
                local[star.name.value] = rest
        for param in func.params.kwonly_params:
            value_node = keywords.get(param.name.value, param.default)
            if value_node is not None:
                value = self.path_of(value_node, env)
                if value is not None:
                    local[param.name.value] = value
        # simple local assignments (path = os.path.join(here, name))
        assigns: dict[str, list[cst.BaseExpression]] = defaultdict(list)
        for node in _walk_assigns(func.body):
            assigns[node[0]].append(node[1])
        for _ in range(3):
            for name, values in assigns.items():
                if len(values) == 1 and name not in local:
                    value = self.path_of(values[0], local)
                    if value is not None:
                        local[name] = value
        return self.reads_in(func.body, local, depth, seen)

    def reads_in(self, node: cst.CSTNode, env: dict[str, object], depth: int = 0, seen: frozenset[str] = frozenset(), withs: Sequence[tuple[str, cst.BaseExpression]] = ()) -> list[object]:
        collector = _CallCollector()
        node.visit(collector)
        out: list[object] = []
        for call in collector.calls:
            out.extend(self.call_reads(call, env, depth, seen))
        for name, expr in withs:
            if name in collector.names:
                out.extend(self.reads_in(expr, env, depth, seen))
        return out

    # -- requirements -------------------------------------------------------

    def eval_reqs(self, node: cst.BaseExpression, withs: Sequence[tuple[str, cst.BaseExpression]], what: str, depth: int = 0) -> list[str]:
        if depth > 6:
            raise _Fail(f"{self.where(node)}: {what} is too indirect")
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            out: list[str] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    out.extend(self.eval_reqs(element.value, withs, what, depth + 1))
                    continue
                s = _string_value(element.value)
                if s is None:
                    raise _Fail(f"{self.where(element.value)}: {what} element `{self.code(element.value)}` is not a string literal")
                out.append(s)
            return out
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.eval_reqs(node.left, withs, what, depth + 1) + self.eval_reqs(node.right, withs, what, depth + 1)
        s = _string_value(node)
        if s is not None:  # setuptools accepts a newline-separated string
            return [line.strip() for line in s.splitlines() if line.strip() and not line.strip().startswith("#")]
        if isinstance(node, cst.Name):
            value, bwiths = self.resolve(node.value, what)
            return self.eval_reqs(value, bwiths, what, depth + 1)
        reads = self.reads_in(node, {}, withs=withs)
        paths = list(dict.fromkeys(r for r in reads if isinstance(r, str)))
        if _UNKNOWN in reads:
            raise _Fail(f"{self.where(node)}: {what} reads a file whose name is not a literal (`{self.code(node)}`)")
        if len(paths) == 1:
            self.check_faithful(node, withs, what)
            return self.from_file(node, what, paths[0])
        if len(paths) > 1:
            raise _Fail(f"{self.where(node)}: {what} reads several files ({', '.join(paths)})")
        collector = _CallCollector()
        node.visit(collector)
        named = list(dict.fromkeys(
            s for call in collector.calls for arg in call.args
            if (s := _string_value(arg.value)) and (s.endswith((".txt", ".in")) or "requirement" in s)
        ))
        if len(named) == 1:  # e.g. pip's parse_requirements("requirements.txt")
            self.check_faithful(node, withs, what)
            return self.from_file(node, what, named[0])
        raise _Fail(f"{self.where(node)}: {what} is computed (`{self.code(node)}`)")

    def check_faithful(self, node: cst.CSTNode, withs: Sequence[tuple[str, cst.BaseExpression]], what: str) -> None:
        """The code that turns the file into requirements keeps every requirement line: it only
        opens, reads, splits and strips, and its conditions only skip blank and comment lines.
        Anything else (a filter, a slice, a replace, a call dockfix does not know) may drop or
        change requirements, so the file's lines are not the project's dependencies."""
        pending: list[cst.CSTNode] = [node] + [expr for _, expr in withs]
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            finder = _Transforms()
            current.visit(finder)
            for bad in finder.bad:
                raise _Fail(f"{self.where(bad)}: {what} changes what it reads from the file (`{self.code(bad)}`)")
            for test in finder.tests:
                if not _comment_safe(self.module.code_for_node(test)):
                    raise _Fail(f"{self.where(test)}: {what} filters the lines it reads (`{self.code(test)}`)")
            for call in finder.calls:
                dotted = _dotted(call.func) or ""
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else dotted
                if isinstance(call.func, cst.Name) and name in self.facts.functions:
                    if name not in seen:
                        seen.add(name)
                        pending.append(self.facts.functions[name].body)
                    continue
                if name == "split" and not call.args:
                    continue  # whitespace-separated: a requirement with a space would fail setuptools itself
                if name not in _FAITHFUL_CALLS and dotted not in _FAITHFUL_CALLS:
                    raise _Fail(f"{self.where(call)}: {what} passes what it reads through `{self.code(call)}`")

    def from_file(self, node: cst.BaseExpression, what: str, name: str) -> list[str]:
        self.req_files.append(self.st.rel(name) or name)
        try:
            lines = self.st.requirements_from_file(name, "setup.py")
            self.req_lines += len(lines)
            return lines
        except _Fail as exc:
            raise _Fail(f"{self.where(node)}: {what} reads {name}: {exc}") from None

    def eval_extras(self, node: cst.BaseExpression, depth: int = 0) -> dict[str, tuple[str, ...]]:
        if isinstance(node, cst.Name) and depth < 4:
            value, _ = self.resolve(node.value, "extras_require")
            return self.eval_extras(value, depth + 1)
        if isinstance(node, cst.Dict):
            out: dict[str, tuple[str, ...]] = {}
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    raise _Fail(f"{self.where(element)}: extras_require unpacks `{self.code(element)}`")
                key = _string_value(element.key)
                if key is None:
                    raise _Fail(f"{self.where(element.key)}: extras_require key `{self.code(element.key)}` is not a string literal")
                out[key] = tuple(self.eval_reqs(element.value, (), f"extras_require[{key!r}]", depth + 1))
            return out
        raise _Fail(f"{self.where(node)}: extras_require is computed (`{self.code(node)}`)")


def _walk_assigns(body: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression]]:
    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, cst.BaseExpression]] = []

        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.found.append((t.target.value, node.value))

    v = V()
    body.visit(v)
    return iter(v.found)


def _dirname(path: str) -> str:
    norm = posixpath.normpath(path) if path else "."
    if norm == ".":
        return ".."
    if norm == ".." or norm.endswith("/.."):
        return norm + "/.."
    return posixpath.dirname(norm)


def _pjoin(*parts: str) -> str:
    return posixpath.join(*parts) if parts else ""


def _read_setup_py(st: _Project) -> _Partial:
    try:
        return _read_setup_py_unguarded(st)
    except _Fail:
        raise
    except Exception as exc:  # never let a surprise in static analysis escape
        rel = st.rel("setup.py")
        reason = f"{rel}: could not be analysed ({type(exc).__name__}: {exc})".splitlines()[0]
        return _Partial(deps_reason=reason, extras_reason=reason)


def _read_setup_py_unguarded(st: _Project) -> _Partial:
    out = _Partial()
    rel = st.touch("setup.py")
    assert rel is not None
    source = st.ctx.read_text(rel)
    if source is None:
        out.deps_reason = out.extras_reason = f"{rel}: cannot read the file"
        return out
    try:
        sp = _SetupPy(st, rel, source)
    except cst.ParserSyntaxError as exc:
        out.deps_reason = out.extras_reason = f"{rel}:{exc.editor_line}: cannot parse ({exc.message})"
        return out
    except RecursionError:
        out.deps_reason = out.extras_reason = f"{rel}: cannot parse (too deeply nested)"
        return out

    # every literal file setup.py reads, anywhere
    for call, in_def in sp.facts.calls:
        for read in sp.call_reads(call, {}, 0, frozenset()):
            if isinstance(read, str):
                _touch_project_path(st, read)
            elif not in_def:
                st.note(f"{sp.where(call)}: setup.py reads a file whose name is not a literal")
    # local modules setup.py imports
    for module, line in sp.facts.imports:
        top = module.split(".")[0]
        for name in (f"{top}.py", f"{top}/__init__.py", f"src/{top}/__init__.py"):
            path = st.rel(name)
            if path is not None and st.ctx.is_file(path) and path != rel:
                st.touch(name)
                st.note(f"{rel}:{line}: setup.py imports the local module `{top}`")
                break

    calls = sp.facts.setup_calls
    if not calls:
        out.deps_reason = f"{rel}: no setup() call found"
        out.extras_reason = out.deps_reason
        return out
    if len(calls) > 1:
        lines = ", ".join(str(sp.facts.line(c)) for c in calls)
        out.deps_reason = f"{rel}: several setup() calls (lines {lines})"
        out.extras_reason = out.deps_reason
        return out
    call = calls[0]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    star_kwargs = [a for a in call.args if a.star == "**"]
    star_args = [a for a in call.args if a.star == "*"]

    def lookup(key: str) -> cst.BaseExpression | None:
        if key in keywords:
            return keywords[key]
        for arg in star_kwargs:
            node = arg.value
            try:
                if isinstance(node, cst.Name):
                    node, _ = sp.resolve(node.value)
            except _Fail as exc:
                raise _Fail(f"{sp.where(arg)}: setup() takes **{sp.code(arg.value)}; {key} may come from it ({exc})") from None
            if isinstance(node, cst.Dict) and all(
                isinstance(e, cst.DictElement) and _string_value(e.key) is not None for e in node.elements
            ):
                for e in node.elements:
                    if isinstance(e, cst.DictElement) and _string_value(e.key) == key:
                        return e.value
                continue
            raise _Fail(f"{sp.where(arg)}: setup() takes **{sp.code(arg.value)}; {key} may come from it")
        if star_args:
            raise _Fail(f"{sp.where(star_args[0])}: setup() takes *{sp.code(star_args[0].value)}")
        return None

    try:
        node = lookup("install_requires")
        if node is None:
            out.deps = ()
            out.deps_source = f"{sp.where(call)} setup() has no install_requires"
        else:
            out.deps = tuple(sp.eval_reqs(node, (), "install_requires"))
            out.deps_source = f"{sp.where(node)} install_requires"
            if sp.req_files:
                out.deps_source += f" (read from {', '.join(dict.fromkeys(sp.req_files))})"
                if sp.req_lines == len(out.deps):
                    out.deps_files = tuple(dict.fromkeys(sp.req_files))
        out.deps_found = True
    except _Fail as exc:
        out.deps_reason = str(exc)
    try:
        node = lookup("extras_require")
        out.extras = sp.eval_extras(node) if node is not None else {}
        out.extras_found = True
    except _Fail as exc:
        out.extras, out.extras_reason = {}, str(exc)
    return out


def _touch_project_path(st: _Project, path: str) -> None:
    if path.startswith("/"):
        st.note(f"setup.py reads the absolute path {path}")
        return
    norm = posixpath.normpath(path)
    if norm in (".", ""):
        return
    st.touch(norm)
