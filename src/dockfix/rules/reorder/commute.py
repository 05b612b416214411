"""Whether a step commutes with a broad COPY, judged from its effects (``effects.py``).

Moving a broad ``COPY <ctx> <dest>`` from before a step S to after it changes two things:
S runs without the copied files, and the copied files land on top of what S left. The image is
the same when none of the following holds, so ``meets_copy`` refuses each of them:

1. S reads something the COPY brings (the entry ``dest/rel`` or anything inside it), or reads a
   tree (``cp -r``, ``grep -r``, a listing that is used) containing one, or imports Python
   modules from a directory the COPY fills (``python -m`` puts the working directory first on
   ``sys.path``: a copied ``logging.py`` shadows the standard library).
2. S writes an entry the COPY also brings: a file would be replaced by the COPY where it used to
   be S's version; a directory would be merged.
3. S writes below a directory the COPY brings (``mkdir -p src/new`` when the context has ``src/``):
   S creates ``src`` itself, with its own owner and mode. Measured with Docker 20.10's BuildKit,
   the COPY then resets ``src`` to the context's mode and owner (a ``mkdir -m 700`` + ``chown``'d
   ``/app/src`` became 775 root:root), which would give the same image; but this differs with
   ``--link`` and between versions (moby/moby#44956, moby/buildkit#1941), so it is refused.
4. S writes the destination itself or one of its parents (``chmod -R 777 /app``, ``rm -rf /app``):
   refused. The exception is ``mkdir -p`` of an existing directory, which does nothing.
5. S writes inside the destination while it may not exist yet: in the original order the COPY
   created it first (with ``--chown``'s owner, measured). The caller says whether ``dest`` exists
   before S (``dest_exists``: a ``WORKDIR`` at or below it, say). The COPY copies the *contents*
   of its source into an existing directory and leaves that directory's owner and mode alone
   (measured: a 750 1000:1000 ``/app`` stayed so; moby/buildkit#1941), and an entry S made that
   the COPY does not bring stays as S left it, so a new ``.data`` next to the copied files is the
   same in both orders.
6. S may read or write anything (``python x.py``, ``make``, ``sh -c``), or installs OS packages
   while the destination is a directory packages own (``/usr/lib``, ``/etc``, ...). Packages are
   assumed to write only below their own system directories, never into an application directory
   such as ``/app``, ``/opt/app`` or ``/usr/src/app``.

Whether the context brings ``rel`` (relative to ``dest``) is asked of ``copied(rel)``: True, False
(nothing at ``rel`` nor below it) or None (unknown, refused); ``context_copied`` builds it from a
``BuildContext`` after ``.dockerignore``. Two symbolic paths are disjoint only when their literal
prefixes diverge; a path relative to an unknown directory meets everything.

Assumptions: no symlink in the image leads into or out of the destination before the COPY (a
path is compared as written); the base image's ``PATH`` reaches no destination.
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Callable, Iterable

from ...build.state import State, relative, under
from ...shell.effect_types import Access, Effect
from ...shell.effects import run_effects
from ...shell.nodes import Invocation

# Directories that OS packages own; a COPY into or above one of them meets every package install.
PACKAGE_ROOTS = (
    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/usr/bin", "/usr/sbin", "/usr/lib",
    "/usr/lib32", "/usr/lib64", "/usr/libexec", "/usr/libx32", "/usr/share", "/usr/include",
    "/var/lib", "/var/cache", "/var/log", "/var/spool", "/var/mail", "/boot", "/root",
)


def run_meets_copy(
    invs: Iterable[Invocation],
    state: State,
    dest: str,
    copied: Callable[[str], bool | None],
    dest_exists: bool = False,
    names: Callable[[str], Iterable[str] | None] | None = None,
    home: str | None = None,
    configs_checked: Callable[[Effect], None] | None = None,
    script: str | None = None,
) -> str | None:
    """``meets_copy`` for each command of a RUN: the reason of the first that meets, else None.
    ``configs_checked(effect)``: raises when the files of ``effect.configs`` may be in the copied
    tree; given, those files count as checked."""
    for inv, effect in run_effects(invs, state, home, script):
        if effect is None:
            text = " ".join(w.raw for w in inv.command.words) or inv.command.redirects[0]
            return f"'{text}' is a command dockfix cannot tell the files of"
        if effect.configs and configs_checked is not None:
            configs_checked(effect)
        why = meets_copy(effect, dest, copied, dest_exists, names, configs_checked=configs_checked is not None)
        if why:
            return why
    return None


def _literal_prefix(path: str) -> str:
    """The part of a symbolic path before its first symbolic component ('' for @base)."""
    parts = []
    for part in path.split("/"):
        if "$" in part or part.startswith("@"):
            return "/".join(parts) if parts else ""
        parts.append(part)
    return path


def relation(path: str, dest: str) -> str | None:
    """'inside' (path is dest or below), 'above' (dest is strictly below path), 'apart', or None."""
    if under(path, dest):
        return "inside"
    if under(dest, path):
        return "above"
    a, b = _literal_prefix(path), _literal_prefix(dest)
    if not a or not b:
        return None
    if a == path and b == dest:
        return "apart"
    return "apart" if not (under(a, b) or under(b, a)) else None


def meets_copy(
    effect: Effect,
    dest: str,
    copied: Callable[[str], bool | None],
    dest_exists: bool = False,
    names: Callable[[str], Iterable[str] | None] | None = None,
    configs_checked: bool = False,
) -> str | None:
    """Why ``effect`` does not commute with a COPY filling ``dest``; None when it provably does.

    ``copied(rel)``: does the COPY bring an entry at ``rel`` (relative to ``dest``), or anything
    below it? ``names(rel)``: the names the COPY brings directly inside directory ``rel`` (None:
    unknown), needed only for ``python -m`` run inside the destination. ``configs_checked``: the
    caller has shown that no file of the installer's configuration search path whose folder is
    not known (``Effect.configs``) is in the copied tree. See the module docstring.
    """
    cmd = f"'{effect.text}'"
    if effect.writes_anything:
        return f"{cmd} may write files dockfix cannot name"
    if effect.reads_anything or (effect.configs and not configs_checked):
        return f"{cmd} may read files dockfix cannot name"
    if effect.system and any(relation(root, dest) in ("inside", "above", None) for root in PACKAGE_ROOTS):
        return f"{cmd} installs packages, which may write into {dest}"
    for a in sorted(effect.writes, key=lambda a: a.path):
        why = _meets(a, dest, copied, dest_exists, write=True)
        if why:
            return f"{cmd} writes {a.path}{'/...' if a.tree else ''}, {why}"
    for a in sorted(effect.reads, key=lambda a: a.path):
        why = _meets(a, dest, copied, dest_exists, write=False)
        if why:
            return f"{cmd} reads {a.path}{'/...' if a.tree else ''}, {why}"
    for d in sorted(effect.imports):
        why = _imports_meet(d, dest, copied, names)
        if why:
            return f"{cmd} imports Python modules from {d}, {why}"
    return None


def _meets(a: Access, dest: str, copied, dest_exists: bool, write: bool) -> str | None:
    where = relation(a.path, dest)
    if where == "apart":
        return None
    if where is None:
        return f"which may be inside {dest}"
    if where == "above" or a.path == dest:
        if (a.mkdir or not write) and not a.tree and dest_exists:
            return None
        return f"which holds the copied files" if write or a.tree else f"{dest} may not exist yet"
    rel = relative(a.path, dest)
    parts = rel.split("/")
    for k in range(1, len(parts) + 1):
        sub = "/".join(parts[:k])
        brought = copied(sub)
        if brought is not False:
            what = "also brought by the COPY" if brought else "which the COPY may bring"
            return f"{sub} {what}" if k < len(parts) else what
    if write and not dest_exists:
        return f"and {dest} may not exist before the COPY"
    return None


def _imports_meet(d: str, dest: str, copied, names) -> str | None:
    where = relation(d, dest)
    if where == "apart":
        return None
    if where is None:
        return f"which may be inside {dest}"
    if where == "above":
        top = relative(dest, d).split("/", 1)[0]
        return f"where {top} may be imported" if _module_name(top) in MODULE_NAMES else None
    rel = relative(d, dest)
    if rel != "." and copied(rel) is False:
        return None
    listed = names(rel) if names is not None else None
    if listed is None:
        return "and the COPY may bring modules there"
    hits = sorted(n for n in listed if _module_name(n) in MODULE_NAMES)
    return f"where the COPY brings {hits[0]}" if hits else None


def _module_name(name: str) -> str:
    return name.split(".", 1)[0]


# Names a ``python -m`` of the standard library may import after sys.path[0] is set.
MODULE_NAMES = frozenset(sys.stdlib_module_names) | {"venv", "ensurepip", "pip", "virtualenv", "__main__"}


# --- the build context ----------------------------------------------------------------------------


def context_copied(ctx, source_dir: str = ".") -> tuple[Callable[[str], bool | None], Callable[[str], list[str] | None]]:
    """``(copied, names)`` for a COPY of ``source_dir`` of the ``BuildContext`` ``ctx``.

    An entry counts as brought when it exists on disk and ``.dockerignore`` keeps it, or when it
    is an ignored directory that a ``!`` pattern re-includes something below.
    """
    import os

    def ctx_path(rel: str) -> str | None:
        rel = posixpath.normpath(rel)
        if rel.startswith("..") or rel.startswith("/"):
            return None
        path = posixpath.normpath(posixpath.join(source_dir, rel))
        return None if path.startswith("..") or path.startswith("/") else path

    def copied(rel: str) -> bool | None:
        path = ctx_path(rel)
        if path is None:
            return None
        parent = posixpath.dirname(path)
        if parent and parent != "." and ctx.kind(parent) not in ("dir", "missing"):
            return None  # below a symlink or special file of the context
        kind = ctx.kind(path)
        if kind == "missing":
            return False
        if not ctx.is_ignored(path):
            return True
        if kind != "dir" or not ctx._load_ignore().has_exclusions:
            return False
        for root, dirs, files in os.walk(ctx.root / path):
            base = posixpath.relpath(root.replace(os.sep, "/"), str(ctx.root).replace(os.sep, "/"))
            for name in dirs + files:
                if not ctx.is_ignored(posixpath.join(base, name)):
                    return True
        return False

    def names(rel: str) -> list[str] | None:
        path = ctx_path(rel)
        if path is None or ctx.kind(path) != "dir":
            return None
        try:
            entries = os.listdir(ctx.root / path)
        except OSError:
            return None
        return [n for n in entries if copied(posixpath.join(rel, n)) is not False]

    return copied, names


__all__ = ["meets_copy", "run_meets_copy", "context_copied", "relation", "PACKAGE_ROOTS", "MODULE_NAMES"]
