""":func:`project_deps` reads a Python project's dependencies statically from
``pyproject.toml``, ``setup.cfg`` or ``setup.py`` (the latter with libcst,
never executed), and lists the files that building the project's metadata
reads.
"""

from __future__ import annotations


from ..build.context import BuildContext
from ..build.paths import _normalize_rel
from .base import _as_str_tuple, _Fail, _file_list, _Project, ProjectDeps
from .setup_cfg import _read_setup_cfg
from .setup_py import _read_setup_py


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
        data, why = ctx.toml(pp_rel)
        if data is None:
            reason = f"{pp_rel}: invalid TOML ({why})"
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
