"""What each Python installer reads from the build context, and how to ask it for dependencies only.

Two questions, per installer invocation (``shell.Invocation``):

- ``manifest_reads``: an install that reads nothing but manifest files (``pip install -r``,
  ``pip-sync``, ``uv pip install -r``/``uv pip sync``, ``pipenv install``/``sync``, conda's
  ``env create -f`` and ``install --file``): which files, as the command names them (relative to
  its working directory). DF001 copies them and moves the application below the install.
- ``deps_only``: an install of the project itself (``poetry install``, ``uv sync``, ``pdm
  install``/``sync``): the manifests it needs and the words of the same command asking for the
  dependencies only (official guidance: Poetry's FAQ ``--no-root``/``--no-directory``, uv's Docker
  guide ``--no-install-project``/``--no-install-workspace``, PDM's ``--no-self``). DF003 runs that
  first, from the manifests alone.

``expand`` then turns a manifest into the context files it brings along (requirements includes,
the requirements files of a conda environment's ``pip:`` section) and refuses local paths.
Everything here is static: files are read, never executed. Problems raise ``reorder.Refuse``.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass

from ..build.context import BuildContext
from ..project.requirements_closure import _requirement_local_kind, requirements_closure
from ..shell.invocation import local_word
from ..shell.nodes import Invocation
from .refuse import Refuse

PROJECT_METADATA = ("pyproject.toml", "setup.py", "setup.cfg")

PROJECT_VENV = ".venv"  # where uv, pdm (and poetry, in-project) put the project's environment


@dataclass(frozen=True)
class Manifest:
    path: str  # as the command names it: relative to its working directory (or absolute)
    kind: str  # 'requirements' | 'conda-env' | 'conda-specs' | 'pipfile' | 'file' | 'uv-config'
    required: bool = True  # False: read only when it exists (and is not excluded)


@dataclass(frozen=True)
class DepsOnly:
    """The dependencies-only form of a project install."""

    manifests: tuple[Manifest, ...]  # relative to the project directory
    words: tuple[str, ...]  # the command's words, as written, for the dependencies-only step
    project: str  # the project directory, relative to the command's working directory


def reads_from_env(inv: Invocation, names) -> str | None:
    """The first variable (set in the Dockerfile) that makes ``inv`` read files dockfix cannot see."""
    from .registry import READS_FROM_ENV

    for name in READS_FROM_ENV.get(inv.tool, ()):
        if name in names:
            return name
    return None


# --- DF001: installs that read only manifests ------------------------------------------------------


def is_manifest_install(inv: Invocation) -> bool:
    """Is ``inv`` an install whose input is a set of manifest files?"""
    if inv.tool == "pip":
        return inv.sub == "install" and bool(_values(inv, "--requirement", "--constraint"))
    if inv.tool == "uv-pip":
        return inv.sub == "sync" or (inv.sub == "install" and bool(_values(inv, "--requirement")))
    if inv.tool == "pip-sync":
        return True
    if inv.tool == "pipenv":
        return inv.sub in ("install", "sync")
    if inv.tool == "conda":
        return inv.sub in ("env create", "env update") or (inv.sub in ("create", "install", "update") and bool(_values(inv, "--file")))
    return False


def manifest_reads(inv: Invocation) -> list[Manifest]:
    """The files a manifest install reads (``is_manifest_install(inv)`` must hold).

    Raises Refuse (line 0: the caller knows the line) when it may read anything else.
    """
    text = " ".join(w.raw for w in inv.command.words)
    if inv.unknown:
        raise Refuse(f"'{text}' has an option dockfix does not know ({inv.unknown[0].value}), which may read other files", 0)
    if inv.tool == "pip":
        return [Manifest(v, "requirements") for v in _values(inv, "--requirement", "--constraint")]
    if inv.tool in ("uv-pip", "pip-sync"):
        if inv.tool == "uv-pip" and inv.sub == "install":
            files = _values(inv, "--requirement", "--constraint", "--override", "--build-constraint")
        else:
            files = [w.value for w in inv.args] or (["requirements.txt"] if inv.tool == "pip-sync" else [])
        if inv.sub == "install" and any(local_word(w) for w in inv.args):
            raise Refuse(f"'{text}' installs a local path", 0)
        for name, value, _ in inv.options:
            if name in ("--find-links", "--editable", "--target", "--prefix", "--directory", "--project", "--config-file") and value and not value.startswith(("http://", "https://")):
                raise Refuse(f"'{text}' reads or writes the local path {value}", 0)
        for f in files:
            if posixpath.basename(f) in PROJECT_METADATA:
                raise Refuse(f"'{text}' reads the project metadata {f}, which may need the whole project", 0)
        found = [Manifest(f, "requirements") for f in files]
        if inv.tool == "uv-pip":  # uv reads its settings from uv.toml / pyproject.toml [tool.uv] here
            found += [Manifest("uv.toml", "file", required=False), Manifest("pyproject.toml", "uv-config", required=False)]
        return found
    if inv.tool == "pipenv":
        if inv.args or _values(inv, "--requirements", "--editable"):
            raise Refuse(f"'{text}' adds packages to the Pipfile", 0)
        names = {name for name, _, _ in inv.options}
        if inv.sub == "install" and not names & {"--deploy", "--ignore-pipfile", "--skip-lock"}:
            raise Refuse(f"'{text}' may lock again and write Pipfile.lock into the copied tree (--deploy would fail instead)", 0)
        return [Manifest("Pipfile", "pipfile"), Manifest("Pipfile.lock", "file"), Manifest(".env", "file", required=False)]
    # conda, mamba, micromamba
    if inv.args and any(local_word(w) for w in inv.args):
        raise Refuse(f"'{text}' installs a local path", 0)
    prefix = _values(inv, "--prefix")
    if any(not p.startswith("/") for p in prefix):
        raise Refuse(f"'{text}' creates the environment at a relative path", 0)
    files = _values(inv, "--file") or (["environment.yml"] if inv.sub.startswith("env ") else [])
    return [Manifest(f, "conda-env" if inv.sub.startswith("env ") or f.endswith((".yml", ".yaml")) else "conda-specs") for f in files]


def _values(inv: Invocation, *names: str) -> list[str]:
    return [v for name, v, _ in inv.options if name in names and v is not None]


def expand(ctx: BuildContext, manifests: list[tuple[str, Manifest]]) -> list[str]:
    """The context files that ``manifests`` (context path, manifest) bring along, in order.

    Requirements files come with everything they include; a conda environment file with the
    requirements files of its ``pip:`` section. Missing, excluded or local-path-using files refuse.
    """
    files: list[str] = []
    problems = []

    def follow(roots: list[str]) -> None:
        closure = requirements_closure(ctx, roots)
        problems.extend(closure.problems)
        files.extend(closure.files)

    for path, m in manifests:
        if not m.required and (not ctx.is_file(path) or ctx.is_ignored(path)):
            continue
        if m.kind == "requirements":
            follow([path])
            continue
        _present(ctx, path)
        if m.kind == "uv-config" and "uv" not in _toml(ctx, path).get("tool", {}):
            continue
        files.append(path)
        if m.kind == "pipfile":
            _check_pipfile(ctx, path)
        elif m.kind == "conda-env":
            follow(_conda_env_includes(ctx, path))
        elif m.kind == "conda-specs":
            _check_specs(ctx, path)
    for ref in problems:
        where = f"{ref.file}:{ref.lineno}: " if ref.lineno else f"{ref.text}: "
        raise Refuse(f"{where}{ref.detail or ref.text}", 0)
    return list(dict.fromkeys(files))


def _present(ctx: BuildContext, path: str) -> None:
    if not ctx.is_file(path):
        raise Refuse(f"{path}: no such file in the build context", 0)
    if ctx.is_ignored(path):
        raise Refuse(f"{path}: excluded by .dockerignore", 0)


def _toml(ctx: BuildContext, path: str) -> dict:
    data, why = ctx.toml(path)
    if data is None:
        raise Refuse(f"{path}: invalid TOML ({why})", 0)
    return data


def _check_pipfile(ctx: BuildContext, path: str) -> None:
    data = _toml(ctx, path)
    for section in ("packages", "dev-packages"):
        table = data.get(section, {})
        for name, spec in table.items() if isinstance(table, dict) else ():
            if isinstance(spec, dict) and ("path" in spec or "file" in spec or spec.get("editable")):
                raise Refuse(f"{path}: [{section}] {name} is a local path or editable entry, which needs the application files", 0)


def _check_specs(ctx: BuildContext, path: str) -> None:
    for number, line in enumerate((ctx.read_text(path) or "").splitlines(), start=1):
        spec = line.split("#", 1)[0].strip()
        if spec.startswith((".", "/", "~", "file:")):
            raise Refuse(f"{path}:{number}: `{spec}` is a local path", 0)


def _conda_env_includes(ctx: BuildContext, path: str) -> list[str]:
    """The requirements files a conda environment file's ``pip:`` section includes (context paths)."""
    env = read_conda_env(ctx.read_text(path) or "", path)
    for where, value in env.conda:
        if value.startswith((".", "/", "~", "file:")):
            raise Refuse(f"{path}:{where}: `{value}` is a local path", 0)
    includes = []
    base = posixpath.dirname(path)
    for where, value in env.pip:
        option, _, rest = value.partition(" ")
        if option in ("-r", "--requirement") and rest.strip():
            includes.append(posixpath.normpath(posixpath.join(base, rest.strip())))
        elif value.startswith("-") and not value.startswith(("-i ", "--index-url", "--extra-index-url")):
            raise Refuse(f"{path}:{where}: `{value}` in the pip section may read local files", 0)
        elif not value.startswith("-") and _requirement_local_kind(value) is not None:
            raise Refuse(f"{path}:{where}: `{value}` in the pip section is a local path", 0)
    return includes


@dataclass(frozen=True)
class CondaEnv:
    conda: tuple[tuple[int, str], ...]  # (line, value) of dependencies and channels
    pip: tuple[tuple[int, str], ...]  # (line, value) of the pip section


def read_conda_env(text: str, path: str) -> CondaEnv:
    """The lists of a conda environment file, read from the block-style YAML conda writes.

    Anything this small reader does not follow (flow collections, anchors, tags, block scalars,
    tabs in the indentation) refuses rather than guesses.
    """
    conda: list[tuple[int, str]] = []
    pip: list[tuple[int, str]] = []
    section = None  # 'dependencies' / 'channels' / None
    pip_indent = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not line.strip() or line.strip() == "---":
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if "\t" in line[: indent + 1] or re.search(r"(^|[\s:-])[&*!|>{\[]", body):
            raise Refuse(f"{path}:{number}: YAML that dockfix does not read", 0)
        if indent == 0:
            key = body.split(":", 1)[0]
            section = key if key in ("dependencies", "channels") and body.endswith(":") else None
            pip_indent = None
            continue
        if section is None:
            continue
        if not body.startswith("- "):
            raise Refuse(f"{path}:{number}: YAML that dockfix does not read", 0)
        value = _scalar(body[2:])
        if pip_indent is not None and indent > pip_indent:
            pip.append((number, value))
            continue
        pip_indent = None
        if section == "dependencies" and value == "pip:":
            pip_indent = indent
        elif value.endswith(":"):
            raise Refuse(f"{path}:{number}: YAML that dockfix does not read", 0)
        else:
            conda.append((number, value))
    return CondaEnv(tuple(conda), tuple(pip))


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


# --- DF003: project installs and their dependencies-only form -------------------------------------


def project_install(inv: Invocation) -> str | None:
    """'poetry', 'uv' or 'pdm' when ``inv`` installs a project with its own lock; else None."""
    if inv.tool == "poetry" and inv.sub == "install":
        return "poetry"
    if inv.tool == "uv" and inv.sub == "sync":
        return "uv"
    if inv.tool == "pdm" and inv.sub in ("install", "sync"):
        return "pdm"
    return None


def deps_only(inv: Invocation, ctx: BuildContext, project_of) -> DepsOnly | None:
    """The dependencies-only form of a poetry / uv / pdm project install.

    ``project_of(relative dir)`` maps the project directory (relative to the command's working
    directory) to its context path. None when the install already skips the project.
    """
    kind = project_install(inv)
    text = " ".join(w.raw for w in inv.command.words)
    if inv.unknown:
        raise Refuse(f"'{text}' has an option dockfix does not know ({inv.unknown[0].value})", 0)
    words = [w.raw for w in inv.command.words]
    names = {name for name, _, _ in inv.options}
    if kind == "poetry":
        if names & {"--no-root", "--only-root"}:
            return None
        project = (_values(inv, "--directory", "--project") or ["."])[-1]
        proj = project_of(project)
        data = _toml(ctx, _in(proj, "pyproject.toml")) if ctx.is_file(_in(proj, "pyproject.toml")) else {}
        poetry = data.get("tool", {}).get("poetry", {})
        readme = poetry.get("readme") or data.get("project", {}).get("readme")
        if isinstance(readme, dict):  # [project] readme = { file = "..." }
            readme = readme.get("file")
        readmes = [r for r in (readme if isinstance(readme, list) else [readme]) if isinstance(r, str)]
        manifests = [Manifest("pyproject.toml", "file"), Manifest("poetry.lock", "file"), Manifest("poetry.toml", "file", required=False)]
        manifests += [Manifest(r, "file", required=False) for r in readmes]
        added = ["--no-root"]
        if _poetry_path_deps(ctx, proj, data) and "--no-directory" not in names:
            added.append("--no-directory")
        return DepsOnly(tuple(manifests), tuple(words + added), project)
    if kind == "uv":
        if names & {"--no-install-project", "--no-install-workspace", "--only-dev"}:
            return None
        for name in ("--package", "--script", "--no-install-package", "--with-editable"):
            if name in names:
                raise Refuse(f"'{text}' uses {name}, which dockfix does not split", 0)
        project = (_values(inv, "--directory", "--project") or ["."])[-1]
        proj = project_of(project)
        data = _toml(ctx, _in(proj, "pyproject.toml")) if ctx.is_file(_in(proj, "pyproject.toml")) else {}
        uv = data.get("tool", {}).get("uv", {})
        manifests = [Manifest("pyproject.toml", "file"), Manifest("uv.lock", "file"),
                     Manifest(".python-version", "file", required=False), Manifest("uv.toml", "file", required=False)]
        workspace = uv.get("workspace")
        members = _workspace_members(ctx, proj, workspace) if isinstance(workspace, dict) else []
        member_dirs = {posixpath.dirname(m) for m in members}
        # --no-install-workspace skips the workspace's members only: a path source that is not a
        # member (in the root's or a member's [tool.uv.sources]) is still installed, from its files.
        for where in ["."] + sorted(member_dirs):
            table = data if where == "." else _toml(ctx, _in(proj, posixpath.join(where, "pyproject.toml")))
            sources = table.get("tool", {}).get("uv", {}).get("sources", {})
            for name, src in sources.items() if isinstance(sources, dict) else ():
                for one in src if isinstance(src, list) else [src]:
                    if not isinstance(one, dict) or "path" not in one:
                        continue
                    target = posixpath.normpath(posixpath.join(where, str(one["path"])))
                    if target not in member_dirs:
                        raise Refuse(
                            f"{_in(proj, posixpath.join(where, 'pyproject.toml'))}: [tool.uv.sources] {name} is a local path "
                            f"({one['path']}), not a workspace member, so the dependencies step would still install it from the application files",
                            0,
                        )
        if isinstance(workspace, dict):
            manifests += [Manifest(m, "file") for m in members]
            flag = "--no-install-workspace"
        else:
            flag = "--no-install-project"
        return DepsOnly(tuple(manifests), tuple(words + [flag]), project)
    if kind == "pdm":
        if "--no-self" in names:
            return None
        project = (_values(inv, "--project") or ["."])[-1]
        proj = project_of(project)
        lock = (_values(inv, "--lockfile") or ["pdm.lock"])[-1]
        data = _toml(ctx, _in(proj, "pyproject.toml")) if ctx.is_file(_in(proj, "pyproject.toml")) else {}
        # pdm install/sync installs the default dependencies, and by default every dev group and
        # optional group named on the command line: a local path in any of them needs its files.
        for where, dep in _pdm_requirements(data, dev=not names & {"--prod", "--production"}):
            if _requirement_local_kind(dep.removeprefix("-e").strip()) is not None or dep.startswith("-e"):
                raise Refuse(f"{_in(proj, 'pyproject.toml')}: {where} `{dep}` is a local path, which needs the application files", 0)
        manifests = [Manifest("pyproject.toml", "file"), Manifest(lock, "file"),
                     Manifest("pdm.toml", "file", required=False), Manifest(".pdm-python", "file", required=False)]
        return DepsOnly(tuple(manifests), tuple(words + ["--no-self"]), project)
    return None


def _pdm_requirements(data: dict, dev: bool):
    """(where, requirement) of every requirement a pdm install may install from pyproject.toml
    (``dev``: the dev groups too, which pdm installs unless --prod)."""
    project = data.get("project", {})
    for dep in project.get("dependencies", []) or ():
        yield "dependency", dep
    groups = [("optional-dependencies", project.get("optional-dependencies", {}))]
    if dev:
        groups += [("[tool.pdm.dev-dependencies]", data.get("tool", {}).get("pdm", {}).get("dev-dependencies", {})),
                   ("[dependency-groups]", data.get("dependency-groups", {}))]
    for section, table in groups:
        for group, deps in table.items() if isinstance(table, dict) else ():
            for dep in deps if isinstance(deps, list) else ():
                if isinstance(dep, str):
                    yield f"{section} {group}", dep


def _in(proj: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(proj, name))


def _poetry_path_deps(ctx: BuildContext, proj: str, data: dict) -> bool:
    """Does the project have path dependencies (which ``--no-root`` alone still installs)?"""
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values() if isinstance(g, dict)]
    found = False
    for table in tables:
        for name, spec in table.items() if isinstance(table, dict) else ():
            specs = spec if isinstance(spec, list) else [spec]
            for s in specs:
                if isinstance(s, dict) and "path" in s:
                    if not ctx.is_dir(_in(proj, s["path"])):
                        raise Refuse(f"{_in(proj, 'pyproject.toml')}: path dependency {name} is not a directory of the build context; --no-directory would not skip it", 0)
                    found = True
    for dep in data.get("project", {}).get("dependencies", []) or ():
        if isinstance(dep, str) and _requirement_local_kind(dep) is not None:
            found = True
    return found


def _workspace_members(ctx: BuildContext, proj: str, workspace: dict) -> list[str]:
    """pyproject.toml of every uv workspace member (project-relative), or Refuse."""
    members = workspace.get("members", [])
    exclude = workspace.get("exclude", [])
    if not isinstance(members, list) or not isinstance(exclude, list):
        raise Refuse(f"{_in(proj, 'pyproject.toml')}: [tool.uv.workspace] members is not a list", 0)
    out = []
    for pattern in members:
        if not isinstance(pattern, str):
            continue
        parent, _, leaf = pattern.rpartition("/")
        if any(c in parent for c in "*?["):
            raise Refuse(f"{_in(proj, 'pyproject.toml')}: workspace member pattern {pattern} is too wide for dockfix", 0)
        base = _in(proj, parent or ".")
        if not ctx.is_dir(base):
            continue
        candidates = sorted(p.name for p in (ctx.root / base).iterdir() if p.is_dir()) if any(c in leaf for c in "*?[") else [leaf]
        for name in candidates:
            member = posixpath.normpath(posixpath.join(parent, name))
            excluded = any(fnmatch.fnmatchcase(member, e) for e in exclude if isinstance(e, str))
            manifest = posixpath.join(member, "pyproject.toml")
            if fnmatch.fnmatchcase(name, leaf) and not excluded and ctx.is_file(_in(proj, manifest)):
                out.append(manifest)
    return out
