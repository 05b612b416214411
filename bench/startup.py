"""Start-up cost of a single-file ``dockfix --check``, and where a process pool starts to pay.

    .venv/bin/python bench/startup.py [--repeat 21] [--sizes 8,16,24,48,96,192] [--other PATH/bin/dockfix]

Part 1 runs, interleaved so that the machine's load hits each alike, ``python -c pass`` in the
same environment, the import of the library alone, and the console script on one Dockerfile
(``--check`` and ``--version``), and with ``--other`` another installed dockfix (an older
version, say) the same way; it prints the median wall time and CPU time (user + system) of
each and its ratio to ``python -c pass`` (issue 11's target: single-file check at most 5x).

Part 2 lists the modules whose import costs most (``-X importtime`` self time, which includes
the classes and regular expressions each builds at import).

Part 3 times ``dockfix --check`` over generated trees of N files with ``--jobs 1`` and with a pool
of every core, interleaved, and prints the wall-time ratio and the CPU each used (user + system,
workers included): the smallest N where the pool wins is where ``runner.MIN_PARALLEL`` belongs.
The wall times mean something only on an otherwise idle machine: under the kernel's autogroup
scheduling a busy machine gives a terminal session one share whatever its number of processes,
so there the pool cannot win; its CPU overhead is measured either way.

Bytecode is written (PYTHONDONTWRITEBYTECODE is dropped) because an installed package has it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["NO_COLOR"] = "1"
DOCKERFILE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"
LIBRARY = "import os, dockfix.api, dockfix.engine, dockfix.rules, dockfix.build.context, dockfix.targets.config; os._exit(0)"


def timed(cmd, cwd) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``cmd``."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime


def interleaved(cases: dict, repeat: int, cwd) -> dict:
    runs = {name: [] for name in cases}
    for name, cmd in cases.items():  # warm the caches (and write bytecode) once
        timed(cmd, cwd)
    for _ in range(repeat):
        for name, cmd in cases.items():
            runs[name].append(timed(cmd, cwd))
    return {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}


def startup(repeat: int, other: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Dockerfile").write_bytes(DOCKERFILE)
        (Path(tmp) / "requirements.txt").write_text("flask\n")
        py, dockfix = str(BIN / "python"), str(BIN / "dockfix")
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "import the library (os._exit)": [py, "-c", LIBRARY],
            "dockfix --version": [dockfix, "--version"],
            "dockfix --check Dockerfile": [dockfix, "--check", "Dockerfile"],
        }
        if other:
            cases["other: dockfix --version"] = [other, "--version"]
            cases["other: dockfix --check Dockerfile"] = [other, "--check", "Dockerfile"]
        got = interleaved(cases, repeat, tmp)
    base_wall, base_cpu = got["python -c pass"]
    print(f"single file, median of {repeat} interleaved runs")
    print(f"{'':34} {'wall ms':>8} {'ratio':>6} {'cpu ms':>8} {'ratio':>6}")
    for name, (wall, cpu) in got.items():
        print(f"{name:34} {wall * 1000:8.1f} {wall / base_wall:5.1f}x {cpu * 1000:8.1f} {cpu / base_cpu:5.1f}x")
    wall = got["dockfix --check Dockerfile"][0] / base_wall
    print(f"target: dockfix --check at most 5x python -c pass: {wall:.1f}x ({'met' if wall <= 5 else 'not met'})")


def imports(repeat: int, top: int = 14) -> None:
    """Self time of each module imported by a single-file check (``-X importtime``), median of runs."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Dockerfile").write_bytes(DOCKERFILE)
        (Path(tmp) / "requirements.txt").write_text("flask\n")
        runs: dict[str, list[int]] = {}
        code = "import sys; sys.argv = ['dockfix', '--check', 'Dockerfile']; from dockfix.cli.app import main; main()"
        for _ in range(repeat):
            p = subprocess.run([str(BIN / "python"), "-X", "importtime", "-c", code], cwd=tmp, env=ENV, capture_output=True, text=True)
            for line in p.stderr.splitlines():
                if line.startswith("import time:") and "self [us]" not in line:
                    self_us, _, name = line[len("import time:"):].split("|")
                    runs.setdefault(name.strip(), []).append(int(self_us))
    medians = {name: statistics.median(v) for name, v in runs.items()}
    ours = sum(v for k, v in medians.items() if k.startswith("dockfix"))
    print(f"\nimports of a single-file check (-X importtime self time, median of {repeat}): "
          f"all {sum(medians.values()) / 1000:.1f} ms, dockfix's own modules {ours / 1000:.1f} ms")
    for name, us in sorted(medians.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {us / 1000:7.1f} ms  {name}")


def pool(sizes: list[int], repeat: int) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"\npool against one process ({cores} cores), median of {repeat} interleaved runs")
    print(f"{'files':>6} {'--jobs 1 ms':>12} {f'--jobs {cores} ms':>12} {'pool/serial':>12} {'cpu 1 ms':>10} {f'cpu {cores} ms':>10} {'cpu ratio':>10}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(n):
                d = Path(tmp) / f"svc{k:04d}"
                d.mkdir()
                (d / "Dockerfile").write_bytes(DOCKERFILE)
                (d / "requirements.txt").write_text("flask\n")
            dockfix = str(BIN / "dockfix")
            # MIN_PARALLEL would keep small runs in one process whatever --jobs says: lift it.
            cases = {
                "serial": [dockfix, "--check", "--jobs", "1", "."],
                "pool": [str(BIN / "python"), "-c",
                         f"import sys; import dockfix.runner as r; r.MIN_PARALLEL = 1; sys.argv = ['dockfix', '--check', '--jobs', '{cores}', '.']; "
                         "from dockfix.cli.app import main; main()"],
            }
            got = interleaved(cases, repeat, tmp)
        (s, s_cpu), (p, p_cpu) = got["serial"], got["pool"]
        print(f"{n:6d} {s * 1000:12.1f} {p * 1000:12.1f} {p / s:11.2f}x {s_cpu * 1000:10.1f} {p_cpu * 1000:10.1f} {p_cpu / s_cpu:9.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--sizes", default="8,16,24,48,96,192", help="file counts for the pool comparison")
    ap.add_argument("--no-pool", action="store_true", help="only the single-file part")
    ap.add_argument("--other", help="another dockfix executable to time alongside (e.g. an older install)")
    a = ap.parse_args()
    startup(a.repeat, a.other)
    imports(max(5, a.repeat // 2))
    if not a.no_pool:
        pool([int(n) for n in a.sizes.split(",")], max(3, a.repeat // 3))


if __name__ == "__main__":
    main()
