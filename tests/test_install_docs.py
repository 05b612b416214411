"""The install paths documented in docs/bulk.md, run as written against this repository.

Slow (fresh virtual environments, packages from the configured index), so behind the marker
``install``: ``pytest -m install tests/test_install_docs.py`` (.ci/run runs it). The commands are
read from the documentation itself; only ``/path/to/dockfix`` (a clone of this repository) and the
commit placeholder are replaced. ``git+file://`` and pre-commit install the last commit, so a
change must be committed to be tested by them.
"""

import os
import re
import subprocess
import venv
import zipfile

import pytest

from _paths import ROOT

pytestmark = pytest.mark.install

DOC = (ROOT / "docs" / "bulk.md").read_text()
PLACEHOLDER = "/path/to/dockfix"
NAIVE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"


def section(title: str) -> str:
    return DOC.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def block(text: str, lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", text, re.S).group(1)


def install_commands() -> list[str]:
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block(section("Installing"), "sh").splitlines()]
    return [line for line in lines if line]


def version() -> str:
    return re.search(r'^__version__ = "([^"]+)"', (ROOT / "src" / "dockfix" / "__init__.py").read_text(), re.M).group(1)


def head() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def run(cmd, cwd, env=None, check=True):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, shell=isinstance(cmd, str))
    if check:
        assert p.returncode == 0, f"{cmd}\n{p.stdout}\n{p.stderr}"
    return p


def new_venv(path):
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin"


def test_the_documented_commands_are_the_ones_tested():
    assert install_commands() == [
        "pipx install /path/to/dockfix",
        "python3 -m pip install /path/to/dockfix",
        "python3 -m pip install git+file:///path/to/dockfix",
        "python3 -m pip wheel --no-deps -w dist /path/to/dockfix",
    ]
    assert "pipx install dockfix`" not in DOC.replace("`pipx install dockfix` (by name)", "")
    assert "rev: v0" not in DOC and "example.invalid" not in DOC


@pytest.mark.parametrize("command", install_commands())
def test_install_command(tmp_path, command):
    bindir = new_venv(tmp_path / "venv")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", PIPX_HOME=str(tmp_path / "pipx"),
               PIPX_BIN_DIR=str(tmp_path / "pipx-bin"))
    env.pop("PYTHONPATH", None)
    if command.startswith("pipx "):
        run([str(bindir / "python"), "-m", "pip", "install", "-q", "pipx"], tmp_path, env)
    run(command.replace(PLACEHOLDER, str(ROOT)).replace("python3 ", f"{bindir / 'python'} ", 1), tmp_path, env)
    if " wheel " in command:
        wheel = tmp_path / "dist" / f"dockfix-{version()}-py3-none-any.whl"
        assert wheel.is_file(), list((tmp_path / "dist").iterdir())
        assert f"/tmp/{wheel.name}" in section("Sourcegraph batch changes")  # the batch spec's file name
        with zipfile.ZipFile(wheel) as z:
            pages = [n for n in z.namelist() if n.startswith("dockfix/rules/docs/")]
            assert len(pages) >= 6
            for name in pages:
                text = z.read(name).decode()
                assert "fixtures/" not in text and "<!--" not in text, name
        return
    exe = tmp_path / "pipx-bin" / "dockfix" if command.startswith("pipx ") else bindir / "dockfix"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "app" / "requirements.txt").write_text("flask\n")
    p = run([str(exe), "app/Dockerfile"], tmp_path, env)
    assert "+COPY requirements.txt .\n" in p.stdout
    assert run([str(exe), "--explain", "DF001"], tmp_path, env).stdout.startswith("# DF001 deps-first\n")


def test_pre_commit_config_from_the_docs(tmp_path):
    bindir = new_venv(tmp_path / "venv")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    env.pop("PYTHONPATH", None)
    run([str(bindir / "python"), "-m", "pip", "install", "-q", "pre-commit"], tmp_path, env)
    config = block(section("pre-commit"), "yaml")
    config = config.replace(PLACEHOLDER, str(ROOT))
    config = re.sub(r"rev: [0-9a-f]{40}", f"rev: {head()}", config)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(config)
    (repo / "Dockerfile").write_bytes(NAIVE)
    (repo / "requirements.txt").write_text("flask\n")
    run(["git", "init", "-q"], repo, env)
    run(["git", "add", "-A"], repo, env)
    pre_commit = [str(bindir / "pre-commit"), "run", "--all-files"]
    first = run(pre_commit, repo, env, check=False)
    assert first.returncode == 1, first.stdout + first.stderr  # the hook changed a file
    assert b"COPY requirements.txt .\n" in (repo / "Dockerfile").read_bytes()
    second = run(pre_commit, repo, env, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
