"""read -> rules -> apply -> verify -> repeat, for one file.

Rules only describe edits. The engine applies the first fix a pass finds (together with the
fixes of that pass that are independent of it, see ``rules.INDEPENDENT``), re-reads the result and
checks that it reads back as the original plus exactly the intended change (design.md §4); a fix
that fails the check is dropped and reported, never written. It repeats until a pass finds
nothing to apply: what that last pass refuses is what is reported (no refusal about a situation a
fix has since removed), every line number mapped back to the file as it was given.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace

from .build.context import BuildContext
from .dockerfile.edits import expect_of
from .dockerfile.model import Applicability, Dockerfile, Edit, Expect, Fix, ParseError, Settings, Skip
from .dockerfile.reader import _is_comment, _trim_newline, read

# A safety net against a rule that never settles, not a cap on real work: a file may take up to
# MAX_PASSES passes plus one per rule and instruction (no rule fixes one instruction twice).
MAX_PASSES = 25
# CPU seconds one file may take before it ends as failed ("too complex") instead of stalling a
# run. CPU time of this process, not wall time: a machine busy with other work does not fail files.
TIME_BUDGET = 10.0


class EngineLimit(Exception):
    """A file the engine gives up on: the message is the one-line reason (the file ends as failed)."""


class VerifyError(Exception):
    pass


@dataclass
class Outcome:
    """What the engine did to one file."""

    df: Dockerfile  # the final text, read
    applied: list[Fix]
    skips: list[Skip]
    unapplied: list[Fix]  # unsafe fixes not asked for, and fixes that failed verification
    errors: list[str]  # verification failures (internal errors), one line each
    warnings: list[str] = field(default_factory=list)  # about suppression comments
    suppressed: int = 0  # findings dropped by suppression comments
    unsafe_fixes_available: int = 0  # unsafe fixes not applied because --unsafe-fixes was not given


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


class _Norms:
    """``_norm(expect_of(inst))``, computed once per distinct instruction text: an instruction an
    edit did not touch reads back with the same logical line, so it costs a dictionary lookup."""

    def __init__(self) -> None:
        self._seen: dict[tuple, tuple] = {}

    def __call__(self, inst) -> tuple:
        key = (inst.keyword, inst.logical, inst.json_form, tuple(h.body for h in inst.heredocs) if inst.heredocs else ())
        norm = self._seen.get(key)
        if norm is None:
            norm = self._seen[key] = _norm(expect_of(inst))
        return norm


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
    norm = _Norms()
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
            items.append((inst.start, 1, norm(inst)))
    # Stable sort: an edit's expectations keep their order and come before an instruction at the
    # same line (an insertion there goes above it).
    expected = [x[2] for x in sorted(items, key=lambda t: (t[0], t[1]))]
    got = [norm(i) for i in after.instructions]
    if expected != got:
        for k, (a, b) in enumerate(zip(expected, got)):
            if a != b:
                raise VerifyError(f"instruction {k + 1} reads back as {b[0]} {' '.join(b[2])[:60]!r}, expected {a[0]} {' '.join(a[2])[:60]!r}")
        raise VerifyError(f"{len(got)} instructions read back, expected {len(expected)}")
    if len(after.instructions) < len(before.instructions) - sum(e.removes for e in fix.edits):
        raise VerifyError("an instruction was lost")
    if after.instructions and after.instructions[-1].open_at_eof and not before.instructions[-1].open_at_eof:
        raise VerifyError("a line continuation is left open at the end of the file")
    _check_new_scripts(before, after, norm)
    want = _comments(before) + Counter(c.strip() for e in fix.edits for c in e.adds_comments)
    if _comments(after) != want:
        raise VerifyError("comments were lost or changed")
    if [(n, v) for n, v, _ in after.directives] != [(n, v) for n, v, _ in before.directives] and not any(
        e.adds_comments for e in fix.edits
    ):
        raise VerifyError("parser directives changed")
    if len(after.ambiguities) > len(before.ambiguities):
        raise VerifyError("the result would read differently in newer BuildKit")


def _check_new_scripts(before: Dockerfile, after: Dockerfile, norm=None) -> None:
    """Every shell-form RUN a fix creates or changes must still be a readable shell script."""
    from .rules import _parsed_script  # None exactly when split_commands is None; cached by text,
    # so the next pass reads the script of a RUN whose flags alone changed without lexing it again

    norm = norm or _Norms()
    old = Counter(norm(i) for i in before.instructions)
    for inst in after.instructions:
        form = norm(inst)
        if old[form] > 0:
            old[form] -= 1
            continue
        if inst.keyword == "RUN" and not inst.json_form and not inst.heredocs and _parsed_script(inst.args) is None:
            raise VerifyError(f"the RUN at line {inst.lineno} would no longer be a valid shell script")


def run_rules(df: Dockerfile, ctx: BuildContext, settings: Settings, rules, deadline: float | None = None) -> list:
    from .rules import Facts

    facts = Facts(df, ctx, settings)
    findings = []
    for rule in rules:
        if settings.select is not None and rule.CODE not in settings.select:
            continue
        if rule.CODE in settings.ignore:
            continue
        findings.extend(rule.check(facts))
        _check_time(deadline)
    return findings


def _check_time(deadline: float | None) -> None:
    if deadline is not None and time.process_time() > deadline:
        raise EngineLimit(f"too complex: not finished within the time budget of {TIME_BUDGET:g} CPU seconds per file")


def _worded(finding):
    """The finding with symbolic paths of the analysis written as people write them."""
    from .build.state import shown

    if isinstance(finding, Skip):
        reason = shown(finding.reason)
        return finding if reason == finding.reason else replace(finding, reason=reason)
    message = shown(finding.message)
    return finding if message == finding.message else replace(finding, message=message)


# --- line numbers of the file as it was given ---------------------------------------------------

_LINE_REFS = re.compile(r"\b(lines? )(\d+(?:(?:, | and )\d+)*)")


class LineMap:
    """Where each line of the current text came from in the original file (0-based indexes).

    A line an edit keeps, rewrites in place or moves (the same text removed elsewhere by the same
    edits) maps to its original line; a new line maps to the line it was inserted at.
    """

    def __init__(self, n: int):
        self.origin = list(range(n))
        self.identity = True

    def apply(self, old_lines: tuple[str, ...], edits: tuple[Edit, ...], new_len: int) -> None:
        """Follow ``edits`` made to ``old_lines`` (the current text), giving ``new_len`` lines."""
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        removed: dict[str, list[int]] = {}
        for e in ordered:
            for j in range(e.start, e.end):
                removed.setdefault(old_lines[j], []).append(self.origin[j])
        out: list[int] = []
        pos = 0
        for e in ordered:
            out.extend(self.origin[pos : e.start])
            for k, line in enumerate(_split(e.text)):
                same = removed.get(line)
                if same:
                    out.append(same.pop(0))
                elif e.end > e.start:
                    out.append(self.origin[e.start + min(k, e.end - e.start - 1)])
                else:
                    out.append(self.origin[e.start] if e.start < len(self.origin) else self._last())
            pos = e.end
        out.extend(self.origin[pos:])
        if len(out) != new_len:  # an edit joined lines: keep the map the right length
            out = (out + [self._last()] * new_len)[:new_len]
        self.origin = out
        self.identity = False

    def _last(self) -> int:
        return self.origin[-1] if self.origin else 0

    def lineno(self, lineno: int) -> int:
        """A 1-based line number of the current text, as a 1-based line number of the original."""
        if self.identity or lineno <= 0 or not self.origin:
            return lineno
        return self.origin[min(lineno, len(self.origin)) - 1] + 1

    def text(self, text: str) -> str:
        """``line N`` / ``lines N, M`` in a message, mapped."""
        if self.identity or "line" not in text:
            return text
        return _LINE_REFS.sub(
            lambda m: m.group(1) + re.sub(r"\d+", lambda d: str(self.lineno(int(d.group()))), m.group(2)), text
        )

    def finding(self, f):
        if self.identity:
            return f
        if isinstance(f, Skip):
            return replace(f, lineno=self.lineno(f.lineno), reason=self.text(f.reason))
        return replace(f, lineno=self.lineno(f.lineno), message=self.text(f.message))


def _split(text: str) -> list[str]:
    if not text:
        return []
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


# --- one pass's fixes together ------------------------------------------------------------------


def _own_run(starts: dict, fix: Fix):
    """The RUN a fix rewrites in place and nothing else, or None. ``starts``: first line -> instruction."""
    if len(fix.edits) != 1:
        return None
    e = fix.edits[0]
    inst = starts.get(fix.lineno - 1)
    if inst is None or inst.keyword != "RUN" or (e.start, e.end) != (inst.start, inst.end + 1):
        return None
    if len(e.expect) != 1 or e.expect[0].keyword != "RUN" or e.removes or e.adds_comments:
        return None
    return inst


def _batch(df: Dockerfile, candidates: list[Fix]) -> list[Fix]:
    """The first candidate, and with it the later ones that are independent of it and each other."""
    from .rules import INDEPENDENT

    first = candidates[0]
    if first.code not in INDEPENDENT or len(candidates) == 1:
        return [first]
    starts = {i.start: i for i in df.instructions}
    if _own_run(starts, first) is None:
        return [first]
    batch, used = [first], {first.lineno}
    for f in candidates[1:]:
        if f.code in INDEPENDENT and f.lineno not in used and _own_run(starts, f) is not None:
            batch.append(f)
            used.add(f.lineno)
    return batch


def _apply(df: Dockerfile, batch: list[Fix]) -> Dockerfile:
    """The text with the batch's fixes applied, read back and verified (VerifyError, ParseError)."""
    edits = tuple(e for f in batch for e in f.edits)
    new = read(df.encode(apply_edits(df.lines, edits)), df.path)
    fix = batch[0] if len(batch) == 1 else replace(batch[0], edits=edits)
    verify(df, new, fix)
    return new


def fix_dockerfile(
    df: Dockerfile, ctx: BuildContext, settings: Settings, *, batch: bool = True, budget: float | None = None
) -> Outcome:
    """Apply every fix the rules find until none is left. Raises EngineLimit (one line) when the
    fixes do not settle or the file takes longer than ``budget`` seconds (default TIME_BUDGET).
    ``batch=False`` applies one fix per pass (the reference the batching is tested against)."""
    from .rules import ALL_RULES, BY_CODE
    from .dockerfile.suppress import read_suppressions

    deadline = time.process_time() + (TIME_BUDGET if budget is None else budget)
    applied: list[Fix] = []
    dropped: list[Fix] = []  # fixes that failed verification
    errors: list[str] = []
    refused: set[tuple[str, int, str]] = set()  # (code, original line, message) of dropped fixes
    suppressed: set[tuple[str, int, str]] = set()

    sup = read_suppressions(df, BY_CODE)
    warnings = sup.warnings
    if sup.skip_file:
        return Outcome(df, [], [], [], [], warnings)
    if df.ambiguities:
        line, why = df.ambiguities[0]
        return Outcome(df, [], [Skip("DF000", "ambiguous", f"left alone: {why}", line + 1)], [], [], warnings)

    lines = LineMap(len(df.lines))
    limit = MAX_PASSES + len(ALL_RULES) * len(df.instructions)
    for _ in range(limit):
        findings = [_worded(f) for f in run_rules(df, ctx, settings, ALL_RULES, deadline)]
        skips: list[Skip] = []
        unsafe: list[Fix] = []
        candidates: list[Fix] = []
        for f in findings:  # line numbers of the current text; mapped where they are kept
            if sup.covers(f):
                mapped = lines.finding(f)
                suppressed.add((f.code, mapped.lineno, mapped.message if isinstance(f, Fix) else mapped.reason))
                continue
            if isinstance(f, Skip):
                skips.append(f)
                continue
            if refused:
                mapped = lines.finding(f)
                if (f.code, mapped.lineno, mapped.message) in refused:
                    continue
            if f.applicability is Applicability.UNSAFE and not settings.unsafe_fixes:
                unsafe.append(f)
                continue
            candidates.append(f)
        if not candidates:
            skips = [lines.finding(f) for f in skips]
            unsafe = [lines.finding(f) for f in unsafe]
            break
        todo = _batch(df, candidates) if batch else candidates[:1]
        try:
            new = _apply(df, todo)
        except (VerifyError, ParseError) as e:
            if len(todo) > 1:  # find the failing fix by applying them one at a time
                todo = todo[:1]
                try:
                    new = _apply(df, todo)
                except (VerifyError, ParseError) as e1:
                    e = e1
                else:
                    e = None
            if e is not None:
                bad = lines.finding(todo[0])
                msg = e.message if isinstance(e, ParseError) else str(e)
                refused.add((bad.code, bad.lineno, bad.message))
                dropped.append(bad)
                errors.append(f"{bad.code} fix at line {bad.lineno} dropped: {msg}")
                _check_time(deadline)
                continue
        applied.extend(lines.finding(f) for f in todo)
        lines.apply(df.lines, tuple(e for f in todo for e in f.edits), len(new.lines))
        df = new
        sup = read_suppressions(df, BY_CODE, previous=sup)  # lines moved
        _check_time(deadline)
    else:
        raise EngineLimit(f"fixes did not settle after {limit} passes (please report this)")
    unsafe = _unique(unsafe)
    warnings = warnings + sup.unused(lambda code: code not in settings.ignore and (settings.select is None or code in settings.select))
    return Outcome(
        df,
        _by_line(applied),
        _by_line(_unique(skips)),
        _by_line(unsafe + dropped),
        errors,
        warnings,
        len(suppressed),
        unsafe_fixes_available=len(unsafe),
    )


def _unique(findings: list) -> list:
    """One finding per place: the same finding twice at one line is reported once."""
    seen: set = set()
    out = []
    for f in findings:
        key = (f.code, f.lineno, f.reason if isinstance(f, Skip) else f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _by_line(findings: list) -> list:
    return sorted(findings, key=lambda f: f.lineno)
