"""metadata_files: the files each build backend reads to build a project's metadata for pip's
--only-deps (the accepted forms were built for real: tests/integration/test_deps_only.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.build.context import BuildContext
from dockfix.installers.pip_only_deps import metadata_files

POETRY = '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
FLIT = '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n'
PROJECT = '[project]\nname = "app"\nversion = "1.0"\nreadme = "README.md"\ndependencies = ["click"]\n'
TOOL_POETRY = ('[tool.poetry]\nname = "app"\nversion = "1.0"\ndescription = "x"\nauthors = ["A <a@b.c>"]\n'
               'readme = ["README.md", "docs/CHANGES.md"]\npackages = [{include = "app"}]\n'
               '[tool.poetry.dependencies]\npython = ">=3.9"\nclick = "*"\n')


def files_of(tmp_path: Path, files: dict[str, str], proj: str = "."):
    root = tmp_path / "ctx"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return metadata_files(BuildContext(root), proj)


@pytest.mark.parametrize("head", [POETRY, PDM], ids=["poetry-core", "pdm-backend"])
def test_project_table_reads_pyproject_readme_and_license(tmp_path, head):
    text = head + PROJECT + 'license = {file = "LICENSE"}\n'
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x", "LICENSE": "MIT", "app/__init__.py": ""})
    assert (files, why) == (["pyproject.toml", "README.md", "LICENSE"], "")


def test_tool_poetry_reads_every_readme(tmp_path):
    files, why = files_of(tmp_path, {"pyproject.toml": POETRY + TOOL_POETRY, "README.md": "x", "docs/CHANGES.md": "y"})
    assert (files, why) == (["pyproject.toml", "README.md", "docs/CHANGES.md"], "")


def test_tool_poetry_missing_readme_refused(tmp_path):
    files, why = files_of(tmp_path, {"pyproject.toml": POETRY + TOOL_POETRY, "README.md": "x"})
    assert files is None and why == "pyproject.toml: the readme file docs/CHANGES.md is not in the build context"


def test_poetry_dynamic_from_tool_poetry_accepted(tmp_path):
    text = POETRY + '[project]\nname = "app"\ndynamic = ["version", "dependencies"]\n' + TOOL_POETRY.replace(
        'readme = ["README.md", "docs/CHANGES.md"]\n', "")
    files, why = files_of(tmp_path, {"pyproject.toml": text})
    assert (files, why) == (["pyproject.toml"], "")


@pytest.mark.parametrize("extra, reason", [
    ('lib = {path = "libs/lib"}\n', "the dependency lib is a local path"),
    ('lib = [{path = "libs/lib", python = "<3.12"}, {version = "1", python = ">=3.12"}]\n', "the dependency lib is a local path"),
    ('wheel = {file = "dist/w-1-py3-none-any.whl"}\n', "the dependency wheel is a local path"),
])
def test_poetry_local_dependency_refused(tmp_path, extra, reason):
    files, why = files_of(tmp_path, {"pyproject.toml": POETRY + TOOL_POETRY + extra, "README.md": "x", "docs/CHANGES.md": "y"})
    assert files is None and reason in why


def test_poetry_non_package_refused(tmp_path):
    text = POETRY + '[tool.poetry]\npackage-mode = false\n'
    assert files_of(tmp_path, {"pyproject.toml": text}) == (None, "pyproject.toml sets package-mode = false: the project is not a package")


@pytest.mark.parametrize("head", [POETRY, PDM, ""], ids=["poetry-core", "pdm-backend", "setuptools"])
def test_local_file_requirement_refused(tmp_path, head):
    text = head + PROJECT.replace('["click"]', '["click", "lib @ file:///app/libs/lib"]')
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x"})
    assert files is None and "'lib @ file:///app/libs/lib' is a local path" in why


@pytest.mark.parametrize("head, word", [(HATCH, "hatchling"), (FLIT, "flit_core")])
def test_backends_that_need_the_sources_refused(tmp_path, head, word):
    files, why = files_of(tmp_path, {"pyproject.toml": head + PROJECT, "README.md": "x"})
    assert files is None and why.startswith(f"pyproject.toml: {word} ")


def test_unknown_backend_refused(tmp_path):
    text = '[build-system]\nrequires = ["maturin"]\nbuild-backend = "maturin"\n' + PROJECT
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x"})
    assert files is None and why == "the build backend maturin is not one whose metadata inputs dockfix knows"


@pytest.mark.parametrize("files, reason", [
    ({"pdm_build.py": "def pdm_build_initialize(context): pass\n"}, "the project has pdm_build.py, a pdm-backend build hook"),
    ({"hooks/meta.py": "", "extra.toml": '[tool.pdm.build]\ncustom-hook = "hooks/meta.py"\n'}, "the project has hooks/meta.py"),
    ({"extra.toml": "", "requires.toml": 'requires = ["pdm-backend", "pdm-build-locked"]\n'}, "the build requirement 'pdm-build-locked'"),
    ({"extra.toml": '[tool.pdm.version]\nsource = "file"\npath = "app/__init__.py"\n', "dynamic": ""}, "the version file app/__init__.py is not in the build context"),
    ({"extra.toml": '[tool.pdm.version]\nsource = "scm"\n', "dynamic": ""}, "the version is dynamic and not read from a file"),
    ({"extra.toml": '', "dynamic": ""}, "the version is dynamic and not read from a file"),
])
def test_pdm_refusals(tmp_path, files, reason):
    head = PDM
    if "requires.toml" in files:
        head = head.replace('requires = ["pdm-backend"]\n', files.pop("requires.toml"))
    project = PROJECT
    if "dynamic" in files:
        files.pop("dynamic")
        project = project.replace('version = "1.0"\n', 'dynamic = ["version"]\n')
    text = head + project + files.pop("extra.toml", "")
    got, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x", **files})
    assert got is None and reason in why, why


def test_pdm_hook_in_subproject(tmp_path):
    ok, _ = files_of(tmp_path / "a", {"web/pyproject.toml": PDM + PROJECT, "web/README.md": "x", "pdm_build.py": ""}, "web")
    assert ok == ["web/pyproject.toml", "web/README.md"]
    got, why = files_of(tmp_path / "b", {"web/pyproject.toml": PDM + PROJECT, "web/README.md": "x", "web/pdm_build.py": ""}, "web")
    assert got is None and "web/pdm_build.py" in why


def test_setuptools_unchanged(tmp_path):
    files, why = files_of(tmp_path, {"pyproject.toml": PROJECT, "README.md": "x"})
    assert (files, why) == (["pyproject.toml", "README.md"], "")
    files, why = files_of(tmp_path / "b", {"pyproject.toml": PROJECT, "README.md": "x", "setup.py": ""})
    assert files is None and "setup.py" in why


@pytest.mark.parametrize("requires, ok", [
    ('["poetry-core"]', True),
    ('["poetry-core>=1.0.0"]', True),
    ('["poetry_core >= 1.0, > 1.2"]', True),
    ('["poetry-core>=1.0.0", "setuptools"]', True),
    ('["poetry-core>=1.0.0,<2.0.0"]', False),  # poetry-core before 1.8 needs the package folder
    ('["poetry-core==1.0.8"]', False),
    ('["poetry-core~=1.0"]', False),
    ('["poetry-core>=1; python_version >= \'3.8\'"]', False),
    ('["poetry-core @ https://example.com/poetry_core-1.0.8-py3-none-any.whl"]', False),
    ('["setuptools"]', False),
])
def test_poetry_core_requirement_lower_bounds_only(tmp_path, requires, ok):
    text = POETRY.replace('["poetry-core>=2"]', requires) + TOOL_POETRY
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x", "docs/CHANGES.md": "y"})
    assert (files is not None) == ok, why
    if not ok:
        assert "build requirement" in why and "poetry-core" in why


@pytest.mark.parametrize("requires, ok", [
    ('["pdm-backend>=2.0"]', True),
    ('["pdm_backend"]', True),
    ('["pdm-backend<2.3"]', False),
    ('["pdm-backend", "pdm-build-locked"]', False),
])
def test_pdm_backend_requirement(tmp_path, requires, ok):
    text = PDM.replace('["pdm-backend"]', requires) + PROJECT
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x"})
    assert (files is not None) == ok, why


@pytest.mark.parametrize("text, want", [
    (POETRY + '[project]\nname = "app"\nversion = "1"\n[tool]\npoetry = 1\n', ""),
    (POETRY + '[project]\nname = "app"\ndynamic = [{}]\n', "dynamic fields"),
    (PDM + '[project]\nname = "app"\ndynamic = "version"\n', "dynamic fields"),
    (POETRY + '[tool]\npoetry = "x"\n', "neither a [project] nor a [tool.poetry] table"),
])
def test_odd_tables_give_a_reason_not_an_error(tmp_path, text, want):
    files, why = files_of(tmp_path, {"pyproject.toml": text})
    if want:
        assert files is None and want in why, why
    else:
        assert (files, why) == (["pyproject.toml"], "")


@pytest.mark.parametrize("version", ['source = "file"\npath = "app/_version.py"\n', 'path = "app/_version.py"\n'])
def test_pdm_version_from_file_is_copied(tmp_path, version):
    text = PDM + PROJECT.replace('version = "1.0"\n', 'dynamic = ["version"]\n') + "[tool.pdm.version]\n" + version
    files, why = files_of(tmp_path, {"pyproject.toml": text, "README.md": "x", "app/_version.py": '__version__ = "1.0"\n'})
    assert (files, why) == (["pyproject.toml", "app/_version.py", "README.md"], "")


@pytest.mark.parametrize("case", ["pip-only-deps-poetry", "pip-only-deps-poetry-tool", "pip-only-deps-pdm"])
def test_a_file_already_split_reports_nothing(case):
    """On its own output DF003 is silent: the --only-deps step above the COPY is the dependencies
    step, not an earlier install that may change pip (which reported a refusal for [tool.poetry])."""
    from dockfix.api import fix_bytes
    from dockfix.dockerfile.model import Settings

    folder = Path(__file__).resolve().parent.parent / "fixtures" / "DF003" / case
    data = (folder / "expected.Dockerfile").read_bytes()
    result = fix_bytes(data, str(folder / "Dockerfile"), folder, Settings(unsafe_fixes=True, select=frozenset({"DF003"})))
    assert result.patched == data
    assert [s.reason for s in result.skips if s.code == "DF003"] == []
