"""Facts derived from a parsed Dockerfile: the build state before each instruction.

Paths are kept *symbolic*: a variable whose value is not a literal known from this file is
written ``${NAME#k}`` where k counts how often NAME was (re)defined, so two symbolic paths are
equal only when they mean the same directory. A stage whose base image is not a stage of this
file starts in ``@base``: the image's own working directory, unknown here.
"""

from __future__ import annotations

import posixpath
import re
import zlib
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..dockerfile.model import Dockerfile, Instruction

BASE_WORKDIR = "@base"
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Var:
    value: str | None  # literal value when known (no unresolved variables), else None
    version: int  # how many times the name has been defined so far
    is_arg: bool  # an ARG (overridable with --build-arg) rather than an ENV
    symbolic: str | None = None  # the value with unknown parts as symbols (${NAME#k}), when set


class _Log:
    """Definitions in the order they were made, shared by every snapshot taken along the way."""

    __slots__ = ("entries", "positions", "parent")

    def __init__(self, parent: Snapshot | None):
        self.entries: list[tuple[str, object]] = []
        self.positions: dict[str, list[int]] = {}  # name -> its entries, ascending
        self.parent = parent  # what this log continues (a snapshot of another log)


class Snapshot(Mapping):
    """A read-only mapping at one point of a ``_Log``: ``with_`` makes the next one without copying.

    The states of consecutive instructions share one log, so a file with N definitions costs O(N)
    memory instead of one dict per instruction (O(N²)); a lookup is a bisection. A snapshot that
    is not the log's last (a stage built FROM an earlier stage's end, once more) starts a new log
    that continues it.
    """

    __slots__ = ("_log", "_upto")

    def __init__(self, log: _Log | None = None, upto: int = 0):
        self._log = log if log is not None else _Log(None)
        self._upto = upto

    def with_(self, name: str, value) -> Snapshot:
        log = self._log
        if self._upto != len(log.entries):
            log = _Log(self)
        log.positions.setdefault(name, []).append(len(log.entries))
        log.entries.append((name, value))
        return Snapshot(log, len(log.entries))

    def _find(self, name: str):
        snap = self
        while snap is not None:
            log = snap._log
            pos = log.positions.get(name)
            if pos:
                i = bisect_left(pos, snap._upto) - 1
                if i >= 0:
                    return log.entries[pos[i]][1]
            snap = log.parent
        raise KeyError(name)

    def __getitem__(self, name: str):
        return self._find(name)

    def get(self, name, default=None):
        try:
            return self._find(name)
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        try:
            self._find(name)
        except (KeyError, TypeError):
            return False
        return True

    def _as_dict(self) -> dict:
        parts = []
        snap = self
        while snap is not None:
            parts.append(snap._log.entries[: snap._upto])
            snap = snap._log.parent
        out: dict = {}
        for entries in reversed(parts):
            out.update(entries)
        return out

    def __iter__(self):
        return iter(self._as_dict())

    def __len__(self) -> int:
        return len(self._as_dict())

    def __repr__(self) -> str:
        return f"Snapshot({self._as_dict()!r})"


@dataclass(frozen=True)
class State:
    workdir: str
    vars: Mapping[str, Var] = field(default_factory=dict)
    env_names: Mapping[str, None] = field(default_factory=dict)  # names set by ENV (inherited through FROM <stage>)
    user: str | None = None  # None: not set in this file (the base image's user)
    shell: tuple[str, ...] | None = None  # SHELL in force, None for the default /bin/sh -c
    base: str = ""  # the external image at the root of the stage chain
    stage: int = 0

    def expand(self, text: str) -> tuple[str, bool]:
        """Expand variables as BuildKit does for COPY/WORKDIR; (symbolic text, fully literal)."""
        literal = True

        def sub(m: re.Match) -> str:
            nonlocal literal
            name = m.group(1) or m.group(4)
            var = self.vars.get(name)
            if m.group(2):  # ${X:-word}, ${X-word}, ${X:+word}, ${X+word}
                value = _modified(var, m.group(2), m.group(3))
                if value is None:
                    # unknown, and equal only to the same form of the same definition of X
                    # (``${X:-/a}`` and ``${X:-/b}`` may differ)
                    literal = False
                    form = zlib.crc32((m.group(2) + m.group(3)).encode())
                    return "${%s#?%d.%x}" % (name, var.version if var is not None else 0, form)
                return value
            if var is None:
                # Not defined in this file: BuildKit reads the base image's ENV (empty only when
                # the image does not set it either), so the value is not known here.
                literal = False
                return "${%s#0}" % name
            if var.value is not None and not var.is_arg:
                return var.value
            literal = False
            return "${%s#%d}" % (name, var.version)

        out = _VAR.sub(sub, text)
        if text.count("${") != sum(1 for m in _VAR.finditer(text) if m.group(1)):
            literal = False  # ${X#pattern}, ${X%...}, ${X/a/b}, ${X:?...}: not evaluated here
        return out, literal

    def is_root(self) -> bool | None:
        """True/False when the user is known; None when it comes from an unknown base image."""
        if self.user is None:
            return _base_user_is_root(self.base)
        user = self.user.split(":", 1)[0]
        return user in ("root", "0")


def _modified(var, op: str, word: str) -> str | None:
    """``${X:-word}``, ``${X-word}``, ``${X:+word}``, ``${X+word}`` as BuildKit's shell lexer
    evaluates them (frontend/dockerfile/shell/lex.go, ``processDollar``: without ``:`` only an unset
    variable counts as missing, with ``:`` an empty one too), when this file proves what X holds:
    an ``ENV`` with a literal value in this stage or one it is built ``FROM``. A variable the file
    does not set may come from the base image, and an ``ARG`` may be overridden with
    ``--build-arg`` (analysis never takes an ARG's value as known), so both stay unknown (None), as
    does a word that expands or escapes anything itself."""
    if var is None or var.is_arg or var.value is None or any(c in word for c in "$\\"):
        return None
    missing = op.startswith(":") and var.value == ""
    if op.endswith("-"):
        return word if missing else var.value
    return "" if missing else word


# Well-known base images that do not run as root (prefix match on the repository).
NON_ROOT_BASES = {
    "mambaorg/micromamba": "mambauser",
    "jupyter/": "jovyan",
    "quay.io/jupyter/": "jovyan",
    "bitnami/": "1001",
    "gcr.io/distroless/": None,
    "cgr.dev/chainguard/": None,
}


def _base_user_is_root(base: str) -> bool | None:
    ref = base.lower()
    for prefix in NON_ROOT_BASES:
        if ref.startswith(prefix):
            return False
    repository = re.split(r"[@]", ref, maxsplit=1)[0]
    repository = repository.rsplit(":", 1)[0] if ":" in repository.rsplit("/", 1)[-1] else repository
    if "$" in repository:
        return None  # FROM ${BASE_IMAGE}: the image itself is not known
    return True


_SYMBOL = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)#(?:\d+|\?[0-9a-f.]*)\}")


def shown(text: str) -> str:
    """Symbolic paths as people write them: ``${NAME#2}`` -> ``${NAME}``, ``@base`` -> its meaning."""
    text = _SYMBOL.sub(r"${\1}", text)
    return text.replace(BASE_WORKDIR, "<the base image's WORKDIR>")


def symbolic_head(path: str) -> str | None:
    """The start of a symbolic path up to the end of the component holding its first unknown
    (``${NAME#k}`` or ``@base``); None for a literal path. Two paths with different heads (or a
    literal and a symbolic one) may name the same directory."""
    m = re.search(r"@base|\$\{", path)
    if m is None:
        return None
    end = path.find("/", m.end())
    return path if end == -1 else path[:end]


def join(workdir: str, path: str) -> str:
    path = path or "."
    if path.startswith("/"):
        return posixpath.normpath(path) if path != "/" else "/"
    return _norm(posixpath.join(workdir, path))


def _norm(p: str) -> str:
    if p.startswith(BASE_WORKDIR):
        rest = p[len(BASE_WORKDIR) :].lstrip("/")
        norm = posixpath.normpath(rest) if rest else "."
        if norm == "." or norm.startswith(".."):
            return BASE_WORKDIR if norm == "." else BASE_WORKDIR + "/" + norm
        return BASE_WORKDIR + "/" + norm
    return posixpath.normpath(p) if p not in ("", "/") else "/"


def under(path: str, parent: str) -> bool:
    """Is ``path`` equal to or below ``parent`` (both symbolic absolute)? Lexical: True only when
    it provably is (see ``may_touch`` for "might be")."""
    if parent == "/":
        return path.startswith("/")
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def may_touch(a: str, b: str) -> bool:
    """Could the symbolic absolute paths ``a`` and ``b`` be equal, or one inside the other?

    Literal paths, and symbolic paths with the same head, compare lexically; otherwise an
    unknown part may be anything, so the answer is yes."""
    ha, hb = symbolic_head(a), symbolic_head(b)
    if ha != hb:
        return True
    return under(a, b) or under(b, a)


def relative(path: str, parent: str) -> str | None:
    if not under(path, parent):
        return None
    if path == parent:
        return "."
    return path[len(parent.rstrip("/")) + 1 :]


def _words(args: str) -> list[str]:
    return args.split()


def states(df: Dockerfile) -> list[State]:
    """The state in force before each instruction, index-aligned with df.instructions."""
    out: list[State] = []
    final: dict[str, State] = {}  # stage name or index -> state at its end
    versions: dict[str, int] = {}
    global_args: dict[str, Var] = {}
    st = State(workdir=BASE_WORKDIR)
    stage_at: list = [None] * len(df.instructions)  # df.stage_of(idx), without a search per instruction
    for stage in df.stages:
        stage_at[stage.start : stage.end] = [stage] * (stage.end - stage.start)

    def define(state: State, name: str, raw_value: str | None, is_arg: bool) -> State:
        versions[name] = versions.get(name, 0) + 1
        value = expanded = None
        if raw_value is not None:
            # BuildKit's lexer removes the quotes; a quoted or escaped $ stays a dollar
            # (unquote_word makes such a value unknown)
            expanded, literal = state.expand(unquote_word(raw_value))
            value = expanded if literal else None
        vars_ = _snapshot(state.vars).with_(name, Var(value, versions[name], is_arg, expanded))
        env_names = _snapshot(state.env_names).with_(name, None) if not is_arg else state.env_names
        # State(...) rather than dataclasses.replace: the same, without its per-call introspection
        return State(state.workdir, vars_, env_names, state.user, state.shell, state.base, state.stage)

    for idx, inst in enumerate(df.instructions):
        kw = inst.keyword
        if kw == "FROM":
            stage = stage_at[idx]
            words = _words(inst.args)
            ref = words[0] if words else ""
            parent = final.get(ref.lower())
            if parent is not None:
                st = replace(parent, stage=stage.index if stage else 0)
            else:
                expanded, _ = State(BASE_WORKDIR, dict(global_args)).expand(ref)
                st = State(workdir=BASE_WORKDIR, base=expanded, stage=stage.index if stage else 0)
            out.append(st)
            if stage is not None and idx == stage.end - 1:  # a stage that is only its FROM
                final[str(stage.index)] = st
                if stage.name:
                    final[stage.name] = st
            continue
        out.append(st)
        if kw == "ARG":
            for word in _words(inst.args):
                name, _, default = word.partition("=")
                raw = default if "=" in word else None
                if idx < (df.stages[0].start if df.stages else 0):
                    global_args[name] = Var(None if raw is None else _unquote(raw), 0, True)
                    continue
                if raw is None and name in global_args:
                    st = replace(st, vars=_snapshot(st.vars).with_(name, global_args[name]))
                else:
                    st = define(st, name, raw, True)
        elif kw == "ENV":
            for name, value in env_pairs(inst.args):
                st = define(st, name, value, False)
        elif kw == "WORKDIR":
            path, _ = st.expand(unquote_word(inst.args.strip()))
            st = replace(st, workdir=join(st.workdir, path))
        elif kw == "USER":
            user, literal = st.expand(inst.args.strip())
            st = replace(st, user=user if literal else "${unknown}")
        elif kw == "SHELL":
            st = replace(st, shell=inst.json_args or ("?",))
        stage = stage_at[idx]
        if stage is not None and idx == stage.end - 1:
            final[str(stage.index)] = st
            if stage.name:
                final[stage.name] = st
    return out


def _snapshot(m: Mapping) -> Snapshot:
    if isinstance(m, Snapshot):
        return m
    snap = Snapshot()
    for name, value in m.items():
        snap = snap.with_(name, value)
    return snap


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _protected(word: str) -> str:
    return "${QUOTED#?%x}" % zlib.crc32(word.encode())


def env_pairs(args: str) -> list[tuple[str, str]]:
    """ENV's pairs: ``ENV a=1 b="x y"`` or the legacy ``ENV name value with spaces``; the values
    as written (quotes kept)."""
    args = args.strip()
    if not args:
        return []
    first = args.split(None, 1)[0]
    if "=" not in first:
        parts = args.split(None, 1)
        return [(parts[0], parts[1] if len(parts) > 1 else "")]
    pairs = []
    for word in _split_quoted(args):
        name, _, value = word.partition("=")
        pairs.append((name, value))
    return pairs


_UNQUOTED_RUN = re.compile(r"""[^\s"'\\]+""")  # \s is str.isspace()
_DOUBLE_QUOTED_RUN = re.compile(r'[^"\\]+')
_SINGLE_QUOTED_RUN = re.compile(r"[^']+")


def _split_quoted(text: str) -> list[str]:
    words, cur, quote, i = [], [], None, 0
    while i < len(text):
        run = (_SINGLE_QUOTED_RUN if quote == "'" else _DOUBLE_QUOTED_RUN if quote else _UNQUOTED_RUN).match(text, i)
        if run is not None:  # plain characters: a whole run at once
            cur.append(run.group())
            i = run.end()
            continue
        c = text[i]
        if quote:
            if c == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i : i + 2])
                i += 2
                continue
            cur.append(c)
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        elif c.isspace():
            if cur:
                words.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        words.append("".join(cur))
    return words  # quotes kept: ``states`` removes them with unquote_word, as BuildKit's lexer does


def unquote_word(word: str) -> str:
    """Remove shell quotes from one word as BuildKit's lexer does (variables left as written).

    A ``$`` the quotes or a backslash protect (``'$D'``, ``\\$D``) is a literal dollar to
    BuildKit, which a later expansion here would take for a variable: such a word reads as an
    unknown (``${QUOTED#?...}``, a symbol no path equals)."""
    out, quote, i = [], None, 0
    while i < len(word):
        c = word[i]
        if quote == "'":
            if c == "'":
                quote = None
            else:
                if c == "$":
                    return _protected(word)
                out.append(c)
        elif c == "\\" and i + 1 < len(word) and (quote is None or word[i + 1] in '"\\$'):
            if word[i + 1] == "$":
                return _protected(word)
            out.append(word[i + 1])
            i += 1
        elif quote == '"':
            if c == '"':
                quote = None
            else:
                out.append(c)
        elif c in "'\"":
            quote = c
        else:
            out.append(c)
        i += 1
    return "".join(out)


def copy_parts(inst: Instruction) -> tuple[list[str], str] | None:
    """Sources and destination of a COPY/ADD (shell or JSON form), None for heredoc forms."""
    if inst.heredocs:
        return None
    if inst.json_form and inst.json_args is not None:
        words = list(inst.json_args)
    else:
        words = [unquote_word(w) for w in inst.args.split()]
    if len(words) < 2:
        return None
    return words[:-1], words[-1]
