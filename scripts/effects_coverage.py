"""How many RUN steps between a broad COPY and the install the effect model proves safe, next to
today's allow-list (``reorder.check_between``), on a corpus of real Dockerfiles.

    python scripts/effects_coverage.py ../shared/corpus [-v]

For the first Python install of each stage that has a broad COPY before it, every RUN between
the two is judged twice: by ``reorder.check_between`` and by ``commute.run_meets_copy`` against
the entry's build context (``context_guess``) after ``.dockerignore``. Prints the counts, and
with ``-v`` each step either refuses, with both reasons.
"""

from __future__ import annotations

import argparse
import json
import pathlib

from dockfix.rules.reorder import commute
from dockfix.shell import effects
from dockfix.rules import reorder
from dockfix.build.state import under
from dockfix.build.context import BuildContext
from dockfix.dockerfile.model import ParseError, Settings
from dockfix.dockerfile.reader import read
from dockfix.rules import Facts

INSTALLS = {"pip": {"install"}, "uv-pip": {"install", "sync"}, "pipenv": {"install", "sync"},
            "poetry": {"install"}, "conda": {"install", "env create", "env update"}, "uv": {"sync"}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=pathlib.Path)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    index = [json.loads(line) for line in (args.corpus / "index.jsonl").read_text().splitlines() if line.strip()]
    counts = {"steps": 0, "old": 0, "new": 0, "both": 0, "new only": 0, "old only": 0, "unknown commands": 0}
    for entry in index:
        repo = args.corpus / entry["repo"].replace("/", "__")
        path = repo / entry["dockerfile"]
        if not path.is_file():
            continue
        context = repo / entry.get("context_guess", ".")
        try:
            df = read(path.read_bytes())
        except ParseError:
            continue
        ctx = BuildContext(context if context.is_dir() else path.parent)
        ctx.set_dockerfile(path)
        facts = Facts(df, ctx, Settings())
        for stage in df.stages:
            for k in range(stage.start + 1, stage.end):
                inst = df.instructions[k]
                invs = facts.invocations(inst) if inst.keyword == "RUN" else None
                if not invs or not any(i.sub in INSTALLS.get(i.tool, ()) for i in invs):
                    continue
                broad = reorder.broad_copy(facts, stage.start, k)
                if broad is not None:
                    judge(facts, broad, k, counts, f"{entry['repo']}/{entry['dockerfile']}", args.v)
                break
    for name, n in counts.items():
        print(f"{name:>18}: {n}")
    return 0


def judge(facts, broad, k, counts, where, verbose) -> None:
    copied, names = commute.context_copied(facts.ctx, broad.source_dir)
    dest_exists = under(facts.states[broad.index].workdir, broad.dest)
    for j in range(broad.index + 1, k):
        inst = facts.df.instructions[j]
        if inst.keyword != "RUN":
            continue
        counts["steps"] += 1
        try:
            reorder.check_between(facts, broad, inst, facts.states[j])
            old = None
        except reorder.Refuse as r:
            old = r.reason
        invs = facts.invocations(inst)
        if invs is None:
            new = "unreadable"
        else:
            runs = effects.run_effects(invs, facts.states[j])
            counts["unknown commands"] += sum(e is None for _, e in runs)
            new = commute.run_meets_copy(invs, facts.states[j], broad.dest, copied, dest_exists, names)
        counts["old"] += old is None
        counts["new"] += new is None
        counts["both"] += old is None and new is None
        counts["new only"] += new is None and old is not None
        counts["old only"] += old is None and new is not None
        if verbose and (old is not None or new is not None):
            print(f"{where}:{inst.lineno}: {inst.args.strip()[:100]!r}\n    today: {old}\n    model: {new}")


if __name__ == "__main__":
    raise SystemExit(main())
