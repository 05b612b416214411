"""Turning results into output: unified diffs and atomic writes. The only module that writes files."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff (``patch -p0`` / ``git apply -p0`` compatible) that keeps every byte.

    Lines keep their own endings; a last line without one is marked as diff(1) marks it.
    """
    # Split on LF only (str.splitlines would also split on lone CR and other separators).
    a, b = _lf_lines(_decode(before)), _lf_lines(_decode(after))
    out = []
    for line in difflib.unified_diff(a, b, fromfile=path, tofile=path, n=3):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lf_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (and owner where allowed).

    A symlink is followed: its target is replaced and the link stays.
    """
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    st = os.stat(real)
    fd, tmp = tempfile.mkstemp(prefix=".dockfix-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                pass
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
