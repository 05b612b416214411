"""Running the installed console script, as users do."""

import os
import pathlib
import shutil
import subprocess
import sys

ROOT_README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
NAIVE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"
FIXED = (
    b"FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
    b"RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
)


def console_script() -> list[str]:
    """The ``dockfix`` console script of this environment (``python -m dockfix`` without one)."""
    script = pathlib.Path(sys.executable).parent / "dockfix"
    if script.exists():
        return [str(script)]
    found = shutil.which("dockfix")
    return [found] if found else [sys.executable, "-m", "dockfix"]


def env(**extra) -> dict:
    out = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    out["NO_COLOR"] = "1"
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


def dockfix(*args, cwd, stdin=b"", extra_env=None):
    p = subprocess.run([*console_script(), *args], cwd=cwd, input=stdin, capture_output=True, env=env(**(extra_env or {})), timeout=300)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


def errors(p) -> list[str]:
    return [line for line in p.stderr.decode().splitlines() if line.startswith("error:")]
