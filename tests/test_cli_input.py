"""What the command line accepts as a Dockerfile (issue 10, items 1 and 15), through the console script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import FIXED, NAIVE, dockfix, errors

NOTES = b"# Notes\n\nBuild with:\n\n```dockerfile\nFROM python:3.11\nCOPY . .\nRUN pip install -r requirements.txt\n```\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "NOTES.md").write_bytes(NOTES)
    return tmp_path


def test_write_star_fixes_the_dockerfile_and_refuses_the_rest(project):
    names = sorted(p.name for p in project.iterdir())  # what the shell's * gives
    p = dockfix("--write", *names, cwd=project)
    assert p.returncode == 2
    assert (project / "Dockerfile").read_bytes() == FIXED
    assert (project / "NOTES.md").read_bytes() == NOTES
    assert (project / "app.py").read_text() == "print('hi')\n"
    assert sorted(errors(p)) == [
        "error: NOTES.md: not a Dockerfile (a .md file); Dockerfiles are named Dockerfile, Dockerfile.*, *.Dockerfile or Containerfile",
        "error: app.py: not a Dockerfile (a .py file); Dockerfiles are named Dockerfile, Dockerfile.*, *.Dockerfile or Containerfile",
        "error: requirements.txt: not a Dockerfile (a .txt file); Dockerfiles are named Dockerfile, Dockerfile.*, *.Dockerfile or Containerfile",
    ]


def test_a_readme_named_alone_prints_no_diff(project):
    p = dockfix("NOTES.md", cwd=project)
    assert p.returncode == 2 and p.stdout == b"" and len(errors(p)) == 1


def test_a_file_of_another_kind_without_a_suffix_is_read_and_refused(project):
    (project / "LICENSE").write_text("MIT License\n\nPermission is hereby granted\n")
    p = dockfix("--write", "LICENSE", cwd=project)
    assert p.returncode == 2 and p.stdout == b""
    assert errors(p) == ["error: LICENSE: not a Dockerfile (line 1: unknown instruction: MIT)"]


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(b"FROM python:3.11\nRUNN echo hi\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)", id="typo"),
        pytest.param(b"FROM python:3.11\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO", id="unknown-word"),
        pytest.param(b"RUN pip install flask\nFROM python:3.11\n", "Dockerfile:1: RUN before the first FROM", id="before-from"),
    ],
)
def test_what_buildkit_rejects_is_one_line_exit_2_file_untouched(project, text, message):
    (project / "Dockerfile").write_bytes(text)
    p = dockfix("--write", "Dockerfile", cwd=project)
    assert p.returncode == 2
    assert len(errors(p)) == 1 and errors(p)[0].startswith(f"error: {message}"), p.stderr
    assert (project / "Dockerfile").read_bytes() == text


def test_a_template_is_left_alone_with_a_reason(project):
    template = b"FROM python:3.11\n{% if dev %}\nRUN pip install -r requirements-dev.txt\n{% endif %}\nCOPY . .\nRUN pip install -r requirements.txt\n"
    (project / "Dockerfile").write_bytes(template)
    p = dockfix("--write", "Dockerfile", cwd=project)
    assert p.returncode == 0 and (project / "Dockerfile").read_bytes() == template
    assert "Dockerfile:2: DF000 left alone: a Jinja/cookiecutter template ('{%' on line 2)" in p.stderr.decode()


def test_a_j2_file_named_explicitly_is_left_alone(project):
    (project / "Dockerfile.j2").write_bytes(NAIVE)
    p = dockfix("--write", "Dockerfile.j2", cwd=project)
    assert p.returncode == 0 and (project / "Dockerfile.j2").read_bytes() == NAIVE
    assert "Dockerfile.j2: DF000 left alone: a template (.j2): render it" in p.stderr.decode()


def test_discovery_skips_templates_and_says_so(project):
    (project / "Dockerfile.j2").write_bytes(NAIVE)
    (project / "{{cookiecutter.slug}}").mkdir()
    (project / "{{cookiecutter.slug}}" / "Dockerfile").write_bytes(NAIVE)
    p = dockfix("--write", "-v", ".", cwd=project)
    assert p.returncode == 0
    assert (project / "Dockerfile.j2").read_bytes() == NAIVE
    assert (project / "{{cookiecutter.slug}}" / "Dockerfile").read_bytes() == NAIVE
    err = p.stderr.decode()
    assert "Dockerfile.j2: skipped: a template (.j2)" in err
    assert "{{cookiecutter.slug}}/: skipped: a template folder (cookiecutter/Jinja)" in err


# --- item 15 -------------------------------------------------------------------------------------


def test_an_empty_directory_is_a_warning_naming_what_was_skipped(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".gitignore").write_text("build/\n")
    (tmp_path / "repo" / "build").mkdir()
    (tmp_path / "repo" / "build" / "Dockerfile").write_bytes(NAIVE)
    (tmp_path / "repo" / "env").mkdir()
    (tmp_path / "repo" / "env" / "pyvenv.cfg").write_text("")
    p = dockfix("--check", "repo", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == b""
    assert p.stderr.decode() == ("warning: repo: no Dockerfiles found in this directory "
                                 "(skipped: 1 gitignored, 1 virtual environment; --verbose lists them)\n")
    verbose = dockfix("--check", "-v", "repo", cwd=tmp_path).stderr.decode()
    assert "repo/build/: skipped: gitignored (repo/.gitignore)" in verbose
    assert "repo/env/: skipped: a virtual environment (pyvenv.cfg)" in verbose


def test_select_empty_is_an_error(project):
    p = dockfix("--select", "", "Dockerfile", cwd=project)
    assert p.returncode == 2 and errors(p) == ["error: --select needs at least one rule code (to run no rule, do not run dockfix)"]


def test_write_stdin_does_not_claim_a_file_was_written(project):
    p = dockfix("--write", "-", cwd=project, stdin=NAIVE)
    assert p.returncode == 0 and p.stdout == FIXED
    err = p.stderr.decode()
    assert "changed" not in err.replace("would change", "") and "fixed" not in err.replace("would fix", "")
    assert "1 file would change." in err


def test_a_template_mark_after_an_unknown_word_still_makes_it_a_template(project):
    template = b"FROM python:3.11\nRUNN x\n{{ extra_steps }}\n"
    (project / "Dockerfile").write_bytes(template)
    p = dockfix("--write", "Dockerfile", cwd=project)
    assert p.returncode == 0 and (project / "Dockerfile").read_bytes() == template
    assert "Dockerfile:3: DF000 left alone: a Jinja/cookiecutter template ('{{' on line 3)" in p.stderr.decode()


def test_an_unknown_word_under_a_custom_frontend_is_left_alone(project):
    text = b"# syntax=example.com/custom-frontend:1\nFROM python:3.11\nBUILDSTEP x\n"
    (project / "Dockerfile").write_bytes(text)
    p = dockfix("--write", "Dockerfile", cwd=project)
    assert p.returncode == 0 and (project / "Dockerfile").read_bytes() == text
    assert "Dockerfile:3: DF000 left alone: unknown instruction: BUILDSTEP, and the frontend example.com/custom-frontend:1" in p.stderr.decode()
    (project / "Dockerfile").write_bytes(text.replace(b"example.com/custom-frontend:1", b"docker/dockerfile:1.7"))
    assert dockfix("--write", "Dockerfile", cwd=project).returncode == 2  # the standard frontend rejects it


def test_home_of_the_run_user_does_not_depend_on_the_hash_seed(tmp_path):
    """``~`` in an ``rm`` is the RUN user's home under every hash seed (it was picked from a set)."""
    case = Path(__file__).resolve().parent.parent / "fixtures" / "DF002" / "user-tilde-rm-cache"
    outputs = set()
    for seed in ("0", "1", "2", "3", "5"):
        p = subprocess.run([sys.executable, "-m", "dockfix", str(case / "Dockerfile")], capture_output=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed, NO_COLOR="1"))
        assert p.returncode == 0, p.stderr
        outputs.add(p.stdout)
    assert len(outputs) == 1
    assert b"rm -rf" not in outputs.pop().split(b"+RUN --mount")[1]
