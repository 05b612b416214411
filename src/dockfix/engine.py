"""read -> rules -> apply -> verify -> repeat, for one file.

Rules only describe edits. The engine applies one fix at a time, re-reads the result and checks
that it reads back as the original plus exactly the intended change (design.md §4); a fix that
fails the check is dropped and reported, never written.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace

from .context import BuildContext
from .edits import expect_of
from .model import Applicability, Dockerfile, Edit, Expect, Fix, ParseError, Settings, Skip
from .reader import _is_comment, _trim_newline, read

MAX_PASSES = 25


class VerifyError(Exception):
    pass


@dataclass
class Outcome:
    df: Dockerfile  # the final text, read
    applied: list[Fix]
    skips: list[Skip]
    unapplied: list[Fix]  # unsafe fixes not asked for, and fixes that failed verification
    errors: list[str]  # verification failures (internal errors), one line each
    warnings: list[str] = field(default_factory=list)  # about suppression comments
    suppressed: int = 0  # findings dropped by suppression comments


def apply_edits(lines: tuple[str, ...], edits: tuple[Edit, ...]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for e in ordered:
        if e.start < pos or e.end < e.start or e.end > len(lines):
            raise VerifyError(f"overlapping or out-of-range edit at line {e.start + 1}")
        out.extend(lines[pos : e.start])
        last = next((chunk for chunk in reversed(out) if chunk), "")
        if e.text and last and not last.endswith("\n"):
            raise VerifyError("an insertion would join the file's last line")
        out.append(e.text)
        pos = e.end
    out.extend(lines[pos:])
    return "".join(out)


def _norm(e: Expect) -> tuple:
    return (e.keyword, e.flags, e.words, e.heredocs)


def _comments(df: Dockerfile) -> Counter:
    body_lines = {j for inst in df.instructions for h in inst.heredocs for j in range(h.body_start, h.end + 1)}
    return Counter(
        _trim_newline(line).strip() for j, line in enumerate(df.lines) if j not in body_lines and _is_comment(line)
    )


def verify(before: Dockerfile, after: Dockerfile, fix: Fix) -> None:
    """Check that ``after`` is ``before`` with exactly the fix's intended change."""
    items: list[tuple[int, int, tuple]] = []
    covered: set[int] = set()
    insts = before.instructions
    for e in fix.edits:
        # instructions are in file order: only those ending at or after the edit's start can meet it
        k = bisect_left(insts, e.start, key=lambda i: i.end)
        while k < len(insts) and insts[k].start < e.end:
            inst = insts[k]
            if e.start <= inst.start and inst.end < e.end:
                covered.add(k)
            else:
                raise VerifyError(f"edit at line {e.start + 1} cuts through the instruction at line {inst.lineno}")
            k += 1
        for x in e.expect:
            items.append((e.start, 0, _norm(x)))
    for k, inst in enumerate(before.instructions):
        if k not in covered:
            items.append((inst.start, 1, _norm(expect_of(inst))))
    # Stable sort: an edit's expectations keep their order and come before an instruction at the
    # same line (an insertion there goes above it).
    expected = [x[2] for x in sorted(items, key=lambda t: (t[0], t[1]))]
    got = [_norm(expect_of(i)) for i in after.instructions]
    if expected != got:
        for k, (a, b) in enumerate(zip(expected, got)):
            if a != b:
                raise VerifyError(f"instruction {k + 1} reads back as {b[0]} {' '.join(b[2])[:60]!r}, expected {a[0]} {' '.join(a[2])[:60]!r}")
        raise VerifyError(f"{len(got)} instructions read back, expected {len(expected)}")
    if len(after.instructions) < len(before.instructions) - sum(e.removes for e in fix.edits):
        raise VerifyError("an instruction was lost")
    if after.instructions and after.instructions[-1].open_at_eof and not before.instructions[-1].open_at_eof:
        raise VerifyError("a line continuation is left open at the end of the file")
    _check_new_scripts(before, after)
    want = _comments(before) + Counter(c.strip() for e in fix.edits for c in e.adds_comments)
    if _comments(after) != want:
        raise VerifyError("comments were lost or changed")
    if [(n, v) for n, v, _ in after.directives] != [(n, v) for n, v, _ in before.directives] and not any(
        e.adds_comments for e in fix.edits
    ):
        raise VerifyError("parser directives changed")
    if len(after.ambiguities) > len(before.ambiguities):
        raise VerifyError("the result would read differently in newer BuildKit")


def _check_new_scripts(before: Dockerfile, after: Dockerfile) -> None:
    """Every shell-form RUN a fix creates or changes must still be a readable shell script."""
    from .shell import split_commands

    old = Counter(_norm(expect_of(i)) for i in before.instructions)
    for inst in after.instructions:
        form = _norm(expect_of(inst))
        if old[form] > 0:
            old[form] -= 1
            continue
        if inst.keyword == "RUN" and not inst.json_form and not inst.heredocs and split_commands(inst.args) is None:
            raise VerifyError(f"the RUN at line {inst.lineno} would no longer be a valid shell script")


def run_rules(df: Dockerfile, ctx: BuildContext, settings: Settings, rules) -> list:
    from .rules import Facts

    facts = Facts(df, ctx, settings)
    findings = []
    for rule in rules:
        if settings.select is not None and rule.CODE not in settings.select:
            continue
        if rule.CODE in settings.ignore:
            continue
        findings.extend(rule.check(facts))
    return findings


def _worded(finding):
    """The finding with symbolic paths of the analysis written as people write them."""
    from .analysis import shown

    if isinstance(finding, Skip):
        return replace(finding, reason=shown(finding.reason))
    return replace(finding, message=shown(finding.message))


def fix_dockerfile(df: Dockerfile, ctx: BuildContext, settings: Settings) -> Outcome:
    from .rules import ALL_RULES, BY_CODE
    from .suppress import read_suppressions

    applied: list[Fix] = []
    skips: list[Skip] = []
    unapplied: list[Fix] = []
    errors: list[str] = []
    refused: set[tuple[str, str]] = set()
    seen_skips: set[tuple[str, str]] = set()

    sup = read_suppressions(df, BY_CODE)
    warnings, suppressed = sup.warnings, set()
    if sup.skip_file:
        return Outcome(df, [], [], [], [], warnings)
    if df.ambiguities:
        line, why = df.ambiguities[0]
        return Outcome(df, [], [Skip("DF000", "ambiguous", f"left alone: {why}", line + 1)], [], [], warnings)

    for _ in range(MAX_PASSES):
        findings = [_worded(f) for f in run_rules(df, ctx, settings, ALL_RULES)]
        candidate = None
        for f in findings:
            if sup.suppresses(f.code, f.lineno):
                suppressed.add((f.code, f.message if isinstance(f, Fix) else f.reason))
                continue
            if isinstance(f, Skip):
                key = (f.code, f.reason)
                if key not in seen_skips:
                    seen_skips.add(key)
                    skips.append(f)
                continue
            key = (f.code, f.message)
            if key in refused:
                continue
            if f.applicability is Applicability.UNSAFE and not settings.unsafe_fixes:
                refused.add(key)
                unapplied.append(f)
                continue
            if candidate is None:
                candidate = f
        if candidate is None:
            break
        try:
            text = apply_edits(df.lines, candidate.edits)
            new = read(df.encode(text), df.path)
            verify(df, new, candidate)
        except (VerifyError, ParseError) as e:
            msg = e.message if isinstance(e, ParseError) else str(e)
            refused.add((candidate.code, candidate.message))
            unapplied.append(candidate)
            errors.append(f"{candidate.code} fix at line {candidate.lineno} dropped: {msg}")
            continue
        df = new
        applied.append(candidate)
        sup = read_suppressions(df, BY_CODE)  # lines moved
    return Outcome(df, applied, skips, unapplied, errors, warnings, len(suppressed))
