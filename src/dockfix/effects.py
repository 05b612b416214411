"""What the commands of a RUN read and write, and whether a step commutes with a broad COPY.

``run_effects(invocations, state)`` gives, for each command of a RUN, an ``Effect``: the paths it
reads and writes (symbolic absolute, as in ``analysis``; each the entry itself or its whole
subtree) and flags for a command that may read or write files it was not told about. A command
the model does not know gets ``None``: the caller refuses. The per-command models are in
``commands.py``; this module resolves words to paths, follows ``cd`` and decides commutation.

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

Assumptions: the base image's ``PATH`` is the standard one (an empty ``PATH`` entry, which is what
``ENV PATH=/x:$PATH`` reads as, stands for it) and reaches no destination; root's home is
``/root``; an ``ARG`` value may be overridden, so it is never taken as known.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .analysis import State, join, relative, under
from .shell import Invocation, Word

STANDARD_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# Directories that OS packages own; a COPY into or above one of them meets every package install.
PACKAGE_ROOTS = (
    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/usr/bin", "/usr/sbin", "/usr/lib",
    "/usr/lib32", "/usr/lib64", "/usr/libexec", "/usr/libx32", "/usr/share", "/usr/include",
    "/var/lib", "/var/cache", "/var/log", "/var/spool", "/var/mail", "/boot", "/root",
)
SHELL_SET = {"PWD", "OLDPWD", "IFS", "RANDOM", "LINENO", "SECONDS", "UID", "EUID", "PPID", "OPTIND", "OPTARG"}
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_UNKNOWN = re.compile(r"[$`*?\[{]")


@dataclass(frozen=True)
class Access:
    path: str  # symbolic absolute
    tree: bool = False  # the whole subtree, else the entry itself (its content, existence, metadata)
    mkdir: bool = False  # ``mkdir -p``: creates the directory and its parents, no-op when it exists


@dataclass(frozen=True)
class Effect:
    text: str  # the command as written
    reads: frozenset[Access] = frozenset()
    writes: frozenset[Access] = frozenset()
    reads_anything: bool = False  # may read files it was not told about
    writes_anything: bool = False  # may write files it was not told about
    system: bool = False  # installs OS packages (writes below PACKAGE_ROOTS)
    imports: frozenset[str] = frozenset()  # directories Python imports from first (sys.path[0])

    def __or__(self, other: Effect) -> Effect:
        return Effect(
            self.text or other.text, self.reads | other.reads, self.writes | other.writes,
            self.reads_anything or other.reads_anything, self.writes_anything or other.writes_anything,
            self.system or other.system, self.imports | other.imports,
        )


@dataclass
class Ctx:
    """What a command model needs: where it runs and what the words mean."""

    inv: Invocation
    cwd: str | None  # None: a ``cd`` went somewhere unknown
    state: State
    home: str | None
    shell_vars: frozenset[str] = frozenset()  # names the script itself assigns (values unknown)
    reads: set[Access] = field(default_factory=set)
    writes: set[Access] = field(default_factory=set)
    anything: set[str] = field(default_factory=set)  # 'read', 'write'
    system: bool = False
    imports: set[str] = field(default_factory=set)

    def var(self, name: str) -> str | None:
        if name in self.shell_vars or name in SHELL_SET or self.inv.command.compound:
            return None  # set by the script or the shell, or maybe by a for loop around this command
        if name == "HOME" and "HOME" not in self.state.vars:
            return self.home
        v = self.state.vars.get(name)
        return v.value if v is not None and not v.is_arg and v.value is not None else None

    def path(self, word: Word | str, base: str | None = None) -> tuple[str, bool] | None:
        """The symbolic absolute path a word names, relative to ``base`` (default: the cwd).

        ``(path, exact)``: exact False means only a prefix is known (the access covers its
        subtree); None: nothing is known (not even an absolute prefix).
        """
        if isinstance(word, str):  # a path the model names itself; '~' is the home directory
            if word == "~" or word.startswith("~/"):
                if self.home is None:
                    return None
                word = self.home + word[1:]
            text, expands = word, False
        else:
            text, expands = word.value, word.has_expansion and "'" not in word.raw
            if word.has_expansion and "'" in word.raw:
                return None  # quoted and unquoted parts mixed: the value does not say which is which
        if expands:
            if text == "~" or text.startswith("~/"):
                if self.home is None:
                    return None
                text = self.home + text[1:]

            def sub(m: re.Match) -> str:
                value = self.var(m.group(1) or m.group(2))
                unsafe = value is None or _UNKNOWN.search(value) or re.search(r"\s", value)
                return "\1" if unsafe else value  # a space would split an unquoted word

            text = _VAR.sub(sub, text)
            text = re.sub(r"\$.*", "\1", text)  # $(...), ${X:-y}, $1 ...: unknown from here on
            text = _UNKNOWN.sub("\0", text)  # glob and brace characters
            if text.startswith("~"):
                text = "\1"
        if "\0" in text or "\1" in text:
            return self._prefix(text, base)
        return self._join(text, base), True

    def _join(self, text: str, base: str | None) -> str | None:
        if text.startswith("/"):
            return join("/", text)
        base = self.cwd if base is None else base
        return None if base is None else join(base, text)

    def _prefix(self, text: str, base: str | None) -> tuple[str, bool] | None:
        """The known directory before the first unknown part (\\1: a variable, \\0: a pattern)."""
        if text.startswith("\1"):
            return None  # $X/foo: $X may be absolute
        head = re.split("[\0\1]", text, maxsplit=1)[0]
        known = head.rsplit("/", 1)[0] if "/" in head else ""
        if not known and not text.startswith("/"):
            known = "."
        full = self._join(known or "/", base)
        return None if full is None else (full, False)

    def read(self, word: Word | str, tree: bool = False, base: str | None = None) -> None:
        self._add(self.reads, "read", word, tree, False, base)

    def write(self, word: Word | str, tree: bool = False, mkdir: bool = False, base: str | None = None) -> None:
        self._add(self.writes, "write", word, tree, mkdir, base)

    def _add(self, into: set, kind: str, word, tree: bool, mkdir: bool, base: str | None) -> None:
        found = self.path(word, base)
        if found is None or found[0] is None:
            self.anything.add(kind)
        else:
            path, exact = found
            into.add(Access(path, tree or not exact, mkdir and exact))

    def opaque(self) -> Effect:
        self.anything.update(("read", "write"))
        return self.effect()

    def effect(self) -> Effect:
        text = " ".join(w.raw for w in self.inv.command.words)
        return Effect(
            text, frozenset(self.reads), frozenset(self.writes), "read" in self.anything,
            "write" in self.anything, self.system, frozenset(self.imports),
        )

    def path_dirs(self) -> list[str] | None:
        """The directories a command name is looked up in, None when unknown."""
        if "PATH" in self.shell_vars:
            return None
        v = self.state.vars.get("PATH")
        if v is None:
            return list(STANDARD_PATH)
        if v.value is None or v.is_arg:
            return None
        out: list[str] = []
        for entry in v.value.split(":"):
            if not entry:
                out.extend(d for d in STANDARD_PATH if d not in out)
            elif not entry.startswith("/"):
                return None
            else:
                out.append(join("/", entry))
        return out


def run_effects(invs: Iterable[Invocation], state: State, home: str | None = None) -> list[tuple[Invocation, Effect | None]]:
    """Each command of one RUN with its effect, following ``cd`` through the script.

    ``home``: the home directory of the RUN's user when the caller knows it (``users.who``);
    by default ``$HOME`` if the Dockerfile sets it, else ``/root`` when the user is root.
    """
    from .commands import model

    invs = list(invs)
    assigned = frozenset(_assigned(invs))
    if home is None:
        home = _default_home(state)
    if "HOME" in assigned:
        home = None
    cwd: str | None = state.workdir
    out = []
    for inv in invs:
        ctx = Ctx(inv, cwd, state, home, assigned)
        effect = _redirects(ctx)
        found = model(ctx) if effect else None
        out.append((inv, found | effect if found is not None and effect is not None else None))
        if inv.tool == "cd" or (inv.command.words and inv.command.words[0].value in ("pushd", "popd")):
            cwd = _cd(ctx) if not inv.command.compound and inv.command.op_before != "|" else None
    return out


def run_effect(invs: Iterable[Invocation], state: State, home: str | None = None) -> Effect | None:
    """The union of the effects of a RUN's commands; None when one is unknown."""
    total = None
    for _, effect in run_effects(invs, state, home):
        if effect is None:
            return None
        total = effect if total is None else total | effect
    return total or Effect("")


def run_meets_copy(
    invs: Iterable[Invocation],
    state: State,
    dest: str,
    copied: Callable[[str], bool | None],
    dest_exists: bool = False,
    names: Callable[[str], Iterable[str] | None] | None = None,
    home: str | None = None,
) -> str | None:
    """``meets_copy`` for each command of a RUN: the reason of the first that meets, else None."""
    for inv, effect in run_effects(invs, state, home):
        if effect is None:
            text = " ".join(w.raw for w in inv.command.words) or inv.command.redirects[0]
            return f"'{text}' is a command dockfix cannot tell the files of"
        why = meets_copy(effect, dest, copied, dest_exists, names)
        if why:
            return why
    return None


def volume_effect(paths: Iterable[str], state: State) -> Effect:
    """``VOLUME``: BuildKit keeps later changes below a volume, and at most creates its directory,
    so each path counts as a ``mkdir -p`` (``paths`` as written: JSON items or words)."""
    writes, anything = set(), False
    for raw in paths:
        expanded, literal = state.expand(raw)
        if not literal or not expanded:
            anything = True
        else:
            writes.add(Access(join(state.workdir, expanded), mkdir=True))
    return Effect("VOLUME " + " ".join(paths), writes=frozenset(writes), writes_anything=anything)


def _default_home(state: State) -> str | None:
    v = state.vars.get("HOME")
    if v is not None:
        return v.value if v.value and not v.is_arg and v.value.startswith("/") else None
    return "/root" if state.is_root() else None


def _assigned(invs: list[Invocation]) -> Iterable[str]:
    for inv in invs:
        for w in inv.command.assignments:
            yield w.value.split("=", 1)[0].rstrip("+")
        words = inv.command.words
        if words and words[0].value in ("export", "readonly", "local", "declare", "typeset", "read", "unset"):
            for w in words[1:]:
                yield w.value.split("=", 1)[0]
        if words and words[0].value in ("for", "select", "getopts"):
            yield from (w.value for w in words[1:])


def _cd(ctx: Ctx) -> str | None:
    words = ctx.inv.command.words
    if words[0].value != "cd":
        return None
    args = [w for w in words[1:] if not w.value.startswith("-") or w.value == "-"]
    if len(args) != len(words) - 1 or len(args) > 1:
        return None  # cd -P / cd -L and friends: leave it unknown
    if not args:
        return ctx.home
    found = ctx.path(args[0])
    return found[0] if found is not None and found[1] and args[0].value != "-" else None


_REDIRECT = re.compile(r"(\d*)(<<<|<<-|<<|<>|<&|<|>>|>\||>&|>|&>>|&>)\s*(.*)", re.S)
_NULL = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"}


def _redirects(ctx: Ctx) -> Effect | None:
    """The files the command's redirections read and write; None when unreadable."""
    from .analysis import unquote_word

    for r in ctx.inv.command.redirects:
        m = _REDIRECT.fullmatch(r)
        if m is None:
            return None
        op, target = m.group(2), m.group(3)
        if op in ("<<", "<<-", "<<<"):
            continue
        if op in ("<&", ">&") and re.fullmatch(r"\d+-?|-", target):
            continue
        value = unquote_word(target)
        if value in _NULL:
            continue
        word = Word(target, value, 0, 0, any(c in target for c in "$`*?[{~"))
        if op == "<":
            ctx.read(word)
        elif op == "<>":
            ctx.read(word)
            ctx.write(word)
        else:
            ctx.write(word)
    effect = ctx.effect()
    ctx.reads.clear(), ctx.writes.clear(), ctx.anything.clear()
    return effect


# --- commutation ---------------------------------------------------------------------------------


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
) -> str | None:
    """Why ``effect`` does not commute with a COPY filling ``dest``; None when it provably does.

    ``copied(rel)``: does the COPY bring an entry at ``rel`` (relative to ``dest``), or anything
    below it? ``names(rel)``: the names the COPY brings directly inside directory ``rel`` (None:
    unknown), needed only for ``python -m`` run inside the destination. See the module docstring.
    """
    cmd = f"'{effect.text}'"
    if effect.writes_anything:
        return f"{cmd} may write files dockfix cannot name"
    if effect.reads_anything:
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


__all__ = ["Access", "Effect", "run_effects", "run_effect", "run_meets_copy", "volume_effect", "meets_copy", "context_copied", "relation"]
