"""Suppression comments: read by the engine, never by rules.

    # dockfix: ignore[DF001]        in the comment block directly above an instruction: no DF001
    # dockfix: ignore[DF001,DF002]  several rules (commas or spaces)
    # dockfix: ignore               every rule, for that instruction
    # dockfix: skip-file            anywhere at the top level: leave the whole file alone
    # dockfix: skip-file[DF002]     one rule (or several) off for the whole file

A finding is suppressed when the line dockfix reports it at belongs to an instruction whose comment
block carries the code (or a bare ``ignore``). Codes are case-insensitive. Unknown codes and
comments starting ``# dockfix:`` that are not one of these forms are reported, never fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Dockerfile
from .reader import _is_comment, _trim_newline

PRAGMA = re.compile(r"#\s*dockfix\s*:\s*(.*?)\s*$", re.IGNORECASE)
FORM = re.compile(r"(ignore|skip-file)\s*(?:\[([^\]]*)\])?", re.IGNORECASE)
ALL = "*"


@dataclass
class Suppressions:
    file: frozenset[str] = frozenset()  # codes off for the whole file ("*" = all)
    lines: dict[int, frozenset[str]] = field(default_factory=dict)  # 1-based line -> codes
    warnings: list[str] = field(default_factory=list)  # one line each, with the line number

    @property
    def skip_file(self) -> bool:
        return ALL in self.file

    def suppresses(self, code: str, lineno: int) -> bool:
        codes = self.file | self.lines.get(lineno, frozenset())
        return ALL in codes or code in codes


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


def read_suppressions(df: Dockerfile, known) -> Suppressions:
    """The suppression comments of a file. ``known``: the rule codes that exist."""
    sup = Suppressions()
    inner = {j for inst in df.instructions for j in range(inst.start, inst.end + 1)}
    first = {inst.start: inst for inst in df.instructions}
    pending: set[str] = set()
    for j, line in enumerate(df.lines):
        if j in first:
            if pending:
                inst = first[j]
                for k in range(inst.start, inst.end + 1):
                    sup.lines[k + 1] = frozenset(pending)
            pending = set()
            continue
        if j in inner:
            continue
        if not _is_comment(line):
            pending = set()  # a blank line ends the block directly above an instruction
            continue
        parsed = _parse(_trim_newline(line), j + 1, known, sup.warnings)
        if parsed is None:
            continue
        kind, codes = parsed
        if kind == "skip-file":
            sup.file |= codes
        else:
            pending |= codes
    return sup
