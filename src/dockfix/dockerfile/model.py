"""Frozen data classes shared by every stage of the pipeline.

Positions are 0-based physical line indexes into ``Dockerfile.lines`` unless a name says
``lineno`` (1-based, for people).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from enum import Enum


@dataclass(frozen=True)
class Flag:
    """A leading ``--name=value`` word of an instruction (``value`` is None for ``--link``)."""

    name: str
    value: str | None
    raw: str  # the word as written, quotes kept

    def __str__(self) -> str:
        return self.raw


@dataclass(frozen=True)
class Heredoc:
    """A heredoc of an instruction: its terminator and body."""

    name: str  # terminator word, quotes removed
    chomp: bool  # <<-
    quoted: bool  # <<"EOF" / <<'EOF': no expansion in the body
    fd: int | None
    body: str  # the body lines, each with its own terminator, terminator line excluded
    body_start: int  # index of the first body line
    end: int  # index of the terminator line (or last line of the file if unterminated)


@dataclass(frozen=True)
class Instruction:
    """One instruction as read: its keyword, flags, arguments and where its lines are."""

    keyword: str  # upper case, as BuildKit reports it (ONBUILD for ONBUILD ...)
    raw_keyword: str  # as written
    start: int  # first physical line
    end: int  # last physical line, heredoc bodies included
    logical: str  # the logical line: continuations joined as BuildKit joins them, no newline
    rest: str  # what follows the keyword in ``logical`` (leading whitespace removed)
    flags: tuple[Flag, ...]
    args: str  # ``rest`` after the flags (for ONBUILD: the whole sub-instruction)
    json_form: bool
    json_args: tuple[str, ...] | None
    heredocs: tuple[Heredoc, ...] = ()
    sub: Instruction | None = None  # ONBUILD's instruction
    keyword_split: bool = False  # the keyword is cut by a continuation (RU\ N)
    open_at_eof: bool = False  # a continuation still open at the end of the file
    # (logical offset, physical line, column, length) of each piece of ``logical``
    pieces: tuple[tuple[int, int, int, int], ...] = ()
    args_offset: int = 0  # where ``args`` starts in ``logical``

    @property
    def lineno(self) -> int:
        return self.start + 1

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class Stage:
    """One build stage: the instructions from its FROM to the next."""

    index: int
    start: int  # index into Dockerfile.instructions of the FROM
    end: int  # exclusive index into Dockerfile.instructions
    base: str  # image reference as written (variables unexpanded)
    name: str | None  # AS name, lower case


@dataclass(frozen=True)
class Dockerfile:
    """A Dockerfile as read: its text, lines, parser directives, instructions and stages."""

    path: str  # for messages; "-" for stdin
    data: bytes  # the original bytes
    text: str  # decoded with surrogateescape, BOM removed
    bom: bool
    lines: tuple[str, ...]  # physical lines of ``text``, each with its own terminator
    escape: str  # "\\" or "`"
    directives: tuple[tuple[str, str, int], ...]  # (name lower, value, line index)
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    # (line index, why): places where BuildKit versions read the file differently
    ambiguities: tuple[tuple[int, str], ...] = ()

    def encode(self, text: str) -> bytes:
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8", "surrogateescape")

    def directive(self, name: str) -> str | None:
        for n, v, _ in self.directives:
            if n == name:
                return v
        return None

    @cached_property
    def stage_parents(self) -> tuple[Stage | None, ...]:
        """For each stage, the earlier stage it is built FROM (the first of that name or index),
        else None; once per file."""
        first: dict[str, Stage] = {}
        parents: list[Stage | None] = []
        for st in self.stages:
            words = self.instructions[st.start].args.split()
            parents.append(first.get(words[0].lower() if words else ""))
            for key in (st.name, str(st.index)):
                if key is not None:
                    first.setdefault(key, st)
        return tuple(parents)

    def stage_of(self, index: int) -> Stage | None:
        k = bisect_right(self.stages, index, key=lambda st: st.start) - 1  # stages are in file order
        if k >= 0 and self.stages[k].start <= index < self.stages[k].end:
            return self.stages[k]
        return None


class ParseError(ValueError):
    """Input BuildKit would reject (or that dockfix cannot read). ``lineno`` is 1-based."""

    def __init__(self, message: str, lineno: int | None = None):
        super().__init__(message)
        self.message = message
        self.lineno = lineno


# --- what rules produce ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """How an instruction produced by an edit must read back (checked by the engine)."""

    keyword: str
    flags: tuple[str, ...]  # raw flag words
    words: tuple[str, ...]  # args split on whitespace (JSON form: the array's strings)
    heredocs: tuple[str, ...] = ()  # heredoc bodies


@dataclass(frozen=True)
class Edit:
    """Replace physical lines [start, end) with ``text`` (start == end inserts).

    ``text`` must end with a line terminator unless it replaces the file's last line that had none.
    ``expect`` lists, in order, the instructions that the new text must read back as.
    """

    start: int
    end: int
    text: str
    expect: tuple[Expect, ...] = ()
    adds_comments: tuple[str, ...] = ()  # comment lines the edit adds on purpose (a directive)
    removes: int = 0  # instructions the edit deletes on purpose (the engine checks nothing else goes)


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    """A change a rule proposes: its message, line and edits."""

    code: str
    name: str
    message: str
    lineno: int
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    lines: tuple[int, ...] = ()  # other lines the fix concerns (1-based): a suppression above any applies


@dataclass(frozen=True)
class Skip:
    """A finding a rule reports without a change: why, and on which line."""

    code: str
    name: str
    reason: str
    lineno: int
    lines: tuple[int, ...] = ()  # other lines the refusal concerns (1-based): a suppression above any applies


@dataclass(frozen=True)
class Settings:
    """The rule settings of a run (command line and configuration)."""

    select: frozenset[str] | None = None  # None = all rules
    ignore: frozenset[str] = frozenset()
    unsafe_fixes: bool = False
    add_syntax: bool = False  # add "# syntax=docker/dockerfile:1" where a cache mount is added
    builder: str | None = None  # builders.BUILDERS; None: BuildKit unless the repository says otherwise
    root_images: tuple[str, ...] = ()  # image prefixes the user declares to run as root (HOME=/root)
    debian_images: tuple[str, ...] = ()  # image prefixes the user declares Debian or Ubuntu


@dataclass
class FileResult:
    """The outcome of one file. Picklable; nothing raises past it."""

    path: str
    outcome: str  # "changed" | "unchanged" | "skipped" | "failed"
    context: str | None = None
    context_source: str | None = None  # "cli", "compose:<file>", "folder" (the Dockerfile's own)
    fixes: list[Fix] = field(default_factory=list)  # applied
    skips: list[Skip] = field(default_factory=list)
    unapplied: list[Fix] = field(default_factory=list)  # unsafe fixes not applied, or dropped
    error: str | None = None  # one line, for "failed"
    warnings: list[str] = field(default_factory=list)  # e.g. unknown codes in suppression comments
    suppressed: int = 0  # findings dropped by suppression comments
    unsafe_fixes_available: int = 0  # unsafe fixes not applied because unsafe fixes were not asked for
    original: bytes = b""
    patched: bytes = b""
