"""Time per size for generated large Dockerfiles: a super-linear step shows as a jump.

    .venv/bin/python bench/sizes.py [--max-scale 1.0] [--kinds env,stages,run,includes] [--repeat 1]

Each kind is generated at 1/8, 1/4, 1/2 and 1 of its full size (the full sizes are the
pathological inputs of the issues: 20,000 ENV lines, 500 chained stages each FROM the previous
with a pip install, a 1 MB RUN split over continuation lines, 500 nested ``-r`` includes). For each
size it prints the time of the reader alone and of the whole library call (``fix_bytes``: rules,
fixes, verification), the time per unit, and the ratio to the previous size: with linear cost
that ratio stays near 2 (each size doubles the previous one); 4 means quadratic.
Run in one process, one file at a time, after a warm-up call; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dockfix.api import fix_bytes  # noqa: E402
from dockfix.dockerfile.reader import read  # noqa: E402


def env_lines(n: int, folder: Path) -> bytes:
    body = "".join(f"ENV VAR_{i}=value_{i}\n" for i in range(n))
    return ("FROM python:3.12-slim\nWORKDIR /app\n" + body + "COPY . .\nRUN pip install -r requirements.txt\n").encode()


def chained_stages(n: int, folder: Path) -> bytes:
    out = ["FROM python:3.12-slim AS s0\nRUN pip install pkg0\n"]
    out += [f"FROM s{i - 1} AS s{i}\nRUN pip install pkg{i}\n" for i in range(1, n)]
    return "".join(out).encode()


def continued_run(size: int, folder: Path) -> bytes:
    lines, total, i = ["FROM python:3.12-slim\nRUN pip install \\\n"], 0, 0
    while total < size:
        line = f"    package-number-{i:07d}==1.0 \\\n"
        lines.append(line)
        total += len(line)
        i += 1
    lines.append("    last-package\n")
    return "".join(lines).encode()


def nested_includes(n: int, folder: Path) -> bytes:
    for i in range(n):
        name = "requirements.txt" if i == 0 else f"req{i}.txt"
        nxt = f"-r req{i + 1}.txt\n" if i + 1 < n else ""
        (folder / name).write_text(f"{nxt}package{i}==1.0\n")
    (folder / "app.py").write_text("print('hi')\n")
    return b"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"


KINDS = {
    "env": ("ENV lines", 20_000, env_lines),
    "stages": ("chained stages", 500, chained_stages),
    "run": ("bytes of one RUN", 1_000_000, continued_run),
    "includes": ("nested -r includes", 500, nested_includes),
}


def timed(fn, repeat: int) -> float:
    from dockfix.rules import _parsed_script

    best = float("inf")
    for _ in range(repeat):
        _parsed_script.cache_clear()  # each repetition reads the file as a first run does
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--max-scale", type=float, default=1.0, help="fraction of the full sizes to go up to")
    ap.add_argument("--repeat", type=int, default=1, help="best of N timings per size")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dockfix-sizes-") as tmp:
        warm = Path(tmp) / "warm"
        warm.mkdir()
        fix_bytes(env_lines(10, warm), str(warm / "Dockerfile"), warm)
        print(f"{'kind':<10}{'size':>10}  {'unit':<20}{'bytes':>10}{'read ms':>10}{'fix ms':>11}"
              f"{'fix µs/unit':>13}{'x prev':>8}  outcome")
        for kind in args.kinds.split(","):
            unit, full, make = KINDS[kind]
            prev = None
            for frac in (1 / 8, 1 / 4, 1 / 2, 1):
                n = max(1, int(full * frac * args.max_scale))
                folder = Path(tmp) / f"{kind}-{n}"
                folder.mkdir()
                (folder / "requirements.txt").exists() or (folder / "requirements.txt").write_text("flask\n")
                data = make(n, folder)
                path = str(folder / "Dockerfile")
                t_read = timed(lambda: read(data, path), args.repeat)
                holder = {}
                t_fix = timed(lambda: holder.update(r=fix_bytes(data, path, folder)), args.repeat)
                r = holder["r"]
                what = r.outcome + (f" ({r.error})" if r.error else f", {len(r.fixes)} fixes")
                step = f"{t_fix / prev:7.1f}x" if prev else f"{'':>8}"
                print(f"{kind:<10}{n:>10}  {unit:<20}{len(data):>10}{t_read * 1000:10.1f}{t_fix * 1000:11.1f}"
                      f"{t_fix / n * 1e6:13.2f}{step}  {what[:70]}", flush=True)
                prev = t_fix


if __name__ == "__main__":
    main()
