"""What the shell reader gives: a ``Word`` with its offsets, a simple ``Command``, the ``Invocation`` of a tool."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One shell word: ``script[start:end] == raw``."""

    raw: str  # as written, quotes kept
    value: str  # quotes removed, backslash escapes resolved; expansions left as written ($X)
    start: int
    end: int
    has_expansion: bool  # $VAR, ${..}, $(..), backticks, unquoted glob or brace characters, ~


@dataclass(frozen=True)
class Command:
    """A simple command of the script."""

    words: tuple[Word, ...]  # after the leading assignments
    assignments: tuple[Word, ...]  # leading VAR=value words
    start: int  # span of the command text in the script, assignments and redirections included
    end: int
    op_before: str | None  # '&&', '||', ';', '|', '&', '\n' (';;' in case), None for the first
    op_after: str | None  # the separator that ends it, None when nothing does
    compound: bool  # part of anything more than a plain simple command (see split_commands)
    redirects: tuple[str, ...]  # redirections as written, with their targets: '> /dev/null', '2>&1'


@dataclass(frozen=True)
class Invocation:
    """A command read as a run of a known tool (``tool='other'`` otherwise)."""

    command: Command
    # tool: 'pip', 'uv', 'uv-pip', 'poetry', 'pipenv', 'pdm', 'pip-sync', 'pip-compile', 'conda' (also
    # mamba, micromamba), 'apt' (apt-get, apt), 'apk', 'yum' (also dnf, microdnf), 'rm', 'cd', 'setup.py'
    # or 'other'
    tool: str
    sub: str | None  # subcommand: 'install', 'cache purge', 'env create', ...; None when absent
    program: str  # how the tool was invoked: 'pip3', 'python3.11 -m pip', '/usr/local/bin/pip', 'uv pip'
    options: tuple[tuple[str, str | None, Word], ...]  # (canonical name, value or None, the option word)
    args: tuple[Word, ...]  # positional arguments after the subcommand
    value_words: tuple[Word, ...] = ()  # words read as the value of the option word just before them
    unknown: tuple[Word, ...] = ()  # option words the tool's table does not know, or malformed ones

    def option_values(self, name: str) -> list[str | None]:
        """The values given to the option with this canonical name, in order."""
        return [value for option, value, _ in self.options if option == name]

    def option_words(self, word: Word) -> tuple[Word, ...]:
        """The words that hold the option written as ``word``: it and its separate value, if any."""
        words = self.command.words
        k = words.index(word)
        if k + 1 < len(words) and words[k + 1] in self.value_words:
            return word, words[k + 1]
        return (word,)
