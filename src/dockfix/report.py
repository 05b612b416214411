"""Wording and formats: per-file explanations and the summary (stderr), ``--statistics``, JSON and
SARIF documents (stdout). JSON follows ``docs/report.schema.json``; SARIF is version 2.1.0.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from .model import Applicability, FileResult, Fix

OUTCOMES = ("changed", "unchanged", "skipped", "failed")
PSEUDO_RULES = {"DF000": ("ambiguous", "files (or builds) dockfix cannot read one way only are left alone"),
                "DF999": ("internal", "a planned fix failed dockfix's own verification and was dropped")}


def fix_status(fix: Fix, applied: bool) -> str:
    if applied:
        return "applied"
    return "unsafe-not-applied" if fix.applicability is Applicability.UNSAFE else "dropped"


def _fixes(r: FileResult):
    """(fix, status) for every fix of a result: applied ones first."""
    return [(f, "applied") for f in r.fixes] + [(f, fix_status(f, False)) for f in r.unapplied]


def explain(results: list[FileResult], stream, *, write: bool) -> None:
    for r in results:
        if r.outcome == "failed":
            continue
        verb = "fixed" if write else "would fix"
        for f, status in _fixes(r):
            if status == "applied":
                stream.write(f"{r.path}:{f.lineno}: {f.code} {verb}: {f.message}\n")
            elif status == "unsafe-not-applied":
                stream.write(f"{r.path}:{f.lineno}: {f.code} unsafe fix not applied (use --unsafe-fixes): {f.message}\n")
        for s in r.skips:
            where = f"{r.path}:{s.lineno}" if s.lineno else r.path
            stream.write(f"{where}: {s.code} left alone: {s.reason}\n")
        for w in r.warnings:
            stream.write(f"{r.path}: warning: {w}\n")


def reason_shape(reason: str) -> str:
    """A refusal reason with its particulars (names, paths, numbers) blanked, to count alike ones."""
    reason = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", reason)
    reason = re.sub(r"(?<![\w$])[\w$.{}-]*[/.][\w$./{}-]+", "…", reason)
    reason = re.sub(r"\b(line|user|USER|WORKDIR|ENV|ARG|FROM)\s+[^\s:;,]+", r"\1 …", reason)
    return re.sub(r"\d+", "N", reason)


def tally(results: list[FileResult]) -> dict:
    """Counts per outcome, per rule (by fix status and refusals) and refusals per reason."""
    outcomes = Counter(r.outcome for r in results)
    rules: dict[str, Counter] = {}
    refusals: Counter = Counter()
    for r in results:
        for f, status in _fixes(r):
            rules.setdefault(f.code, Counter())[status] += 1
        for s in r.skips:
            rules.setdefault(s.code, Counter())["refused"] += 1
            refusals[f"{s.code} {reason_shape(s.reason)}"] += 1
    return {
        "files": len(results),
        **{k: outcomes[k] for k in OUTCOMES},
        "suppressed": sum(r.suppressed for r in results),
        "rules": {code: dict(sorted(c.items())) for code, c in sorted(rules.items())},
        "refusals": dict(refusals.most_common()),
    }


def summary(results: list[FileResult], stream, *, write: bool) -> None:
    if not results:
        return
    t = tally(results)
    changed = t["changed"]
    parts = []
    n = lambda k: "file" if k == 1 else "files"  # noqa: E731
    if changed:
        parts.append(f"{changed} {n(changed)} {'changed' if write else 'would change'}")
    if t["skipped"]:
        parts.append(f"{t['skipped']} left alone with reasons")
    if t["unchanged"]:
        parts.append(f"{t['unchanged']} unchanged")
    if t["failed"]:
        parts.append(f"{t['failed']} failed")
    stream.write(", ".join(parts) + ".\n")
    if len(results) < 2:
        return
    verb = "fixed" if write else "would fix"
    words = {"applied": verb, "unsafe-not-applied": "unsafe, not applied", "dropped": "dropped", "refused": "refused"}
    for code, counts in t["rules"].items():
        stream.write(f"  {code}: " + ", ".join(f"{k} {words[s]}" for s, k in counts.items()) + "\n")
    if t["suppressed"]:
        stream.write(f"  {t['suppressed']} findings suppressed by comments\n")
    if t["refusals"]:
        stream.write("Refusals by reason:\n")
        for reason, k in t["refusals"].items():
            stream.write(f"  {k:5d}  {reason}\n")


def statistics(results: list[FileResult], stream) -> None:
    """Counts per rule code and status, most frequent first (like ``ruff --statistics``)."""
    from .rules import BY_CODE

    counts: Counter = Counter()
    for r in results:
        for f, status in _fixes(r):
            counts[(f.code, status)] += 1
        for s in r.skips:
            counts[(s.code, "refused")] += 1
    for (code, status), k in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        name = BY_CODE[code].NAME if code in BY_CODE else PSEUDO_RULES.get(code, ("",))[0]
        stream.write(f"{k:6d}\t{code}\t{status:<18}\t{name}\n")


def _file_json(r: FileResult) -> dict:
    return {
        "path": r.path,
        "context": r.context,
        "context_source": r.context_source,
        "outcome": r.outcome,
        "error": r.error,
        "fixes": [
            {"code": f.code, "name": f.name, "line": f.lineno, "message": f.message,
             "applicability": f.applicability.value, "status": status}
            for f, status in _fixes(r)
        ],
        "skips": [{"code": s.code, "name": s.name, "line": s.lineno, "reason": s.reason} for s in r.skips],
        "warnings": list(r.warnings),
        "suppressed": r.suppressed,
    }


def to_json(results: list[FileResult], errors: list[str], *, mode: str) -> dict:
    """The JSON report (docs/report.schema.json). ``mode``: diff, check or write."""
    return {
        "tool": {"name": "dockfix", "version": _version()},
        "mode": mode,
        "summary": tally(results),
        "files": [_file_json(r) for r in results],
        "errors": list(errors),
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dockfix")
    except PackageNotFoundError:
        return "0"


def _uri(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path))
    return Path(os.path.abspath(path)).as_uri() if rel.startswith("..") else Path(rel).as_posix()


def to_sarif(results: list[FileResult], errors: list[str]) -> dict:
    """A SARIF 2.1.0 log: fixes are warnings, refusals notes, failures tool notifications."""
    from .rules import ALL_RULES

    rules = [{"id": m.CODE, "name": m.NAME, "shortDescription": {"text": m.SUMMARY},
              "defaultConfiguration": {"level": "warning"}} for m in ALL_RULES]
    rules += [{"id": code, "name": name, "shortDescription": {"text": text},
               "defaultConfiguration": {"level": "note"}} for code, (name, text) in PSEUDO_RULES.items()]
    index = {rule["id"]: k for k, rule in enumerate(rules)}
    out = []

    def add(code: str, level: str, text: str, path: str, line: int) -> None:
        location: dict = {"artifactLocation": {"uri": _uri(path)}}
        if line > 0:
            location["region"] = {"startLine": line}
        item = {"ruleId": code, "level": level, "message": {"text": text}, "locations": [{"physicalLocation": location}]}
        if code in index:
            item["ruleIndex"] = index[code]
        out.append(item)

    for r in results:
        if r.path == "-":
            continue
        for f, status in _fixes(r):
            text = f.message if status == "applied" else f"{f.message} ({status})"
            add(f.code, "warning", text, r.path, f.lineno)
        for s in r.skips:
            add(s.code, "note", f"left alone: {s.reason}", r.path, s.lineno)
    notes = [{"level": "error", "message": {"text": r.error or f"{r.path}: failed"}} for r in results if r.outcome == "failed"]
    notes += [{"level": "error", "message": {"text": e}} for e in errors]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockfix", "version": _version(), "rules": rules}},
            "invocations": [{"executionSuccessful": not notes, "toolExecutionNotifications": notes}],
            "results": out,
        }],
    }
