"""users.py: which base images are known, and which are Debian or Ubuntu."""

import pytest

from dockfix.build.users import ROOT, is_debian, known_image


@pytest.mark.parametrize(
    "base, debian",
    [
        ("python:3.12-slim", True),
        ("python:3.12-alpine", False),
        ("node:20-bookworm-slim", True),
        ("node:22.3.0-trixie-slim", True),
        ("node:${NODE_VERSION}-bookworm-slim", True),
        ("node:20-alpine", False),
        ("node:20", False),  # no release in the tag: not known
        ("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", True),
        ("mcr.microsoft.com/devcontainers/base:bullseye", True),
        ("marketplace.gcr.io/google/ubuntu2204:latest", False),  # the release is in the name, not the tag
        ("mirror.gcr.io/library/ubuntu:24.04", True),
        ("ghcr.io/astral-sh/uv:python3.12-bookworm-slim", True),
        ("ghcr.io/astral-sh/uv:python3.12-alpine", False),
        ("${BASE_IMAGE}", False),
        ("python:${PY}", False),
        ("example.com/x:windowsservercore-ltsc2022", False),
    ],
)
def test_is_debian(base, debian):
    assert is_debian(base) is debian


def test_declared_debian_bases():
    assert not is_debian("registry.example.com/team/base:1.2")
    assert is_debian("registry.example.com/team/base:1.2", declared=("registry.example.com/team/",))


@pytest.mark.parametrize(
    "base, root",
    [
        ("python:3.11-slim", True),
        ("docker.io/library/python:3.11", True),
        ("public.ecr.aws/docker/library/python:3.11", True),
        ("node:20-bookworm-slim", True),
        ("nvidia/cuda:12.4.1-runtime-ubuntu22.04", True),
        ("registry.access.redhat.com/ubi9/python-311", False),  # USER 1001, HOME=/opt/app-root/src
        ("tiangolo/uvicorn-gunicorn:python3.11", False),
        ("${BASE}", False),
    ],
)
def test_known_root_images(base, root):
    image = known_image(base)
    assert (image is not None and image.user == ROOT) is root


def test_declared_root_bases():
    assert known_image("registry.example.com/team/base:1.2") is None
    assert known_image("registry.example.com/team/base:1.2", declared_root=("registry.example.com/team/",)).user == ROOT


def _fixture_dockerfiles():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "fixtures"
    return sorted(p for p in root.glob("*/*/*Dockerfile*") if "expected" not in p.name and "output" not in p.name)


def test_last_user_is_the_last_user_of_the_stage_chain():
    """``_last_user`` (per-stage memo, no chain built) agrees with a scan of ``chain`` on every
    instruction of every fixture and of a file whose stages chain through USERs."""
    from dockfix.dockerfile.model import ParseError
    from dockfix.dockerfile.reader import read
    from dockfix.build.users import _last_user, chain

    texts = [p.read_bytes() for p in _fixture_dockerfiles()]
    texts.append(
        b"FROM python:3.12 AS a\nUSER app\nRUN true\nFROM a AS b\nRUN true\nFROM python:3.12 AS c\nRUN true\n"
        b"FROM b\nUSER root\nRUN true\nUSER 1000\nFROM 1\nRUN true\nFROM c\nRUN true\n"
    )
    checked = 0
    for data in texts:
        try:
            df = read(data)
        except ParseError:
            continue
        for idx, _ in enumerate(df.instructions):
            want = next((k for k in reversed(chain(df, idx)) if df.instructions[k].keyword == "USER"), None)
            assert _last_user(df, idx) == want
            checked += 1
    assert checked > 500


def test_known_image_takes_declared_prefixes_as_any_sequence():
    """The lookup is memoised; a list of declared prefixes (a library caller's Settings) still works."""
    assert known_image("ghcr.io/acme/python:3.12", ["ghcr.io/acme/python"]) is not None
    assert known_image("ghcr.io/acme/python:3.12", ("ghcr.io/acme/python",)) is not None
    assert known_image("ghcr.io/acme/python:3.12") is None
