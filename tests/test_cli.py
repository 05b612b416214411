"""The command-line contract: streams, exit codes, files written or left alone."""

import json
import os
import re
import stat
import subprocess

import pytest

from _cli import FIXED, NAIVE, dockfix


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    return tmp_path


def test_default_prints_diff_and_explanations(project):
    p = dockfix("Dockerfile", cwd=project)
    assert p.returncode == 0
    out = p.stdout.decode()
    assert out.startswith("--- Dockerfile\n+++ Dockerfile\n")
    assert "+COPY requirements.txt .\n" in out
    err = p.stderr.decode()
    assert "Dockerfile:3: DF001 would fix" in err and "Dockerfile:4: DF002 would fix" in err
    assert (project / "Dockerfile").read_bytes() == NAIVE


def test_diff_applies_with_patch(project, tmp_path_factory):
    diff = dockfix("Dockerfile", cwd=project).stdout
    patched = subprocess.run(["patch", "-p0", "--dry-run"], cwd=project, input=diff, capture_output=True)
    if patched.returncode == 127:
        pytest.skip("patch(1) not installed")
    assert patched.returncode == 0, patched.stdout


def test_check_exits_1_when_a_file_would_change(project):
    p = dockfix("--check", "Dockerfile", cwd=project)
    assert p.returncode == 1
    assert p.stdout == b""
    assert (project / "Dockerfile").read_bytes() == NAIVE


def test_write_applies_keeps_mode_then_check_passes(project):
    os.chmod(project / "Dockerfile", 0o640)
    p = dockfix("--write", "Dockerfile", cwd=project)
    assert p.returncode == 0
    assert (project / "Dockerfile").read_bytes() == FIXED
    assert stat.S_IMODE(os.stat(project / "Dockerfile").st_mode) == 0o640
    assert [f for f in os.listdir(project) if f.startswith(".dockfix-")] == []
    assert dockfix("--check", "Dockerfile", cwd=project).returncode == 0


def test_stdin_in_patched_out(project):
    p = dockfix("-", cwd=project, stdin=NAIVE)
    assert p.returncode == 0
    assert p.stdout == FIXED


def test_stdin_check(project):
    assert dockfix("--check", "-", cwd=project, stdin=NAIVE).returncode == 1
    assert dockfix("--check", "-", cwd=project, stdin=FIXED).returncode == 0


def test_context_option(tmp_path):
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    without = dockfix("--select", "DF001", "docker/Dockerfile", cwd=tmp_path)
    assert without.stdout == b"" and b"no such file in the build context" in without.stderr
    with_ctx = dockfix("--select", "DF001", "--context", ".", "docker/Dockerfile", cwd=tmp_path)
    assert b"+COPY requirements.txt ." in with_ctx.stdout


def test_directory_means_its_dockerfiles(project):
    (project / "sub").mkdir()
    (project / "sub" / "api.Dockerfile").write_bytes(b"FROM python:3.11\nRUN pip install flask\n")
    (project / "notes.txt").write_text("x")
    p = dockfix("--check", ".", cwd=project)
    assert p.returncode == 1
    assert b"2 files would change" in p.stderr


@pytest.mark.parametrize(
    "setup, args, message",
    [
        pytest.param(None, ["missing/Dockerfile"], "missing/Dockerfile: No such file or directory", id="missing-file"),
        pytest.param("binary", ["Dockerfile"], "Dockerfile: not a Dockerfile (binary data)", id="binary"),
        pytest.param("heredoc", ["Dockerfile"], "Dockerfile:2: unterminated heredoc", id="unterminated-heredoc"),
        pytest.param(None, ["--select", "XX1", "Dockerfile"], "unknown rule code XX1", id="unknown-code"),
        pytest.param(None, ["--write", "--check", "Dockerfile"], "cannot be used together", id="write-and-check"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, setup, args, message):
    content = {"binary": b"\x00\x01FROM", "heredoc": b"FROM a\nRUN <<EOF\necho\n"}.get(setup, NAIVE)
    (tmp_path / "Dockerfile").write_bytes(content)
    (tmp_path / "requirements.txt").write_text("flask\n")
    if setup == "empty-dir":
        (tmp_path / "empty").mkdir()
    p = dockfix("--write", *args, cwd=tmp_path) if "--check" not in args and "--select" not in args else dockfix(*args, cwd=tmp_path)
    assert p.returncode == 2
    errors = [line for line in p.stderr.decode().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], p.stderr.decode()
    assert (tmp_path / "Dockerfile").read_bytes() == content


def test_one_bad_file_does_not_stop_the_others(project):
    (project / "bad.Dockerfile").write_bytes(b"FROM a\nRUN <<EOF\n")
    p = dockfix("--write", ".", cwd=project)
    assert p.returncode == 2
    assert (project / "Dockerfile").read_bytes() == FIXED
    assert b"bad.Dockerfile:2: unterminated heredoc" in p.stderr


def test_quiet_prints_only_the_diff(project):
    p = dockfix("--quiet", "Dockerfile", cwd=project)
    assert p.stderr == b"" and p.stdout.startswith(b"--- Dockerfile")


def test_select_and_ignore(project):
    only2 = dockfix("--select", "DF002", "-", cwd=project, stdin=NAIVE).stdout
    assert b"COPY . .\nRUN --mount=type=cache" in only2
    no2 = dockfix("--ignore", "DF002", "-", cwd=project, stdin=NAIVE).stdout
    assert b"--mount" not in no2 and b"COPY requirements.txt ." in no2


def test_explain_prints_the_rule_page(tmp_path):
    p = dockfix("--explain", "df001", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith(b"# DF001")


# --- bulk options ------------------------------------------------------------------------------


def test_statistics_replace_the_diff(project):
    p = dockfix("--statistics", "Dockerfile", cwd=project)
    assert p.returncode == 0
    rows = [line.split("\t") for line in p.stdout.decode().splitlines()]
    assert [(r[0].strip(), r[1], r[2].strip()) for r in rows] == [("1", "DF001", "applied"), ("1", "DF002", "applied")]


def test_summary_counts_per_rule_and_refusals_per_reason(project):
    (project / "b.Dockerfile").write_bytes(b"FROM python:3.11\nUSER app\nRUN pip install flask\n")
    (project / "c.Dockerfile").write_bytes(b"FROM python:3.11\nUSER bob\nRUN pip install flask\n")
    err = dockfix("--check", ".", cwd=project).stderr.decode()
    assert "1 file would change, 2 left alone with reasons." in err
    assert "  DF001: 1 would fix\n" in err and "  DF002: 1 would fix, 2 refused\n" in err
    assert "Refusals by reason" not in err  # only with --statistics (tests/test_report_cli.py)


def test_unsafe_fixes_are_shown_not_applied(project, monkeypatch):
    (project / ".dockfix.toml").write_text("unsafe-fixes = true\n")
    p = dockfix("--no-unsafe-fixes", "--format", "json", "Dockerfile", cwd=project)
    assert p.returncode == 0 and json.loads(p.stdout)["files"][0]["outcome"] == "changed"


def test_config_and_cli(project):
    (project / "pyproject.toml").write_text('[tool.dockfix]\nignore = ["DF002"]\n')
    assert b"--mount" not in dockfix("Dockerfile", cwd=project).stdout
    assert b"--mount" in dockfix("--no-config", "Dockerfile", cwd=project).stdout
    (project / "pyproject.toml").write_text('[tool.dockfix]\nignore = ["DF002"]\nbogus = 1\n')
    p = dockfix("Dockerfile", cwd=project)
    assert p.returncode == 2 and "unknown key bogus" in p.stderr.decode()


def test_exclude_and_allow_empty(project):
    (project / "old").mkdir()
    (project / "old" / "Dockerfile").write_bytes(NAIVE)
    p = dockfix("--check", "--exclude", "old/", "--exclude", "/Dockerfile", ".", cwd=project)
    assert p.returncode == 0
    assert p.stderr.decode() == "warning: .: no Dockerfiles found in this directory (skipped: 2 excluded; --verbose lists them)\n"
    quiet = dockfix("--check", "--allow-empty", "--exclude", "old/", "--exclude", "/Dockerfile", ".", cwd=project)
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_unknown_format_is_a_usage_error(project):
    p = dockfix("--format", "xml", "Dockerfile", cwd=project)
    assert p.returncode == 2 and b"unknown format xml" in p.stderr


def test_sarif_for_stdin_has_no_locations(project):
    p = dockfix("--format", "sarif", "-", cwd=project, stdin=NAIVE)
    assert p.returncode == 0 and json.loads(p.stdout)["runs"][0]["results"] == []
