"""A lossless Dockerfile reader that follows BuildKit's parser (frontend/dockerfile/parser).

Every physical line of the input belongs to exactly one instruction span or to the gaps between
them, so the original bytes can always be rebuilt; the reader itself never changes text.
The grammar follows BuildKit 0.12.5 (what the ``dockerfile`` test oracle wraps); the places where
newer BuildKit reads a file differently are recorded in ``Dockerfile.ambiguities`` so that
rewrites can refuse rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import Dockerfile, Heredoc, Instruction, ParseError, Stage
from .reader_words import _flag, _lstrip_go, _strip_go, extract_flags, heredoc_words, parse_json_array

BOM = b"\xef\xbb\xbf"


KNOWN_DIRECTIVES = ("syntax", "escape")  # BuildKit 0.12.5; newer frontends add "check"
_RE_DIRECTIVE = re.compile(r"^#[ \t\v\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\v\f\r]*=[ \t\v\f\r]*(.+?)[ \t\v\f\r]*$", re.S)
_RE_WS_SPLIT = re.compile(r"[\t\v\f\r ]+")
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
