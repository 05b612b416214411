"""``.dockerignore``: reading the patterns and matching them the way BuildKit does (moby/patternmatcher
and tonistiigi/fsutil semantics)."""

from __future__ import annotations

import posixpath
import re
import warnings
from dataclasses import dataclass
from typing import Iterable

from .paths import go_clean


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
    """One .dockerignore line, cleaned, with how it matches (``kind``) and its regular expression."""

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
