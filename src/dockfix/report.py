"""Wording for people: per-file explanations and the closing summary (both on stderr)."""

from __future__ import annotations

from collections import Counter

from .model import FileResult


def explain(results: list[FileResult], stream, *, write: bool) -> None:
    for r in results:
        if r.outcome == "failed":
            continue
        verb = "fixed" if write else "would fix"
        for f in r.fixes:
            stream.write(f"{r.path}:{f.lineno}: {f.code} {verb}: {f.message}\n")
        for f in r.unapplied:
            if f.applicability.value == "unsafe":
                stream.write(f"{r.path}:{f.lineno}: {f.code} unsafe fix not applied (use --unsafe-fixes): {f.message}\n")
        for s in r.skips:
            where = f"{r.path}:{s.lineno}" if s.lineno else r.path
            stream.write(f"{where}: {s.code} left alone: {s.reason}\n")


def summary(results: list[FileResult], stream, *, write: bool) -> None:
    counts = Counter(r.outcome for r in results)
    if not results:
        return
    changed = counts["changed"]
    parts = []
    n = lambda k: "file" if k == 1 else "files"  # noqa: E731
    if changed:
        parts.append(f"{changed} {n(changed)} {'changed' if write else 'would change'}")
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} left alone with reasons")
    if counts["unchanged"]:
        parts.append(f"{counts['unchanged']} unchanged")
    if counts["failed"]:
        parts.append(f"{counts['failed']} failed")
    stream.write(", ".join(parts) + ".\n")
