"""The issue's acceptance run: a tree of git repositories, the documented command, reports that validate."""

import json
import re
import shlex
import subprocess
import sys

import pytest

from _paths import ROOT
from _repos import EXPECTED_CHANGES, NAIVE, REPOS, changed_files, dockfix, git, make_tree, snapshot

jsonschema = pytest.importorskip("jsonschema")


def documented_command() -> list[str]:
    """The command every recipe in docs/bulk.md runs (the first block under "## The command")."""
    text = (ROOT / "docs" / "bulk.md").read_text()
    block = re.search(r"## The command.*?```sh\n(.*?)```", text, re.S).group(1)
    argv = shlex.split(block.strip())
    assert argv[0] == "dockfix"
    return argv[1:]


def test_tree_check_write_check(tmp_path):
    make_tree(tmp_path)
    before = snapshot(tmp_path)
    check = dockfix("--check", ".", cwd=tmp_path)
    assert check.returncode == 1 and check.stdout == b""
    assert snapshot(tmp_path) == before
    write = dockfix("--write", "--jobs", "2", ".", cwd=tmp_path)
    assert write.returncode == 0, write.stderr.decode()
    assert changed_files(before, snapshot(tmp_path)) == EXPECTED_CHANGES
    assert dockfix("--check", ".", cwd=tmp_path).returncode == 0


def test_documented_command_in_each_repository(tmp_path):
    """What multi-gitter, all-repos, turbolift and batch changes do: run it at each repository's root,
    then open a pull request when it exited 0 and `git status` shows changes."""
    make_tree(tmp_path)
    (tmp_path / "delta").mkdir()  # a repository without Dockerfiles: exit 0, no change
    git("init", "-q", cwd=tmp_path / "delta")
    prs = set()
    for repo in (*REPOS, "delta"):
        p = dockfix(*documented_command(), cwd=tmp_path / repo)
        assert p.returncode == 0 and p.stdout == b"", p.stderr.decode()
        assert p.stderr == b""  # --quiet
        for line in git("status", "--porcelain", cwd=tmp_path / repo).splitlines():
            prs.add(f"{repo}/{line[3:]}")
    assert prs == EXPECTED_CHANGES
    for repo in REPOS:
        assert dockfix("--check", ".", cwd=tmp_path / repo).returncode == 0


def test_a_failure_means_exit_2_and_no_pull_request(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "alpha/broken.dockerfile").write_bytes(b"FROM a\nRUN <<EOF\n")
    p = dockfix(*documented_command(), cwd=tmp_path / "alpha")
    assert p.returncode == 2
    (line,) = p.stderr.decode().splitlines()
    assert line.startswith("error: broken.dockerfile:2: unterminated heredoc")


def test_json_report_validates(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "alpha/broken.dockerfile").write_bytes(b"FROM a\nRUN <<EOF\n")
    (tmp_path / "gamma/Dockerfile").write_bytes(b"FROM python:3.11\nUSER app\n# dockfix: ignore[DF777]\nRUN pip install flask\n")
    p = dockfix("--format", "json", "--check", ".", cwd=tmp_path)
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    files = {f["path"]: f for f in doc["files"]}
    assert files["beta/docker/Dockerfile"]["context_source"] == "compose:beta/compose.yaml"
    assert files["alpha/broken.dockerfile"]["outcome"] == "failed"
    assert files["gamma/Dockerfile"]["warnings"] == ["line 3: unknown rule code DF777 in suppression comment"]
    assert {f["code"] for f in files["alpha/Dockerfile"]["fixes"]} == {"DF001", "DF002"}
    assert doc["summary"]["changed"] == 3 and doc["summary"]["failed"] == 1 and doc["mode"] == "check"


def test_sarif_shape(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "gamma/Dockerfile").write_bytes(b"FROM python:3.11\nUSER app\nRUN pip install flask\n")
    p = dockfix("--format", "sarif", ".", cwd=tmp_path)
    assert p.returncode == 0
    log = json.loads(p.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "dockfix"
    assert all(re.fullmatch(r"DF\d{3}", r["id"]) and r["shortDescription"]["text"] for r in rules)
    assert run["invocations"][0]["executionSuccessful"] is True
    levels = set()
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("warning", "note", "error", "none") and result["message"]["text"]
        (loc,) = result["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert (tmp_path / uri).is_file() and not uri.startswith(("/", "./"))
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        levels.add(result["level"])
    assert levels == {"warning", "note"}


def test_pre_commit_hook_entry(tmp_path):
    """Run each hook as pre-commit would: its entry with the staged files its patterns select."""
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    make_tree(tmp_path, {**{f"r/{k}": v for k, v in {
        "Dockerfile": NAIVE, "docker/api.Dockerfile": NAIVE, "Dockerfile.md": b"# notes\n", "requirements.txt": b"flask\n",
        "docker/requirements.txt": b"flask\n", "README.md": b"x\n",
    }.items()}}, ("r",))
    repo = tmp_path / "r"

    def run_hook(hook):
        staged = git("ls-files", cwd=repo).split()
        files = [f for f in staged if re.search(hook["files"], f) and not re.search(hook["exclude"], f)]
        assert files == ["Dockerfile", "docker/api.Dockerfile"]
        entry = shlex.split(hook["entry"])
        assert entry[0] == "dockfix"
        p = subprocess.run([sys.executable, "-m", "dockfix", *entry[1:], *files], cwd=repo, capture_output=True)
        modified = git("status", "--porcelain", cwd=repo) != ""
        return p.returncode == 0 and not modified  # pre-commit's verdict

    assert run_hook(hooks["dockfix-check"]) is False
    assert git("status", "--porcelain", cwd=repo) == ""
    assert run_hook(hooks["dockfix"]) is False  # fixed the files: the commit fails, the fix is to review
    git("commit", "-qam", "dockfix", cwd=repo)
    assert run_hook(hooks["dockfix"]) is True
    assert run_hook(hooks["dockfix-check"]) is True
