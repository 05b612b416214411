"""The words of an instruction line as BuildKit reads them, for the reader: the flags
(``extractBuilderFlags``), heredoc words (BuildKit's shell lexer with raw quotes and escapes, empty
environment) and the JSON form. Pure functions of one line.
"""

from __future__ import annotations

import json
import re

from .model import Flag, ParseError

# Go's unicode.IsSpace on runes.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_BYTES = frozenset(b"\t\n\v\f\r \x85\xa0")  # unicode.IsSpace(rune(byte))

_RE_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$", re.S)

_GO_SPACE_CHARS = "".join(sorted(GO_SPACE))
_ASCII_SPACES = "\t\n\v\f\r "
_ASCII_SPACE_RUN = re.compile(r"[\t\n\v\f\r ]*")
_PLAIN_FLAG = re.compile(r"[!#-&(-\[\]-\x7f]*")  # printable ASCII but quotes and backslash


def _lstrip_go(s: str) -> str:
    return s.lstrip(_GO_SPACE_CHARS)


def _strip_go(s: str) -> str:
    return s.strip(_GO_SPACE_CHARS)


# --- flags (a byte-for-byte port of extractBuilderFlags) -------------------------------------


def extract_flags(rest: str) -> tuple[list[str], int]:
    """Return the unquoted flag words and the offset in ``rest`` where the arguments start."""
    # Fast path for plain ASCII flags (no quotes, escapes or other characters): what the byte loop
    # of _extract_flags_bytes finds, without encoding the line; anything else goes to the loop.
    words: list[str] = []
    pos = _ASCII_SPACE_RUN.match(rest).end()
    while rest.startswith("--", pos):
        end = _PLAIN_FLAG.match(rest, pos).end()
        if end < len(rest) and rest[end] not in _ASCII_SPACES:
            return _extract_flags_bytes(rest)
        word = rest[pos:end]
        if word == "--":
            return words, end
        words.append(word)
        pos = _ASCII_SPACE_RUN.match(rest, end).end()
    if pos == len(rest):
        return words, pos
    if rest[pos] < "\x80":
        return words, pos
    return _extract_flags_bytes(rest)


def _extract_flags_bytes(rest: str) -> tuple[list[str], int]:
    line = rest.encode("utf-8", "surrogateescape")
    words: list[bytes] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word = bytearray()
    quote = 0
    blank_ok = False
    pos = 0
    n = len(line)

    def offset(p: int) -> int:
        return len(line[:p].decode("utf-8", "surrogateescape"))

    while pos <= n:
        ch = line[pos] if pos != n else -1
        if phase == in_spaces:
            if pos == n:
                break
            if ch in _GO_SPACE_BYTES:
                pos += 1
                continue
            if ch != 0x2D or pos + 1 == n or line[pos + 1] != 0x2D:
                return [w.decode("utf-8", "surrogateescape") for w in words], offset(pos)
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if bytes(word) != b"--" and (blank_ok or word):
                words.append(bytes(word))
            break
        if phase == in_word:
            if ch in _GO_SPACE_BYTES:
                phase = in_spaces
                if bytes(word) == b"--":
                    return [w.decode("utf-8", "surrogateescape") for w in words], offset(pos)
                if blank_ok or word:
                    words.append(bytes(word))
                word = bytearray()
                blank_ok = False
                pos += 1
                continue
            if ch in (0x27, 0x22):
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == 0x5C:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == 0x5C:
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
    return [w.decode("utf-8", "surrogateescape") for w in words], len(rest)


def _flag(word: str) -> Flag:
    body = word[2:]
    if "=" in body:
        name, value = body.split("=", 1)
        return Flag("--" + name, value, word)
    return Flag(word, None, word)


# --- heredoc words (BuildKit's shell lexer with raw quotes and raw escapes, empty env) ---------


def _lex_words(line: str, raw_quotes: bool, raw_escapes: bool = True, keep_unset: bool = False) -> list[str] | None:
    """Split like BuildKit's shell.Lex.ProcessWords with an empty environment; None on error."""
    words: list[str] = []
    word = ""
    in_word = False
    i = 0
    n = len(line)

    def add_char(c: str) -> None:
        nonlocal word, in_word
        if c in GO_SPACE:
            if in_word and word:
                words.append(word)
                word = ""
                in_word = False
        else:
            word += c
            in_word = True

    def add_raw(s: str) -> None:
        nonlocal word, in_word
        word += s
        in_word = True

    while i < n:
        c = line[i]
        if c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                return None
            add_raw(line[i : j + 1] if raw_quotes else line[i + 1 : j])
            i = j + 1
        elif c == '"':
            j = i + 1
            body = ""
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    body += line[j : j + 2] if line[j + 1] not in '"\\$`' or raw_escapes else line[j + 1]
                    j += 2
                    continue
                if line[j] == "$":
                    expanded, j = _dollar(line, j, keep_unset)
                    body += expanded
                    continue
                body += line[j]
                j += 1
            if j >= n:
                return None
            add_raw('"' + body + '"' if raw_quotes else body)
            i = j + 1
        elif c == "$":
            expanded, i = _dollar(line, i, keep_unset)
            for ch in expanded:
                add_char(ch)
        elif c == "\\":
            if raw_escapes:
                add_raw("\\")  # raw escapes keep the escape character
            if i + 1 >= n:
                i += 1
                break
            add_raw(line[i + 1])
            i += 2
        else:
            add_char(c)
            i += 1
    if word:
        words.append(word)
    return words


def _dollar(line: str, i: int, keep_unset: bool = False) -> tuple[str, int]:
    """Expand a ``$`` at ``line[i]`` in an empty environment (``keep_unset``: leave it as written)."""
    n = len(line)
    if i + 1 < n and line[i + 1] == "{":
        j = line.find("}", i + 2)
        j = n if j < 0 else j + 1
    else:
        j = i + 1
        if j < n and line[j].isdigit() or j < n and line[j] in "@*#?-$!":
            j += 1
        elif j < n and (line[j].isalnum() or line[j] == "_"):
            while j < n and (line[j].isalnum() or line[j] == "_"):
                j += 1
        else:
            return "$", j
    return (line[i:j] if keep_unset else ""), j


def heredoc_words(line: str) -> list[tuple[str, bool, bool, int | None]]:
    """The heredocs a logical line opens: (name, chomp, quoted, fd), in order."""
    words = _lex_words(line, raw_quotes=True)
    out = []
    for w in words or ():
        m = _RE_HEREDOC.match(w)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        plain = _lex_words(rest, raw_quotes=False, raw_escapes=False, keep_unset=True)
        raw = _lex_words(rest, raw_quotes=True, raw_escapes=False, keep_unset=True)
        if not plain or len(plain) != 1 or not raw or len(raw) != 1:
            continue
        name = plain[0]
        quoted = (name.count("'") + name.count('"')) != (raw[0].count("'") + raw[0].count('"'))
        fd = int(m.group(1)) if m.group(1) else None
        out.append((name, m.group(2) == "-", quoted, fd))
    return out


# --- JSON form ---------------------------------------------------------------------------------


def _no_constants(name: str):
    raise ValueError(name)


_JSON = json.JSONDecoder(parse_constant=_no_constants)


def parse_json_array(args: str) -> tuple[tuple[str, ...] | None, bool]:
    """(values, trailing garbage) if ``args`` is BuildKit 0.12.5's JSON form, else (None, False).

    Raises ParseError for a JSON array that holds something other than strings, as BuildKit does.
    """
    s = _lstrip_go(args)
    if not s.startswith("["):
        return None, False
    try:
        value, end = _JSON.raw_decode(s)
    except ValueError:
        return None, False
    if not isinstance(value, list):
        return None, False
    if not all(isinstance(v, str) for v in value):
        raise ParseError("JSON arguments must be an array of strings")
    return tuple(value), bool(_strip_go(s[end:]))
