"""DF003's dependencies-only forms, built for real (projects in projects/depsonly/<case>/).

- pip's ``--only-deps`` (pip 26.2) after an unpinned upgrade and after a pin: a safe fix, so the
  rewrite must build exactly the original's image (no ``REQUESTED`` difference); with setuptools,
  poetry-core (``[project]`` and ``[tool.poetry]`` metadata) and pdm-backend, whose metadata
  the dependencies step builds without the package's folder.
- ``uv pip install .`` whose setup.py reads requirements.txt: ``uv pip install -r`` first; uv marks
  every package it installs ``REQUESTED``, so the dependencies' metadata is the same (safe).
- A dependencies list written out into the Dockerfile (unsafe) is kept in sync: after a dependency
  is added to pyproject.toml, a second run updates that step instead of stacking another, and a
  third run changes nothing.

After a code change, the rewrite's dependencies step must come from the layer cache and its
project install must install the project alone. That is read from the build's log (what pip or
uv reports it installed), not from the lab index's download counter, which also counts the
builds other users of the lab run at the same time.
"""

import re
import shutil
import uuid
from pathlib import Path

import pytest

from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import build, compare_images, rewrite, verify_file

pytestmark = pytest.mark.integration

PROJECTS = Path(__file__).parent / "projects" / "depsonly"
DF003 = Settings(select=frozenset({"DF003"}))
UNSAFE = Settings(select=frozenset({"DF003"}), unsafe_fixes=True)


def installed(b) -> set[str]:
    """The distributions the build's install steps that ran reported installing (pip and uv)."""
    names = set()
    for line in re.findall(r"Successfully installed (.+)", b.log):
        names |= {re.sub(r"-[^-]+$", "", d).lower().replace("_", "-") for d in line.split()}
    names |= {m.lower() for m in re.findall(r"^#\d+ [\d.]+\s+\+ ([A-Za-z0-9._-]+)==", b.log, re.M)}
    return names


def only_project_reinstalled(b, project: str = "app") -> bool:
    """The dependencies step came from the layer cache and the step that ran installed the project alone."""
    return b.ok and any(s.cached for s in b.install_steps) and installed(b) == {project}


@pytest.mark.parametrize("case, how, dependencies", [
    ("only-deps-upgrade", "RUN pip install --only-deps .", {"click", "itsdangerous"}),
    ("only-deps-pin-extras", "pip install --only-deps '.[web]'", {"attrs", "flask", "werkzeug", "jinja2"}),
    # Other build backends: the dependencies step has pyproject.toml and the readme/license
    # files only (no package folder), so the backend must build the metadata from those alone.
    ("only-deps-poetry", "COPY pyproject.toml README.md LICENSE ./\nRUN pip install --only-deps .", {"click", "itsdangerous"}),
    ("only-deps-poetry-dynamic", "COPY pyproject.toml README.md ./\nRUN pip install --only-deps .", {"click", "itsdangerous"}),
    ("only-deps-poetry-tool", "COPY pyproject.toml README.md ./\nCOPY docs/CHANGES.md docs/\nRUN pip install --only-deps .", {"click", "itsdangerous"}),
    ("only-deps-pdm", "COPY pyproject.toml README.md LICENSE ./\nRUN pip install --only-deps .", {"click", "itsdangerous"}),
    # A version read from a file (pdm-backend's source = "file"): that file is copied too.
    ("only-deps-pdm-file-version", "COPY pyproject.toml README.md ./\nCOPY app/_version.py app/\nRUN pip install --only-deps .", {"click", "itsdangerous"}),
])
def test_only_deps(case, how, dependencies, docker, index, tmp_path):
    report = verify_file(docker, PROJECTS / case / "Dockerfile", index=index, workdir=tmp_path, settings=DF003)
    try:
        text = report.format()
        print("\n" + text)
        assert report.outcome == "changed", text
        assert how in (tmp_path / "rewritten.Dockerfile").read_text()
        for b in filter(None, (report.original, report.rewritten, report.original_rebuild, report.rewritten_rebuild)):
            assert b.ok, b.log[-4000:]
        # The same image: files, contents, owners, modes, config; REQUESTED markers included.
        assert report.status == "verified", text
        assert report.comparison.equal and not report.comparison.differences, text
        # A code change: the original installs its dependencies again, the rewrite the project alone.
        assert dependencies <= installed(report.original_rebuild), installed(report.original_rebuild)
        assert only_project_reinstalled(report.rewritten_rebuild), (installed(report.rewritten_rebuild), text)
    finally:
        docker.remove_images(*(report.tags or ()), *report.images)


def test_uv_pip_requirements(docker, index, tmp_path):
    """uv pip install . whose setup.py reads requirements.txt: -r requirements.txt first (safe).

    uv writes the project's source timestamp into its own dist-info (uv_cache.json, listed in
    RECORD): the time the build made the project folder, which differs between any two builds
    that do not share that layer. It is shown not to come from the rewrite: the original,
    built again without the layer cache (one no-op RUN before it), differs from its first build
    in the same files.
    """
    case = PROJECTS / "uv-pip-requirements"
    report = verify_file(docker, case / "Dockerfile", index=index, workdir=tmp_path / "work", settings=DF003)
    again_tag = "dockfix-depsonly:uv-again"
    again = None
    try:
        text = report.format()
        print("\n" + text)
        assert report.outcome == "changed", text
        assert "RUN uv pip install -r requirements.txt\nCOPY . .\n" in (tmp_path / "work" / "rewritten.Dockerfile").read_text()
        for b in filter(None, (report.original, report.rewritten, report.original_rebuild, report.rewritten_rebuild)):
            assert b.ok, b.log[-4000:]
        own = re.compile(r"/app-1\.0\.dist-info/(uv_cache\.json|RECORD)$")
        differences = report.comparison.differences
        assert all(own.search(d) for d in differences), text  # no REQUESTED or any other difference

        ctx = tmp_path / "again"
        shutil.copytree(case, ctx)
        original = (case / "Dockerfile").read_text()
        busted = original.replace("FROM python:3.11-slim\n", f"FROM python:3.11-slim\nRUN echo {uuid.uuid4().hex} >/dev/null\n", 1)
        assert busted != original
        (tmp_path / "again.Dockerfile").write_text(busted)
        again = build(docker, ctx, tmp_path / "again.Dockerfile", again_tag, index)
        assert again.ok, again.log[-4000:]
        between_originals = compare_images(docker, report.original.image, again.image).differences
        assert between_originals and all(own.search(d) for d in between_originals), between_originals
        assert set(differences) <= set(between_originals), (differences, between_originals)

        assert {"click", "itsdangerous"} <= installed(report.original_rebuild), installed(report.original_rebuild)
        assert only_project_reinstalled(report.rewritten_rebuild), (installed(report.rewritten_rebuild), text)
    finally:
        docker.remove_images(*(report.tags or ()), *report.images, *([again_tag] if again and again.image else []))


def test_written_out_list_stays_in_sync(docker, index, tmp_path):
    ctx = tmp_path / "ctx"
    shutil.copytree(PROJECTS / "pip-literal-sync", ctx)
    original = (ctx / "Dockerfile").read_bytes()
    first = rewrite(original, ctx / "Dockerfile", ctx, UNSAFE)
    assert first.outcome == "changed", first.error
    assert "RUN pip install 'click>=8'\nCOPY . .\n" in first.patched.decode()

    pyproject = ctx / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"click>=8",', '"click>=8",\n    "itsdangerous",'))
    second = rewrite(first.patched, ctx / "Dockerfile", ctx, UNSAFE)
    assert second.outcome == "changed", second.error
    text = second.patched.decode()
    assert "RUN pip install 'click>=8' itsdangerous\nCOPY . .\n" in text
    assert len(re.findall(r"^RUN pip install", text, re.M)) == 2, text  # updated, not stacked
    assert rewrite(second.patched, ctx / "Dockerfile", ctx, UNSAFE).outcome == "unchanged"

    (ctx / "Dockerfile").write_bytes(original)
    report = verify_file(docker, ctx / "Dockerfile", rewritten=second.patched, index=index, workdir=tmp_path / "work")
    try:
        out = report.format()
        print("\n" + out)
        for b in filter(None, (report.original, report.rewritten, report.original_rebuild, report.rewritten_rebuild)):
            assert b.ok, b.log[-4000:]
        # The written-out list is an unsafe fix for exactly pip's REQUESTED marker: the only difference.
        differences = report.comparison.differences
        assert differences and all(re.search(r"\.dist-info/(REQUESTED|RECORD)$", d) for d in differences), out
        assert any("itsdangerous" in d for d in differences), out  # the added dependency is installed by the step
        assert {"click", "itsdangerous"} <= installed(report.original_rebuild), installed(report.original_rebuild)
        assert only_project_reinstalled(report.rewritten_rebuild), (installed(report.rewritten_rebuild), out)
    finally:
        docker.remove_images(*(report.tags or ()), *report.images)


@pytest.mark.parametrize("case, error", [
    # hatchling offers no metadata hook under pip (PIP_BUILD_TRACKER): pip builds the whole wheel.
    ("needs-sources-hatchling", "Unable to determine which files to ship inside the wheel"),
    # flit_core looks for the module before it builds anything, static metadata or not.
    ("needs-sources-flit", "No file/folder found for module app"),
])
def test_backends_refused_need_the_sources(case, error, docker, index, tmp_path):
    """Why DF003 does not use --only-deps for these backends: the project builds and installs
    from the whole context, but --only-deps with pyproject.toml and the readme alone fails."""
    ctx = PROJECTS / case
    result = rewrite((ctx / "Dockerfile").read_bytes(), ctx / "Dockerfile", ctx, DF003)
    assert "--only-deps" not in (result.patched or b"").decode()
    tags = [f"dockfix-depsonly:{case}-whole", f"dockfix-depsonly:{case}-meta"]
    whole = build(docker, ctx, ctx / "Dockerfile", tags[0], index)
    meta_only = tmp_path / "meta.Dockerfile"
    meta_only.write_text("FROM python:3.11-slim\nRUN pip install --upgrade pip\nWORKDIR /app\n"
                         "COPY pyproject.toml README.md ./\nRUN pip install --only-deps .\n")
    deps = build(docker, ctx, meta_only, tags[1], index)
    try:
        assert whole.ok, whole.log[-4000:]
        # The whole project installs (read from the image: the build may come from the layer cache).
        shown = docker.run("run", "--rm", "--network=none", whole.image, "python3", "-m", "pip", "show", "app", timeout=120)
        assert shown.returncode == 0 and re.search(r"^Requires: click, itsdangerous$", shown.stdout, re.M), shown.stdout
        assert not deps.ok and error in deps.log, deps.log[-4000:]
    finally:
        docker.remove_images(*(t for t, b in zip(tags, (whole, deps)) if b.image))
