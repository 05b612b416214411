"""Run dockfix over a corpus of real Dockerfiles (a copy) and check the quality bar.

    python scripts/corpus_check.py ../shared/corpus [--show-diffs N] [--unsafe-fixes] [--dump DIR]

Uses each entry's ``context_guess`` from ``index.jsonl`` as the build context. Checks, per file:
no crash (failures only where BuildKit's parser also rejects the file), the output parses with
BuildKit's parser (when the ``dockerfile`` package is installed), no instruction or comment lost,
CRLF endings kept, a BOM and a missing final newline kept, and a second run changes nothing.
Prints the counts (changed, skipped by reason, fixes per rule) and exits 1 on any violation.
``--dump DIR`` writes each file's output and findings to DIR (to compare two versions of dockfix).
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import re
import shutil
import sys
import tempfile
import time

from dockfix.api import fix_bytes
from dockfix.dockerfile.model import ParseError, Settings
from dockfix.dockerfile.reader import _is_comment, read


def comments(data: bytes) -> collections.Counter:
    df = read(data)
    body = {j for i in df.instructions for h in i.heredocs for j in range(h.body_start, h.end + 1)}
    return collections.Counter(l.strip() for j, l in enumerate(df.lines) if j not in body and _is_comment(l))


def keywords(data: bytes) -> collections.Counter:
    return collections.Counter(i.keyword for i in read(data).instructions)


def oracle_parses(data: bytes, tmp: pathlib.Path) -> bool | None:
    try:
        import dockerfile
    except ImportError:
        return None
    path = tmp / "out.Dockerfile"
    path.write_bytes(data)
    try:
        dockerfile.parse_file(str(path))
    except dockerfile.GoParseError:
        return False
    except UnicodeDecodeError:
        return None
    return True


def dump(folder: pathlib.Path, name: str, result, work: pathlib.Path) -> None:
    """The output bytes and a JSON of the findings of one file, under a name made from ``name``."""
    stem = folder / re.sub(r"[^A-Za-z0-9._-]", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    stem.with_name(stem.name + ".out").write_bytes(result.patched)
    findings = {
        "outcome": result.outcome,
        "error": result.error and result.error.replace(str(work), "<corpus>"),
        "fixes": [[f.code, f.lineno, f.message, f.applicability.value] for f in result.fixes],
        "unapplied": [[f.code, f.lineno, f.message, f.applicability.value] for f in result.unapplied],
        "skips": [[s.code, s.lineno, s.reason] for s in result.skips],
        "warnings": result.warnings,
        "suppressed": result.suppressed,
    }
    stem.with_name(stem.name + ".json").write_text(json.dumps(findings, indent=1, ensure_ascii=False) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=pathlib.Path)
    ap.add_argument("--show-diffs", type=int, default=0, help="print the first N diffs")
    ap.add_argument("--unsafe-fixes", action="store_true", help="apply unsafe fixes too")
    ap.add_argument("--dump", type=pathlib.Path, help="write each output and its findings to this folder")
    args = ap.parse_args()
    index = [json.loads(l) for l in (args.corpus / "index.jsonl").read_text().splitlines() if l.strip()]
    work = pathlib.Path(tempfile.mkdtemp(prefix="dockfix-corpus-"))
    shutil.copytree(args.corpus, work / "c")
    settings = Settings(unsafe_fixes=args.unsafe_fixes)
    outcomes = collections.Counter()
    fixes = collections.Counter()
    reasons = collections.Counter()
    violations: list[str] = []
    shown = 0
    t0 = time.perf_counter()
    for entry in index:
        repo = work / "c" / entry["repo"].replace("/", "__")
        path = repo / entry["dockerfile"]
        context = repo / entry.get("context_guess", ".")
        data = path.read_bytes()
        result = fix_bytes(data, str(path), context if context.is_dir() else path.parent, settings)
        outcomes[result.outcome] += 1
        name = f"{entry['repo']}/{entry['dockerfile']}"
        if args.dump:
            dump(args.dump, name, result, work)
        if result.outcome == "failed":
            try:
                read(data)
                violations.append(f"{name}: failed on a file the reader accepts: {result.error}")
            except ParseError:
                if oracle_parses(data, work):
                    violations.append(f"{name}: rejected, but BuildKit's parser accepts it: {result.error}")
            continue
        for f in result.fixes:
            fixes[f.code] += 1
        for s in result.skips:
            reasons[f"{s.code} " + re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", s.reason))] += 1
        out = result.patched
        if out == data:
            continue
        if oracle_parses(out, work) is False:
            violations.append(f"{name}: the output does not parse with BuildKit's parser")
        if comments(out) != comments(data):
            violations.append(f"{name}: comments changed")
        before, after = keywords(data), keywords(out)
        removed = sum(e.removes for f in result.fixes for e in f.edits)  # deleted on purpose
        if sum(max(0, n - after[k]) for k, n in before.items()) > removed:
            violations.append(f"{name}: an instruction was lost")
        if b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") and out.count(b"\n") != out.count(b"\r\n"):
            violations.append(f"{name}: CRLF endings not kept")
        if data.startswith(b"\xef\xbb\xbf") != out.startswith(b"\xef\xbb\xbf") or data.endswith(b"\n") != out.endswith(b"\n"):
            violations.append(f"{name}: BOM or final newline changed")
        again = fix_bytes(out, str(path), context if context.is_dir() else path.parent, settings)
        if again.patched != out:
            violations.append(f"{name}: a second run changes the output")
        path.write_bytes(out)
        if shown < args.show_diffs:
            from dockfix.dockerfile.writer import unified_diff

            sys.stdout.write(unified_diff(name, data, out))
            shown += 1
    elapsed = time.perf_counter() - t0
    shutil.rmtree(work, ignore_errors=True)
    print(f"corpus: {len(index)} Dockerfiles in {elapsed:.2f} s")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print("fixes by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(fixes.items())))
    print("left alone, by reason:")
    for reason, n in reasons.most_common():
        print(f"  {n:4d}  {reason}")
    for v in violations:
        print(f"VIOLATION {v}")
    print(f"violations: {len(violations)}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
