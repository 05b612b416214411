"""pip's ``--only-deps`` (pip 26.2): the dependencies of a local project, from its metadata.

``pip install --only-deps .[extra]`` resolves exactly as ``pip install .[extra]`` does (the same
resolver run, project included) and then drops the requested project from what it installs
(pip's ``Resolver.resolve``: ``only_dependencies`` removes ``user_requested``), so the packages
and versions are those of the original install, and none of them is marked ``REQUESTED`` (they
are not named on the command line). A later ``pip install .`` finds them installed. It cannot be
combined with ``-r``, ``--group``, ``--no-deps`` or the legacy resolver.

Two things must be shown before DF003 writes it (and pip's build isolation must be on: with
``--no-build-isolation`` or ``PIP_NO_BUILD_ISOLATION`` the backend is whichever the image holds):

- ``pip_version_proof``: the pip that runs it is 26.2 or newer: an earlier ``pip install`` of
  ``pip`` in the same environment, pinned at or above 26.2, or an unpinned upgrade (``-U pip``)
  on an official ``python`` image whose Python (3.10 or newer) that pip supports, with no
  index or constraint option and no install in between that could change pip again.
- ``metadata_files``: pip builds the project's metadata with the build backend before it knows
  the dependencies, so the dependencies step needs every file the backend reads for it. Each
  accepted backend was built for real with only those files (tests/integration/test_deps_only.py):

  - setuptools (``setuptools.build_meta`` or no ``[build-system]``) with a static ``[project]``
    table (nothing ``dynamic``), no ``setup.py``/``setup.cfg`` and no ``[tool.setuptools]``
    table (an explicit package list fails without the package folders); the build requirements
    name setuptools with lower bounds only (61 and newer read ``[project]``) and nothing else but
    ``wheel`` (a plugin such as setuptools-scm may change the metadata);
  - poetry-core: ``prepare_metadata_for_build_wheel`` reads pyproject.toml (``[project]``, whose
    dynamic fields come from ``[tool.poetry]``, or ``[tool.poetry]`` alone), the readme files and
    a ``license = {file}``; the package folders (``packages``/``include``) are looked up lazily,
    only when building (since poetry-core 1.8: older ones look for the folder when they start,
    so the build requirement must give the newest, lower bounds only). A dependency on a local
    path would need that folder: refused;
  - pdm-backend: pyproject.toml, the readme and license files, and its build hooks, which
    may change the metadata: plugins from other build requirements and the local
    ``pdm_build.py`` (or ``[tool.pdm.build] custom-hook``), refused; a dynamic version only
    when read from one file (``[tool.pdm.version] source = "file"``), which is copied too.

  Each reads ``pyproject.toml``, the ``readme`` file(s) and a ``license = {file = ...}`` (they
  fail when those are missing); ``license-files`` patterns are refused. Refused by proof:
  hatchling exports no ``prepare_metadata_for_build_wheel`` when pip runs it (``hatchling/build.py``
  checks ``PIP_BUILD_TRACKER``), so pip builds the whole wheel, which fails without the package
  folder; flit_core's ``get_requires_for_build_wheel`` looks for the module ("No file/folder found
  for module app") even when the metadata is static.
"""

from __future__ import annotations

import posixpath
import re

from ..build.state import env_pairs
from ..project.requirements import requirement_name

ONLY_DEPS_SINCE = (26, 2)
PIP_REQUIRES_PYTHON = (3, 10)  # pip 26.x: Requires-Python >=3.10 (older Pythons get an older pip)

# Options of the upgrade that choose where pip comes from or where it goes.
_SOURCE_OPTIONS = {"--index-url", "--extra-index-url", "--find-links", "--no-index", "--constraint",
                   "--requirement", "--user", "--target", "--prefix", "--root", "--editable", "--pre"}
_SOURCE_ENV = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT",
               "PIP_BUILD_CONSTRAINT", "PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_CONFIG_FILE", "PIP_REQUIREMENT")
_PIN = re.compile(r"pip\s*(==|>=|~=|===)\s*v?(\d+)(?:\.(\d+))?[\w.*+!-]*", re.I)
_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)(?:[.\-@].*)?$")
# A word of another command that may create an environment or install a pip (python3-pip, get-pip.py, ...).
_PIP_WORD = re.compile(r"(^|[/\-_])(pip\d*(\.\d+)?|venv|virtualenv|ensurepip|get-pip\.py|conda|mamba|micromamba)($|[=<>~:])", re.I)
# Variables that may change which pip (or which Python's pip) a command runs.
_WHICH_PIP_ENV = {"PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE",
                  "PYTHONNOUSERSITE", "PYTHONSAFEPATH", "PIP_USER", "PIP_TARGET", "PIP_PREFIX"}
_INSTALLERS = {"pip", "uv-pip", "uv", "poetry", "pdm", "pipenv", "conda", "pip-sync", "setup.py"}


def pip_program(inv) -> tuple[str, ...]:
    """How ``inv`` runs pip: ``('pip',)``, ``('python3', '-m', 'pip')``..., as written."""
    words = [w.value for w in inv.command.words]
    if len(words) >= 3 and words[1] == "-m" and words[2] == "pip":
        return tuple(words[:3])
    return tuple(words[:1])


def _pip_requirement(word: str) -> tuple[str, tuple[int, int] | None] | None:
    """('bare', None) for ``pip``, ('pin', version) for a pin/lower bound, None if not pip."""
    if word.lower() == "pip":
        return "bare", None
    m = _PIN.fullmatch(word.strip())
    if m:
        return "pin", (int(m.group(2)), int(m.group(3) or 0))
    if re.match(r"pip\s*[<>=!~;\[@]", word, re.I):
        return "other", None
    return None


def _python_of(base: str) -> tuple[int, int] | None:
    m = _PYTHON_IMAGE.match(base or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def pip_version_proof(facts, k: int, invs: list, t: int) -> tuple[str | None, str]:
    """(where, '') when the pip of ``invs[t]`` (in the RUN at ``k``) is provably 26.2 or newer;
    (None, why not) otherwise. Walks back through the RUN's earlier commands, then the earlier
    instructions of the stage and the stages it is built FROM; the newest pip-changing step decides.
    """
    df = facts.df
    target = invs[t]
    program = pip_program(target)
    from .config import command_env
    from .refuse import Refuse

    try:  # the environment the install sees: ENV, ARG and what the RUN itself sets or exports
        get = command_env(facts, df.instructions[k], invs, t)
    except Refuse as e:
        return None, e.reason
    for name in _SOURCE_ENV:
        if get(name) is not None:
            return None, f"{name} is set, so pip may come from elsewhere"
    # Without build isolation the backend is whichever the image holds, not the newest release
    # the build requirements allow: its metadata inputs are known only for the versions shown.
    if target.option_values("--no-build-isolation") or get("PIP_NO_BUILD_ISOLATION") is not None:
        return None, "the install turns pip's build isolation off, so the build backend's version (and what it reads for the metadata) is not known"

    def decide(inv, idx: int) -> tuple[str | None, str] | None:
        """A verdict when ``inv`` may change pip, else None (keep walking back)."""
        if inv.tool not in _INSTALLERS:
            if any(_PIP_WORD.search(w.value) for w in inv.command.words):
                return None, f"line {df.instructions[idx].lineno} may create or change a Python environment or its pip"
            return None
        if inv.tool != "pip" or inv.sub != "install":
            return None, f"the install at line {df.instructions[idx].lineno} may change pip"
        kinds = [_pip_requirement(w.value) for w in inv.args]
        found = [kd for kd in kinds if kd is not None]
        if not found:
            # pip install -r FILE / other packages: could pull another pip in; not shown otherwise.
            if inv.args and all(not w.value.startswith((".", "/", "~")) and not w.has_expansion for w in inv.args) \
                    and not inv.option_values("--requirement") and not inv.option_values("--constraint") \
                    and not inv.option_values("--editable"):
                return None  # named packages other than pip: they do not name pip
            return None, f"the install at line {df.instructions[idx].lineno} may change pip"
        if pip_program(inv) != program:
            return None, f"the pip upgraded at line {df.instructions[idx].lineno} is run as '{' '.join(pip_program(inv))}', the install as '{' '.join(program)}'"
        used = {name for name, _, _ in inv.options}
        if used & _SOURCE_OPTIONS or inv.unknown:
            return None, f"the pip install at line {df.instructions[idx].lineno} has options that choose where pip comes from"
        kind, version = found[-1]
        line = df.instructions[idx].lineno
        if facts.states[idx].is_root() is not True:
            # A user who cannot write to the environment gets pip in ~/.local, maybe not the one on PATH.
            return None, f"the pip install at line {line} may not run as root"
        if kind == "pin":
            if version >= ONLY_DEPS_SINCE:
                return f"pip {'.'.join(map(str, version))} or newer, installed at line {line}", ""
            return None, f"pip is pinned below 26.2 at line {line}"
        if kind == "bare" and "--upgrade" in used:
            py = _python_of(facts.states[idx].base)
            if py is None:
                return None, f"pip is upgraded at line {line}, but the base image's Python is not known (pip 26.2 needs Python 3.10)"
            if py < PIP_REQUIRES_PYTHON:
                return None, f"pip is upgraded at line {line}, but on Python {py[0]}.{py[1]} the newest pip is older than 26.2"
            return f"pip upgraded at line {line}", ""
        return None, f"the pip install at line {line} does not show pip's version"

    for inv in reversed(invs[:t]):
        verdict = decide(inv, k)
        if verdict is not None:
            return verdict
    idx = k - 1
    stage = df.stage_of(k)
    while idx >= 0:
        inst = df.instructions[idx]
        if inst.keyword == "FROM":
            parent = df.stage_parents[stage.index]
            if parent is None:
                break
            stage, idx = parent, parent.end - 1
            continue
        if inst.keyword == "ENV" and {name for name, _ in env_pairs(inst.args)} & _WHICH_PIP_ENV:
            return None, f"the ENV at line {inst.lineno} may change which pip runs"
        if inst.keyword in ("COPY", "ADD") and "--from" in {f.name for f in inst.flags}:
            return None, f"the {inst.keyword} at line {inst.lineno} may bring another pip or Python"
        if inst.keyword == "RUN":
            for inv in reversed(facts.invocations(inst) or ()):
                verdict = decide(inv, idx)
                if verdict is not None:
                    return verdict
            if facts.invocations(inst) is None:
                return None, f"the RUN at line {inst.lineno} is not read by dockfix; it may change pip"
        idx -= 1
    return None, "no earlier step shows that pip is 26.2 or newer (needed for --only-deps)"


# Backends whose metadata inputs dockfix knows (pyproject.toml's build-backend).
_SETUPTOOLS = (None, "setuptools.build_meta")
_POETRY = "poetry.core.masonry.api"
_PDM = "pdm.backend"
# Backends shown (by real builds) to need the package's own files to give pip the metadata.
_NEEDS_SOURCES = {
    "hatchling.build": "hatchling does not offer prepare_metadata_for_build_wheel under pip (it checks "
                       "PIP_BUILD_TRACKER), so pip builds the whole wheel, which needs the package's files",
    "flit_core.buildapi": "flit_core looks for the module's file or folder to build the metadata, also "
                          "when the metadata is static",
}
# [project].dynamic fields poetry-core fills in from [tool.poetry] of the same pyproject.toml.
_POETRY_DYNAMIC = {"version", "description", "readme", "dependencies", "optional-dependencies",
                   "classifiers", "requires-python", "authors", "maintainers", "keywords", "urls",
                   "scripts", "gui-scripts", "entry-points", "license"}


def metadata_files(ctx, proj: str) -> tuple[list[str] | None, str]:
    """(context paths the backend reads to build the project's metadata, '') or (None, why)."""
    pyproject = posixpath.normpath(posixpath.join(proj, "pyproject.toml"))
    if not ctx.is_file(pyproject) or ctx.is_ignored(pyproject):
        return None, f"{pyproject} is not in the build context"
    data, _ = ctx.toml(pyproject)
    if data is None:
        return None, f"{pyproject} is not valid TOML"
    system = data.get("build-system")
    backend = system.get("build-backend") if isinstance(system, dict) else None
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    project = data.get("project")
    if backend in _NEEDS_SOURCES:
        return None, f"{pyproject}: {_NEEDS_SOURCES[backend]}"
    version_file = None  # pdm-backend's version source, when it reads one
    if backend in _SETUPTOOLS:
        why = _setuptools_refusal(ctx, proj, pyproject, project, system, tool)
    elif backend == _POETRY:
        why = _poetry_refusal(pyproject, project, system, tool)
    elif backend == _PDM:
        why, version_file = _pdm_refusal(ctx, proj, pyproject, project, system, tool)
    else:
        return None, f"the build backend {backend} is not one whose metadata inputs dockfix knows"
    if why:
        return None, why
    files = [pyproject] + ([version_file] if version_file else [])
    project = project if isinstance(project, dict) else {}
    for key in ("readme", "license"):
        value = project.get(key)
        name = value if key == "readme" and isinstance(value, str) else value.get("file") if isinstance(value, dict) else None
        names = [name] if name is not None else []
        if key == "readme" and value is None and backend == _POETRY:
            readme = tool["poetry"].get("readme") if isinstance(tool.get("poetry"), dict) else None
            names = [readme] if isinstance(readme, str) else readme if isinstance(readme, list) else []
        for name in names:
            if not isinstance(name, str):
                return None, f"{pyproject}: {key} is not a file name"
            path = posixpath.normpath(posixpath.join(proj, name))
            if path.startswith("../") or not ctx.is_file(path) or ctx.is_ignored(path):
                return None, f"{pyproject}: the {key} file {name} is not in the build context"
            if path not in files:
                files.append(path)
    return files, ""


def _backend_requirement(pyproject: str, system, name: str, others_allowed: bool, also=frozenset()) -> str:
    """Why the build requirements may give a ``name`` older than the one proven ('' when they
    cannot): ``name`` must be listed with lower bounds only (``>=``/``>``, no marker), so that pip's
    isolated build gets the newest release (older poetry-core, before 1.8, looks for the package
    folder to build the metadata; setuptools before 61 does not read ``[project]``). With
    ``others_allowed`` False, nothing else may be listed but the names of ``also``."""
    requires = system.get("requires") if isinstance(system, dict) else None
    found = False
    for req in requires if isinstance(requires, list) else ["?"]:
        named = requirement_name(req) if isinstance(req, str) else None
        key, rest = named if named is not None else (None, "")
        if key == name:
            if not re.fullmatch(r"(\s*>=?\s*[\w.*+!-]+\s*(,(?=\s*>)|$))*", rest):
                return f"{pyproject}: the build requirement {req!r} may give an older {name} than the one whose metadata inputs are known"
            found = True
        elif not others_allowed and key not in also:
            return f"{pyproject}: the build requirement {req!r} may add a build hook that changes the metadata"
    return "" if found else f"{pyproject}: the build requirements do not name {name}"


def _local_requirement(requirements) -> str | None:
    """The first PEP 508 requirement that names a local path (``x @ file:...``), else None."""
    for req in requirements if isinstance(requirements, list) else ():
        if isinstance(req, str) and re.search(r"@\s*(file:|\.|/)", req):
            return req
    return None


def _project_refusal(pyproject: str, project, allowed_dynamic=frozenset()) -> str:
    """Why the [project] table cannot be read as the metadata's whole input ('' when it can)."""
    if not isinstance(project, dict):
        return f"{pyproject} has no [project] table"
    dynamic = project.get("dynamic") or []
    if not isinstance(dynamic, list) or any(not isinstance(d, str) or d not in allowed_dynamic for d in dynamic):
        return f"{pyproject} has dynamic fields, which the build backend computes from other files"
    if "license-files" in project:
        return f"{pyproject} names license files by pattern"
    optional = project.get("optional-dependencies")
    for reqs in [project.get("dependencies")] + (list(optional.values()) if isinstance(optional, dict) else []):
        local = _local_requirement(reqs)
        if local:
            return f"{pyproject}: the dependency '{local}' is a local path the dependencies step would not have"
    return ""


def _setuptools_refusal(ctx, proj: str, pyproject: str, project, system, tool) -> str:
    for other in ("setup.py", "setup.cfg"):
        p = posixpath.normpath(posixpath.join(proj, other))
        if ctx.exists(p) and not ctx.is_ignored(p):
            return f"the project has {p}, which setuptools runs or reads to build the metadata"
    why = _project_refusal(pyproject, project)
    if why:
        return why
    if isinstance(system, dict):  # without [build-system], pip builds with the newest setuptools
        # (wheel only adds the bdist_wheel command)
        why = _backend_requirement(pyproject, system, "setuptools", others_allowed=False, also={"wheel"})
        if why:
            return why
    if "setuptools" in tool:
        return f"{pyproject} configures setuptools ([tool.setuptools]), which may need the package folders for the metadata"
    return ""


def _poetry_refusal(pyproject: str, project, system, tool) -> str:
    """poetry-core's prepare_metadata_for_build_wheel reads pyproject.toml, the readme files and a
    ``license = {file}``; the package folders (``packages``/``include``) only when building."""
    poetry = tool.get("poetry")
    poetry = poetry if isinstance(poetry, dict) else {}
    if poetry.get("package-mode") is False:
        return f"{pyproject} sets package-mode = false: the project is not a package"
    why = _backend_requirement(pyproject, system, "poetry-core", others_allowed=True)
    if why:
        return why
    if project is not None:
        why = _project_refusal(pyproject, project, frozenset(_POETRY_DYNAMIC))
        if why:
            return why
    elif not poetry:
        return f"{pyproject} has neither a [project] nor a [tool.poetry] table"
    elif "license-files" in poetry:
        return f"{pyproject} names license files by pattern"
    for table in ("dependencies", "dev-dependencies"):
        deps = poetry.get(table)
        for name, spec in (deps.items() if isinstance(deps, dict) else ()):
            for one in spec if isinstance(spec, list) else [spec]:
                if isinstance(one, dict) and ("path" in one or "file" in one):
                    return f"{pyproject}: the dependency {name} is a local path the dependencies step would not have"
    return ""


def _pdm_version_file(ctx, proj: str, pyproject: str, project, tool) -> tuple[str | None, str]:
    """pdm-backend's version hook with ``source = "file"`` (or a ``path`` alone) reads that one
    file (a ``__version__ =``/``VERSION =`` line, or ``pattern``): (its context path, '');
    (None, '') when the version is not dynamic; (None, why) for another source (scm, call...)."""
    dynamic = project.get("dynamic") if isinstance(project, dict) else None
    if not isinstance(dynamic, list) or "version" not in dynamic:
        return None, ""
    pdm = tool.get("pdm")
    version = pdm.get("version") if isinstance(pdm, dict) else None
    if not isinstance(version, dict) or version.get("source", "file") != "file" \
            or set(version) - {"source", "path", "pattern"} or not isinstance(version.get("path"), str):
        return None, f"{pyproject}: the version is dynamic and not read from a file ([tool.pdm.version] source = \"file\")"
    path = posixpath.normpath(posixpath.join(proj, version["path"]))
    if path.startswith("../") or not ctx.is_file(path) or ctx.is_ignored(path):
        return None, f"{pyproject}: the version file {version['path']} is not in the build context"
    return path, ""


def _pdm_refusal(ctx, proj: str, pyproject: str, project, system, tool) -> tuple[str, str | None]:
    """pdm-backend's prepare_metadata_for_build_wheel reads pyproject.toml, the readme and license
    files, a version file, and runs build hooks: those of installed plugins and the local
    ``pdm_build.py``. (why not, '') or ('', the version file or None)."""
    version_file, why = _pdm_version_file(ctx, proj, pyproject, project, tool)
    why = why or _project_refusal(pyproject, project, frozenset({"version"} if version_file else ()))
    why = why or _backend_requirement(pyproject, system, "pdm-backend", others_allowed=False)
    if why:
        return why, None
    build = tool.get("pdm", {}).get("build") if isinstance(tool.get("pdm"), dict) else None
    hook = build.get("custom-hook", "pdm_build.py") if isinstance(build, dict) else "pdm_build.py"
    path = posixpath.normpath(posixpath.join(proj, str(hook)))
    if ctx.exists(path) and not ctx.is_ignored(path):
        return f"the project has {path}, a pdm-backend build hook that may change the metadata", None
    return "", version_file
