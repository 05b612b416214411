"""Context-relative paths: Go's ``filepath.Clean`` and the normalisation every lookup uses."""

from __future__ import annotations

import os
import posixpath


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
