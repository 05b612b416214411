"""The checks behind carrying a RUN that uses the copied files down with the broad COPY
(``rules.reorder.carry``): when two effects commute, what a carried step reads, the install's
effect; end to end through ``fix_bytes``."""

import pytest

from dockfix.api import fix_bytes
from dockfix.dockerfile.model import Settings
from dockfix.rules.reorder.carry import meets
from dockfix.shell.commands import BUILTINS
from dockfix.shell.effect_types import Access, Effect

DF001 = Settings(select=frozenset({"DF001"}))


def eff(reads=(), writes=(), **kw):
    return Effect("x", frozenset(reads), frozenset(writes), **kw)


def test_reads_never_meet_reads():
    assert meets(eff(reads=[Access("/etc/passwd")]), eff(reads=[Access("/etc/passwd")])) is None


@pytest.mark.parametrize("a, b", [
    (eff(writes=[Access("/app/a")]), eff(reads=[Access("/app/a")])),  # b reads what a writes
    (eff(reads=[Access("/app/a")]), eff(writes=[Access("/app", tree=True)])),  # b writes the tree a reads from
    (eff(writes=[Access("/app/a")]), eff(writes=[Access("/app")])),  # b makes the folder a writes into
    (eff(reads=[Access("/bin/chmod")]), eff(writes=[Access("/usr/bin", tree=True)])),  # merged-usr twins
    (eff(reads=[Access("/usr/lib/x.so")]), eff(writes=[Access("/lib", tree=True)])),
    (eff(reads=[Access("/etc/ssl/x")]), eff(system=True)),  # OS packages write below /etc
    (eff(writes=[Access("/app/a")]), eff(reads=[Access("/x")], configs=frozenset({"~/.pip/pip.conf"}))),
    (eff(writes=[Access("/app/a")]), eff(writes_anything=True)),
    (eff(writes=[Access("/app/a")]), eff(reads_anything=True)),
    (eff(writes=[Access("/app/a")]), eff(reads=[Access("/${X#0}/a")])),  # an unknown part meets everything
])
def test_meets(a, b):
    assert meets(a, b) is not None


@pytest.mark.parametrize("a, b", [
    (eff(writes=[Access("/app/a")]), eff(writes=[Access("/usr/local", tree=True)], reads=[Access("/etc/pip.conf")])),
    (eff(writes=[Access("/app/a", mkdir=True)]), eff(writes=[Access("/app/a", mkdir=True)])),  # two mkdir -p
    (eff(reads=[Access("/bin/sh")]), eff(writes=[Access("/usr/local", tree=True)])),
    (eff(reads=[Access("/app/a")]), eff(reads_anything=True)),  # b only reads
])
def test_commutes(a, b):
    assert meets(a, b) is None


def test_builtins_are_builtins_of_every_shell():
    # programs the effect model treats as touching nothing but that are looked up on PATH, and
    # bash's pushd/popd, which dash looks up on PATH
    for program in ("sleep", "id", "whoami", "uname", "nproc", "arch", "env", "cat", "chmod", "pushd", "popd"):
        assert program not in BUILTINS


def _fix(tmp_path, dockerfile, files=None):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "settings.env").write_text("A=1\n")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    return fix_bytes(dockerfile.encode(), str(tmp_path / "Dockerfile"), tmp_path, DF001)


HEAD = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n"


@pytest.mark.parametrize("step, install, why", [
    # sleep is no shell builtin: looked up on PATH, where the install writes console scripts
    ("RUN sleep 1 && echo x >> settings.env", "RUN /usr/local/bin/pip install -r requirements.txt",
     "which it reads (/usr/local/bin/sleep)"),
    # a pip found on PATH may be any of the PATH's pips, with /usr among their prefixes: /bin/sh too
    ("RUN echo x >> settings.env", "RUN pip install -r requirements.txt", "which it reads (/bin/sh)"),
    ("RUN echo x >> settings.env && python3 -c 1", "RUN /usr/local/bin/pip install -r requirements.txt", "runs Python"),
    ("RUN PATH=/opt/x:$PATH && echo x >> settings.env", "RUN /opt/venv/bin/pip install -r requirements.txt", "sets PATH"),
    ("RUN echo x >> settings.env && ./tool", "RUN /opt/venv/bin/pip install -r requirements.txt", "not fully known"),
    # a user-site install writes the home's .local; the step reads the account files only: fine,
    # but the install also reads the .local the step writes into
    ("RUN echo x >> settings.env && echo y > /root/.local/z", "RUN /usr/local/bin/pip install --user -r requirements.txt",
     "/root/.local"),
    ("RUN echo x >> settings.env", "RUN /usr/local/bin/pip install -r requirements.txt\nUSER nobody", None),
])
def test_carry_end_to_end(tmp_path, step, install, why):
    r = _fix(tmp_path, HEAD + step + "\n" + install + "\n")
    if why is None:
        assert r.outcome == "changed", r.skips
        assert r.patched.decode().endswith(f"COPY . .\n{step}\nUSER nobody\n"), r.patched.decode()
        return
    assert r.outcome != "changed", r.patched.decode()
    assert any(why in s.reason and "cannot move below the install" in s.reason for s in r.skips), [s.reason for s in r.skips]


def test_carried_steps_keep_their_order_and_comments(tmp_path):
    text = HEAD + "# one\nRUN echo 1 >> settings.env\n# two\nRUN echo 2 >> settings.env\nRUN /usr/local/bin/pip install -r requirements.txt\n"
    r = _fix(tmp_path, text)
    assert r.outcome == "changed", r.skips
    assert r.patched.decode().endswith(
        "RUN /usr/local/bin/pip install -r requirements.txt\nCOPY . .\n# one\nRUN echo 1 >> settings.env\n"
        "# two\nRUN echo 2 >> settings.env\n"), r.patched.decode()
    again = fix_bytes(r.patched, str(tmp_path / "Dockerfile"), tmp_path, DF001)
    assert again.outcome == "unchanged"


def test_an_exec_form_run_is_not_carried(tmp_path):
    # without a shell even echo is a program looked up on PATH (the reader leaves exec-form RUNs
    # unread today, so this guard is reached directly)
    from dockfix.build.context import BuildContext
    from dockfix.dockerfile.reader import read
    from dockfix.rules import Facts
    from dockfix.rules.reorder.carry import _Stuck, carried_effect

    df = read(b'FROM python:3.11-slim\nRUN ["echo", "x"]\n')
    facts = Facts(df, BuildContext(tmp_path), Settings())
    with pytest.raises(_Stuck, match="exec form"):
        carried_effect(facts, df.instructions[1])
