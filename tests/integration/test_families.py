"""Each fixture family, end to end with real builds: dockfix rewrites the Dockerfile, both files
build, the final images are equal, a code-only change costs the rewritten file no package
download, and adding one requirement downloads only that package."""

import re
import shutil
from pathlib import Path

import pytest

from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import build, verify_file

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
ADDED = "iniconfig"  # on the lab index, pure Python, no dependencies, used by no fixture


def append(rel: str):
    def change(ctx: Path) -> None:
        with open(ctx / rel, "a") as f:
            f.write(ADDED + "\n")

    return change


def add_dependency(rel: str, after: str):
    def change(ctx: Path) -> None:
        p = ctx / rel
        p.write_text(p.read_text().replace(after, f'{after}\n    "{ADDED}",', 1))

    return change


def overlay(name: str):
    """Lock-file families: the edited pyproject.toml and its re-made lock, from changes/<name>/."""

    def change(ctx: Path) -> None:
        shutil.copytree(HERE / "changes" / name, ctx, dirs_exist_ok=True)

    return change


DEFAULT = Settings()
# pip marks packages installed by name with REQUESTED (and lists it in RECORD): why DF003's pip
# splits are unsafe fixes.
KNOWN_DIFFERENCES = {"pyproject": re.compile(r"\.dist-info/(REQUESTED|RECORD)$")}
UNSAFE = Settings(unsafe_fixes=True)  # pyproject: DF003 writes the [project] dependencies out (unsafe)

# family (= tests/integration/projects/<family>/), how to add one requirement to it, settings
FAMILIES = [
    pytest.param("pip-naive", append("requirements.txt"), DEFAULT, id="pip-naive"),
    pytest.param("nested", append("requirements/base.txt"), DEFAULT, id="nested"),
    pytest.param("multistage", append("requirements.txt"), DEFAULT, id="multistage"),
    pytest.param("user", append("requirements.txt"), DEFAULT, id="user"),
    pytest.param("pyproject", add_dependency("pyproject.toml", '"click",'), UNSAFE, id="pyproject"),
    pytest.param("poetry", overlay("poetry"), DEFAULT, id="poetry"),
    pytest.param("uv", overlay("uv"), DEFAULT, id="uv"),
]


def project(filename: str) -> str:
    return filename.split("-", 1)[0].lower().replace("_", "-")


@pytest.mark.parametrize("family, add_requirement, settings", FAMILIES)
def test_family(family, add_requirement, settings, docker, index, tmp_path):
    docker.prune_build_cache()  # cold start; no cache mount warmed by another family
    report = verify_file(docker, HERE / "projects" / family / "Dockerfile", index=index, workdir=tmp_path, settings=settings)
    try:
        text = report.format()
        print("\n" + text)
        changed, status = report.outcome == "changed", report.status
        assert changed, text
        for b in filter(None, (report.original, report.rewritten, report.rewritten_rebuild)):
            ok = b.ok
            assert ok, b.log[-4000:]
        if family in KNOWN_DIFFERENCES:
            # The rewrite is an unsafe fix because of exactly this difference: assert it is the only one.
            known = KNOWN_DIFFERENCES[family]
            differences = report.comparison.differences
            assert status == "differs" and differences and all(known.search(d) for d in differences), text
        else:
            assert status == "verified", text  # both built and the final images are equal
        # The change reached the build: the original file downloads its packages again ...
        original_downloads = len(report.original_rebuild.downloads)
        assert original_downloads > 0, text
        # ... the rewritten one none.
        rewritten_downloads = report.rewritten_rebuild.downloads
        assert rewritten_downloads == [], text
        # ... because the dependencies' install step came from the layer cache (not only from a
        # warm cache mount).
        assert report.install_reused, text

        add_requirement(tmp_path / "rewritten")
        after = build(docker, tmp_path / "rewritten", tmp_path / "rewritten.Dockerfile", report.tags[1], index)
        report.images.append(after.image)
        print(f"  {'add ' + ADDED:<18} {after.summary()}")
        assert after.ok, after.log[-4000:]
        downloaded = [project(f) for f in after.downloads]
        assert downloaded == [ADDED], after.summary()
    finally:
        docker.remove_images(*(report.tags or ()), *report.images)
