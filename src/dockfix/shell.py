"""Reading the shell script of a RUN instruction: its simple commands and the installers they run.

``split_commands`` reads POSIX sh (plus the bash syntax common in Dockerfiles) far enough to list
every simple command with its words, the operators around it and whether it is part of anything
more than a plain command. ``parse_invocation`` then says which tool a command runs (pip, uv,
poetry, conda, apt-get, rm, ...) and sorts its words into subcommand, options and arguments.

Every word keeps its offsets: ``script[word.start:word.end] == word.raw``, so a caller can delete a
word from the original text. When the script cannot be read reliably the answer is None, never a
guess: unbalanced quotes, unterminated ``$(``/``${``/backticks/here-documents, misplaced reserved
words or operators, and a few constructs this reader does not follow (backslashes inside
backticks, quotes or substitutions inside ``$(( ))``, process substitution, ``|&``, arrays).

Known limits, all on the conservative side:

- Commands inside ``$( )`` and backticks are listed too (``compound=True``), right after the command
  that contains them: the list is in text order. ``op_before``/``op_after`` link commands of the same
  list only, so the first command inside a substitution has ``op_before=None``.
- The reserved words of compound commands (``if``, ``then``, ``do``, ``{``, ``!`` ...), ``for``/``case``
  headers and function names belong to no command. ``[[ ... ]]`` is one compound command whose words
  are all its tokens.
- ``has_expansion`` errs towards True: unquoted ``{...}`` (brace expansion in bash, ``find -exec {}``)
  and a ``~`` at the start of a word or after ``=``/``:`` count, ``$'...'`` and ``$"..."`` count (their
  ``value`` is the raw text).
- ``&>``/``&>>`` mean a redirection in bash but "run in the background, then redirect" in sh: the
  command is marked compound.
- Wrappers are not unwrapped: ``sudo pip install``, ``env X=1 pip install``, ``time pip ...`` and
  ``xargs pip ...`` are tool ``'other'``. So are ``python -m piptools``, ``uvx`` and ``$PIP install``.
  A program whose directory comes from a variable (``$VENV/bin/pip``) is recognised by its name.
- Options are read with a table per tool. An option the table does not know is still listed in
  ``options`` (with the value after ``=`` if any) and also in ``Invocation.unknown``: its arity is
  unknown, so the arguments after it may be misread. pip's unambiguous abbreviations of long options
  (``--no-cache`` for ``--no-cache-dir``) are resolved as pip resolves them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


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


def split_commands(script: str) -> list[Command] | None:
    """The simple commands of ``script`` in text order, or None if it cannot be read reliably.

    A command is ``compound`` when it is inside or made of anything but a plain simple command:
    ( ), { }, if/while/until/for/select/case bodies and conditions, function bodies, ``!``,
    ``[[ ]]``, a command substitution (in its words or around it), or an input redirection
    (``<``, ``<<``, ``<<<``, ``<&``, ``<>``, and the bash-only ``&>``). Comments are skipped;
    here-document bodies are skipped unread; a backslash-newline is a line continuation.
    """
    lexer = _Lexer(script)
    try:
        _Parser(lexer, closer=None, nested=False).run()
    except (_Unreadable, RecursionError):  # RecursionError: substitutions nested hundreds deep
        return None
    return [b.freeze() for b in sorted(lexer.commands, key=lambda b: b.start)]


def parse_invocation(cmd: Command) -> Invocation:
    """Which tool ``cmd`` runs, and its subcommand, options and arguments."""
    words = cmd.words
    if not words:
        return _other(cmd)
    head = words[0].value
    name = head.rpartition("/")[2]
    grammar = _PIP if _PIP_NAME.fullmatch(name) else _PROGRAMS.get(name)
    if grammar is not None:
        return _invocation(cmd, grammar, head, 1)
    if _PYTHON_NAME.fullmatch(name):
        return _python(cmd)
    return _other(cmd)


def invocations(script: str) -> list[Invocation] | None:
    """``parse_invocation`` of every command of ``script``; None if it cannot be read reliably."""
    commands = split_commands(script)
    return None if commands is None else [parse_invocation(c) for c in commands]


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
    value: list[str] = field(default_factory=list)
    expansion: bool = False
    substitution: bool = False


@dataclass
class _Builder:
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


class _Lexer:
    """Tokens of the script; reading a command substitution parses it on the spot."""

    def __init__(self, script: str) -> None:
        self.s = script
        self.i = 0
        self.end = len(script)  # lowered while reading the inside of backticks
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip tabs): bodies after the next newline
        self.commands: list[_Builder] = []
        self._peeked: _Token | None = None

    def next(self) -> _Token:
        tok = self.peek()
        self._peeked = None
        return tok

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._read()
        return self._peeked

    def _read(self) -> _Token:
        self._skip_blanks_and_comments()
        s, start = self.s, self.i
        if start >= self.end:
            return _Token("end", "", start, start)
        if s[start] == "\n":
            self.i += 1
            self._skip_heredoc_bodies()
            return _Token("op", "\n", start, start + 1)
        fd = _FD.match(s, start, self.end)
        op_start = fd.end() if fd else start
        m = _OPERATOR.match(s, op_start, self.end)
        if m is None:
            return self._word()
        op = m.group()
        self.i = op_start + len(op)
        return _Token("redirect" if op in _REDIRECTIONS else "op", op, start, self.i)

    def _skip_blanks_and_comments(self) -> None:
        s = self.s
        while self.i < self.end:
            if s[self.i] in _BLANKS or s[self.i] == "\\":
                m = _BLANK_RUN.match(s, self.i, self.end)
                if m is None:
                    return
                self.i = m.end()
            elif s.startswith("\\\n", self.i, self.end):
                self.i += 2
            elif s[self.i] == "#":
                newline = s.find("\n", self.i, self.end)
                self.i = self.end if newline < 0 else newline
            else:
                return

    def _skip_heredoc_bodies(self) -> None:
        s = self.s
        for delimiter, strip_tabs in self.heredocs:
            while True:
                if self.i >= self.end:
                    raise _Unreadable(f"here-document {delimiter!r} is not terminated")
                newline = s.find("\n", self.i, self.end)
                line_end = self.end if newline < 0 else newline
                line = s[self.i : line_end]
                self.i = min(line_end + 1, self.end)
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs.clear()

    def _word(self) -> _Token:
        s, start = self.s, self.i
        st = _WordState()
        content_end = start  # trailing line continuations are not part of the word
        brace_opened = False
        while self.i < self.end and s[self.i] not in _METACHARACTERS:
            plain = _PLAIN_IN_WORD.match(s, self.i, self.end)
            if plain is not None:
                st.value.append(plain.group())
                self.i = content_end = plain.end()
                continue
            c = s[self.i]
            if s.startswith("\\\n", self.i, self.end):
                self.i += 2
                continue
            if c == "\\":
                if self.i + 1 >= self.end:
                    raise _Unreadable("the script ends with a backslash")
                st.value.append(s[self.i + 1])
                self.i += 2
            elif c == "'":
                self._single_quoted(st)
            elif c == '"':
                self._double_quoted(st)
            elif c == "$":
                self._dollar(st, quoted=False)
            elif c == "`":
                self._backticks(st)
            else:
                tilde = c == "~" and (self.i == start or s[self.i - 1] in "=:")
                if c in "*?[" or tilde or (c == "}" and brace_opened):
                    st.expansion = True
                brace_opened = brace_opened or c == "{"
                st.value.append(c)
                self.i += 1
            content_end = self.i
        word = Word(s[start:content_end], "".join(st.value), start, content_end, st.expansion)
        return _Token("word", word.raw, start, content_end, word, st.substitution)

    def _single_quoted(self, st: _WordState) -> None:
        close = self.s.find("'", self.i + 1, self.end)
        if close < 0:
            raise _Unreadable("unterminated single quote")
        st.value.append(self.s[self.i + 1 : close])
        self.i = close + 1

    def _double_quoted(self, st: _WordState) -> None:
        s = self.s
        self.i += 1
        while True:
            if self.i >= self.end:
                raise _Unreadable("unterminated double quote")
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            plain = _PLAIN_IN_DOUBLE_QUOTES.match(s, self.i, self.end)
            if plain is not None:
                st.value.append(plain.group())
                self.i = plain.end()
                continue
            if c == "\\" and self.i + 1 < self.end and s[self.i + 1] in '$`"\\\n':
                if s[self.i + 1] != "\n":
                    st.value.append(s[self.i + 1])
                self.i += 2
            elif c == "$":
                self._dollar(st, quoted=True)
            elif c == "`":
                self._backticks(st)
            else:
                st.value.append(c)
                self.i += 1

    def _dollar(self, st: _WordState, quoted: bool) -> None:
        """A ``$`` at self.i: an expansion (kept as written in the value) or a literal dollar."""
        s, start = self.s, self.i
        nxt = s[start + 1] if start + 1 < self.end else ""
        inner = _WordState()  # flags of nested text; its value is not used
        if nxt == "(":
            self._parenthesised(inner)
        elif nxt == "{":
            self.i += 2
            self._braced(inner)
        elif nxt == "'" and not quoted:
            self.i += 1
            self._ansi_c_quoted()
        elif nxt == '"' and not quoted:
            self.i += 1
            self._double_quoted(inner)
        elif nxt and ((nxt.isascii() and nxt.isalpha()) or nxt == "_"):
            self.i = _NAME.match(s, start + 1, self.end).end()
        elif nxt and nxt in _SPECIAL_PARAMETERS:
            self.i += 2
        else:
            st.value.append("$")
            self.i += 1
            return
        st.expansion = True
        st.substitution |= inner.substitution
        st.value.append(s[start : self.i])

    def _parenthesised(self, inner: _WordState) -> None:
        """``$(( arithmetic ))`` or ``$( commands )``; self.i at the ``$``."""
        if self.s.startswith("((", self.i + 1, self.end):
            stop = self._arithmetic_end(self.i + 3)
            if stop is not None:
                self.i = stop
                return
        self.i += 2
        _Parser(self, closer=")", nested=True).run()
        inner.substitution = True

    def _arithmetic_end(self, j: int) -> int | None:
        """End of ``$((...))`` whose text starts at j; None if the ``((`` opens a subshell instead."""
        s, depth = self.s, 0
        while j < self.end:
            c = s[j]
            if c in "'\"`\\" or s.startswith("$(", j, self.end):
                raise _Unreadable("quotes or substitutions inside $(( ))")
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    return j + 2 if s.startswith(")", j + 1, self.end) else None
                depth -= 1
            j += 1
        raise _Unreadable("unterminated $((")

    def _braced(self, inner: _WordState) -> None:
        """The rest of ``${...}``; self.i after the ``${``."""
        s = self.s
        while self.i < self.end:
            c = s[self.i]
            if c == "}":
                self.i += 1
                return
            if c == "\\":
                self.i += 2
            elif c == "'":
                self._single_quoted(inner)
            elif c == '"':
                self._double_quoted(inner)
            elif c == "$":
                self._dollar(inner, quoted=True)
            elif c == "`":
                self._backticks(inner)
            else:
                self.i = _PLAIN_IN_BRACES.match(s, self.i, self.end).end()
        raise _Unreadable("unterminated ${")

    def _ansi_c_quoted(self) -> None:
        """The rest of ``$'...'``; self.i at the quote."""
        s, j = self.s, self.i + 1
        while j < self.end and s[j] != "'":
            j += 2 if s[j] == "\\" else 1
        if j >= self.end:
            raise _Unreadable("unterminated $'")
        self.i = j + 1

    def _backticks(self, st: _WordState) -> None:
        s, start = self.s, self.i
        close = s.find("`", start + 1, self.end)
        if close < 0:
            raise _Unreadable("unterminated backtick")
        if "\\" in s[start + 1 : close]:
            raise _Unreadable("backslashes inside backticks")  # they are unescaped before parsing
        outer_end, self.end, self.i = self.end, close, start + 1
        _Parser(self, closer=None, nested=True).run()
        self.end, self.i = outer_end, close + 1
        st.expansion = st.substitution = True
        st.value.append(s[start : self.i])


class _Parser:
    """Reads one command list: the script, or the inside of a command substitution."""

    def __init__(self, lexer: _Lexer, closer: str | None, nested: bool) -> None:
        self.lx = lexer
        self.closer = closer  # ')' inside $( ); None when the list ends with the text
        self.nested = nested
        # open constructs: 'if', 'then', 'else', 'for', 'while', 'do', 'case', 'case-pattern', 'brace', 'paren'
        self.stack: list[str] = []
        self.cmd: _Builder | None = None  # the simple command being read
        # what came last: 'start' (nothing, or an opening word), 'op' (a separator), 'closed' (a command),
        # 'bang' (a '!' that needs a command)
        self.after = "start"
        self.op: str | None = None  # the last separator
        self.last: _Builder | None = None  # the command that a separator coming next ends
        self.negated = False  # inside a pipeline that starts with '!'
        self.heredocs_before = len(lexer.heredocs)  # pending from the enclosing list, not ours to end

    def run(self) -> None:
        while True:
            if self.stack and self.stack[-1] == "case-pattern":
                self._case_pattern()
                continue
            tok = self.lx.next()
            if tok.kind == "end" or (_is(tok, "op", ")") and self.closer == ")" and not self.stack):
                self._finish_command()
                unterminated = tok.kind == "end" and self.closer is not None
                heredoc_open = len(self.lx.heredocs) > self.heredocs_before
                if self.stack or unterminated or heredoc_open or not self._list_ended(allow_empty=True):
                    raise _Unreadable("the script ends inside a command or construct")
                return
            if tok.kind == "word":
                self._word(tok)
            elif tok.kind == "redirect":
                self._redirect(tok)
            else:
                self._operator(tok.text)

    # commands and separators

    def _new_command(self, start: int) -> _Builder:
        return _Builder(start, start, self.op, self.nested or bool(self.stack) or self.negated)

    def _finish_command(self) -> None:
        if self.cmd is not None:
            self._emit(self.cmd)
            self.cmd = None

    def _emit(self, builder: _Builder) -> None:
        self.lx.commands.append(builder)
        self.last = builder
        self.after = "closed"

    def _close_construct(self) -> None:
        self.after = "closed"
        self.last = None

    def _separate(self, op: str) -> None:
        if self.last is not None:
            self.last.op_after = op
        self.last = None
        self.op = op
        self.after = "op"
        if op != "|":
            self.negated = False

    def _list_ended(self, allow_empty: bool = False) -> bool:
        """Whether a construct may close here: after a complete command, not after '&&' or '!'."""
        if self.after == "op":
            return self.op not in _CONTINUING
        return self.after == "closed" or (allow_empty and self.after == "start")

    def _word(self, tok: _Token) -> None:
        word = tok.word
        assert word is not None
        if self.cmd is None:
            if word.raw in _RESERVED:
                self._reserved(word)
                return
            if self.after == "closed":
                raise _Unreadable(f"{word.raw!r} follows a command without a separator")
            self.cmd = self._new_command(word.start)
        cmd = self.cmd
        if cmd.words or not _ASSIGNMENT.match(word.raw):
            cmd.words.append(word)
        else:
            cmd.assignments.append(word)
        cmd.end = word.end
        cmd.compound |= tok.substitution

    def _redirect(self, tok: _Token) -> None:
        target = self.lx.next()
        if target.kind != "word" or target.word is None:
            raise _Unreadable(f"{tok.text!r} without a target")
        if tok.text in ("<<", "<<-"):
            self.lx.heredocs.append((target.word.value, tok.text == "<<-"))
        if self.cmd is None:
            if self.after == "closed":
                return  # a redirection of a whole compound command, whose commands are compound already
            self.cmd = self._new_command(tok.start)
        self.cmd.redirects.append(self.lx.s[tok.start : target.end])
        self.cmd.end = target.end
        self.cmd.compound |= tok.text[0] in "<&" or target.substitution

    def _operator(self, op: str) -> None:
        if op == "(":
            self._open_paren()
        elif op == ")":
            self._finish_command()
            if not self.stack or self.stack[-1] != "paren" or not self._list_ended():
                raise _Unreadable("unexpected ')'")
            self.stack.pop()
            self._close_construct()
        elif op in (";;", ";&", ";;&"):
            self._finish_command()
            if not self.stack or self.stack[-1] != "case" or not self._list_ended(allow_empty=True):
                raise _Unreadable(f"unexpected {op!r}")
            self._separate(op)
            self.stack[-1] = "case-pattern"
        elif op == "\n":
            self._finish_command()
            if self.after == "bang":
                raise _Unreadable("'!' without a command")
            if self.after == "closed":
                self._separate(op)
        elif op == "|&":
            raise _Unreadable("'|&' is bash only")
        else:
            self._finish_command()
            if self.after != "closed":
                raise _Unreadable(f"{op!r} without a command before it")
            self._separate(op)

    def _open_paren(self) -> None:
        cmd = self.cmd
        if cmd is None:
            if self.after == "closed":
                raise _Unreadable("'(' follows a command")
            self.stack.append("paren")
            self.after = "start"
            return
        if len(cmd.words) != 1 or cmd.assignments or cmd.redirects or cmd.words[0].has_expansion:
            raise _Unreadable("unexpected '('")
        if not _is(self.lx.next(), "op", ")"):  # name ( ) body: a function definition
            raise _Unreadable("unexpected '('")
        self.cmd = None
        self._expect_function_body()

    # compound commands

    def _reserved(self, word: Word) -> None:
        name = word.raw
        if name in _OPENERS:
            if self.after == "closed":
                raise _Unreadable(f"{name!r} follows a command without a separator")
            if name == "!" and (self.after == "bang" or (self.after == "op" and self.op == "|")):
                raise _Unreadable("'!' must start a pipeline")
            self.after = "start"
            if name in ("if", "while", "until"):
                self.stack.append("if" if name == "if" else "while")
            elif name in ("for", "select"):
                self._for_header()
            elif name == "case":
                self._case_header()
            elif name == "{":
                self.stack.append("brace")
            elif name == "!":
                self.negated = True
                self.after = "bang"
            elif name == "[[":
                self._conditional(word)
            else:
                self._function_keyword()
            return
        expected, becomes = _CONTINUATIONS.get(name, (frozenset(), None))
        if not self.stack or self.stack[-1] not in expected or not self._list_ended():
            raise _Unreadable(f"unexpected {name!r}")
        if becomes is None:
            self.stack.pop()
            self._close_construct()
        else:
            self.stack[-1] = becomes
            self.after = "start"

    def _next_skipping_newlines(self) -> _Token:
        tok = self.lx.next()
        while _is(tok, "op", "\n"):
            tok = self.lx.next()
        return tok

    def _for_header(self) -> None:
        if self.lx.next().kind != "word":
            raise _Unreadable("for without a name")  # also bash's for (( ))
        tok = self._next_skipping_newlines()
        if _is(tok, "word", "do"):
            self.stack.append("do")
            return
        if _is(tok, "word", "in"):
            tok = self.lx.next()
            while tok.kind == "word":
                tok = self.lx.next()
        if not (_is(tok, "op", ";") or _is(tok, "op", "\n")):
            raise _Unreadable("malformed for")
        self.stack.append("for")
        self.op, self.after = tok.text, "op"

    def _case_header(self) -> None:
        if self.lx.next().kind != "word" or not _is(self._next_skipping_newlines(), "word", "in"):
            raise _Unreadable("malformed case")
        self.stack.append("case-pattern")

    def _case_pattern(self) -> None:
        tok = self._next_skipping_newlines()
        if _is(tok, "word", "esac"):
            self.stack.pop()
            self._close_construct()
            return
        if _is(tok, "op", "("):
            tok = self.lx.next()
        while True:
            if tok.kind != "word":
                raise _Unreadable("malformed case pattern")
            tok = self.lx.next()
            if _is(tok, "op", ")"):
                break
            if not _is(tok, "op", "|"):
                raise _Unreadable("malformed case pattern")
            tok = self.lx.next()
        self.stack[-1] = "case"
        self.after = "start"

    def _conditional(self, first: Word) -> None:
        """``[[ ... ]]``: one compound command made of all its tokens."""
        builder = self._new_command(first.start)
        builder.words.append(first)
        while builder.words[-1].raw != "]]":
            tok = self.lx.next()
            if tok.kind == "end":
                raise _Unreadable("unterminated [[")
            if not _is(tok, "op", "\n"):
                text = self.lx.s[tok.start : tok.end]
                builder.words.append(tok.word or Word(text, text, tok.start, tok.end, False))
        builder.end = builder.words[-1].end
        builder.compound = True
        self._emit(builder)

    def _function_keyword(self) -> None:
        if self.lx.next().kind != "word":
            raise _Unreadable("function without a name")
        if _is(self.lx.peek(), "op", "("):
            self.lx.next()
            if not _is(self.lx.next(), "op", ")"):
                raise _Unreadable("malformed function definition")
        self._expect_function_body()

    def _expect_function_body(self) -> None:
        while _is(self.lx.peek(), "op", "\n"):
            self.lx.next()
        body = self.lx.peek()
        if not (_is(body, "op", "(") or _is(body, "word", "{")):
            raise _Unreadable("a function body must be ( ) or { }")
        self.after = "start"


# --- reading a command as a tool invocation --------------------------------------------------

_Table = Mapping[str, tuple[str, bool]]  # option as written -> (canonical name, takes a value)


def _table(*entries: str) -> dict[str, tuple[str, bool]]:
    """An option table. Each entry lists the spellings of one option ('-r --requirement='); a trailing
    '=' means it takes a value; the first long spelling is the canonical name."""
    table = {}
    for entry in entries:
        names = entry.rstrip("=").split()
        canonical = next((n for n in names if n.startswith("--")), names[0])
        for name in names:
            table[name] = (canonical, entry.endswith("="))
    return table


@dataclass(frozen=True)
class _Grammar:
    tool: str
    options: _Table
    sub_options: Mapping[str, _Table] = field(default_factory=dict)  # by the subcommand's first word
    groups: frozenset[str] = frozenset()  # subcommands that take a second word: 'cache' -> 'cache purge'
    passthrough: frozenset[str] = frozenset()  # subcommands that end option parsing at their first argument
    has_sub: bool = True
    abbreviations: bool = False  # unambiguous prefixes of long options are accepted (optparse)


class _Arguments:
    """Sorts the words after a program into subcommand, options, option values and arguments."""

    def __init__(self, grammar: _Grammar, words: tuple[Word, ...]) -> None:
        self.grammar = grammar
        self.words = words
        self.i = 0
        self.sub: list[str] = []
        self.options: list[tuple[str, str | None, Word]] = []
        self.value_words: list[Word] = []
        self.args: list[Word] = []
        self.unknown: list[Word] = []
        self._read()

    def _read(self) -> None:
        grammar = self.grammar
        table = grammar.options
        options_ended = False
        while self.i < len(self.words):
            word = self.words[self.i]
            self.i += 1
            value = word.value
            if not options_ended and value == "--":
                options_ended = True
            elif not options_ended and value.startswith("-") and value != "-":
                (self._long if value.startswith("--") else self._short)(word, table)
            elif grammar.has_sub and (not self.sub or (len(self.sub) == 1 and self.sub[0] in grammar.groups)):
                self.sub.append(value)
                table = grammar.sub_options.get(self.sub[0], grammar.options)
            else:
                self.args.append(word)
                options_ended = options_ended or " ".join(self.sub) in grammar.passthrough

    def _add(self, name: str, value: str | None, word: Word, known: bool = True) -> None:
        self.options.append((name, value, word))
        if not known and word not in self.unknown:
            self.unknown.append(word)

    def _take_value(self, name: str, word: Word) -> None:
        if self.i < len(self.words):
            value_word = self.words[self.i]
            self.i += 1
            self.value_words.append(value_word)
            self._add(name, value_word.value, word)
        else:
            self._add(name, None, word, known=False)

    def _long(self, word: Word, table: _Table) -> None:
        name, eq, inline = word.value.partition("=")
        found = table.get(name)
        if found is None and self.grammar.abbreviations:
            matches = {table[option] for option in table if option.startswith(name)}
            found = matches.pop() if len(matches) == 1 else None
        if found is None:
            self._add(name, inline if eq else None, word, known=False)
            return
        canonical, takes_value = found
        if eq:
            self._add(canonical, inline, word, known=takes_value)
        elif takes_value:
            self._take_value(canonical, word)
        else:
            self._add(canonical, None, word)

    def _short(self, word: Word, table: _Table) -> None:
        """A cluster of short options: '-q', '-qq', '-rfile', '-yn name'."""
        letters = word.value[1:]
        for k, letter in enumerate(letters):
            found = table.get("-" + letter)
            if found is None:
                self._add("-" + letters[k:], None, word, known=False)
                return
            canonical, takes_value = found
            if not takes_value:
                self._add(canonical, None, word)
                continue
            attached = letters[k + 1 :]
            if attached:  # '-r=x' means '=x' to some parsers and 'x' to others
                self._add(canonical, attached, word, known=not attached.startswith("="))
            else:
                self._take_value(canonical, word)
            return


def _invocation(cmd: Command, grammar: _Grammar, program: str, first_argument: int) -> Invocation:
    a = _Arguments(grammar, cmd.words[first_argument:])
    tool, sub = grammar.tool, " ".join(a.sub) or None
    if grammar is _UV and sub is not None and sub.startswith("pip "):
        tool, sub, program = "uv-pip", sub.removeprefix("pip "), f"{program} pip"
    return Invocation(
        cmd, tool, sub, program, tuple(a.options), tuple(a.args), tuple(a.value_words), tuple(a.unknown)
    )


def _other(cmd: Command) -> Invocation:
    program = cmd.words[0].value if cmd.words else ""
    return Invocation(cmd, "other", None, program, (), cmd.words[1:])


def _python(cmd: Command) -> Invocation:
    """``python -m <tool> ...`` and ``python setup.py <command> ...``; anything else is 'other'."""
    words = cmd.words
    k = 1
    while k < len(words) and _PYTHON_FLAG.fullmatch(words[k].value):
        k += 2 if words[k].value in ("-W", "-X") else 1
    if k >= len(words):
        return _other(cmd)
    value = words[k].value
    if value == "-m" and k + 1 < len(words):
        grammar, first_argument = _MODULES.get(words[k + 1].value), k + 2
    elif value.startswith("-m") and len(value) > 2:
        grammar, first_argument = _MODULES.get(value[2:]), k + 1
    elif value.rpartition("/")[2] == "setup.py":
        grammar, first_argument = _SETUP_PY, k + 1
    else:
        return _other(cmd)
    if grammar is None:
        return _other(cmd)
    program = " ".join(w.value for w in words[:first_argument])
    return _invocation(cmd, grammar, program, first_argument)


_PIP_NAME = re.compile(r"pip(?:\d+(?:\.\d+)*)?")
_PYTHON_NAME = re.compile(r"python(?:\d+(?:\.\d+)*)?")
_PYTHON_FLAG = re.compile(r"-[bBdEIOPqRsSuv]+|-[WX].*")  # interpreter options before -m or a script

_PIP = _Grammar(
    "pip",
    _table(
        # general options
        "-h --help", "--debug", "--isolated", "--require-virtualenv", "--python=", "-v --verbose",
        "-V --version", "-q --quiet", "--log=", "--no-input", "--keyring-provider=", "--proxy=",
        "--retries=", "--timeout=", "--exists-action=", "--trusted-host=", "--cert=", "--client-cert=",
        "--cache-dir=", "--no-cache-dir", "--disable-pip-version-check", "--no-color",
        "--no-python-version-warning", "--use-feature=", "--use-deprecated=", "--resume-retries=",
        # install, download, wheel, uninstall
        "-r --requirement=", "-c --constraint=", "-e --editable=", "-t --target=", "--prefix=", "--root=",
        "--src=", "--upgrade-strategy=", "--platform=", "--python-version=", "--implementation=", "--abi=",
        "--only-binary=", "--no-binary=", "--progress-bar=", "--global-option=", "--build-option=",
        "-C --config-settings=", "--report=", "--root-user-action=", "--group=", "-d --dest=",
        "-w --wheel-dir=", "-i --index-url=", "--extra-index-url=", "--no-index", "-f --find-links=",
        "-U --upgrade", "--user", "--no-deps", "--pre", "--dry-run", "--force-reinstall",
        "-I --ignore-installed", "--ignore-requires-python", "--no-build-isolation", "--use-pep517",
        "--no-use-pep517", "--check-build-dependencies", "--break-system-packages", "--compile",
        "--no-compile", "--no-warn-script-location", "--no-warn-conflicts", "--prefer-binary",
        "--require-hashes", "--no-clean", "-y --yes", "--only-deps --only-dependencies",
    ),
    groups=frozenset({"cache", "config"}),
    abbreviations=True,
)

_UV_GLOBAL = (
    "-q --quiet", "-v --verbose", "--color=", "--native-tls", "--offline", "--no-progress", "--directory=",
    "--project=", "--config-file=", "--no-config", "-n --no-cache --no-cache-dir", "--cache-dir=", "--python-preference=",
    "--no-python-downloads", "--managed-python", "--no-managed-python", "--allow-insecure-host=",
    "--preview", "--no-preview", "-h --help", "-V --version",
    # resolver and installer options shared by the project and pip interfaces
    "--index=", "--default-index=", "-i --index-url=", "--extra-index-url=", "-f --find-links=",
    "--no-index", "--index-strategy=", "--keyring-provider=", "--resolution=", "--prerelease=",
    "--exclude-newer=", "-U --upgrade", "-P --upgrade-package=", "--reinstall", "--reinstall-package=",
    "--refresh", "--refresh-package=", "--no-build-isolation", "--no-build-isolation-package=",
    "--no-build", "--link-mode=", "--compile-bytecode --compile", "--no-compile-bytecode",
    "-C --config-setting=", "--no-sources", "-p --python=", "--dry-run",
)
_UV = _Grammar(
    "uv",
    _table(
        *_UV_GLOBAL,
        "--locked", "--frozen", "--no-install-project", "--no-install-workspace", "--no-install-package=",
        "--no-dev", "--dev", "--only-dev", "--extra=", "--all-extras", "--no-extra=", "--group=",
        "--only-group=", "--no-group=", "--all-groups", "--no-default-groups", "--package=",
        "--all-packages", "--no-editable", "-e --editable", "--inexact", "--exact", "--active", "--no-sync",
        "--no-binary", "--no-build-package=", "--no-binary-package=", "--check", "--script=", "--with=",
        "--with-requirements=", "--with-editable=", "--isolated", "--env-file=", "--no-env-file",
        "-m --module", "--force", "--seed", "--prompt=", "--system-site-packages", "--relocatable",
        "--allow-existing", "-o --output-file=", "--format=", "--no-hashes",
    ),
    sub_options={
        "pip": _table(
            *_UV_GLOBAL,
            "-r --requirement --requirements=", "-c --constraint --constraints=", "--override --overrides=",
            "-b --build-constraint --build-constraints=", "-e --editable=", "--extra=", "--all-extras",
            "--group=", "--no-deps", "--system", "--break-system-packages", "--target=", "--prefix=",
            "--no-binary=", "--only-binary=", "--strict", "--exact", "--require-hashes",
            "--no-verify-hashes", "--python-version=", "--python-platform=", "-o --output-file=",
            "--generate-hashes", "--universal", "--no-header", "--no-annotate", "--no-strip-extras",
            "--emit-index-url",
        ),
    },
    groups=frozenset({"pip", "tool", "python", "cache", "self"}),
    passthrough=frozenset({"run", "tool run"}),
)

_POETRY = _Grammar(
    "poetry",
    _table(
        "-q --quiet", "-v --verbose", "-n --no-interaction", "--ansi", "--no-ansi", "--no-plugins",
        "--no-cache", "-C --directory=", "-P --project=", "-h --help", "-V --version",
        "--with=", "--without=", "--only=", "--only-root", "--sync", "--no-root", "--no-directory",
        "--dry-run", "-E --extras=", "--all-extras", "--all-groups", "--compile", "--no-dev",
        "--remove-untracked", "--no-update", "--regenerate", "--check", "--lock", "-f --format=",
        "-o --output=", "--without-hashes", "--without-urls", "--with-credentials", "--unset", "--local",
        "--list", "-G --group=", "-D --dev", "-e --editable", "--optional", "--python=", "--platform=",
        "--source=", "--allow-prereleases",
    ),
    groups=frozenset({"cache", "env", "self", "source", "debug"}),
    passthrough=frozenset({"run"}),
)

_PIPENV = _Grammar(
    "pipenv",
    _table(
        "--deploy", "--system", "-d --dev", "--ignore-pipfile", "--skip-lock", "--python=",
        "--pypi-mirror=", "--clear", "-v --verbose", "-q --quiet", "--site-packages", "--no-site-packages",
        "--categories=", "--extra-pip-args=", "-r --requirements=", "--pre", "--keep-outdated",
        "--selective-upgrade", "-i --index=", "-e --editable=", "--rm", "--venv", "--where", "--py",
        "-h --help", "--version",
    ),
    passthrough=frozenset({"run"}),
)

_PDM = _Grammar(
    "pdm",
    _table(
        "-G --group=", "--no-default", "-d --dev", "--prod --production", "--no-self", "--no-editable",
        "--no-lock", "--frozen-lockfile", "--check", "--no-isolation", "-L --lockfile=", "-p --project=",
        "-g --global", "-x --fail-fast", "--clean", "--only-keep", "--dry-run", "-k --skip=", "--venv=",
        "-v --verbose", "-q --quiet", "-c --config=", "-I --ignore-python", "-C --config-setting=",
        "--override=", "-h --help", "-V --version",
    ),
    groups=frozenset({"cache", "self", "venv"}),
    passthrough=frozenset({"run"}),
)

_PIP_TOOLS = (
    "-v --verbose", "-q --quiet", "-n --dry-run", "-f --find-links=", "-i --index-url=",
    "--extra-index-url=", "--trusted-host=", "--no-index", "--cert=", "--client-cert=", "--pip-args=",
    "--config=", "--no-config", "-h --help", "--version",
)
_PIP_SYNC = _Grammar(
    "pip-sync", _table(*_PIP_TOOLS, "--python-executable=", "--user", "-a --ask", "--force"), has_sub=False
)
_PIP_COMPILE = _Grammar(
    "pip-compile",
    _table(
        *_PIP_TOOLS,
        "-o --output-file=", "--generate-hashes", "--resolver=", "--extra=", "--all-extras", "-U --upgrade",
        "-P --upgrade-package=", "--strip-extras", "--no-strip-extras", "--allow-unsafe",
        "-c --constraint=", "--no-header", "--no-annotate", "--cache-dir=", "--rebuild", "--pre",
        "--build-isolation", "--no-build-isolation", "--emit-index-url", "--no-emit-index-url",
        "--max-rounds=",
    ),
    has_sub=False,
)

_CONDA = _Grammar(
    "conda",
    _table(
        "-n --name=", "-p --prefix=", "-c --channel=", "-f --file=", "-y --yes", "-q --quiet", "-v --verbose",
        "-d --dry-run", "--json", "--override-channels", "--strict-channel-priority",
        "--no-channel-priority", "--no-deps", "--only-deps", "--no-pin", "--freeze-installed",
        "--update-deps", "--update-all --all", "--force-reinstall", "--copy", "--offline", "--use-local",
        "-k --insecure", "--clone=", "--no-default-packages", "--solver=", "--prune", "--platform=",
        "--subdir=", "-S --satisfied-skip-solve", "--mkdir", "-C --use-index-cache", "--download-only",
        "-r --root-prefix=", "--channel-priority=", "--no-rc", "--rc-file=", "--no-env", "-h --help",
        "-V --version",
    ),
    sub_options={
        "clean": _table(
            "-a --all", "-i --index-cache", "-p --packages", "-t --tarballs", "-f --force-pkgs-dirs",
            "-c --tempfiles=", "-l --logfiles", "--locks", "--trash", "-y --yes", "-q --quiet",
            "-v --verbose", "-d --dry-run", "--json", "-r --root-prefix=", "-h --help",
        ),
    },
    groups=frozenset({"env"}),
    passthrough=frozenset({"run"}),
)

_APT = _Grammar(
    "apt",
    _table(
        "-y --yes --assume-yes", "--assume-no", "-q --quiet", "-o --option=", "-c --config-file=",
        "-t --target-release --default-release=", "-a --host-architecture=", "-f --fix-broken",
        "-m --ignore-missing --fix-missing", "-s --simulate --just-print --dry-run --recon --no-act",
        "-d --download-only", "-V --verbose-versions", "-u --show-upgraded", "--no-install-recommends",
        "--install-recommends", "--no-install-suggests", "--install-suggests", "--no-upgrade",
        "--only-upgrade", "--reinstall", "--purge", "--allow-unauthenticated", "--allow-downgrades",
        "--allow-remove-essential", "--allow-change-held-packages", "--auto-remove --autoremove",
        "--no-remove", "--force-yes", "--no-download", "--print-uris", "--ignore-hold",
        "--allow-releaseinfo-change", "-h --help", "-v --version",
    ),
)

_APK = _Grammar(
    "apk",
    _table(
        "--no-cache", "-U --update-cache --update", "-t --virtual=", "-X --repository=", "-q --quiet",
        "-v --verbose", "-i --interactive", "--allow-untrusted", "--purge", "--no-progress", "--progress",
        "--force-overwrite", "--force-broken-world", "--force-non-repository", "--no-scripts", "--initdb",
        "-l --latest", "-u --upgrade", "-a --available", "--clean-protected", "--no-network",
        "--cache-dir=", "-s --simulate", "-p --root=", "--arch=", "--keys-dir=", "--repositories-file=",
        "--wait=", "--no-check-certificate", "-h --help", "-V --version",
    ),
    groups=frozenset({"cache"}),
)

_YUM = _Grammar(
    "yum",
    _table(
        "-y --assumeyes", "--assumeno", "-q --quiet", "-v --verbose", "--nodocs", "--setopt=",
        "--enablerepo=", "--disablerepo=", "--installroot=", "--releasever=", "--best", "--nobest",
        "--allowerasing", "--skip-broken", "--refresh", "-C --cacheonly", "--noplugins",
        "--disableplugin=", "--enableplugin=", "--nogpgcheck", "-x --exclude=", "-c --config=",
        "--downloadonly", "--downloaddir=", "--noautoremove", "--disableexcludes=", "--repo --repoid=",
        "--forcearch=", "-h --help", "--version",
    ),
)

_RM = _Grammar(
    "rm",
    _table(
        "-r -R --recursive", "-f --force", "-i", "-I", "-d --dir", "-v --verbose", "--preserve-root",
        "--no-preserve-root", "--one-file-system", "--help", "--version",
    ),
    has_sub=False,
)

_CD = _Grammar("cd", _table("-L", "-P", "-e", "-@"), has_sub=False)

_SETUP_PY = _Grammar(
    "setup.py",
    _table(
        "-q --quiet", "-v --verbose", "-n --dry-run", "-h --help", "--user", "--prefix=", "--root=",
        "--home=", "--install-lib=", "--install-scripts=", "--install-data=", "--install-headers=",
        "--single-version-externally-managed", "--record=", "-f --force", "-O --optimize=",
        "-c --compile", "--no-compile", "-N --no-deps", "-d --install-dir=", "-b --build-dir=",
    ),
)

_PROGRAMS = {
    "uv": _UV,
    "poetry": _POETRY,
    "pipenv": _PIPENV,
    "pdm": _PDM,
    "pip-sync": _PIP_SYNC,
    "pip-compile": _PIP_COMPILE,
    "conda": _CONDA,
    "mamba": _CONDA,
    "micromamba": _CONDA,
    "apt-get": _APT,
    "apt": _APT,
    "apk": _APK,
    "yum": _YUM,
    "dnf": _YUM,
    "microdnf": _YUM,
    "rm": _RM,
    "cd": _CD,
}
_MODULES = {"pip": _PIP, "uv": _UV, "pipenv": _PIPENV, "poetry": _POETRY, "pdm": _PDM}
