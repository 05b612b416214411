"""The builder setting and the repository's own signals of a builder without cache mounts."""

import os
import subprocess
import sys

import pytest

from dockfix.api import fix_bytes
from dockfix.build.builders import clear_caches, refusal, repository_root, signals
from dockfix.targets.config import ConfigError, parse
from dockfix.dockerfile.model import Settings

NAIVE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
APT = b"FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"


def repo(tmp_path, files: dict[str, str]):
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "Dockerfile").write_bytes(NAIVE)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    signals.cache_clear()
    return tmp_path


def codes(result):
    return sorted({f.code for f in result.fixes}), {s.code: s for s in result.skips}


def run(tmp_path, data=NAIVE, **settings):
    return fix_bytes(data, str(tmp_path / "Dockerfile"), tmp_path, Settings(**settings))


@pytest.mark.parametrize(
    "name, text, builder, line",
    [
        (".gitlab-ci.yml", "build:\n  image: gcr.io/kaniko-project/executor:debug\n  script: [/kaniko/executor]\n", "kaniko", 2),
        ("Makefile", "image:\n\tDOCKER_BUILDKIT=0 docker build -t app .\n", "legacy", 2),
        (".github/workflows/ci.yml", "jobs:\n  b:\n    steps:\n      - run: export DOCKER_BUILDKIT: \"0\"\n", "legacy", 4),
        (".github/workflows/image.yaml", "steps:\n  - uses: redhat-actions/buildah-build@v2\n", "buildah", 2),
        ("scripts/release.sh", "#!/bin/sh\npodman build -t app .\n", "buildah", 2),
    ],
)
def test_signal_refuses_cache_mounts_with_file_and_line(tmp_path, name, text, builder, line):
    root = repo(tmp_path, {name: text})
    result = run(root)
    fixes, skips = codes(result)
    assert fixes == ["DF001"]  # moving the COPY needs no BuildKit feature
    reason = skips["DF002"].reason
    assert f"{name}:{line}" in reason and f"builds with {builder}" in reason
    assert b"--mount" not in result.patched
    # The user's word wins over the signal.
    fixes, _ = codes(run(root, builder="buildkit"))
    assert fixes == ["DF001", "DF002"]


def test_apt_rule_refuses_on_a_signal(tmp_path):
    root = repo(tmp_path, {"Jenkinsfile": "sh 'DOCKER_BUILDKIT=0 docker build .'\n"})
    result = run(root, APT, unsafe_fixes=True)
    assert not result.fixes
    assert "Jenkinsfile:1" in result.skips[0].reason and result.skips[0].code == "DF004"


def test_commented_lines_and_other_words_are_no_signal(tmp_path):
    root = repo(tmp_path, {
        ".gitlab-ci.yml": "# image: gcr.io/kaniko-project/executor\n# DOCKER_BUILDKIT=0\nscript: docker build .\n",
        "Makefile": "build:\n\tDOCKER_BUILDKIT=1 docker build .\n\t# podman build .\n",
    })
    assert signals(root) == ()
    fixes, skips = codes(run(root))
    assert fixes == ["DF001", "DF002"] and "DF002" not in skips


def test_no_repository_means_no_signal(tmp_path):
    (tmp_path / "Makefile").write_text("x:\n\tDOCKER_BUILDKIT=0 docker build .\n")
    sub = tmp_path / "app"
    sub.mkdir()
    signals.cache_clear()
    assert repository_root(sub) is None  # pytest's tmp_path is not inside a repository
    # Not inside a repository: nothing is read, BuildKit is assumed (the default).
    assert refusal(None, str(sub / "Dockerfile"), sub) == (None, False)
    (tmp_path / ".git").mkdir()
    clear_caches()  # the repository root and its signals are read once per folder and process
    assert "Makefile:2 suggests this repository builds with legacy" in refusal(None, str(sub / "Dockerfile"), sub)[0]


@pytest.mark.parametrize("builder", ["legacy", "kaniko", "buildah"])
def test_explicit_builder_without_mounts_is_silent(tmp_path, builder):
    root = repo(tmp_path, {})
    result = run(root, builder=builder)
    fixes, skips = codes(result)
    assert fixes == ["DF001"] and "DF002" not in skips
    assert b"--mount" not in result.patched
    assert codes(run(root, APT, builder=builder, unsafe_fixes=True)) == ([], {})


def test_config_key_and_errors(tmp_path):
    assert parse("x.toml", {"builder": "Kaniko"}).builder == "kaniko"
    with pytest.raises(ConfigError, match="x.toml: builder must be one of auto, buildkit, legacy, kaniko, buildah"):
        parse("x.toml", {"builder": "docker"})


def test_cli_builder_flag(tmp_path):
    root = repo(tmp_path, {".gitlab-ci.yml": "image: gcr.io/kaniko-project/executor\n"})
    env = dict(os.environ, NO_COLOR="1")

    def dockfix(*args):
        return subprocess.run([sys.executable, "-m", "dockfix", *args], cwd=root, capture_output=True, env=env)

    p = dockfix("Dockerfile")
    assert p.returncode == 0 and b"--mount" not in p.stdout and b".gitlab-ci.yml:1" in p.stderr
    p = dockfix("--builder", "buildkit", "Dockerfile")
    assert p.returncode == 0 and b"+RUN --mount=type=cache" in p.stdout
    p = dockfix("--builder", "docker", "Dockerfile")
    assert p.returncode == 2 and p.stderr.count(b"\n") == 1 and b"builder must be one of" in p.stderr
    (root / ".dockfix.toml").write_text('builder = "buildkit"\n')
    assert b"+RUN --mount=type=cache" in dockfix("Dockerfile").stdout
