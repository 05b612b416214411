"""Every `dockfix ...` command of docs/bulk.md's shell examples, run as written on a tree of
repositories (``~/src/checkouts`` is that tree), through the installed console script."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from _paths import ROOT
from _repos import EXPECTED_CHANGES, REPOS, make_tree

DOC = (ROOT / "docs" / "bulk.md").read_text()


def documented_commands() -> list[str]:
    commands = []
    for body in re.findall(r"```sh\n(.*?)```", DOC, re.S):
        for line in body.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            m = re.search(r"(?:^|exec |foreach -- )(dockfix .*)$", line)
            if m:
                commands.append(m.group(1))
    return commands


COMMANDS = documented_commands()


def test_the_commands_are_found():
    assert COMMANDS == [
        "dockfix --write --quiet --allow-empty .",
        "dockfix --check --statistics ~/src/checkouts",
        "dockfix --format json --check ~/src/checkouts > dockfix.json",
        "dockfix --write --quiet --allow-empty .",
        "dockfix --write --quiet --allow-empty .",
    ]


@pytest.mark.parametrize("command", sorted(set(COMMANDS)))
def test_documented_command(tmp_path, command):
    beside = os.path.join(os.path.dirname(sys.executable), "dockfix")  # the environment running the tests
    exe = beside if os.path.exists(beside) else shutil.which("dockfix")
    if exe is None:
        pytest.skip("the dockfix console script is not installed")
    tree = make_tree(tmp_path / "checkouts")
    env = dict(os.environ, NO_COLOR="1")
    cmd = command.replace("~/src/checkouts", str(tree)).replace("dockfix ", f"{exe} ", 1)
    if cmd.endswith(" ."):  # run at the root of each repository, as the recipes do
        for repo in REPOS:
            p = subprocess.run(cmd, shell=True, cwd=tree / repo, capture_output=True, text=True, env=env)
            assert p.returncode == 0 and p.stdout == "" and "Traceback" not in p.stderr, p.stderr
        for rel in EXPECTED_CHANGES:
            assert b"COPY requirements.txt" in (tree / rel).read_bytes() or b"--mount" in (tree / rel).read_bytes(), rel
        return
    p = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert p.returncode == 1, p.stderr  # --check: files would change
    assert "Traceback" not in p.stderr and "error:" not in p.stderr
    if "--statistics" in command:
        assert p.stderr == "" and re.search(r"^\s+\d+\tDF001\tapplied", p.stdout, re.M), p.stdout
    else:
        doc = json.loads((tmp_path / "dockfix.json").read_text())
        assert doc["summary"]["changed"] == len(EXPECTED_CHANGES)
