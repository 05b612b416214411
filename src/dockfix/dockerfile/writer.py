"""Turning results into output: unified diffs and atomic writes. The only module that writes files."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff (``patch -p0`` / ``git apply -p0`` compatible) that keeps every byte.

    Lines keep their own endings; a last line without one is marked as diff(1) marks it.
    """
    import difflib

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


@contextlib.contextmanager
def signals_deferred(signals=(signal.SIGINT, signal.SIGTERM)):
    """Hold ``signals`` (Ctrl-C, termination) until the block ends: a write is done whole or not at
    all, and the caller can count it. A signal that arrives meanwhile is delivered at the end."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def check_writable(path: str) -> None:
    """Refuse, as an in-place write would, a file the user may not write (mode 444) or one in a
    folder where the replacement cannot be created. Raises PermissionError saying which."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    if not os.access(real, os.W_OK):
        raise PermissionError(errno.EACCES, "Permission denied (the file is read-only)", path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"Permission denied (its folder {directory} is read-only)", path)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (and owner where allowed).

    A symlink is followed: its target is replaced and the link stays. A file the user may not
    write is refused (``check_writable``) although a rename would get past its mode. Ctrl-C and
    termination wait until the file is replaced or the temporary file removed.
    """
    import tempfile

    check_writable(path)
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    st = os.stat(real)
    with signals_deferred():
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
