"""Splitting a RUN script into simple commands: the lexer and the parser.

Over 500 lines on purpose: the lexer and the parser call each other (a command substitution
inside a word is parsed while the word is being read), so they stay in one module rather than
import each other.
"""

from __future__ import annotations

from .nodes import Command, Word
from .tokens import (
    _ASSIGNMENT,
    _BLANK_RUN,
    _BLANKS,
    _CONTINUATIONS,
    _CONTINUING,
    _FD,
    _METACHARACTERS,
    _NAME,
    _OPENERS,
    _OPERATOR,
    _PLAIN_IN_BRACES,
    _PLAIN_IN_DOUBLE_QUOTES,
    _PLAIN_IN_WORD,
    _REDIRECTIONS,
    _RESERVED,
    _SPECIAL_PARAMETERS,
    _Builder,
    _is,
    _Token,
    _Unreadable,
    _WordState,
)


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
