"""Class G of the soundness issue with a real builder: a repository that builds with the classic
builder (DOCKER_BUILDKIT=0) gets no cache mount, and the rewrite it gets builds the same image there.
A cache mount forced on such a repository fails its build, which is what the signal prevents."""

import shutil
import subprocess
from pathlib import Path

import pytest

from dockfix.api import fix_bytes
from dockfix.build.builders import signals
from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import compare_images

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).parent / "projects" / "pip-naive"


def legacy_build(docker, context: Path, dockerfile: Path, tag: str) -> subprocess.CompletedProcess:
    args = [docker.exe, "build", "-f", str(dockerfile), "-t", tag]
    if docker.network:
        args.append(f"--network={docker.network}")
    return subprocess.run(args + [str(context)], env=dict(docker.env, DOCKER_BUILDKIT="0"),
                          capture_output=True, text=True, timeout=900)


def test_classic_builder_signal_keeps_the_build_working(docker, index, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT, repo)
    (repo / ".git").mkdir()  # the repository's root: where its build scripts are read
    (repo / "Makefile").write_text("image:\n\tDOCKER_BUILDKIT=0 docker build -t app .\n")
    signals.cache_clear()
    data = (repo / "Dockerfile").read_bytes()

    default = fix_bytes(data, str(repo / "Dockerfile"), repo, Settings())
    assert [f.code for f in default.fixes] == ["DF001"], default.skips
    assert any(s.code == "DF002" and "Makefile:2" in s.reason for s in default.skips)
    forced = fix_bytes(data, str(repo / "Dockerfile"), repo, Settings(builder="buildkit"))
    assert b"--mount=type=cache" in forced.patched

    built = {}
    for name, text in (("original", data), ("rewritten", default.patched), ("forced", forced.patched)):
        (tmp_path / f"{name}.Dockerfile").write_bytes(text)  # outside the context: COPY . . copies it
        built[name] = legacy_build(docker, repo, tmp_path / f"{name}.Dockerfile", f"dockfix-test-legacy-{name}")
    try:
        assert built["original"].returncode == 0, built["original"].stdout[-3000:] + built["original"].stderr[-3000:]
        assert built["rewritten"].returncode == 0, built["rewritten"].stdout[-3000:] + built["rewritten"].stderr[-3000:]
        # What the signal prevents: the classic builder rejects a cache mount.
        assert built["forced"].returncode != 0
        assert "--mount" in built["forced"].stderr + built["forced"].stdout
        comparison = compare_images(docker, "dockfix-test-legacy-original", "dockfix-test-legacy-rewritten")
        assert comparison.equal, comparison.differences[:20]
    finally:
        docker.remove_images(*(f"dockfix-test-legacy-{n}" for n in built))
