"""dockfix verify without Docker: progress parsing, what the comparison ignores, the simulated
code change, and one-line exit-2 messages for a missing Docker, daemon or BuildKit.
The real builds are in tests/integration (marker ``integration``)."""

import json
import os
import stat
import subprocess
import sys

import pytest

from dockfix.cli.verify import is_ignored, parse_progress, simulate_code_change, strip_syntax, verify_main

PROGRESS = """\
#1 [internal] load build definition from original.Dockerfile
#1 DONE 0.0s
#5 [build 1/4] FROM docker.io/library/python:3.11-slim
#5 DONE 0.0s
#6 [build 2/4] WORKDIR /src
#6 CACHED
#7 [build 3/4] COPY requirements.txt .
#7 DONE 0.1s
#8 [build 4/4] RUN --mount=type=cache,target=/root/.cache/pip pip install --prefix=/install -r requirements.txt
#8 0.693 Collecting requests
#8 DONE 1.3s
#9 [stage-1 2/3] COPY --from=build /install /usr/local
#9 ERROR: failed to copy
#10 [stage-1 3/3] RUN uv sync --locked
#10 CACHED
#11 [stage-1 4/4] RUN python -m compileall . && pip3 list
#11 DONE 0.5s
"""


def test_parse_progress_steps_cache_and_install_steps():
    steps = parse_progress(PROGRESS)
    assert [s.name.split("]")[0] + "]" for s in steps] == [
        "[build 1/4]", "[build 2/4]", "[build 3/4]", "[build 4/4]",
        "[stage-1 2/3]", "[stage-1 3/3]", "[stage-1 4/4]",
    ]
    by = {s.name.split("]")[0] + "]": s for s in steps}
    assert by["[build 2/4]"].cached and not by["[build 3/4]"].cached
    assert by["[build 4/4]"].seconds == 1.3
    assert by["[stage-1 2/3]"].failed
    assert [s.name.split("]")[0] + "]" for s in steps if s.install] == ["[build 4/4]", "[stage-1 3/3]"]


@pytest.mark.parametrize(
    "path, ignored",
    [
        ("/root/.cache", False),  # cache folders and their parents are compared (owner, mode)
        ("/root/.cache/pip", False),
        ("/root/.cache/pip/http/a", True),
        ("/home/app/.cache/pip/x", True),
        ("/opt/app-root/src/.cache/uv/archive-v0/x", True),
        ("/root/.cache/pypoetry/artifacts/a/b.whl", True),
        ("/root/.cache/pypoetry/virtualenvs/app-py3.11/bin/python", False),  # the image's environment
        ("/usr/local/lib/python3.11/site-packages/flask/__pycache__", True),
        ("/app/x.pyc", True),
        ("/tmp", False),  # the folder itself (mode 1777) is compared, its contents not
        ("/tmp/pip-build", True),
        ("/var/cache/apt/archives/x.deb", True),
        ("/var/lib/apt/lists/lock", True),
        ("/var/lib/apt/extended_states", False),
        ("/var/log/dpkg.log", True),
        ("/etc/hosts", True),
        ("/etc/hostsx", False),
        ("/app/app.py", False),
        ("/root/.cachefile", False),
        ("/usr/local/lib/python3.11/site-packages/flask-3.1.3.dist-info/RECORD", False),
    ],
)
def test_ignored_paths(path, ignored):
    assert is_ignored(path) is ignored


def test_strip_syntax_keeps_other_directives_and_bom():
    data = b"\xef\xbb\xbf# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n"
    assert strip_syntax(data) == (b"\xef\xbb\xbf# escape=`\nFROM x\n", "# syntax=docker/dockerfile:1")
    later = b"FROM x\n# syntax=docker/dockerfile:1\n"
    assert strip_syntax(later) == (later, None)
    after_comment = b"# hello\n# syntax=docker/dockerfile:1\nFROM x\n"
    assert strip_syntax(after_comment) == (after_comment, None)


def test_code_change_picks_a_shallow_source_file_not_a_manifest_nor_ignored(tmp_path):
    for rel in ["setup.py", "requirements/dev.py", "build/gen.py", "pkg/deep/mod.py", "pkg/mod.py", ".hidden/a.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    (tmp_path / ".dockerignore").write_text("# comment\nbuild\n")
    assert simulate_code_change(tmp_path) == "appended a comment to pkg/mod.py"
    assert (tmp_path / "pkg/mod.py").read_text().startswith("x = 1\n\n# dockfix verify: simulated code change ")
    assert (tmp_path / "setup.py").read_text() == "x = 1\n"
    first = (tmp_path / "pkg/mod.py").read_text()
    simulate_code_change(tmp_path)
    assert (tmp_path / "pkg/mod.py").read_text() != first + first[len("x = 1\n") :], "each change is unique"


def test_code_change_honours_negation_and_falls_back_to_a_new_file(tmp_path):
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    (tmp_path / ".dockerignore").write_text("*.py\n!b.py\n")
    assert simulate_code_change(tmp_path) == "appended a comment to b.py"
    (tmp_path / ".dockerignore").write_text("*.py\n")
    assert simulate_code_change(tmp_path) == "added dockfix_verify_change.py"


def fake_docker(tmp_path, script):
    exe = tmp_path / "docker"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


NO_BUILDX = ('case "$1" in build) echo "ERROR: BuildKit is enabled but the buildx component is missing or broken."'
             "; exit 1;; esac; echo 28.2.2")
LEGACY = 'case "$1" in build) printf "Step 1/2 : FROM scratch\\nSuccessfully built 0123abcd\\n";; esac; echo 20.10'
# a client with BuildKit built in: the probe's plain progress, the daemon's version
WORKING = 'case "$1" in build) echo "#1 [internal] load build definition from Dockerfile";; esac; echo 20.10.24'


@pytest.mark.parametrize(
    "script, message",
    [
        (None, "DOCKFIX_DOCKER={exe}: no such program; point it at a Docker client, or unset it"),
        (
            'echo "Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?"; exit 1',
            "the Docker daemon is not reachable: Cannot connect to the Docker daemon at unix:///x.sock. "
            "Is the docker daemon running?; start it, or set DOCKER_HOST",
        ),
        (
            NO_BUILDX,
            "BuildKit is not available with {exe} (ERROR: BuildKit is enabled but the buildx component is missing or broken.): "
            "install the buildx plugin for it (from Docker's apt repository: apt-get install docker-buildx-plugin",
        ),
        (LEGACY, "BuildKit is not available with {exe} (the legacy builder answered): install Docker 23 or later"),
    ],
)
def test_environment_problems_exit_2_with_one_line(tmp_path, monkeypatch, capsys, script, message):
    exe = fake_docker(tmp_path, script) if script else tmp_path / "no-docker"
    monkeypatch.setenv("DOCKFIX_DOCKER", str(exe))
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    assert verify_main([tmp_path / "Dockerfile"], None) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: " + message.format(exe=exe)), err
    assert err.count("\n") == 1


def clients(tmp_path, *scripts):
    """Fake docker clients in their own folders, the PATH listing them in order."""
    dirs = []
    for k, script in enumerate(scripts):
        d = tmp_path / f"bin{k}"
        d.mkdir()
        fake_docker(d, script)
        dirs.append(str(d))
    return os.pathsep.join(dirs)


def test_a_client_without_buildx_is_passed_over_for_one_with_buildkit(tmp_path, monkeypatch):
    from dockfix.cli.verify import Docker

    monkeypatch.delenv("DOCKFIX_DOCKER", raising=False)
    monkeypatch.setattr("dockfix.cli.buildkit.WELL_KNOWN", ())
    monkeypatch.setenv("PATH", clients(tmp_path, NO_BUILDX, WORKING))
    d = Docker.detect()
    assert d.exe == str(tmp_path / "bin1" / "docker")
    assert d.note == (f"using {tmp_path / 'bin1' / 'docker'}; {tmp_path / 'bin0' / 'docker'} passed over: "
                      "ERROR: BuildKit is enabled but the buildx component is missing or broken.")


def test_no_client_with_buildkit_says_which_were_tried_and_what_to_do(tmp_path, monkeypatch):
    from dockfix.cli.verify import Docker, VerifyError

    monkeypatch.delenv("DOCKFIX_DOCKER", raising=False)
    monkeypatch.setattr("dockfix.cli.buildkit.WELL_KNOWN", ())
    monkeypatch.setenv("PATH", clients(tmp_path, NO_BUILDX, LEGACY))
    with pytest.raises(VerifyError) as e:
        Docker.detect()
    assert str(e.value).startswith(f"BuildKit is not available with {tmp_path / 'bin0' / 'docker'} (ERROR: BuildKit is enabled "
                                   f"but the buildx component is missing or broken.) (also tried: {tmp_path / 'bin1' / 'docker'}): "
                                   "install the buildx plugin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(VerifyError, match="^docker not found: install Docker"):
        Docker.detect()


def verify_cli(*args, cwd, path):
    env = dict(os.environ, PATH=path, NO_COLOR="1")
    env.pop("DOCKFIX_DOCKER", None)
    p = subprocess.run([sys.executable, "-m", "dockfix", "verify", *args], cwd=cwd, capture_output=True, env=env)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_verify_through_the_console_script(tmp_path, monkeypatch):
    """Nothing to rewrite, so nothing is built: the client is found, the report is on stdout."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCMD [\"python\"]\n")
    path = clients(tmp_path, NO_BUILDX, WORKING) + os.pathsep + os.path.dirname(sys.executable)
    code, out, err = verify_cli("Dockerfile", cwd=tmp_path, path=path)
    assert code == 0, err
    assert out == "Dockerfile (context .): unchanged\n  note: dockfix: unchanged\n"
    assert f"dockfix verify: using {tmp_path / 'bin1' / 'docker'}; {tmp_path / 'bin0' / 'docker'} passed over" in err
    code, out, err = verify_cli("--format", "JSON", "Dockerfile", cwd=tmp_path, path=path)
    assert code == 0 and json.loads(out)[0]["status"] == "unchanged"
    for args, message in [
        (["--select", "DF123", "Dockerfile"], "error: unknown rule code DF123 (known: DF001, DF003, DF002, DF004)\n"),
        (["nope"], "error: no such Dockerfile: nope\n"),
        (["--context", "nope", "Dockerfile"], "error: nope: build context is not a directory\n"),
        (["--format", "xml", "Dockerfile"], "error: argument --format: invalid choice: 'xml' (choose from 'text', 'json') "
                                            "(see dockfix verify --help)\n"),
    ]:
        code, out, err = verify_cli(*args, cwd=tmp_path, path=path)
        assert (code, out, err) == (2, "", message)


def test_missing_dockerfile_exits_2(tmp_path, capsys):
    assert verify_main([tmp_path / "nope"], None) == 2
    assert capsys.readouterr().err == f"error: no such Dockerfile: {tmp_path / 'nope'}\n"


def test_cli_help_and_usage_errors(capsys):
    from dockfix.cli.verify import cli

    assert cli(["--help"]) == 0
    assert "usage: dockfix verify" in capsys.readouterr().out
    assert cli([]) == 2
    assert capsys.readouterr().err.startswith("error: the following arguments are required: PATH")
