"""Wording and formats: per-file explanations and the summary (stderr), ``--statistics``, JSON and
SARIF documents (stdout). JSON follows ``docs/report.schema.json``; SARIF is version 2.1.0.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from ..dockerfile.model import Applicability, FileResult, Fix

OUTCOMES = ("changed", "unchanged", "skipped", "failed")
PSEUDO_RULES = {"DF000": ("ambiguous", "files (or builds) dockfix cannot read one way only are left alone"),
                "DF999": ("internal", "a planned fix failed dockfix's own verification and was dropped")}


def fix_status(fix: Fix, applied: bool) -> str:
    if applied:
        return "applied"
    return "unsafe-not-applied" if fix.applicability is Applicability.UNSAFE else "dropped"


def _fixes(r: FileResult):
    """(fix, status) for every fix of a result: applied ones first. The engine tries unsafe fixes
    only when they were asked for, and then counts none as available: with nothing available, an
    unapplied fix (unsafe or not) was tried and dropped."""
    if not r.unsafe_fixes_available:
        return [(f, "applied") for f in r.fixes] + [(f, "dropped") for f in r.unapplied]
    return [(f, "applied") for f in r.fixes] + [(f, fix_status(f, False)) for f in r.unapplied]


def explain(results: list[FileResult], stream, *, write: bool) -> None:
    for r in results:
        explain_file(r, stream, write=write)


def explain_file(r: FileResult, stream, *, write: bool) -> None:
    """What happened to one file, one line per finding (printed right after the file's diff)."""
    if r.outcome == "failed":
        return
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


# Words after which a refusal names a particular (an image, a user, a variable, a line).
_NAMING = {"line", "lines", "image", "user", "USER", "WORKDIR", "ENV", "ARG", "FROM", "stage", "context"}
# Words that never are that particular ("the base image is a variable").
_PLAIN = {"is", "are", "was", "has", "have", "with", "without", "and", "or", "of", "the", "a", "an", "that",
          "which", "whose", "who", "to", "in", "at", "for", "from", "by", "as", "cannot", "may", "runs", "before",
          "after", "it", "its", "not", "no", "nor", "but", "so", "where", "when", "could", "would", "must"}
_QUOTED = re.compile(r"(?<!\w)'[^']*'(?!\w)|(?<!\w)\"[^\"]*\"(?!\w)|\$\([^()]*\)")  # and $(command)
_TOKEN = re.compile(r"^([(\[]*)(.*?)([)\],;:.!?]*)$")
_PARTICULAR = re.compile(r"[\d/:@$={}*~_<>\\\[\]]|^-|\w\.\w|…")
_RUNS = re.compile(r"…(?:(?:[\s,]|and\s|or\s)+…)+")
BLANK = "…"


def reason_template(reason: str) -> str:
    """A refusal reason with its particulars (names, paths, numbers, quoted commands) replaced
    by ``…``, so that the same refusal of different files counts as one.

    Whole words are replaced, never parts of them: ``golang:1.22@sha256:ab12…`` becomes one
    ``…``. A word is a particular when it holds a digit, a path or reference character
    (``/ : @ $ = { } * ~ _``), starts with ``-`` (an option), has an inner dot (a file name), is
    quoted, or follows a word that introduces one (``image``, ``user``, ``line``, ``ENV``, ...).
    """
    text = _QUOTED.sub(BLANK, reason)
    out: list[str] = []
    names_next = False
    for word in text.split():
        lead, core, trail = _TOKEN.match(word).groups()
        if core and (_PARTICULAR.search(core) or (names_next and core not in _PLAIN and not core.startswith("'"))):
            core = BLANK
        out.append(lead + core + trail)
        names_next = core in _NAMING and not trail
    return _RUNS.sub(BLANK, " ".join(out))


reason_shape = reason_template  # the name used before 0.2


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
            refusals[f"{s.code} {reason_template(s.reason)}"] += 1
    return {
        "files": len(results),
        **{k: outcomes[k] for k in OUTCOMES},
        "suppressed": sum(r.suppressed for r in results),
        "rules": {code: dict(sorted(c.items())) for code, c in sorted(rules.items())},
        "refusals": dict(refusals.most_common()),
    }


def unsafe_available(r: FileResult) -> int:
    """Unsafe fixes of a file that were not applied (``--unsafe-fixes`` would apply them)."""
    return r.unsafe_fixes_available  # counted by the engine: dropped fixes are not "available"


def summary(results: list[FileResult], stream, *, write: bool) -> None:
    """One sentence of counts; for several files, counts per rule below it."""
    if not results:
        return
    t = tally(results)
    n = lambda k, one="file", many="files": one if k == 1 else many  # noqa: E731
    pending = sum(1 for r in results if r.outcome == "unchanged" and unsafe_available(r))
    unchanged = t["unchanged"] - pending  # files with unsafe fixes available are counted by their fixes
    available = sum(unsafe_available(r) for r in results)
    parts = []
    if t["changed"]:
        parts.append(f"{t['changed']} {n(t['changed'])} {'changed' if write else 'would change'}")
    if t["skipped"]:
        parts.append(f"{t['skipped']} left alone with reasons")
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    if t["failed"]:
        parts.append(f"{t['failed']} failed")
    if available:
        parts.append(f"{available} {n(available, 'fix', 'fixes')} available with `--unsafe-fixes`")
    stream.write(", ".join(parts) + ".\n")
    if len(results) < 2:
        return
    verb = "fixed" if write else "would fix"
    words = {"applied": verb, "unsafe-not-applied": "unsafe, not applied", "dropped": "dropped", "refused": "refused"}
    for code, counts in t["rules"].items():
        stream.write(f"  {code}: " + ", ".join(f"{k} {words[s]}" for s, k in counts.items()) + "\n")
    if t["suppressed"]:
        stream.write(f"  {t['suppressed']} findings suppressed by comments\n")


def statistics_doc(results: list[FileResult]) -> dict:
    """``--statistics``: counts per rule code and status, and refusals per reason template, most
    frequent first (docs/statistics.schema.json)."""
    from ..rules import BY_CODE

    counts: Counter = Counter()
    reasons: Counter = Counter()
    example: dict = {}
    for r in results:
        for f, status in _fixes(r):
            counts[(f.code, status)] += 1
        for s in r.skips:
            counts[(s.code, "refused")] += 1
            key = (s.code, reason_template(s.reason))
            reasons[key] += 1
            example.setdefault(key, (f"{r.path}:{s.lineno}" if s.lineno else r.path, s.reason))

    def name(code: str) -> str:
        return BY_CODE[code].NAME if code in BY_CODE else PSEUDO_RULES.get(code, ("",))[0]

    return {
        "rules": [{"code": code, "name": name(code), "status": status, "count": k}
                  for (code, status), k in sorted(counts.items(), key=lambda item: (-item[1], item[0]))],
        "refusals": [{"code": code, "reason": template, "count": k,
                      "example": {"location": example[(code, template)][0], "reason": example[(code, template)][1]}}
                     for (code, template), k in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))],
    }


def statistics(results: list[FileResult], stream) -> None:
    """The ``--statistics`` table (like ``ruff --statistics``), then refusals by reason."""
    doc = statistics_doc(results)
    for row in doc["rules"]:
        stream.write(f"{row['count']:6d}\t{row['code']}\t{row['status']:<18}\t{row['name']}\n")
    if doc["refusals"]:
        stream.write("\nRefusals by reason:\n")
        for row in doc["refusals"]:
            stream.write(f"{row['count']:6d}\t{row['code']}\t{row['reason']}\n")


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
    from .. import __version__  # the package's own: importlib.metadata costs tens of ms per run

    return __version__


def _uri(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path))
    return Path(os.path.abspath(path)).as_uri() if rel.startswith("..") else Path(rel).as_posix()


def to_sarif(results: list[FileResult], errors: list[str]) -> dict:
    """A SARIF 2.1.0 log: fixes are warnings, refusals notes, failures tool notifications."""
    from ..rules import ALL_RULES

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


# --- GitHub Actions workflow commands ---------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _gh(level: str, text: str, path: str | None = None, line: int = 0, title: str | None = None) -> str:
    props = []
    if path and path != "-":
        props.append(f"file={_gh_property(Path(path).as_posix())}")
        if line > 0:
            props.append(f"line={line}")
    if title:
        props.append(f"title={_gh_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{_gh_data(text)}\n"


def to_github(results: list[FileResult], errors: list[str], *, write: bool) -> str:
    """GitHub Actions annotations: fixes (applied or not) are warnings, refusals notices, failures
    and bad paths errors; each names the file and line, so the pull request shows them in place."""
    verb = "fixed" if write else "would fix"
    out = []
    for r in results:
        if r.outcome == "failed":
            out.append(_gh("error", r.error or f"{r.path}: failed", r.path, title="dockfix"))
            continue
        for f, status in _fixes(r):
            what = {"applied": verb, "unsafe-not-applied": "unsafe fix available with --unsafe-fixes"}.get(status, status)
            out.append(_gh("warning", f"{f.code} {what}: {f.message}", r.path, f.lineno, f"dockfix {f.code} ({f.name})"))
        for s in r.skips:
            out.append(_gh("notice", f"{s.code} left alone: {s.reason}", r.path, s.lineno, f"dockfix {s.code} ({s.name})"))
        for w in r.warnings:
            m = re.match(r"line (\d+): (.*)", w, re.S)
            line, text = (int(m.group(1)), m.group(2)) if m else (0, w)
            out.append(_gh("warning", text, r.path, line, "dockfix"))
    out += [_gh("error", e, title="dockfix") for e in errors]
    return "".join(out)


# --- the list of rules --------------------------------------------------------------------------


def rule_list() -> list[dict]:
    """Every code dockfix reports: the rules in the order they run, then DF000 and DF999."""
    from ..rules import ALL_RULES

    rows = [{"code": m.CODE, "name": m.NAME, "summary": m.SUMMARY, "rule": True} for m in ALL_RULES]
    rows += [{"code": code, "name": name, "summary": text, "rule": False} for code, (name, text) in PSEUDO_RULES.items()]
    return rows


def rules_cli(argv: list[str]) -> int:
    """``dockfix rules [--format text|json]``: list every code; ``dockfix --explain CODE`` for one."""
    import json
    import sys

    ap = argument_parser(prog="dockfix rules", description="List every rule code dockfix reports.")
    ap.add_argument("--format", default="text", type=str.lower, choices=("text", "json"), help="text (default) or json")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2)
        return int(e.code or 0)
    rows = rule_list()
    if a.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        sys.stdout.write(f"{r['code']}  {r['name']:<{width}}  {r['summary']}\n")
    sys.stdout.write("\n`dockfix --explain CODE` prints a code's page.\n")
    return 0


def argument_parser(**kwargs):
    """An argparse parser with the main command line's error style: ``error: ...`` on stderr,
    exit 2 (for ``dockfix rules`` and ``dockfix verify``)."""
    import argparse
    import sys

    class Parser(argparse.ArgumentParser):
        def error(self, message: str):
            sys.stderr.write(f"error: {message} (see {self.prog} --help)\n")
            raise SystemExit(2)

    return Parser(**kwargs)
