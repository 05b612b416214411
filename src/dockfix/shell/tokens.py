"""The lexer's vocabulary: operators, reserved words, tokens and the commands being built."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .nodes import Command, Word


# --- reading the script ----------------------------------------------------------------------


class _Unreadable(Exception):
    """The script cannot be read reliably."""


_BLANKS = " \t"
_METACHARACTERS = " \t\n;&|()<>"
_OPERATORS = sorted(
    ["&&", "||", ";;&", ";;", ";&", ";", "|&", "|", "&>>", "&>", "&", "(", ")",
     "<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">|", ">&", ">"],
    key=len,
    reverse=True,
)  # longest first
_OPERATOR = re.compile("|".join(map(re.escape, _OPERATORS)))  # alternatives tried in order: longest first
# Runs of characters that need no decision one at a time: scanned by one regular expression each.
_PLAIN_IN_WORD = re.compile(r"[^ \t\n;&|()<>\\'\"$`*?\[~{}]+")
_PLAIN_IN_DOUBLE_QUOTES = re.compile(r'[^"\\$`]+')
_PLAIN_IN_BRACES = re.compile(r"[^}\\'\"$`]+")
_BLANK_RUN = re.compile(r"(?:[ \t]|\\\n)+")
_REDIRECTIONS = frozenset({"<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">|", ">&", ">", "&>>", "&>"})
_CONTINUING = frozenset({"&&", "||", "|"})  # operators that need a command after them
_FD = re.compile(r"\d+(?=[<>])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_SPECIAL_PARAMETERS = "0123456789@*#?$!-"

# reserved word -> (the open constructs it may follow, what it turns the construct into; None closes it)
_CONTINUATIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "then": (frozenset({"if"}), "then"),
    "elif": (frozenset({"then"}), "if"),
    "else": (frozenset({"then"}), "else"),
    "fi": (frozenset({"then", "else"}), None),
    "do": (frozenset({"for", "while"}), "do"),
    "done": (frozenset({"do"}), None),
    "esac": (frozenset({"case"}), None),
    "}": (frozenset({"brace"}), None),
}
_OPENERS = frozenset({"if", "while", "until", "for", "select", "case", "{", "!", "[[", "function"})
_RESERVED = _OPENERS | _CONTINUATIONS.keys() | {"in"}


@dataclass(frozen=True)
class _Token:
    """A token of the script with its span: a word, an operator, a redirection or the end."""

    kind: str  # 'word', 'op', 'redirect' or 'end'
    text: str  # the operator, or the word as written
    start: int
    end: int
    word: Word | None = None
    substitution: bool = False  # the word runs commands: $( ) or backticks


def _is(tok: _Token, kind: str, text: str) -> bool:
    return tok.kind == kind and tok.text == text


@dataclass
class _WordState:
    """A word being read: its value so far and whether it expands or runs commands."""

    value: list[str] = field(default_factory=list)
    expansion: bool = False
    substitution: bool = False


@dataclass
class _Builder:
    """A simple command being built; ``freeze`` gives the ``Command``."""

    start: int
    end: int
    op_before: str | None
    compound: bool
    words: list[Word] = field(default_factory=list)
    assignments: list[Word] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    op_after: str | None = None

    def freeze(self) -> Command:
        return Command(
            words=tuple(self.words),
            assignments=tuple(self.assignments),
            start=self.start,
            end=self.end,
            op_before=self.op_before,
            op_after=self.op_after,
            compound=self.compound,
            redirects=tuple(self.redirects),
        )
