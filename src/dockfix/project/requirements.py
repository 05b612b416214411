"""Requirements files read the way pip's ``req_file.py`` reads them: logical lines, comments, options."""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from typing import Iterator


# ---------------------------------------------------------------------------
# Requirements files (pip's req_file.py)
# ---------------------------------------------------------------------------

_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
_ENV_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")
_INCLUDE_SCHEME_RE = re.compile(r"^(http|https|file):", re.I)
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_EXTRAS_RE = re.compile(r"^(.+)(\[[^\]]+\])$")
_VCS = ("git", "hg", "svn", "bzr")
_URL_SCHEMES = {"http", "https", "file", "ftp"}
_ARCHIVE_EXTENSIONS = (
    ".zip", ".whl", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz",
    ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma",
)

# dest, short option, long options, takes a value (pip's SUPPORTED_OPTIONS and
# SUPPORTED_OPTIONS_REQ; --install-option is kept for old files)
_OPTION_SPECS: tuple[tuple[str, str | None, tuple[str, ...], bool], ...] = (
    ("requirements", "-r", ("--requirement",), True),
    ("constraints", "-c", ("--constraint",), True),
    ("editables", "-e", ("--editable",), True),
    ("index_url", "-i", ("--index-url", "--pypi-url"), True),
    ("extra_index_urls", None, ("--extra-index-url",), True),
    ("no_index", None, ("--no-index",), False),
    ("find_links", "-f", ("--find-links",), True),
    ("no_binary", None, ("--no-binary",), True),
    ("only_binary", None, ("--only-binary",), True),
    ("prefer_binary", None, ("--prefer-binary",), False),
    ("require_hashes", None, ("--require-hashes",), False),
    ("pre", None, ("--pre",), False),
    ("trusted_hosts", None, ("--trusted-host",), True),
    ("features_enabled", None, ("--use-feature",), True),
    ("hashes", None, ("--hash",), True),
    ("global_options", None, ("--global-option",), True),
    ("install_options", None, ("--install-option",), True),
    ("config_settings", "-C", ("--config-settings",), True),
)
_SHORT = {s: (d, v) for d, s, _, v in _OPTION_SPECS if s}
_LONG = {lo: (d, v) for d, _, longs, v in _OPTION_SPECS for lo in longs}


@dataclass(frozen=True)
class RequirementLine:
    """One logical line of a requirements file, split like pip does."""

    lineno: int  # first physical line
    text: str  # the logical line, comments removed, not env-expanded
    requirement: str  # the requirement part ("" on option-only lines)
    options: tuple[tuple[str, str | None], ...]  # (dest, value) in order
    error: str | None = None  # pip would refuse this line

    def values(self, dest: str) -> list[str]:
        return [v for d, v in self.options if d == dest and v is not None]


def _logical_lines(content: str) -> Iterator[tuple[int, str]]:
    """pip's ``join_lines`` + ``ignore_comments``."""
    primary: int | None = None
    pending: list[str] = []
    joined: list[tuple[int, str]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.endswith("\\") or _COMMENT_RE.match(line):
            if _COMMENT_RE.match(line):
                line = " " + line
            if pending:
                pending.append(line)
                assert primary is not None
                joined.append((primary, "".join(pending)))
                pending = []
            else:
                joined.append((number, line))
        else:
            if not pending:
                primary = number
            pending.append(line.strip("\\"))
    if pending:
        assert primary is not None
        joined.append((primary, "".join(pending)))
    for number, line in joined:
        line = _COMMENT_RE.sub("", line).strip()
        if line:
            yield number, line


def _break_args_options(line: str) -> tuple[str, str]:
    tokens = line.split(" ")
    args: list[str] = []
    options = tokens[:]
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
        options.pop(0)
    return " ".join(args), " ".join(options)


def _match_long(opt: str) -> str:
    if opt in _LONG:
        return opt
    hits = [name for name in _LONG if name.startswith(opt)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise ValueError(f"no such option: {opt}")
    raise ValueError(f"ambiguous option: {opt} ({', '.join(sorted(hits))})")


def _parse_options(tokens: list[str]) -> list[tuple[str, str | None]]:
    """optparse's processing of pip's requirement-line options."""
    out: list[tuple[str, str | None]] = []
    rargs = list(tokens)
    while rargs:
        arg = rargs.pop(0)
        if arg == "--":
            break
        if arg.startswith("--"):
            explicit = "=" in arg
            opt, _, value = arg.partition("=")
            opt = _match_long(opt)
            dest, takes = _LONG[opt]
            if takes:
                if explicit:
                    out.append((dest, value))
                elif rargs:
                    out.append((dest, rargs.pop(0)))
                else:
                    raise ValueError(f"{opt} option requires an argument")
            elif explicit:
                raise ValueError(f"{opt} option does not take a value")
            else:
                out.append((dest, None))
        elif arg.startswith("-") and len(arg) > 1:
            chars = arg[1:]
            for index, ch in enumerate(chars):
                opt = "-" + ch
                if opt not in _SHORT:
                    raise ValueError(f"no such option: {opt}")
                dest, takes = _SHORT[opt]
                if takes:
                    rest = chars[index + 1 :]
                    if rest:
                        out.append((dest, rest))
                    elif rargs:
                        out.append((dest, rargs.pop(0)))
                    else:
                        raise ValueError(f"{opt} option requires an argument")
                    break
                out.append((dest, None))
        # positional arguments among options are ignored, as pip does
    return out


def parse_requirements_text(content: str) -> list[RequirementLine]:
    """Split a requirements file into logical lines with their options."""
    return list(_parse_requirements_cached(content))


@functools.lru_cache(maxsize=512)
def _parse_requirements_cached(content: str) -> tuple[RequirementLine, ...]:
    result: list[RequirementLine] = []
    for number, line in _logical_lines(content):
        args, options_str = _break_args_options(line)
        error = None
        options: list[tuple[str, str | None]] = []
        try:
            # shlex is slow on long hash-pinned lines; without quotes or escapes it splits alike.
            words = options_str.split() if not _SHLEX_SPECIAL.search(options_str) else shlex.split(options_str)
            options = _parse_options(words)
        except ValueError as exc:
            error = str(exc)
        result.append(RequirementLine(number, line, args.strip(), tuple(options), error))
    return tuple(result)


_SHLEX_SPECIAL = re.compile(r"""['"\\]""")


# ---------------------------------------------------------------------------
# Requirement names (PEP 503 normalisation)
# ---------------------------------------------------------------------------

_NAME_RE = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(requirement: str) -> tuple[str, str] | None:
    """The normalized project name a requirement starts with and the text after it
    (``Flask_Login >= 1`` -> ``("flask-login", ">= 1")``); None when it starts with no name."""
    m = _NAME_RE.match(requirement)
    if m is None:
        return None
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), requirement[m.end():].strip()
