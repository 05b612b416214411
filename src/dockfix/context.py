"""Facts about a Docker build context that the rules need.

A :class:`BuildContext` wraps a directory on disk (the directory handed to
``docker build``).  It answers which files exist in it (refusing paths that
escape the root through ``..``, absolute paths or symlinks), which files the
``.dockerignore`` excludes (BuildKit semantics, see :class:`DockerIgnore`), and
reads text files with a cache.

On top of it:

* :func:`requirements_closure` follows pip requirements files the way pip's
  ``req_file.py`` does (logical lines, comments, ``-r``/``-c`` includes relative
  to the including file) and reports every file the install reads plus every
  line that reads the local filesystem, points outside the context, is missing,
  is excluded by ``.dockerignore`` or depends on ``${VAR}`` expansion.
* :func:`project_deps` reads a Python project's dependencies statically from
  ``pyproject.toml``, ``setup.cfg`` or ``setup.py`` (the latter with libcst,
  never executed), and lists the files that building the project's metadata
  reads.

This module imports no other dockfix module and never executes project code.
"""

from __future__ import annotations

import errno
import functools
import os
import posixpath
import re
import shlex
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence


__all__ = [
    "BuildContext",
    "DockerIgnore",
    "RequirementLine",
    "RequirementsClosure",
    "RequirementsRef",
    "go_clean",
    "parse_requirements_text",
    "read_ignore_patterns",
    "requirements_closure",
]

_MAX_READ_BYTES = 8 * 1024 * 1024


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` for ``/``-separated paths.

    Collapses repeated separators, drops ``.`` elements, resolves ``..``
    lexically (``..`` at the start of a relative path stays, ``..`` above ``/``
    is dropped) and returns ``.`` for an empty result.  Unlike
    :func:`posixpath.normpath` a leading ``//`` becomes ``/``.
    """
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif rooted:
                continue
            else:
                parts.append("..")
        else:
            parts.append(comp)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


def _normalize_rel(rel: str | os.PathLike[str]) -> str | None:
    """A context-relative POSIX path, cleaned; ``None`` if absolute or escaping."""
    rel = os.fspath(rel)
    if rel.startswith("/"):
        return None
    cleaned = go_clean(rel)
    if cleaned == ".." or cleaned.startswith("../"):
        return None
    return cleaned


def _join_rel(base: str, rel: str) -> str:
    """Join a relative path onto a context-relative directory (``.`` = root)."""
    if base in ("", "."):
        return rel
    return posixpath.join(base, rel)


# ---------------------------------------------------------------------------
# .dockerignore (moby/patternmatcher + tonistiigi/fsutil semantics)
# ---------------------------------------------------------------------------


def read_ignore_patterns(text: str) -> list[str]:
    """Port of ``moby/patternmatcher/ignorefile.ReadAll``.

    One pattern per line; a UTF-8 BOM on the first line is dropped; lines
    *starting* with ``#`` are comments (``  # x`` is a pattern); whitespace is
    trimmed; blank lines are skipped; the pattern (after a leading ``!``, which
    is kept) is cleaned with Go's ``filepath.Clean`` and a leading ``/`` is
    removed.
    """
    out: list[str] = []
    for index, raw in enumerate(text.split("\n")):
        if index == 0 and raw.startswith("\ufeff"):
            raw = raw[1:]
        if raw.endswith("\r"):
            raw = raw[:-1]
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        out.append(pattern)
    return out


def _go_match_syntax_error(pattern: str) -> str | None:
    """The ``ErrBadPattern`` cases of Go's ``filepath.Match`` (Unix), or None."""
    i, n = 0, len(pattern)

    def get_esc(j: int) -> int:
        # a character inside a class: not '-' or ']' unescaped, '\' needs a char
        if j >= n or pattern[j] in "-]":
            raise ValueError
        if pattern[j] == "\\":
            j += 1
            if j >= n:
                raise ValueError
        return j + 1

    try:
        while i < n:
            ch = pattern[i]
            if ch == "\\":
                if i + 1 >= n:
                    return "trailing backslash"
                i += 2
            elif ch == "[":
                i += 1
                if i < n and pattern[i] == "^":
                    i += 1
                nrange = 0
                while True:
                    if i < n and pattern[i] == "]" and nrange > 0:
                        i += 1
                        break
                    i = get_esc(i)
                    if i < n and pattern[i] == "-":
                        i = get_esc(i + 1)
                    nrange += 1
            else:
                i += 1
    except ValueError:
        return "malformed character class"
    return None


_EXACT, _PREFIX, _SUFFIX, _REGEXP = "exact", "prefix", "suffix", "regexp"
_REGEX_ESCAPE = set(".+()|{}$")


@dataclass(frozen=True)
class _Pattern:
    cleaned: str
    exclusion: bool
    kind: str
    regex: re.Pattern[str] | None

    def match(self, path: str) -> bool:
        if self.kind == _EXACT:
            return path == self.cleaned
        if self.kind == _PREFIX:
            return path.startswith(self.cleaned[:-2])
        if self.kind == _SUFFIX:
            suffix = self.cleaned[2:]
            if path.endswith(suffix):
                return True
            return suffix[:1] == "/" and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None

    def without_trailing_glob(self) -> str:
        text = self.cleaned
        if text.endswith("/**"):
            text = text[:-3]
        if text.endswith("/*"):
            text = text[:-2]
        return text


def _compile_pattern(cleaned: str, exclusion: bool) -> _Pattern:
    """Port of ``Pattern.compile`` from moby/patternmatcher (Unix separator)."""
    reg = "^"
    kind = _EXACT
    p = cleaned
    pos = 0
    i = 0
    while pos < len(p):
        ch = p[pos]
        pos += 1
        if ch == "*":
            if pos < len(p) and p[pos] == "*":
                pos += 1
                if pos < len(p) and p[pos] == "/":  # treat **/ as **
                    pos += 1
                if pos >= len(p):
                    if kind == _EXACT:
                        kind = _PREFIX
                    else:
                        reg += ".*"
                        kind = _REGEXP
                else:
                    reg += "(.*/)?"
                    kind = _REGEXP
                if i == 0:
                    kind = _SUFFIX
            else:
                reg += "[^/]*"
                kind = _REGEXP
        elif ch == "?":
            reg += "[^/]"
            kind = _REGEXP
        elif ch in _REGEX_ESCAPE:
            reg += "\\" + ch
        elif ch == "\\":
            if pos < len(p):
                reg += "\\" + p[pos]
                pos += 1
                kind = _REGEXP
            else:
                reg += "\\"
        elif ch in "[]":
            reg += ch
            kind = _REGEXP
        else:
            reg += ch
        i += 1
    regex = None
    if kind == _REGEXP:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            regex = re.compile(reg + "$")
    return _Pattern(cleaned, exclusion, kind, regex)


class DockerIgnore:
    """``.dockerignore`` matching as BuildKit does it.

    Follows moby/patternmatcher (``patternmatcher.go``: ``New``, ``compile``,
    ``MatchesUsingParentResults``) and tonistiigi/fsutil (``filter.go``: the
    walk that BuildKit uses to send the context), not gitignore:

    * patterns are relative to the context root, with no implicit ``**/``
      (``*.txt`` matches ``a.txt`` but not ``sub/a.txt``; ``**/*.txt`` matches
      both);
    * ``*`` is any run of non-``/`` characters, ``?`` one non-``/`` character,
      ``[...]`` a class (``[^...]`` negated), ``\\`` escapes, ``**`` any number of
      directories including none;
    * a pattern that matches a directory excludes everything below it;
    * ``!pattern`` re-includes; the last matching line wins;
    * when an excluded directory cannot contain a re-included path (no
      ``!`` pattern starts with ``dir/`` and all ``!`` patterns are plain
      prefixes), BuildKit does not descend into it at all.

    Invalid patterns (``!`` alone, malformed ``[``, trailing ``\\``) make
    BuildKit fail the build; here they are skipped and listed in ``errors``.
    """

    def __init__(self, patterns: Iterable[str]):
        self.patterns: list[_Pattern] = []
        self.errors: list[str] = []
        for raw in patterns:
            p = raw.strip()
            if not p:
                continue
            p = go_clean(p)
            exclusion = False
            if p[0] == "!":
                if len(p) == 1:
                    self.errors.append('illegal exclusion pattern: "!"')
                    continue
                exclusion = True
                p = p[1:]
            problem = _go_match_syntax_error(p)
            if problem is None:
                try:
                    compiled = _compile_pattern(p, exclusion)
                except re.error as exc:
                    problem = f"bad pattern ({exc})"
            if problem is not None:
                self.errors.append(f"{raw!r}: {problem}")
                continue
            self.patterns.append(compiled)
        self.has_exclusions = any(p.exclusion for p in self.patterns)
        pattern_chars = set("*[]?^\\")
        self.only_prefix_exclusions = not any(
            p.exclusion and set(p.without_trailing_glob()) & pattern_chars
            for p in self.patterns
        )

    @classmethod
    def from_text(cls, text: str) -> "DockerIgnore":
        return cls(read_ignore_patterns(text))

    def _match(
        self, path: str, parent: list[bool] | None
    ) -> tuple[bool, list[bool]]:
        """``MatchesUsingParentResults`` (parent=None: no parent information)."""
        matched = False
        info = [False] * len(self.patterns)
        for index, pattern in enumerate(self.patterns):
            match = parent[index] if parent else False
            if not match:
                if pattern.exclusion != matched:
                    continue
                match = pattern.match(path)
                if not match and not parent:
                    parent_path = posixpath.dirname(path)
                    if parent_path:
                        dirs = parent_path.split("/")
                        for k in range(len(dirs)):
                            if pattern.match("/".join(dirs[: k + 1])):
                                match = True
                                break
            info[index] = match
            if match:
                matched = not pattern.exclusion
        return matched, info

    def matches(self, rel: str) -> bool:
        """True if ``rel`` (a cleaned context-relative path) is excluded."""
        if not self.patterns or rel in ("", "."):
            return False
        parts = rel.split("/")
        info: list[bool] | None = None
        for k in range(len(parts)):
            path = "/".join(parts[: k + 1])
            matched, info = self._match(path, info)
            if k == len(parts) - 1:
                return matched
            # ``path`` is a directory on the way down
            if matched and self.only_prefix_exclusions:
                if not self.has_exclusions:
                    return True
                dir_slash = path + "/"
                if not any(
                    (p.without_trailing_glob() + "/").startswith(dir_slash)
                    for p in self.patterns
                    if p.exclusion
                ):
                    return True
        return False  # pragma: no cover - loop always returns


# ---------------------------------------------------------------------------
# Build context
# ---------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class BuildContext:
    """A build context directory and the facts rules need about it.

    Paths given to the methods are context-relative POSIX paths
    (``requirements/base.txt``); ``""`` and ``"."`` name the root.  A path that
    is absolute, climbs out with ``..`` or passes through a symlink leading out
    of the root does not exist in the context.  ``root`` may not exist: then
    nothing exists in the context.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self._real_root = os.path.realpath(self.root)
        self._text_cache: dict[str, str | None] = {}
        self._dockerfile: Path | None = None
        self._ignore: DockerIgnore | None = None
        self._ignore_file: Path | None = None
        # Results derived from the context's files, kept for the engine's later passes.
        self.memo: dict[tuple, object] = {}

    # -- paths --------------------------------------------------------------

    def normalize(self, rel: str | os.PathLike[str]) -> str | None:
        """The cleaned context-relative path, or None if it escapes lexically."""
        return _normalize_rel(rel)

    def kind(self, rel: str | os.PathLike[str]) -> str:
        """One of ``file``, ``dir``, ``other``, ``missing``, ``outside``."""
        key = ("kind", os.fspath(rel))
        if key not in self.memo:
            self.memo[key] = self._kind(rel)
        return self.memo[key]

    def _kind(self, rel: str | os.PathLike[str]) -> str:
        norm = _normalize_rel(rel)
        if norm is None:
            return "outside"
        path = self.root if norm == "." else self.root / norm
        real = os.path.realpath(path)
        if real != self._real_root and not real.startswith(
            self._real_root.rstrip(os.sep) + os.sep
        ):
            return "outside"
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return "missing"
        except OSError as exc:
            return "missing" if exc.errno == errno.ELOOP else "other"
        if stat.S_ISREG(info.st_mode):
            return "file"
        if stat.S_ISDIR(info.st_mode):
            return "dir"
        return "other"

    def exists(self, rel: str) -> bool:
        return self.kind(rel) in ("file", "dir", "other")

    def is_file(self, rel: str) -> bool:
        return self.kind(rel) == "file"

    def is_dir(self, rel: str) -> bool:
        return self.kind(rel) == "dir"

    def read_text(self, rel: str) -> str | None:
        """The text of a file in the context (cached); None if missing,
        unreadable, larger than 8 MiB or binary (NUL bytes).  UTF-8 with a
        Latin-1 fallback; UTF-8/16/32 BOMs are honoured and removed."""
        norm = _normalize_rel(rel)
        if norm is None:
            return None
        if norm in self._text_cache:
            return self._text_cache[norm]
        text: str | None = None
        if self.kind(norm) == "file":
            try:
                with open(self.root / norm, "rb") as fh:
                    data = fh.read(_MAX_READ_BYTES + 1)
            except OSError:
                data = None
            if data is not None and len(data) <= _MAX_READ_BYTES:
                text = _decode(data)
        self._text_cache[norm] = text
        return text

    # -- .dockerignore --------------------------------------------------------

    def set_dockerfile(self, dockerfile_path: str | os.PathLike[str] | None) -> None:
        """Tell the context which Dockerfile builds it.

        ``dockerfile_path`` is a filesystem path (absolute, or relative to the
        current directory, like ``docker build -f``).  BuildKit then uses
        ``<Dockerfile name>.dockerignore`` next to the Dockerfile instead of the
        context's ``.dockerignore`` when that file exists.  ``None`` resets.
        """
        self._dockerfile = Path(dockerfile_path) if dockerfile_path is not None else None
        self._ignore = None
        self._ignore_file = None

    def _load_ignore(self) -> DockerIgnore:
        if self._ignore is not None:
            return self._ignore
        candidates: list[Path] = []
        if self._dockerfile is not None:
            df = self._dockerfile
            candidates.append(df.with_name(df.name + ".dockerignore"))
        candidates.append(self.root / ".dockerignore")
        self._ignore = DockerIgnore([])
        for candidate in candidates:
            if candidate.is_file():
                try:
                    data = candidate.read_bytes()
                except OSError:
                    continue
                text = data.decode("utf-8", errors="surrogateescape")
                self._ignore = DockerIgnore.from_text(text)
                self._ignore_file = candidate
                break
        return self._ignore

    @property
    def dockerignore_file(self) -> Path | None:
        """The ignore file in use, if any."""
        self._load_ignore()
        return self._ignore_file

    @property
    def dockerignore_errors(self) -> list[str]:
        """Invalid patterns (BuildKit would refuse to build)."""
        return list(self._load_ignore().errors)

    def is_ignored(self, rel: str) -> bool:
        """True if BuildKit leaves ``rel`` out of the context it sends.

        Paths outside the context are not "ignored" (they do not exist);
        the root itself is never ignored.
        """
        norm = _normalize_rel(rel)
        if norm is None or norm == ".":
            return False
        return self._load_ignore().matches(norm)


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


def _scheme(value: str) -> str | None:
    m = _SCHEME_RE.match(value)
    return m.group(1).lower() if m else None


def _is_vcs_scheme(scheme: str | None) -> bool:
    return scheme is not None and any(
        scheme == vcs or scheme.startswith(vcs + "+") for vcs in _VCS
    )


def _is_file_scheme(scheme: str | None) -> bool:
    return scheme is not None and (scheme == "file" or scheme.endswith("+file"))


def _looks_like_path(name: str) -> bool:
    return "/" in name or name.startswith(".")


def _strip_extras(value: str) -> str:
    m = _EXTRAS_RE.match(value)
    return m.group(1) if m else value


def _requirement_local_kind(req: str) -> tuple[str, str] | None:
    """(kind, detail) if a requirement line reads the local filesystem.

    Follows pip's ``parse_req_from_line``/``_get_url_from_path``; relative
    paths there are relative to the working directory, not the file."""
    scheme = _scheme(req)
    is_url = scheme in _URL_SCHEMES or _is_vcs_scheme(scheme)
    req = req.split("; " if is_url else ";", 1)[0].strip()
    if is_url:
        if _is_file_scheme(scheme):
            return "file-url", "file: URL read from the image filesystem"
        return None
    if "@" in req:
        name, _, url = req.partition("@")
        if not _looks_like_path(name):  # PEP 508 direct reference
            url = url.strip()
            uscheme = _scheme(url)
            if _is_file_scheme(uscheme):
                return "file-url", "direct reference to a file: URL"
            if uscheme is None:
                return "path", "direct reference to a local path"
            return None
    bare = _strip_extras(req)
    if _looks_like_path(bare):
        return "path", "local path, relative to the working directory"
    if bare.lower().endswith(_ARCHIVE_EXTENSIONS):
        return "archive", "local archive file, relative to the working directory"
    return None


def _editable_kind(value: str) -> tuple[str, str]:
    scheme = _scheme(value)
    if _is_vcs_scheme(scheme):
        return (
            "editable-vcs",
            "editable VCS checkout: pip clones it into <venv>/src, or into ./src "
            "of the working directory outside a virtualenv",
        )
    if _is_file_scheme(scheme):
        return "editable", "editable install of a local file: URL"
    return "editable", "editable install of a local project directory"


def _link_is_local(value: str) -> bool:
    """--find-links / --index-url values that are paths or file: URLs."""
    scheme = _scheme(value)
    return scheme not in ("http", "https")


def _var_at_head(value: str) -> bool:
    value = value.strip()
    if value.startswith("${"):
        return True
    if "@" in value:
        name, _, url = value.partition("@")
        if not _looks_like_path(name) and url.strip().startswith("${"):
            return True
    return False


def _placeholder(value: str) -> str:
    return _ENV_VAR_RE.sub("x", value)


@dataclass(frozen=True)
class RequirementsRef:
    """A problem or include inside a requirements file.

    ``file`` is the file holding the line (for a root: the root itself),
    ``lineno`` the line (0 for a root), ``text`` the logical line as written
    (for a root: its path).  ``kind`` says what was found (``include``,
    ``editable``, ``editable-vcs``, ``path``, ``archive``, ``file-url``,
    ``find-links``, ``index``, ``absolute``, ``symlink``, ``not-a-file``,
    ``unreadable``, ``parse``, ...), ``target`` the context-relative file an
    include resolves to (when known), ``detail`` a one-line explanation.
    """

    file: str
    lineno: int
    text: str
    kind: str = ""
    target: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class RequirementsClosure:
    """What ``pip install -r <roots>`` reads from the build context.

    ``files`` lists every existing file reached (roots first, then includes in
    depth-first order as pip reads them), including ignored ones.  The other
    tuples list problems; each logical line lands in at most one of
    ``local_refs``, ``variables``, ``errors``.
    """

    files: tuple[str, ...]
    local_refs: tuple[RequirementsRef, ...]
    missing: tuple[RequirementsRef, ...]
    ignored: tuple[RequirementsRef, ...]
    outside: tuple[RequirementsRef, ...]
    variables: tuple[RequirementsRef, ...]
    remote: tuple[RequirementsRef, ...] = ()  # -r https://... (not followed)
    errors: tuple[RequirementsRef, ...] = ()  # lines pip would refuse, unreadable files

    @property
    def problems(self) -> tuple[RequirementsRef, ...]:
        """Everything that stops "copy these files, then install" being safe
        (remote includes are not counted)."""
        return (
            self.missing + self.ignored + self.outside + self.variables
            + self.local_refs + self.errors
        )

    @property
    def ok(self) -> bool:
        return not self.problems


def requirements_closure(ctx: BuildContext, roots: Sequence[str]) -> RequirementsClosure:
    """Follow ``-r``/``-c`` includes from ``roots`` (context-relative paths).

    Includes are resolved relative to the including file's directory, as pip
    does; requirement paths (``./pkg``, ``-e .``) are relative to the working
    directory and are only reported.  Cycles terminate.
    """
    files: list[str] = []
    local_refs: list[RequirementsRef] = []
    missing: list[RequirementsRef] = []
    ignored: list[RequirementsRef] = []
    outside: list[RequirementsRef] = []
    variables: list[RequirementsRef] = []
    remote: list[RequirementsRef] = []
    errors: list[RequirementsRef] = []
    seen: set[str] = set()

    def admit(target: str, ref: RequirementsRef) -> str | None:
        """Check a resolved context path; returns it if it can be parsed."""
        kind = ctx.kind(target)
        if kind == "outside":
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "symlink", target,
                                "a symlink leads outside the build context")
            )
            return None
        if kind == "missing":
            missing.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, target,
                                "no such file in the build context")
            )
            return None
        if kind != "file":
            missing.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "not-a-file", target,
                                f"{target} is not a regular file")
            )
            return None
        if target not in seen:
            seen.add(target)
            files.append(target)
            if ctx.is_ignored(target):
                ignored.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, target,
                                    "excluded by .dockerignore")
                )
        return target

    def classify_include(including: str | None, value: str, ref: RequirementsRef) -> str | None:
        """Resolve an include value; record problems; the path to parse or None."""
        if _ENV_VAR_RE.search(value):
            if _scheme(_placeholder(value)) in ("http", "https"):
                remote.append(ref)
            else:
                variables.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, None,
                                    "path uses ${VAR} expansion; cannot be resolved statically")
                )
            return None
        m = _INCLUDE_SCHEME_RE.match(value)
        if m:
            if m.group(1).lower() == "file":
                outside.append(
                    RequirementsRef(ref.file, ref.lineno, ref.text, "file-url", None,
                                    "file: URL names a path in the image, not in the context")
                )
            else:
                remote.append(ref)
            return None
        if value.startswith("/"):
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, "absolute", value,
                                "absolute path names a file in the image, not in the context")
            )
            return None
        joined = value if including is None else _join_rel(posixpath.dirname(including), value)
        target = _normalize_rel(joined)
        if target is None:
            outside.append(
                RequirementsRef(ref.file, ref.lineno, ref.text, ref.kind, None,
                                "resolves outside the build context")
            )
            return None
        return admit(target, ref)

    # roots first
    queue: list[str] = []
    for root in roots:
        ref = RequirementsRef(root, 0, root, "root")
        target = classify_include(None, root, ref)
        if target is not None and target not in queue:
            queue.append(target)

    parsed: set[str] = set()

    def visit(start: str) -> None:
        stack: list[tuple[str, Iterator[RequirementLine]]] = []

        def push(path: str) -> None:
            if path in parsed:
                return
            parsed.add(path)
            text = ctx.read_text(path)
            if text is None:
                errors.append(
                    RequirementsRef(path, 0, path, "unreadable", path,
                                    "cannot read the file (binary or unreadable)")
                )
                return
            stack.append((path, iter(parse_requirements_text(text))))

        push(start)
        while stack:
            path, lines = stack[-1]
            line = next(lines, None)
            if line is None:
                stack.pop()
                continue
            child = _handle_line(path, line)
            if child is not None:
                push(child)

    def _handle_line(path: str, line: RequirementLine) -> str | None:
        def ref(kind: str, detail: str = "", target: str | None = None) -> RequirementsRef:
            return RequirementsRef(path, line.lineno, line.text, kind, target, detail)

        if line.error is not None:
            errors.append(ref("parse", f"pip refuses this line: {line.error}"))
            return None
        has_var = bool(_ENV_VAR_RE.search(line.text))
        if line.requirement:
            req = line.requirement
            if has_var and _ENV_VAR_RE.search(req):
                if _var_at_head(req):
                    variables.append(ref("requirement", "requirement uses ${VAR} expansion"))
                    return None
                local = _requirement_local_kind(_placeholder(req))
                if local is not None:
                    variables.append(ref(local[0], local[1] + "; uses ${VAR} expansion"))
                return None
            local = _requirement_local_kind(req)
            if local is not None:
                local_refs.append(ref(*local))
            return None
        editables = line.values("editables")
        if editables:
            value = editables[0]
            if _ENV_VAR_RE.search(value):
                kind, detail = _editable_kind(_placeholder(value))
                if _var_at_head(value) or kind != "editable-vcs":
                    variables.append(ref("editable", "editable path uses ${VAR} expansion"))
                    return None
                local_refs.append(ref(kind, detail))
                return None
            local_refs.append(ref(*_editable_kind(value)))
            return None
        includes = line.values("requirements")
        kind = "include"
        if not includes:
            includes = line.values("constraints")
            kind = "constraint"
        if includes:
            return classify_include(path, includes[0], ref(kind))
        links: list[tuple[str, str]] = []
        find_links = line.values("find_links")
        if find_links:
            links.append(("find-links", find_links[0]))
        index_urls = line.values("index_url")
        if index_urls:
            links.append(("index", index_urls[-1]))
        links.extend(("index", v) for v in line.values("extra_index_urls"))
        for link_kind, value in links:
            if _ENV_VAR_RE.search(value):
                if _var_at_head(value) or _link_is_local(_placeholder(value)):
                    variables.append(ref(link_kind, f"{link_kind} location uses ${{VAR}} expansion"))
                    return None
                continue
            if _link_is_local(value):
                local_refs.append(ref(link_kind, f"{link_kind} points at a local directory or file: URL"))
                return None
        return None

    for start in queue:
        visit(start)

    return RequirementsClosure(
        files=tuple(files),
        local_refs=tuple(local_refs),
        missing=tuple(missing),
        ignored=tuple(ignored),
        outside=tuple(outside),
        variables=tuple(variables),
        remote=tuple(remote),
        errors=tuple(errors),
    )
