"""Finding Dockerfiles: explicit files, and the Dockerfiles inside directories."""

from __future__ import annotations

import fnmatch
import os

DOCKERFILE_PATTERNS = ("dockerfile", "dockerfile.*", "*.dockerfile", "containerfile", "containerfile.*")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache"}


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith((".md", ".txt", ".orig", ".rej", ".bak", ".swp")) or lower.endswith("ignore"):
        return False
    return any(fnmatch.fnmatchcase(lower, p) for p in DOCKERFILE_PATTERNS)


def find_dockerfiles(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg")))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if is_dockerfile_name(name) and os.path.isfile(full):
                found.append(full)
    return found


def expand_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """(files, errors): directories become the Dockerfiles below them."""
    files: list[str] = []
    errors: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = find_dockerfiles(p)
            if not found:
                errors.append(f"{p}: no Dockerfiles found in this directory")
            files.extend(found)
        elif os.path.exists(p):
            files.append(p)
        else:
            errors.append(f"{p}: No such file or directory")
    return files, errors
