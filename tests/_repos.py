"""A tree of git repositories to run bulk tests on (scratch repositories under tmp)."""

import os
import pathlib
import subprocess
import sys

NAIVE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"
FIXED = (
    b"FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
    b"RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
)
# Built from the repository root by compose.yaml: requirements.txt is not beside it.
FROM_ROOT = b"FROM python:3.11-slim\nWORKDIR /srv\nCOPY . .\nRUN pip install -r requirements.txt\n"

TREE = {
    # alpha: .gitignore with a negation; ignored and vendored folders hold naive Dockerfiles too
    "alpha/.gitignore": b"build/\n*.Dockerfile\n!keep.Dockerfile\n",
    "alpha/Dockerfile": NAIVE,
    "alpha/keep.Dockerfile": NAIVE,
    "alpha/other.Dockerfile": NAIVE,
    "alpha/build/Dockerfile": NAIVE,
    "alpha/node_modules/pkg/Dockerfile": NAIVE,
    "alpha/.venv/Dockerfile": NAIVE,
    "alpha/requirements.txt": b"flask\n",
    # beta: a Dockerfile in docker/ built from the root (compose), a nested .gitignore, a fixed file
    "beta/compose.yaml": b"services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n",
    "beta/docker/Dockerfile": FROM_ROOT,
    "beta/requirements.txt": b"flask\n",
    "beta/Dockerfile.prod": FIXED,
    "beta/services/.gitignore": b"old/\n",
    "beta/services/old/Dockerfile": NAIVE,
    "beta/services/requirements.txt": b"flask\n",
    # gamma: a file-level suppression and a file with nothing to do
    "gamma/Containerfile": b"# dockfix: skip-file\n" + NAIVE,
    "gamma/requirements.txt": b"flask\n",
    "gamma/api.dockerfile": b"FROM python:3.11-slim\nCMD [\"python\"]\n",
}
EXPECTED_CHANGES = {"alpha/Dockerfile", "alpha/keep.Dockerfile", "beta/docker/Dockerfile"}
REPOS = ("alpha", "beta", "gamma")


def git(*args, cwd):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def make_tree(root: pathlib.Path, tree=TREE, repos=REPOS) -> pathlib.Path:
    for rel, data in tree.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for repo in repos:
        git("init", "-q", "-b", "main", cwd=root / repo)
        git("add", "-A", cwd=root / repo)
        git("commit", "-q", "-m", "initial", cwd=root / repo)
    return root


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and ".git" not in p.relative_to(root).parts
    }


def changed_files(before: dict, after: dict) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def dockfix(*args, cwd, stdin=b""):
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([sys.executable, "-m", "dockfix", *args], cwd=cwd, input=stdin, capture_output=True, env=env)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p
