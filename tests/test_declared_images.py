"""Base images the user declares (root-images, debian-images): what dockfix cannot know of an image
it has never seen, the configuration can say (issue 10 item 14; issue 8 class C)."""

import pytest

from dockfix.api import fix_bytes
from dockfix.targets.config import ConfigError, Overrides, parse
from dockfix.dockerfile.model import Settings

PIP = b"FROM ghcr.io/acme/python:3.12-slim\nWORKDIR /app\nRUN pip install flask\n"
APT = b"FROM ghcr.io/acme/python:3.12\nRUN apt-get update && apt-get install -y gcc\n"


def run(tmp_path, data, **settings):
    return fix_bytes(data, str(tmp_path / "Dockerfile"), tmp_path, Settings(**settings))


def test_an_unknown_base_is_not_assumed_root(tmp_path):
    r = run(tmp_path, PIP)
    assert not r.fixes and r.skips[0].code == "DF002" and "ghcr.io/acme/python" in r.skips[0].reason


def test_a_declared_root_image_gets_root_s_cache(tmp_path):
    r = run(tmp_path, PIP, root_images=("ghcr.io/acme/python",))
    assert [f.code for f in r.fixes] == ["DF002"]
    assert b"RUN --mount=type=cache,target=/root/.cache/pip pip install flask\n" in r.patched


def test_a_declaration_is_a_prefix_of_the_reference_not_a_substring(tmp_path):
    r = run(tmp_path, PIP, root_images=("acme/python",))  # not the start of ghcr.io/acme/python
    assert not r.fixes


def test_a_user_in_the_file_still_wins_over_the_declaration(tmp_path):
    data = PIP.replace(b"WORKDIR /app\n", b"WORKDIR /app\nUSER 1001\n")
    r = run(tmp_path, data, root_images=("ghcr.io/acme/python",))
    assert b"target=/root/.cache" not in r.patched


def test_apt_needs_both_debian_and_root(tmp_path):
    assert not run(tmp_path, APT, unsafe_fixes=True).fixes
    assert not run(tmp_path, APT, unsafe_fixes=True, debian_images=("ghcr.io/acme/python",)).fixes
    r = run(tmp_path, APT, unsafe_fixes=True, debian_images=("ghcr.io/acme/python",), root_images=("ghcr.io/acme/python",))
    assert [f.code for f in r.fixes] == ["DF004"] and b"target=/var/cache/apt" in r.patched


def test_configuration_keys(tmp_path):
    cfg = parse("x.toml", {"root-images": ["ghcr.io/acme/python"], "debian-images": ["ghcr.io/acme/"]})
    s = Overrides().settings(cfg)
    assert s.root_images == ("ghcr.io/acme/python",) and s.debian_images == ("ghcr.io/acme/",)
    with pytest.raises(ConfigError, match="x.toml: root-images must be a list of image names"):
        parse("x.toml", {"root-images": "ghcr.io/acme/python"})
    with pytest.raises(ConfigError, match="variable"):
        parse("x.toml", {"debian-images": ["${REGISTRY}/python"]})


def test_configuration_file_reaches_the_rules(tmp_path):
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_bytes(PIP)
    p = subprocess.run([sys.executable, "-m", "dockfix", "Dockerfile"], cwd=tmp_path, capture_output=True)
    assert p.returncode == 0 and b"--mount" not in p.stdout
    (tmp_path / ".dockfix.toml").write_text('root-images = ["ghcr.io/acme/python"]\n')
    p = subprocess.run([sys.executable, "-m", "dockfix", "Dockerfile"], cwd=tmp_path, capture_output=True)
    assert p.returncode == 0 and b"+RUN --mount=type=cache,target=/root/.cache/pip pip install flask" in p.stdout
    p = subprocess.run([sys.executable, "-m", "dockfix", "--show-settings", "Dockerfile"], cwd=tmp_path, capture_output=True)
    assert b'root-images' in p.stdout and b'"ghcr.io/acme/python"' in p.stdout
