"""The run as a process (issue 10, items 2, 3 and 6): Ctrl-C to the process group, read-only files
for a user who is not root, stdout closed early. Through the console script."""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from _cli import FIXED, NAIVE, console_script, dockfix, env, errors

NOBODY = 65534


def make_files(root: pathlib.Path, n: int) -> list[pathlib.Path]:
    files = []
    for k in range(n):
        d = root / f"svc{k:04d}"
        d.mkdir(parents=True)
        (d / "requirements.txt").write_text("flask\n")
        (d / "Dockerfile").write_bytes(NAIVE)
        files.append(d / "Dockerfile")
    return files


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("jobs", [pytest.param("1", id="one-process"), pytest.param("2", id="pool")])
def test_ctrl_c_stops_cleanly(tmp_path, jobs):
    files = make_files(tmp_path, 600)
    proc = subprocess.Popen([*console_script(), "--write", "--jobs", jobs, "."], cwd=tmp_path, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # interrupt once some files are written
        if sum(f.read_bytes() == FIXED for f in files[:60]) >= 5:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends: to every process of the group
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("still running 60 s after Ctrl-C")
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text
    lines = text.splitlines()
    # Each file processed before the interrupt was explained as it finished; then one line.
    explained = [line for line in lines[:-1] if re.match(r"svc\d{4}/Dockerfile:\d+: DF00\d fixed: ", line)]
    assert explained == lines[:-1], text
    m = re.fullmatch(r"interrupted: (\d+) files? written, (\d+) not processed", lines[-1])
    assert m, lines[-1]
    written, not_processed = int(m.group(1)), int(m.group(2))
    contents = [f.read_bytes() for f in files]
    assert all(c in (NAIVE, FIXED) for c in contents)  # old or new, never half-written
    assert contents.count(FIXED) == written and written + not_processed == len(files) and not_processed > 0
    assert not [p for p in tmp_path.rglob(".dockfix-*")]  # no temporary file left
    time.sleep(0.2)
    assert not group_alive(proc.pid), "a worker process outlived the run"


# --- read-only files, as a user who is not root ------------------------------------------------


def as_nobody() -> list[str]:
    """setpriv to an unprivileged user that may still read (not write) the interpreter's files."""
    if os.geteuid() != 0:
        return []  # already not root
    if not shutil.which("setpriv"):
        pytest.skip("setpriv(1) is needed to drop root")
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]


@pytest.fixture
def owned_project():
    root = pathlib.Path(tempfile.mkdtemp(prefix="dockfix-ro-"))
    (root / "Dockerfile").write_bytes(NAIVE)
    (root / "requirements.txt").write_text("flask\n")
    if os.geteuid() == 0:
        for p in (root, root / "Dockerfile", root / "requirements.txt"):
            os.chown(p, NOBODY, NOBODY)
    yield root
    os.chmod(root, 0o755)
    shutil.rmtree(root)


def run_as_user(args, cwd):
    p = subprocess.run([*as_nobody(), *console_script(), *args], cwd=cwd, env=env(), capture_output=True, timeout=120)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


def test_a_read_only_file_is_refused(owned_project):
    os.chmod(owned_project / "Dockerfile", 0o444)
    p = run_as_user(["--write", "Dockerfile"], owned_project)
    assert p.returncode == 2
    assert errors(p) == ["error: Dockerfile: cannot write: Permission denied (the file is read-only)"]
    assert (owned_project / "Dockerfile").read_bytes() == NAIVE
    assert sorted(os.listdir(owned_project)) == ["Dockerfile", "requirements.txt"]


def test_a_read_only_folder_is_refused(owned_project):
    os.chmod(owned_project, 0o555)
    p = run_as_user(["--write", "Dockerfile"], owned_project)
    assert p.returncode == 2
    assert errors(p) == [f"error: Dockerfile: cannot write: Permission denied (its folder {owned_project} is read-only)"]
    assert (owned_project / "Dockerfile").read_bytes() == NAIVE


def test_the_user_can_write_what_is_writable(owned_project):
    p = run_as_user(["--write", "Dockerfile"], owned_project)
    assert p.returncode == 0 and (owned_project / "Dockerfile").read_bytes() == FIXED
    if os.geteuid() == 0:
        assert os.stat(owned_project / "Dockerfile").st_uid == NOBODY


# --- stdout closed early -----------------------------------------------------------------------


def test_head_closes_the_pipe_quietly(tmp_path):
    make_files(tmp_path, 300)  # diffs well beyond a pipe's buffer
    script = " ".join(f"'{w}'" for w in console_script())
    p = subprocess.run(["bash", "-c", f"{script} . | head -1; echo \"status=${{PIPESTATUS[0]}}\" >&2"],
                       cwd=tmp_path, env=env(), capture_output=True, timeout=300)
    assert p.stdout.decode().startswith("--- svc0000/Dockerfile") and p.stdout.count(b"\n") == 1
    err = p.stderr.decode()
    assert "Broken pipe" not in err and "error" not in err and "Traceback" not in err, err
    assert err.splitlines()[-1] == "status=141"  # as a tool ended by SIGPIPE; no message


def test_json_into_a_closed_pipe_is_quiet(tmp_path):
    make_files(tmp_path, 30)
    proc = subprocess.Popen([*console_script(), "--format", "json", "."], cwd=tmp_path, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Broken pipe" not in err and "Traceback" not in err, err
