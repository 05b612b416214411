"""A lossless Dockerfile reader that follows BuildKit's parser (frontend/dockerfile/parser).

Every physical line of the input belongs to exactly one instruction span or to the gaps between
them, so the original bytes can always be rebuilt; the reader itself never changes text.
The grammar follows BuildKit 0.12.5 (what the ``dockerfile`` test oracle wraps); the places where
newer BuildKit reads a file differently are recorded in ``Dockerfile.ambiguities`` so that
rewrites can refuse rather than guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from .model import Dockerfile, Flag, Heredoc, Instruction, ParseError, Stage

BOM = b"\xef\xbb\xbf"

# Go's unicode.IsSpace on runes.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_BYTES = frozenset(b"\t\n\v\f\r \x85\xa0")  # unicode.IsSpace(rune(byte))

KNOWN_DIRECTIVES = ("syntax", "escape")  # BuildKit 0.12.5; newer frontends add "check"
_RE_DIRECTIVE = re.compile(r"^#[ \t\v\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\v\f\r]*=[ \t\v\f\r]*(.+?)[ \t\v\f\r]*$", re.S)
_RE_WS_SPLIT = re.compile(r"[\t\v\f\r ]+")
_RE_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$", re.S)
_CONTINUATION = {
    "\\": re.compile(r"([^\\])\\[ \t]*\Z", re.S),
    "`": re.compile(r"([^`])`[ \t]*\Z", re.S),
}
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
# The instructions BuildKit knows; any other keyword fails the build ("unknown instruction: RUNN").
KNOWN_INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
_JSON_LIST_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})


_GO_SPACE_CHARS = "".join(sorted(GO_SPACE))
_ASCII_SPACES = "\t\n\v\f\r "
_ASCII_SPACE_RUN = re.compile(r"[\t\n\v\f\r ]*")
_PLAIN_FLAG = re.compile(r"[!#-&(-\[\]-\x7f]*")  # printable ASCII but quotes and backslash


def _lstrip_go(s: str) -> str:
    return s.lstrip(_GO_SPACE_CHARS)


def _strip_go(s: str) -> str:
    return s.strip(_GO_SPACE_CHARS)


def _trim_newline(s: str) -> str:
    return s.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return _lstrip_go(_trim_newline(line)).startswith("#")


def split_lines(text: str) -> tuple[str, ...]:
    """Split on LF only, each line keeping its own terminator (never str.splitlines)."""
    if not text:
        return ()
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


def decode(data: bytes) -> tuple[str, bool]:
    bom = data.startswith(BOM)
    if bom:
        data = data[len(BOM) :]
    return data.decode("utf-8", "surrogateescape"), bom


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


# --- the parser ----------------------------------------------------------------------------------


class _Ambiguity(Exception):
    pass


def read(data: bytes, path: str = "Dockerfile") -> Dockerfile:
    """Read a Dockerfile; raises ParseError for input BuildKit rejects."""
    text, bom = decode(data)
    lines = split_lines(text)
    escape = "\\"
    directives: list[tuple[str, str, int]] = []
    ambiguities: list[tuple[int, str]] = []
    directives_done = False
    instructions: list[Instruction] = []

    def directive(line: str, idx: int) -> None:
        nonlocal directives_done, escape
        if directives_done:
            return
        m = _RE_DIRECTIVE.match(line)
        if not m:
            directives_done = True
            return
        name = m.group(1).lower()
        if name not in KNOWN_DIRECTIVES:
            directives_done = True
            if name == "check" and _directive_follows(lines, idx + 1):
                ambiguities.append((idx, "a directive after '# check=': newer BuildKit reads it, 0.12 does not"))
            return
        if any(d[0] == name for d in directives):
            raise ParseError(f"only one {name} parser directive can be used", idx + 1)
        value = m.group(2)
        if name == "escape":
            if value not in ("\\", "`"):
                raise ParseError(f"invalid escape token '{value}' does not match ` or \\", idx + 1)
            escape = value
        directives.append((name, value, idx))

    i = 0
    n = len(lines)
    while i < n:
        raw = lines[i]
        start = i
        token = _trim_newline(raw)
        stripped = _lstrip_go(token)
        directive(stripped, i)
        i += 1
        if stripped.startswith("#"):
            continue
        cont = _CONTINUATION[escape]
        m = cont.search(stripped)
        first_col = len(token) - len(stripped)
        if m:
            logical = stripped[: m.end(1)]
            end_of_line = False
        else:
            logical = stripped
            end_of_line = True
        if end_of_line and logical == "":
            continue
        pieces = [(0, start, first_col, len(logical))]
        parts = [logical]  # joined once at the end: repeated concatenation is quadratic
        length = len(logical)
        while not end_of_line and i < n:
            raw_c = lines[i]
            tok = _trim_newline(raw_c)
            directive(tok, i)
            idx = i
            i += 1
            if _is_comment(raw_c) or _lstrip_go(tok) == "":
                continue
            m = cont.search(tok)
            if m:
                piece = tok[: m.end(1)]
            else:
                piece = tok
                end_of_line = True
            pieces.append((length, idx, 0, len(piece)))
            parts.append(piece)
            length += len(piece)
        if len(parts) > 1:
            logical = "".join(parts)
        open_at_eof = not end_of_line
        end = i - 1
        try:
            inst, hds = _instruction(logical, escape, start, end, pieces, open_at_eof, ambiguities)
        except ParseError as e:
            if e.lineno is None:
                e.lineno = start + 1
            raise
        if hds:
            heredocs = []
            for name, chomp, quoted, fd in hds:
                body_start = i
                terminated = False
                body = []
                while i < n:
                    line = lines[i]
                    i += 1
                    candidate = _trim_newline(line)
                    if chomp:
                        candidate = candidate.lstrip("\t")
                    if candidate == name:
                        terminated = True
                        break
                    body.append(line)
                if not terminated:
                    raise ParseError(f"unterminated heredoc <<{name}", start + 1)
                heredocs.append(Heredoc(name, chomp, quoted, fd, "".join(body), body_start, i - 1))
            inst = replace(inst, end=i - 1, heredocs=tuple(heredocs))
        instructions.append(inst)

    if not instructions:
        raise ParseError("file with no instructions", max(n, 1))
    stages = _stages(instructions)
    df = Dockerfile(
        path=path,
        data=data,
        text=text,
        bom=bom,
        lines=lines,
        escape=escape,
        directives=tuple(directives),
        instructions=tuple(instructions),
        stages=tuple(stages),
        ambiguities=tuple(ambiguities),
    )
    return df


def check_instructions(df: Dockerfile) -> None:
    """Raise ParseError for an unknown instruction (``RUNN echo hi``: "unknown instruction: RUNN"),
    as BuildKit's next step (instructions.Parse) does. ``read`` itself stays equal to BuildKit's
    parser, which accepts any word.
    """
    for inst in df.instructions:
        if inst.keyword not in KNOWN_INSTRUCTIONS:
            raise _unknown_instruction(inst.raw_keyword, inst.lineno)


def _unknown_instruction(raw_keyword: str, lineno: int) -> ParseError:
    import difflib

    word = raw_keyword.upper()
    close = difflib.get_close_matches(word, sorted(KNOWN_INSTRUCTIONS), n=1, cutoff=0.85)
    return ParseError(f"unknown instruction: {word}" + (f" (did you mean {close[0]}?)" if close else ""), lineno)


def _directive_follows(lines: tuple[str, ...], j: int) -> bool:
    """Is a known directive among the directive-looking lines from ``j`` on?"""
    while j < len(lines):
        m = _RE_DIRECTIVE.match(_lstrip_go(_trim_newline(lines[j])))
        if not m:
            return False
        if m.group(1).lower() in KNOWN_DIRECTIVES:
            return True
        j += 1
    return False


def _instruction(logical, escape, start, end, pieces, open_at_eof, ambiguities):
    trimmed = _strip_go(logical)
    lead = len(logical) - len(_lstrip_go(logical))
    parts = _RE_WS_SPLIT.split(trimmed, maxsplit=1)
    raw_kw = parts[0]
    keyword = raw_kw.upper()
    rest = parts[1] if len(parts) == 2 else ""
    rest_off = lead + (len(trimmed) - len(rest) if len(parts) == 2 else len(trimmed))
    flag_words, args_off = extract_flags(rest) if rest else ([], 0)
    args_raw = rest[args_off:]
    args = _strip_go(args_raw)
    args_off = rest_off + args_off + (len(args_raw) - len(_lstrip_go(args_raw)))
    sub = None
    kw_for_heredoc = keyword
    json_form = False
    json_args = None
    if keyword == "ONBUILD" and args:
        sub_inst, _ = _instruction(args, escape, start, end, [(0, -1, 0, len(args))], open_at_eof, ambiguities)
        sub = sub_inst
        kw_for_heredoc = sub.keyword
        json_form = sub.json_form
    elif keyword in _JSON_LIST_KEYWORDS and args:
        json_args, garbage = parse_json_array(args)
        json_form = json_args is not None
        if garbage:
            ambiguities.append((start, "exec form followed by other text: BuildKit versions read it differently"))
    keyword_split = len(pieces) > 1 and pieces[1][0] <= lead + len(raw_kw)
    inst = Instruction(
        keyword=keyword,
        raw_keyword=raw_kw,
        start=start,
        end=end,
        logical=logical,
        rest=rest,
        flags=tuple(_flag(w) for w in flag_words),
        args=args,
        json_form=json_form,
        json_args=json_args,
        sub=sub,
        keyword_split=keyword_split,
        open_at_eof=open_at_eof,
        pieces=tuple(pieces),
        args_offset=args_off,
    )
    hds = []
    if kw_for_heredoc in HEREDOC_KEYWORDS and not json_form and "<<" in logical:
        hds = heredoc_words(logical)
        if re.search(r"(^|[\s])\d*<<-?[ \t]+\S", logical) and not hds:
            ambiguities.append((start, "'<< NAME' with a space: newer BuildKit reads it as a heredoc"))
    return inst, hds


def _stages(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for k, inst in enumerate(instructions):
        if inst.keyword != "FROM":
            continue
        words = inst.args.split()
        base = words[0] if words else ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        if stages:
            prev = stages[-1]
            stages[-1] = Stage(prev.index, prev.start, k, prev.base, prev.name)
        stages.append(Stage(len(stages), k, len(instructions), base, name))
    return stages
