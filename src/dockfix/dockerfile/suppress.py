"""Suppression comments: read by the engine, never by rules.

    # dockfix: ignore[DF001]        in the comment block directly above an instruction: no DF001
    # dockfix: ignore[DF001,DF002]  several rules (commas or spaces)
    # dockfix: ignore               every rule, for that instruction
    # dockfix: skip-file            anywhere at the top level: leave the whole file alone
    # dockfix: skip-file[DF002]     one rule (or several) off for the whole file

A finding is suppressed when one of the lines it concerns (the line it is reported at, and the
finding's ``lines``: for DF001 and DF003 both the broad COPY and the install) is an instruction whose
comment block carries the code (or a bare ``ignore``). Codes are case-insensitive.

Reported as warnings, never fatal (like ruff's RUF100 for the last two):
- unknown codes, and comments starting ``# dockfix:`` that are not one of these forms;
- a suppression that applies to nothing: separated from the next instruction by a blank line (the
  comment block must sit directly above the instruction, as hadolint's ``# hadolint ignore=``), at
  the end of the file, or inside an instruction (a comment line within a continuation);
- an unused suppression: no finding of its code(s) on its instruction (or in the file, for
  ``skip-file[...]``), for the rules that ran.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .model import Dockerfile
from .reader import _is_comment, _trim_newline

PRAGMA = re.compile(r"#\s*dockfix\s*:\s*(.*?)\s*$", re.IGNORECASE)
_MENTION = re.compile(r"dockfix", re.IGNORECASE)  # what every PRAGMA holds: a text without it has none
FORM = re.compile(r"(ignore|skip-file)\s*(?:\[([^\]]*)\])?", re.IGNORECASE)
ALL = "*"


@dataclass(frozen=True)
class Pragma:
    """One suppression comment."""

    line: int  # 1-based, in the text it was read from
    text: str  # the comment, stripped
    nth: int  # how many identical comments come before it in the file
    kind: str  # "ignore" | "skip-file"
    codes: frozenset[str]  # known codes listed, or {"*"}
    target: int | None  # ignore: 1-based line of the instruction it applies to (None: applies to nothing)


@dataclass
class _Usage:
    """Which suppressions took effect, across the engine's passes over successive texts.

    In the original text each comment is known exactly (``exact``). After a fix moved lines, a
    comment is recognised by its text; a text written more than once is then credited to all its
    copies (``by_text``), so a suppression is never called unused when it may have been used."""

    original: list[Pragma] = field(default_factory=list)
    exact: set[tuple[str, int, str]] = field(default_factory=set)  # (text, nth, code)
    by_text: set[tuple[str, str]] = field(default_factory=set)  # (text, code)


@dataclass
class Suppressions:
    """The suppression comments of one text, and which of them took effect."""

    file: frozenset[str] = frozenset()  # codes off for the whole file ("*" = all)
    lines: dict[int, frozenset[str]] = field(default_factory=dict)  # 1-based line -> codes
    warnings: list[str] = field(default_factory=list)  # one line each, with the line number
    pragmas: list[Pragma] = field(default_factory=list)
    usage: _Usage = field(default_factory=_Usage)
    is_original: bool = True
    spans: dict[int, frozenset[int]] = field(default_factory=dict)  # instruction's first line -> its lines

    @property
    def skip_file(self) -> bool:
        return ALL in self.file

    def suppresses(self, code: str, lineno: int) -> bool:
        codes = self.file | self.lines.get(lineno, frozenset())
        return ALL in codes or code in codes

    def covers(self, finding) -> bool:
        """Is the finding (a Fix or Skip) suppressed? Records which comments took effect."""
        lines = {finding.lineno, *getattr(finding, "lines", ())}
        hit = False
        for p in self.pragmas:
            if p.kind == "ignore" and (p.target is None or not self.spans[p.target] & lines):
                continue
            if ALL in p.codes or finding.code in p.codes:
                hit = True
                if self.is_original:
                    self.usage.exact.add((p.text, p.nth, finding.code))
                else:
                    self.usage.by_text.add((p.text, finding.code))
        return hit

    def unused(self, enabled) -> list[str]:
        """Warnings for the suppressions of the original text that took no effect. ``enabled(code)``:
        whether that rule ran (suppressions of rules that did not run are not judged)."""
        out = []
        for p in self.usage.original:
            if (p.kind == "ignore" and p.target is None) or (p.kind == "skip-file" and ALL in p.codes):
                continue  # reported as applying to nothing / the whole file was left alone
            used = _used_codes(self.usage, p)
            if ALL in p.codes:
                idle = [] if used else [ALL]
            else:
                idle = [c for c in sorted(p.codes) if enabled(c) and c not in used]
            if not idle:
                continue
            where = f"on the instruction at line {p.target}" if p.kind == "ignore" else "in the file"
            what = "no finding" if idle == [ALL] else "no " + " or ".join(idle) + " finding"
            out.append(f"line {p.line}: unused suppression comment {p.text!r}: {what} {where}")
        return out


def _used_codes(u: _Usage, p: Pragma) -> set[str]:
    return {c for t, n, c in u.exact if (t, n) == (p.text, p.nth)} | {c for t, c in u.by_text if t == p.text}


def _parse(text: str, lineno: int, known, warnings: list[str]) -> tuple[str, frozenset[str]] | None:
    m = PRAGMA.match(text.lstrip())
    if not m:
        return None
    form = FORM.fullmatch(m.group(1))
    if not form:
        warnings.append(f"line {lineno}: unrecognised suppression comment {text.strip()!r}")
        return None
    kind, listed = form.group(1).lower(), form.group(2)
    if listed is None:
        return kind, frozenset({ALL})
    codes = frozenset(c.upper() for c in re.split(r"[,\s]+", listed) if c)
    for code in sorted(codes - set(known)):
        warnings.append(f"line {lineno}: unknown rule code {code} in suppression comment")
    return kind, codes & set(known)


def read_suppressions(df: Dockerfile, known, previous: Suppressions | None = None) -> Suppressions:
    """The suppression comments of a file. ``known``: the rule codes that exist. ``previous``: the
    suppressions of the text a fix was applied to (usage is carried over; warnings are not
    repeated)."""
    sup = Suppressions()
    if previous is not None:
        sup.usage, sup.is_original = previous.usage, False
    if not _MENTION.search(df.text):  # no suppression comment (the common case): nothing to read
        return sup
    warnings: list[str] = []
    first = {inst.start: inst for inst in df.instructions}
    inside: dict[int, int] = {}  # line index -> first line index of the instruction it is in
    bodies: set[int] = set()
    for inst in df.instructions:
        for j in range(inst.start + 1, inst.end + 1):
            inside[j] = inst.start
        for h in inst.heredocs:
            bodies.update(range(h.body_start, h.end + 1))
    seen: Counter = Counter()
    block: list[tuple[int, str, frozenset[str]]] = []  # ignore comments waiting for their instruction
    gap: int | None = None  # a blank line after the block (1-based), before any instruction

    def close(target: int | None, why: str | None) -> None:
        for line, text, codes in block:
            if target is None:
                warnings.append(f"line {line}: suppression comment {text!r} applies to nothing: {why}")
            nth = seen[text]
            seen[text] += 1
            sup.pragmas.append(Pragma(line, text, nth, "ignore", codes, target))
        block.clear()

    for j, line in enumerate(df.lines):
        if j in first:
            inst = first[j]
            if block and gap is not None:
                close(None, f"a blank line (line {gap}) separates it from the instruction at line {inst.lineno}; "
                      "put it directly above the instruction")
            if block:
                sup.spans[inst.lineno] = frozenset(range(inst.lineno, inst.end + 2))
            close(inst.lineno, None)
            gap = None
            continue
        if j in bodies:
            continue
        if not _is_comment(line):
            if j not in inside and block and gap is None:
                gap = j + 1
            continue
        text = _trim_newline(line).strip()
        parsed = _parse(text, j + 1, known, warnings)
        if parsed is None:
            continue
        kind, codes = parsed
        if j in inside:
            warnings.append(f"line {j + 1}: suppression comment {text!r} is inside the instruction at line "
                            f"{inside[j] + 1}, where it applies to nothing; put it above the instruction")
            continue
        if kind == "skip-file":
            nth = seen[text]
            seen[text] += 1
            sup.pragmas.append(Pragma(j + 1, text, nth, "skip-file", codes, None))
            sup.file |= codes
        else:
            if gap is not None:  # a blank line cut the earlier comments off from what follows
                close(None, f"a blank line (line {gap}) separates it from the next instruction; put it directly above the instruction")
                gap = None
            block.append((j + 1, text, codes))
    close(None, "no instruction follows it")
    for p in sup.pragmas:
        if p.kind == "ignore" and p.target is not None:
            for k in sup.spans[p.target]:
                sup.lines[k] = sup.lines.get(k, frozenset()) | p.codes
    if previous is None:
        sup.warnings = sorted(warnings, key=lambda w: int(w.split(":", 1)[0].split()[1]))
        sup.usage.original = list(sup.pragmas)
    return sup
