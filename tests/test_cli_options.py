"""Options that users of ruff and black expect (issue 10, items 4, 11 and 16), through the console script."""

import json
import re

import pytest

from _cli import FIXED, NAIVE, ROOT_README, dockfix, errors


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    return tmp_path


def test_write_with_diff_shows_and_never_writes(project):
    p = dockfix("--write", "--diff", "Dockerfile", cwd=project)
    assert p.returncode == 0 and p.stdout.startswith(b"--- Dockerfile\n+++ Dockerfile\n")
    assert (project / "Dockerfile").read_bytes() == NAIVE
    assert "would change" in p.stderr.decode()


def test_force_exclude_applies_the_config_to_named_files(project):
    (project / ".dockfix.toml").write_text('exclude = ["Dockerfile"]\n')
    assert dockfix("--check", "Dockerfile", cwd=project).returncode == 1  # named: taken
    p = dockfix("--check", "--force-exclude", "Dockerfile", cwd=project)
    assert p.returncode == 0 and p.stdout == b""
    p = dockfix("--write", "--force-exclude", "--exclude", "Dockerfile", "--no-config", "Dockerfile", cwd=project)
    assert p.returncode == 0 and (project / "Dockerfile").read_bytes() == NAIVE


def test_exit_zero_and_exit_non_zero_on_fix(project):
    assert dockfix("--check", "--exit-zero", "Dockerfile", cwd=project).returncode == 0
    (project / "bad.Dockerfile").write_bytes(b"FROM a\nRUNN x\n")
    assert dockfix("--check", "--exit-zero", "bad.Dockerfile", cwd=project).returncode == 2  # errors are still errors
    p = dockfix("--write", "--exit-non-zero-on-fix", "Dockerfile", cwd=project)
    assert p.returncode == 1 and (project / "Dockerfile").read_bytes() == FIXED
    assert dockfix("--write", "--exit-non-zero-on-fix", "Dockerfile", cwd=project).returncode == 0  # nothing left to fix


def test_stdin_filename_takes_context_and_config_from_that_path(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "requirements.txt").write_text("flask\n")
    (tmp_path / "svc" / ".dockfix.toml").write_text('ignore = ["DF002"]\n')
    p = dockfix("--stdin-filename", "svc/Dockerfile", cwd=tmp_path, stdin=NAIVE)
    assert p.returncode == 0
    assert b"COPY requirements.txt .\n" in p.stdout and b"--mount" not in p.stdout  # context svc/, its config
    assert "svc/Dockerfile:3: DF001 would fix" in p.stderr.decode()
    assert not (tmp_path / "svc" / "Dockerfile").exists()
    plain = dockfix("-", cwd=tmp_path, stdin=NAIVE)  # the working directory: no requirements.txt, no config
    assert b"COPY requirements.txt" not in plain.stdout and b"--mount" in plain.stdout


def test_stdin_filename_with_force_exclude_passes_the_input_through(tmp_path):
    (tmp_path / ".dockfix.toml").write_text('exclude = ["legacy/"]\n')
    p = dockfix("--force-exclude", "--stdin-filename", "legacy/Dockerfile", "-", cwd=tmp_path, stdin=NAIVE)
    assert p.returncode == 0 and p.stdout == NAIVE


def test_verbose_names_context_config_and_skips(project):
    (project / "pyproject.toml").write_text('[tool.dockfix]\nignore = ["DF004"]\n')
    (project / ".venv").mkdir()
    (project / "docker").mkdir()
    (project / "docker" / "Dockerfile").write_bytes(NAIVE)
    (project / "compose.yaml").write_text("services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n")
    err = dockfix("--check", "-v", ".", cwd=project).stderr.decode()
    config = project / "pyproject.toml"
    assert f"Dockerfile: build context . (the Dockerfile's folder); configuration {config}" in err
    assert f"docker/Dockerfile: build context . (from compose.yaml); configuration {config}" in err
    assert ".venv/: skipped: a virtual environment" in err


def test_version(project):
    p = dockfix("-V", cwd=project)
    assert p.returncode == 0 and re.fullmatch(rb"dockfix \d+\.\d+\.\d+\S*\n", p.stdout)
    assert dockfix("--version", cwd=project).stdout == p.stdout


def test_force_color_and_no_color(project):
    forced = dockfix("Dockerfile", cwd=project, extra_env={"NO_COLOR": None, "FORCE_COLOR": "1"}).stdout
    assert b"\x1b[32m+COPY requirements.txt .\x1b[0m" in forced
    assert b"\x1b[" not in dockfix("--no-color", "Dockerfile", cwd=project, extra_env={"FORCE_COLOR": "1"}).stdout
    assert b"\x1b[" not in dockfix("Dockerfile", cwd=project, extra_env={"NO_COLOR": "1"}).stdout
    assert b"\x1b[" not in dockfix("Dockerfile", cwd=project, extra_env={"NO_COLOR": None}).stdout  # not a terminal


def test_format_is_case_insensitive(project):
    p = dockfix("--format", "JSON", "Dockerfile", cwd=project)
    assert p.returncode == 0 and json.loads(p.stdout)["files"][0]["outcome"] == "changed"


def test_help_lists_verify_and_has_no_placeholders(project):
    p = dockfix("--help", cwd=project)
    out = p.stdout.decode()
    assert p.returncode == 0
    assert "<str>" not in out and "TEXT" not in out and "INTEGER" not in out
    assert "dockfix verify" in out
    for option in ("--force-exclude", "--exit-zero", "--exit-non-zero-on-fix", "--stdin-filename", "--verbose", "--version"):
        assert option in out


def test_usage_errors_are_one_line(project):
    p = dockfix("--jobs", "0", "Dockerfile", cwd=project)
    assert p.returncode == 2 and errors(p) == ["error: argument -j/--jobs: must be at least 1, not 0 (try: dockfix --help)"]
    assert p.stderr.decode().count("\n") == 1


# --- item 16 -------------------------------------------------------------------------------------


def readme_context_example() -> list[str]:
    line = next(line for line in ROOT_README.read_text().splitlines() if line.startswith("dockfix --context"))
    return line.split("#")[0].split()[1:]


def test_the_readme_context_example_uses_the_folder_it_is_run_from(tmp_path):
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    args = readme_context_example()
    p = dockfix(*args, cwd=tmp_path)  # from the repository root, as written
    assert p.returncode == 0 and b"+COPY requirements.txt .\n" in p.stdout
    assert "docker/Dockerfile: build context . (--context)" in p.stderr.decode()


def test_the_pre_commit_hook_honours_the_config_exclude(project):
    """pre-commit names every staged file; the hook's entry must still skip what the config excludes."""
    import shlex

    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT_README.parent / ".pre-commit-hooks.yaml").read_text())}
    (project / "legacy").mkdir()
    (project / "legacy" / "Dockerfile").write_bytes(NAIVE)
    (project / ".dockfix.toml").write_text('exclude = ["legacy/"]\n')
    entry = shlex.split(hooks["dockfix"]["entry"])
    p = dockfix(*entry[1:], "Dockerfile", "legacy/Dockerfile", cwd=project)
    assert p.returncode == 0
    assert (project / "Dockerfile").read_bytes() == FIXED and (project / "legacy" / "Dockerfile").read_bytes() == NAIVE
    check = shlex.split(hooks["dockfix-check"]["entry"])
    assert dockfix(*check[1:], "Dockerfile", "legacy/Dockerfile", cwd=project).returncode == 0


def test_verify_is_reachable_from_the_console_script(project):
    p = dockfix("verify", "--help", cwd=project)
    assert p.returncode == 0 and p.stdout.startswith(b"usage: dockfix verify")
    missing = dockfix("verify", "missing/Dockerfile", cwd=project)
    assert missing.returncode == 2 and b"no such Dockerfile: missing/Dockerfile" in missing.stderr


def test_main_command_runs_in_process_and_returns_the_code(project, monkeypatch, capsys):
    from dockfix.cli.app import main_command

    monkeypatch.chdir(project)
    assert main_command(["--check", "Dockerfile"]) == 1
    assert main_command(["--select", "", "Dockerfile"]) == 2
    assert (project / "Dockerfile").read_bytes() == NAIVE
