"""Building edits: the only place that turns intentions (move, insert, delete a word) into text.

Rules call these helpers and return the resulting ``Edit`` objects; they never splice text
themselves. Every helper copies untouched bytes from the original lines and gives inserted
lines the line ending of their neighbour.
"""

from __future__ import annotations

from dataclasses import replace

from .model import Dockerfile, Edit, Expect, Instruction
from .reader import _is_comment, _trim_newline


def newline_at(df: Dockerfile, idx: int) -> str:
    """The line ending to use for a line inserted at ``idx`` (copies a neighbour's)."""
    for j in (idx, idx - 1, idx + 1):
        if 0 <= j < len(df.lines) and df.lines[j].endswith("\n"):
            return "\r\n" if df.lines[j].endswith("\r\n") else "\n"
    return "\n"


def expect_of(inst: Instruction) -> Expect:
    return Expect(
        keyword=inst.keyword,
        flags=tuple(f.raw for f in inst.flags),
        words=tuple(inst.json_args) if inst.json_form and inst.json_args is not None else tuple(inst.args.split()),
        heredocs=tuple(h.body for h in inst.heredocs),
    )


def owners(df: Dockerfile) -> list[int | None]:
    """For each physical line, the index of the instruction whose span holds it (None: a gap)."""
    own: list[int | None] = [None] * len(df.lines)
    for k, inst in enumerate(df.instructions):
        for j in range(inst.start, inst.end + 1):
            own[j] = k
    return own


def comment_block_start(df: Dockerfile, inst: Instruction) -> int:
    """First line of the comment block directly above ``inst`` (``inst.start`` if none)."""
    own = owners(df)
    directive_lines = {line for _, _, line in df.directives}
    j = inst.start
    while j > 0 and own[j - 1] is None and j - 1 not in directive_lines and _is_comment(df.lines[j - 1]):
        j -= 1
    return j


def is_blank(line: str) -> bool:
    return _trim_newline(line).strip(" \t") == ""


def block(df: Dockerfile, start: int, end: int) -> str:
    """Lines [start, end) joined, the last one terminated (with its neighbour's ending)."""
    text = "".join(df.lines[start:end])
    if text and not text.endswith("\n"):
        text += newline_at(df, end - 1)
    return text


def lines_text(df: Dockerfile, idx: int, new_lines: list[str]) -> str:
    """New lines joined with the line ending in use at ``idx``."""
    nl = newline_at(df, idx)
    return "".join(line + nl for line in new_lines)


def insert_before(df: Dockerfile, idx: int, text: str, expect: tuple[Expect, ...]) -> Edit:
    return Edit(idx, idx, text, expect)


def insert_after(df: Dockerfile, inst: Instruction, text: str, expect: tuple[Expect, ...]) -> Edit:
    """Insert ``text`` right after ``inst``; handles a last line without a final newline."""
    last = df.lines[inst.end]
    if last.endswith("\n"):
        return Edit(inst.end + 1, inst.end + 1, text, expect)
    # The file ends without a newline: end the instruction's line and keep the file's lack of one.
    own = "".join(df.lines[inst.start : inst.end + 1])
    return Edit(
        inst.start,
        inst.end + 1,
        own + newline_at(df, inst.end) + text.rstrip("\r\n"),
        (expect_of(inst),) + expect,
    )


def remove_instruction(df: Dockerfile, inst: Instruction) -> Edit:
    """Delete an instruction on purpose (its comment block stays: it may speak of more)."""
    return replace(remove_block(df, inst.start, inst.end + 1), removes=1)


def remove_block(df: Dockerfile, start: int, end: int) -> Edit:
    """Delete lines [start, end); when that leaves two blank lines together, one goes too."""
    if end < len(df.lines) and start > 0 and is_blank(df.lines[start - 1]) and is_blank(df.lines[end]):
        end += 1
    if end >= len(df.lines) and start > 0 and not df.lines[-1].endswith("\n"):
        # Removing the file's last line: the new last line loses its terminator, as the file had none.
        prev = df.lines[start - 1]
        return Edit(start - 1, end, _trim_newline(prev) if prev.endswith("\n") else prev)
    return Edit(start, end, "")


def logical_to_physical(inst: Instruction, a: int, b: int) -> list[tuple[int, int, int]]:
    """Map the logical span [a, b) of ``inst.logical`` to (line, col_start, col_end) pieces."""
    out = []
    for off, line, col, length in inst.pieces:
        lo, hi = max(a, off), min(b, off + length)
        if lo < hi:
            out.append((line, col + lo - off, col + hi - off))
    return out


def rewrite_instruction(
    df: Dockerfile,
    inst: Instruction,
    expect: Expect,
    spans: list[tuple[int, int]] = (),
    insert: tuple[int, str] | None = None,
    inserts: list[tuple[int, str]] = (),
) -> Edit:
    """Delete logical spans of ``inst``, insert text at logical offsets and/or into its first line.

    ``insert`` is (column on the first physical line, text); ``inserts`` are (logical offset, text).
    Insertions must not fall inside a deleted span. A continuation line left with nothing but
    whitespace and the escape character is dropped; if that line ended the instruction, the
    previous line's continuation is closed instead.
    """
    lines = {j: df.lines[j] for j in range(inst.start, inst.end + 1)}
    ops: dict[int, list[tuple[int, int, str]]] = {}  # line -> (col start, col end, new text)
    for a, b in spans:
        for line, c0, c1 in logical_to_physical(inst, a, b):
            ops.setdefault(line, []).append((c0, c1, ""))
    for pos, text in inserts:
        line, col = _physical_position(inst, pos)
        ops.setdefault(line, []).append((col, col, text))
    if insert is not None:
        ops.setdefault(inst.start, []).append((insert[0], insert[0], insert[1]))
    for line, changes in ops.items():
        text = lines[line]
        for c0, c1, new in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
            text = text[:c0] + new + text[c1:]
        lines[line] = text
    real = [p[1] for p in inst.pieces]
    for line in sorted(ops):
        if line == inst.start:
            continue
        body = _trim_newline(lines[line]).rstrip(" \t")
        if body.endswith(df.escape):
            body = body[:-1]
        if body.strip(" \t") == "":
            if line == real[-1]:
                prev = max(p for p in real if p < line)
                lines[prev] = _close_continuation(lines[prev], df.escape)
            del lines[line]
            real = [p for p in real if p != line]
    return Edit(inst.start, inst.end + 1, "".join(v for _, v in sorted(lines.items())), (expect,))


def _physical_position(inst: Instruction, pos: int) -> tuple[int, int]:
    """(line, column) of logical offset ``pos``; the end of a piece counts as inside it."""
    for off, line, col, length in inst.pieces:
        if off <= pos <= off + length:
            return line, col + pos - off
    raise ValueError(f"offset {pos} is outside the instruction at line {inst.lineno}")


def _close_continuation(line: str, escape: str) -> str:
    body = _trim_newline(line)
    ending = line[len(body) :]
    stripped = body.rstrip(" \t")
    if stripped.endswith(escape):
        stripped = stripped[:-1].rstrip(" \t")
    return stripped + ending


# --- spans of words and commands in a RUN's logical line ------------------------------------------


def _piece_bounds(inst: Instruction, pos: int) -> tuple[int, int]:
    """The logical [start, end) of the physical piece holding logical offset ``pos``."""
    for off, _, _, length in inst.pieces:
        if off <= pos < off + length:
            return off, off + length
    return pos, pos


def word_span(inst: Instruction, a: int, b: int) -> tuple[int, int]:
    """The logical span to delete to remove the word at [a, b) with one run of blanks.

    Takes the blanks after the word when more text follows on the same physical line, else the
    blanks before it on that line; a word alone on its line goes alone (the line is then dropped).
    """
    text = inst.logical
    lo, hi = _piece_bounds(inst, a)
    e = b
    while e < hi and text[e] in " \t":
        e += 1
    if e < hi and e > b:
        return a, e
    s = a
    while s > lo and text[s - 1] in " \t":
        s -= 1
    if s < a:
        return s, b
    return a, b


def delete_expect(
    inst: Instruction,
    spans: list[tuple[int, int]],
    extra_flags: tuple[str, ...] = (),
    inserts: list[tuple[int, str]] = (),
) -> Expect:
    """How ``inst`` must read back once ``spans`` are deleted and ``inserts`` made (logical
    offsets, all inside its args), with ``extra_flags`` before its own flags."""
    logical = inst.logical
    changes = [(a, b, "") for a, b in spans] + [(p, p, t) for p, t in inserts]
    for a, b, text in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
        logical = logical[:a] + text + logical[b:]
    shift = sum(b - a for a, b in spans if b <= inst.args_offset) - sum(len(t) for p, t in inserts if p < inst.args_offset)
    args = logical[inst.args_offset - shift :]
    base = expect_of(inst)
    return Expect(base.keyword, extra_flags + base.flags, tuple(args.split()), base.heredocs)
