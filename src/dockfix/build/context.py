"""Facts about a Docker build context that the rules need.

A :class:`BuildContext` wraps a directory on disk (the directory handed to
``docker build``).  It answers which files exist in it (refusing paths that
escape the root through ``..``, absolute paths or symlinks), which files the
``.dockerignore`` excludes (BuildKit semantics, see :class:`DockerIgnore`), and
reads text files with a cache.

This module imports no dockfix module outside ``dockfix.build`` and never executes project code.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .dockerignore import DockerIgnore
from .paths import _normalize_rel


_MAX_READ_BYTES = 8 * 1024 * 1024


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
        self._real_paths: dict[str, str] = {".": self._real_root}  # cleaned rel -> its realpath
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
        real = self._realpath(norm)
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

    def _realpath(self, norm: str) -> str:
        """``os.path.realpath(root / norm)`` for a cleaned relative path, resolving only the
        components below the root: each folder's real path is kept, so a lookup costs one
        ``lstat`` of its last component (a symlink there is resolved in full)."""
        real = self._real_paths.get(norm)
        if real is None:
            parent, _, name = norm.rpartition("/")
            candidate = os.path.join(self._realpath(parent or "."), name)
            try:
                is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
            except OSError:
                is_link = False  # missing or unreadable: realpath keeps the name as it is
            real = os.path.realpath(candidate) if is_link else candidate
            self._real_paths[norm] = real
        return real

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

    def toml(self, rel: str) -> tuple[dict | None, str]:
        """A context file read as TOML, once per context: ``(data, '')``, or ``(None, why)`` when
        it is not valid TOML. A file that cannot be read is empty (``{}``). The data is shared
        between callers: read it, never change it."""
        key = ("toml", rel)
        if key not in self.memo:
            import tomllib  # only where a TOML file is read (start-up of a check)

            try:
                self.memo[key] = (tomllib.loads(self.read_text(rel) or ""), "")
            except tomllib.TOMLDecodeError as exc:
                self.memo[key] = (None, str(exc))
        return self.memo[key]

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
