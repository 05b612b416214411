"""Cache mounts against real builds: what a mount would hide from the image (class B) and who runs
the install and where its home is (class C).

Each case builds the original and dockfix's rewrite and requires equal images, with a comparison
that ignores only the contents of the pure download caches and compares the cache folders and
their parents (owner, mode). Where dockfix refuses, the case also builds the rewrite dockfix used to
make and shows the comparison catches what was wrong with it.
"""

from pathlib import Path

import pytest

from dockfix.api import fix_bytes
from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import verify_file

pytestmark = pytest.mark.integration

PROJECTS = Path(__file__).parent / "projects"
DF002 = Settings(select=frozenset({"DF002"}))


def run(docker, tmp_path, name, rewritten=None, settings=DF002):
    dockerfile = PROJECTS / name / "Dockerfile"
    work = tmp_path / ("forced" if rewritten else "dockfix")
    work.mkdir()
    report = verify_file(docker, dockerfile, rewritten=rewritten, workdir=work, settings=settings)
    print("\n" + report.format())
    return report


def cleanup(docker, report):
    docker.remove_images(*(report.tags or ()), *report.images)


def skips(name, settings=DF002):
    path = PROJECTS / name / "Dockerfile"
    result = fix_bytes(path.read_bytes(), str(path), str(path.parent), settings)
    return result, {s.lineno: s.reason for s in result.skips}


def replace_line(name: str, old: str, new: str) -> bytes:
    text = (PROJECTS / name / "Dockerfile").read_text()
    assert old in text
    return text.replace(old, new).encode()


# --- class B: what a cache mount hides from the image ----------------------------------------------


def test_poetry_keeps_its_virtualenv(docker, tmp_path):
    """Plain ``COPY . .`` + ``poetry install``: the venv is in {cache-dir}/virtualenvs."""
    report = run(docker, tmp_path, "poetry-venv")
    try:
        text = report.format()
        assert report.status == "verified", text
        rewritten = (tmp_path / "dockfix" / "rewritten.Dockerfile").read_text()
        assert "target=/root/.cache/pypoetry/cache " in rewritten and "target=/root/.cache/pypoetry/artifacts " in rewritten, rewritten
        assert "target=/root/.cache/pypoetry " not in rewritten, rewritten
        # The image still runs with the environment poetry made.
        p = docker.run("run", "--rm", "--network=none", report.tags[1], timeout=120)
        assert p.returncode == 0 and "example.com" in p.stdout, p.stdout
    finally:
        cleanup(docker, report)


def test_poetry_whole_cache_mount_hides_the_virtualenv(docker, tmp_path):
    """The rewrite dockfix used to make (the whole cache folder mounted) loses the venv, and the
    comparison sees it."""
    old = replace_line(
        "poetry-venv", "RUN poetry install", "RUN --mount=type=cache,target=/root/.cache/pypoetry poetry install"
    )
    report = run(docker, tmp_path, "poetry-venv", rewritten=old)
    try:
        assert report.status == "differs", report.format()
        assert any("/root/.cache/pypoetry/virtualenvs" in d for d in report.comparison.differences), report.format()
    finally:
        cleanup(docker, report)


def test_uv_symlink_link_mode_is_refused(docker, tmp_path):
    result, reasons = skips("uv-symlink")
    assert "UV_LINK_MODE is set to symlink" in reasons.get(6, ""), reasons
    assert b"--mount" not in result.patched.splitlines()[5], result.patched
    report = run(docker, tmp_path, "uv-symlink")  # only the pip RUN that installs uv changes
    try:
        assert report.status == "verified", report.format()
    finally:
        cleanup(docker, report)


def test_uv_symlinks_into_a_mounted_cache_are_caught(docker, tmp_path):
    old = replace_line("uv-symlink", "RUN uv sync", "RUN --mount=type=cache,target=/root/.cache/uv uv sync")
    report = run(docker, tmp_path, "uv-symlink", rewritten=old)
    try:
        assert report.status == "differs", report.format()
        assert any(d.startswith("symlink into a cache folder resolves in one image only: /app/.venv/") for d in report.comparison.differences), report.format()
    finally:
        cleanup(docker, report)


# --- class C: who runs the install and where its home is --------------------------------------------


@pytest.fixture
def ubi_like(docker):
    """A base image like Red Hat's UBI/s2i Python images (USER 1001, HOME=/opt/app-root/src)."""
    tag = "dockfix-lab/ubi-like:1"
    args = ["build", "-q", "-t", tag, "-f", str(PROJECTS / "ubi-like" / "base.Dockerfile")]
    if docker.network:
        args.append(f"--network={docker.network}")
    p = docker.run(*args, str(PROJECTS / "ubi-like"), timeout=600)
    assert p.returncode == 0, p.stdout[-3000:]
    yield tag
    docker.remove_images(tag)


def test_unknown_base_image_is_not_assumed_root(docker, tmp_path, ubi_like):
    result, reasons = skips("ubi-like")
    assert result.outcome == "skipped" and "is not one dockfix knows" in reasons.get(3, ""), reasons
    # What assuming root made: a mount at /root/.cache/pip while pip (uid 1001) keeps its cache in
    # /opt/app-root/src/.cache/pip, in the image, with --no-cache-dir gone.
    old = replace_line(
        "ubi-like", "RUN pip install --no-cache-dir -r", "RUN --mount=type=cache,target=/root/.cache/pip pip install -r"
    )
    report = run(docker, tmp_path, "ubi-like", rewritten=old)
    try:
        assert report.status == "differs", report.format()
        assert any(d.startswith("only in rewritten, inside a cache folder: /opt/app-root/src/.cache/pip/") for d in report.comparison.differences), report.format()
    finally:
        cleanup(docker, report)


def test_non_root_mount_leaves_root_owned_cache_folder(docker, tmp_path):
    """A mount in a non-root user's home without the folder made first: BuildKit (Docker 20.10)
    leaves a root-owned ~/.cache in the image. dockfix now makes the folder as the user first
    (the ``user`` family in test_families.py verifies that rewrite)."""
    path = PROJECTS / "user" / "Dockerfile"
    result = fix_bytes(path.read_bytes(), str(path), str(path.parent), DF002)
    assert b"RUN mkdir -p /home/app/.cache/pip\n" in result.patched, result.patched
    report = run(docker, tmp_path, "user")
    try:
        assert report.status == "verified", report.format()
    finally:
        cleanup(docker, report)
    old = replace_line(
        "user", "RUN pip install --user", "RUN --mount=type=cache,target=/home/app/.cache/pip,uid=10001 pip install --user"
    )
    report = run(docker, tmp_path, "user", rewritten=old)
    try:
        assert report.status == "differs", report.format()
        assert "owner 10001:10001 != 0:0: /home/app/.cache" in report.comparison.differences, report.format()
    finally:
        cleanup(docker, report)


def test_removed_rm_would_keep_lower_layer_files(docker, tmp_path):
    result, reasons = skips("lower-layer")
    assert "may have left in /root/.cache" in reasons.get(4, "") and "line 2" in reasons.get(4, ""), reasons
    old = replace_line(
        "lower-layer",
        "RUN pip install -r requirements.txt && rm -rf /root/.cache",
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt",
    )
    report = run(docker, tmp_path, "lower-layer", rewritten=old)
    try:
        assert report.status == "differs", report.format()
        assert "only in rewritten: /root/.cache/tool/model.bin" in report.comparison.differences, report.format()
    finally:
        cleanup(docker, report)
