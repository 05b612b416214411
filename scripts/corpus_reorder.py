"""Count the corpus files whose broad COPY of the build context precedes a Python install.

    python scripts/corpus_reorder.py ../shared/corpus [--unsafe-fixes] [--list]

For each Dockerfile of the corpus (``index.jsonl``, with its ``context_guess`` as the build context,
as ``corpus_check.py`` does), a stage counts when a COPY/ADD of the context (or of a context
directory) comes before a RUN that installs Python dependencies and still needs the fix: an install
of manifests (``pip install -r``, ``uv pip sync``, ``pipenv``, ``conda env create``, ...), or a
project install (``pip install .``, ``poetry install``, ``uv sync``, ``setup.py install``) with no
install before that COPY in the stage (after a dependencies step, the project install belongs
below the COPY). Prints how many files have such a stage before dockfix and after it, and, with
``--list``, each remaining file with the DF001/DF003 refusal reasons dockfix gave for it.

To compare two versions of dockfix, run the script with each on ``PYTHONPATH`` (the script uses
only ``dockfix.api``, ``dockfix.dockerfile.reader``, ``dockfix.rules`` and ``dockfix.rules.reorder``).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from dockfix.api import fix_bytes
from dockfix.build.context import BuildContext
from dockfix.dockerfile.model import ParseError, Settings
from dockfix.dockerfile.reader import read


def _is_python_install(inv) -> bool:
    from dockfix.installers import is_manifest_install, project_install

    if is_manifest_install(inv) or project_install(inv):
        return True
    if inv.tool in ("pip", "uv-pip") and inv.sub == "install" and any(n in ("--requirement",) for n, _, _ in inv.options):
        return True
    if inv.tool in ("pip", "uv-pip") and inv.sub == "install":
        from dockfix.rules.reorder import local_word

        return any(local_word(w) for w in inv.args)
    return inv.tool == "setup.py" and inv.sub in ("install", "develop")


def _any_install(inv) -> bool:
    """Any Python install (of named packages too: DF003 may write the dependencies out)."""
    return inv.tool in ("pip", "uv-pip", "pip-sync", "pipenv", "conda", "poetry", "uv", "pdm") and inv.sub in (
        "install", "sync", "env create", "env update", "create", "update")


def copy_before_install(data: bytes, context: pathlib.Path) -> list[int]:
    """The line of the first install in each stage that a broad COPY of the context precedes and
    that still needs the fix: an install of manifests, or a project install when no install ran
    before that COPY in the stage (a project install after a dependencies step is the fixed form)."""
    from dockfix.installers import is_manifest_install
    from dockfix.rules.reorder import broad_copy
    from dockfix.rules import Facts

    try:
        df = read(data)
    except ParseError:
        return []
    facts = Facts(df, BuildContext(context), Settings())
    out = []
    for stage in df.stages:
        installs = []
        for k in range(stage.start + 1, stage.end):
            inst = df.instructions[k]
            if inst.keyword != "RUN":
                continue
            invs = facts.invocations(inst) or []
            if any(_any_install(i) for i in invs):
                installs.append(k)
            if not any(_is_python_install(i) for i in invs):
                continue
            broad = broad_copy(facts, stage.start, k)
            if broad is None:
                continue
            if any(is_manifest_install(i) for i in invs) or not any(j < broad.index for j in installs):
                out.append(inst.lineno)
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=pathlib.Path)
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--list", action="store_true", help="list each remaining file with its refusal reasons")
    args = ap.parse_args()
    index = [json.loads(l) for l in (args.corpus / "index.jsonl").read_text().splitlines() if l.strip()]
    settings = Settings(unsafe_fixes=args.unsafe_fixes)
    before = after = 0
    remaining: list[tuple[str, list[str]]] = []
    for entry in index:
        repo = args.corpus / entry["repo"].replace("/", "__")
        path = repo / entry["dockerfile"]
        context = repo / entry.get("context_guess", ".")
        context = context if context.is_dir() else path.parent
        data = path.read_bytes()
        if not copy_before_install(data, context):
            continue
        before += 1
        # fix_bytes never writes: the corpus stays read-only
        result = fix_bytes(data, str(path), context, settings)
        if result.outcome == "failed" or copy_before_install(result.patched, context):
            after += 1
            reasons = [f"{s.code} line {s.lineno}: {s.reason}" for s in result.skips if s.code in ("DF001", "DF003")]
            reasons += [f"{f.code} line {f.lineno}: an unsafe fix, not applied: {f.message}" for f in result.unapplied if f.code in ("DF001", "DF003")]
            if result.outcome == "failed":
                reasons.append(f"failed: {result.error}")
            remaining.append((f"{entry['repo']}/{entry['dockerfile']}", reasons))
    mode = "with --unsafe-fixes" if args.unsafe_fixes else "safe fixes only"
    print(f"corpus: {len(index)} Dockerfiles ({mode})")
    print(f"broad COPY before a Python install: {before} files before dockfix, {after} after")
    if args.list:
        for name, reasons in remaining:
            print(f"  {name}")
            for r in reasons or ["(no DF001/DF003 refusal reported)"]:
                print(f"      {r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
