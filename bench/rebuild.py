"""Rebuild benchmark: the naive Dockerfile of bench/app/ against dockfix's rewrite of it.

For each variant (naive, rewritten) and run: prune the build cache (layers and cache mounts),
build cold, append a comment to app.py and rebuild ("code change"), add pyyaml to
requirements.txt and rebuild ("requirements change"). Each build records its wall time and the
package files it downloaded from the lab's index. Everything is done twice: with the index at
full local speed, and throttled to imitate a real network link (default 5 MiB/s, 50 ms per
request). Prints the figures and writes bench/results/rebuild.{md,json,png}. No assertions.

    scripts/buildlab/setup.sh && . /tmp/dockfix-buildlab/env.sh   # as root
    pip install matplotlib                                        # for the PNG only
    python bench/rebuild.py [--runs 3] [--kbps 5120] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dockfix.api import fix_bytes
from dockfix.cli.verify import Docker, Index, VerifyError, build, simulate_code_change, strip_syntax

HERE = Path(__file__).resolve().parent
APP = HERE / "app"
OUT = HERE / "results"
SCENARIOS = ("cold", "code change", "requirements change")
ADDED = "pyyaml"


def measure(docker: Docker, index: Index, dockerfile: bytes, work: Path) -> dict[str, tuple[float, int]]:
    ctx = work / "context"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(APP, ctx)
    (work / "Dockerfile").write_bytes(strip_syntax(dockerfile)[0])
    tag = "dockfix-bench:" + work.name
    docker.remove_images(tag)
    docker.prune_build_cache()
    out, images = {}, []
    for scenario in SCENARIOS:
        if scenario == "code change":
            simulate_code_change(ctx)
        elif scenario == "requirements change":
            with open(ctx / "requirements.txt", "a") as f:
                f.write(ADDED + "\n")
        b = build(docker, ctx, work / "Dockerfile", tag, index)
        images.append(b.image)
        if not b.ok:
            sys.exit(f"{work.name} {scenario}: build failed: {b.error}")
        out[scenario] = (round(b.seconds, 2), len(b.downloads))
        print(f"  {work.name:<10} {scenario:<20} {b.seconds:6.2f} s  {len(b.downloads):3d} downloads", flush=True)
    docker.remove_images(tag, *filter(None, images))
    return out


def table(results: dict, networks: list[tuple[str, float, float]], runs: int) -> str:
    lines = [
        "| index | Dockerfile | " + " | ".join(SCENARIOS) + " |",
        "|---|---|" + "---|" * len(SCENARIOS),
    ]
    for net, kbps, lat in networks:
        label = net if not kbps and not lat else f"{net} ({kbps / 1024:g} MiB/s, {lat:g} ms)"
        for variant in ("naive", "rewritten"):
            cells = []
            for sc in SCENARIOS:
                secs = [r[sc][0] for r in results[net][variant]]
                dls = [r[sc][1] for r in results[net][variant]]
                cells.append(f"{statistics.median(secs):.2f} s / {statistics.median(dls):g}")
            lines.append(f"| {label} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nmedian of {runs} run(s): seconds / package files downloaded\n"


def chart(results: dict, networks, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no PNG", file=sys.stderr)
        return False
    fig, axes = plt.subplots(1, len(networks), figsize=(5.5 * len(networks), 4), sharey=True)
    for ax, (net, kbps, lat) in zip(axes if len(networks) > 1 else [axes], networks):
        for i, (variant, color) in enumerate((("naive", "#c0504d"), ("rewritten", "#4f81bd"))):
            secs = [statistics.median(r[sc][0] for r in results[net][variant]) for sc in SCENARIOS]
            dls = [statistics.median(r[sc][1] for r in results[net][variant]) for sc in SCENARIOS]
            xs = [x + (i - 0.5) * 0.38 for x in range(len(SCENARIOS))]
            bars = ax.bar(xs, secs, 0.38, label=variant, color=color)
            for bar, dl in zip(bars, dls):
                xy = (bar.get_x() + bar.get_width() / 2, bar.get_height())
                ax.annotate(f"{dl:g} dl", xy, ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(SCENARIOS)), SCENARIOS)
        ax.set_title(net if not kbps and not lat else f"{net}: {kbps / 1024:g} MiB/s, {lat:g} ms/request")
        ax.set_ylabel("build seconds (median)")
    (axes[0] if len(networks) > 1 else axes).legend(loc="upper right")
    fig.suptitle("docker build: naive Dockerfile vs dockfix rewrite (dl = package downloads)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kbps", type=float, default=5120, help="throttled index bandwidth, KiB/s")
    ap.add_argument("--latency-ms", type=float, default=50, help="throttled index delay per request")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    try:
        docker = Docker.detect()
        index = Index(os.environ.get("DOCKFIX_INDEX_URL", "http://127.0.0.1:3141"))
        index.downloads()
    except VerifyError as e:
        print(f"bench: {e} (start the lab: scripts/buildlab/setup.sh && . /tmp/dockfix-buildlab/env.sh)", file=sys.stderr)
        return 2
    naive = (APP / "Dockerfile").read_bytes()
    result = fix_bytes(naive, str(APP / "Dockerfile"), str(APP))
    if result.outcome != "changed":
        print(f"bench: dockfix left bench/app/Dockerfile {result.outcome}", file=sys.stderr)
        return 1
    variants = {"naive": naive, "rewritten": result.patched}
    networks = [("local", 0.0, 0.0), ("throttled", a.kbps, a.latency_ms)]
    results: dict = {net: {v: [] for v in variants} for net, _, _ in networks}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dockfix-bench-") as tmp:
        try:
            for net, kbps, lat in networks:
                index.throttle(kbps, lat)
                for run in range(1, a.runs + 1):
                    print(f"{net}, run {run}/{a.runs}", flush=True)
                    for variant, dockerfile in variants.items():
                        results[net][variant].append(measure(docker, index, dockerfile, Path(tmp) / variant))
        finally:
            index.throttle(0, 0)
    md = table(results, networks, a.runs)
    command = "python bench/rebuild.py " + " ".join(sys.argv[1:])
    a.out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Rebuild benchmark\n\n`{command.strip()}` on {platform.node()} ({os.cpu_count()} CPUs), "
        f"{time.strftime('%Y-%m-%d')}, {time.monotonic() - t0:.0f} s.\n"
        f"App: bench/app (flask, requests, numpy; {ADDED} added for the requirements change).\n\n"
    )
    (a.out / "rebuild.md").write_text(header + md + "\n![chart](rebuild.png)\n")
    (a.out / "rebuild.json").write_text(json.dumps({"networks": networks, "results": results}, indent=1) + "\n")
    print("\n" + md)
    if chart(results, networks, a.out / "rebuild.png"):
        print(f"wrote {a.out / 'rebuild.png'}")
    print(f"wrote {a.out / 'rebuild.md'}, {a.out / 'rebuild.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
