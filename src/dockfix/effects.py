"""What the commands of a RUN read and write.

``run_effects(invocations, state)`` gives, for each command of a RUN, an ``Effect``: the paths it
reads and writes (symbolic absolute, as in ``analysis``; each the entry itself or its whole
subtree) and flags for a command that may read or write files it was not told about. A command
the model does not know gets ``None``: the caller refuses. The per-command models are in
``commands.py`` (and ``commands_net.py``, ``commands_system.py``); this module resolves words to
paths (through ENV values known from the Dockerfile, the home directory and the working
directory, followed through ``cd``) and reads redirections. ``commute.py`` decides, from the
effects, whether a step may run before a broad COPY.

A word with an expansion the model cannot resolve (an ARG, a variable the Dockerfile does not set
or the script sets, ``$(...)``) is unknown from that point: the access covers the subtree of the
known directory before it, or anything when no absolute directory is known. Glob and brace
characters likewise cover the directory before them.

Assumptions: configuration files the tools read (``~/.curlrc``, ``/etc/wgetrc``, ``pip.conf``) are
recorded as reads, and their content is assumed not to redirect output; the base image's ``PATH``
is the standard one (an empty ``PATH`` entry, which is what ``ENV PATH=/x:$PATH`` reads as, stands
for it); root's home is ``/root``; an ``ARG`` value may be overridden, so it is never taken as
known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .analysis import State, join
from .shell.nodes import Invocation, Word

STANDARD_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
SHELL_SET = {"PWD", "OLDPWD", "IFS", "RANDOM", "LINENO", "SECONDS", "UID", "EUID", "PPID", "OPTIND", "OPTARG"}
UNKNOWN_HOME = "?"  # ``home`` for run_effects: the home directory is not known
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
    system: bool = False  # installs OS packages (writes below commute.PACKAGE_ROOTS)
    imports: frozenset[str] = frozenset()  # directories Python imports from first (sys.path[0])
    # configuration files of an installer's search path whose folder is not known (below an
    # unknown home), as the search path names them ('~/.pip/pip.conf'); a caller that has checked
    # the installer's whole search path against the copied tree (``reorder.install``) may accept
    # them, any other caller reads them as ``reads_anything``
    configs: frozenset[str] = frozenset()

    def __or__(self, other: Effect) -> Effect:
        return Effect(
            self.text or other.text, self.reads | other.reads, self.writes | other.writes,
            self.reads_anything or other.reads_anything, self.writes_anything or other.writes_anything,
            self.system or other.system, self.imports | other.imports, self.configs | other.configs,
        )


@dataclass
class Ctx:
    """What a command model needs: where it runs and what the words mean."""

    inv: Invocation
    cwd: str | None  # None: a ``cd`` went somewhere unknown
    state: State
    home: str | None
    shell_vars: frozenset[str] = frozenset()  # names the script itself assigns (values unknown)
    script_values: dict[str, str] = field(default_factory=dict)  # ... but these provably hold this value here
    blind: bool = False  # a loop before this command may have set any name: no value is known
    reads: set[Access] = field(default_factory=set)
    writes: set[Access] = field(default_factory=set)
    anything: set[str] = field(default_factory=set)  # 'read', 'write'
    system: bool = False
    imports: set[str] = field(default_factory=set)
    configs: set[str] = field(default_factory=set)

    def var(self, name: str) -> str | None:
        if name in self.script_values:
            return self.script_values[name]
        if self.blind:
            return None
        if name in self.shell_vars or name in SHELL_SET or self.inv.command.compound:
            return None  # set by the script or the shell, or maybe by a for loop around this command
        if name == "HOME" and "HOME" not in self.state.vars:
            return self.home
        v = self.state.vars.get(name)
        return v.value if v is not None and not v.is_arg and v.value is not None else None

    def words(self, word: Word) -> list[str] | None:
        """The words an argument becomes: its value when it expands nothing; for ``$NAME`` /
        ``${NAME}`` of a variable with a known value, that value split on blanks (unquoted, the
        default IFS) or whole (in double quotes); None when not known, or when a piece holds a
        glob character (the shell would match it against file names)."""
        if not word.has_expansion:
            return [word.value]
        m = re.fullmatch(r'(")?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(")?', word.raw)
        if m is None or bool(m.group(1)) != bool(m.group(4)):
            return None
        value = self.var(m.group(2) or m.group(3))
        if value is None or "$" in value or "`" in value:
            return None
        if m.group(1):
            return [value]
        if "IFS" in self.shell_vars or "IFS" in self.state.vars or re.search(r"[*?\[]", value):
            return None
        return value.split()

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

    def read_config(self, path: str, tree: bool = False) -> None:
        """A file (or ``tree``) an installer reads from a fixed place of the home (``~``): its
        configuration, the user's site-packages; a read, or an entry of ``configs`` when the home
        is not known."""
        if (path == "~" or path.startswith("~/")) and self.home is None:
            self.configs.add(path)
        else:
            self.read(path, tree=tree)

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
            "write" in self.anything, self.system, frozenset(self.imports), frozenset(self.configs),
        )

    def path_dirs(self) -> list[str] | None:
        """The directories a command name is looked up in, None when unknown."""
        if "PATH" in self.shell_vars:
            return None
        v = self.state.vars.get("PATH")
        if v is None:
            return list(STANDARD_PATH)
        text = v.value if v.value is not None else v.symbolic
        if text is None or v.is_arg:
            return None
        out: list[str] = []
        for entry in text.split(":"):
            if not entry or entry == "${PATH#0}":  # the base image's PATH (analysis: ${NAME#0})
                out.extend(d for d in STANDARD_PATH if d not in out)
            elif not entry.startswith("/") or "${" in entry or "@base" in entry:
                return None
            else:
                out.append(join("/", entry))
        return out


def run_effects(invs: Iterable[Invocation], state: State, home: str | None = None,
                script: str | None = None) -> list[tuple[Invocation, Effect | None]]:
    """Each command of one RUN with its effect, following ``cd`` through the script.

    ``home``: the home directory of the RUN's user when the caller knows it (``users.who``);
    ``UNKNOWN_HOME`` when the caller knows it is not known; by default ``$HOME`` if the
    Dockerfile sets it, else ``/root`` when the user is root. ``script``: the text the commands
    come from; the header of a ``for``/``select`` loop belongs to no command, so the names loops
    set are read from it. Without it, no variable has a known value after a compound command.
    """
    from .commands import model

    invs = list(invs)
    loops = loop_names(script) if script is not None else None
    assigned = frozenset(_assigned(invs)) | (loops or frozenset())
    values = script_values(invs, loops)
    if home is None:
        home = _default_home(state)
    elif not home.startswith("/"):
        home = None  # UNKNOWN_HOME: the caller knows the home is not known
    if "HOME" in assigned:
        home = None
    cwd: str | None = state.workdir
    out = []
    blind = False  # a compound command came first, and the loops it may hold are not known
    for inv in invs:
        ctx = Ctx(inv, cwd, state, home, assigned, values[len(out)], blind=blind)
        blind = blind or (loops is None and inv.command.compound)
        effect = _redirects(ctx)
        found = model(ctx) if effect else None
        out.append((inv, found | effect if found is not None and effect is not None else None))
        if inv.tool == "cd" or (inv.command.words and inv.command.words[0].value in ("pushd", "popd")):
            cmd = inv.command
            plain = not cmd.compound and cmd.op_before not in ("|", "||") and cmd.op_after not in ("|", "||", "&")
            cwd = _cd(ctx) if plain else None  # a cd in a pipeline or behind || may not be the one in force
    return out


def run_effect(invs: Iterable[Invocation], state: State, home: str | None = None, script: str | None = None) -> Effect | None:
    """The union of the effects of a RUN's commands; None when one is unknown."""
    total = None
    for _, effect in run_effects(invs, state, home, script):
        if effect is None:
            return None
        total = effect if total is None else total | effect
    return total or Effect("")


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


# commands that may set a variable in ways ``_assigned`` does not see
_SETS_HIDDEN = {"eval", "source", ".", "mapfile", "readarray", "let", "printf", "exec", "alias", "trap", "command", "builtin"}
_DEFAULT_ASSIGN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?=")


_LOOP = re.compile(r"(?:^|[\s;&|(){}])(?:for|select)\s+([A-Za-z_][A-Za-z0-9_]*)")


def loop_names(script: str) -> frozenset[str]:
    """The names ``for NAME in ...`` / ``select NAME`` loops of a script set (read from its text:
    a loop's header is no command; a match inside a quoted word only makes a name unknown)."""
    return frozenset(_LOOP.findall(script))


def script_values(invs: list[Invocation], loops: frozenset[str] | None = frozenset()) -> list[dict[str, str]]:
    """For each command of a RUN's script, the variables the script set earlier to a value known
    here: ``NAME=literal`` as a command of its own (``set -ex && DEPS="a b" && apt-get install -y
    $DEPS``). Taken only when

    - it is the only assignment of NAME in the script (no other ``NAME=``, ``export``, ``read``,
      ``for``, ``unset``, ``${NAME:=...}``, ...) and no command may set variables unseen
      (``eval``, ``source``, ``.``, ``printf -v``, ...);
    - its value expands nothing (no ``$``, backquote: a literal);
    - it runs in the script's own shell: not inside a compound command (subshell, ``if``, loop,
      ``$(...)``), not in a pipeline or in the background;
    - it has run whenever the command using it runs: it runs unconditionally (first, or after
      ``;`` or a newline), or it comes after ``&&`` and every separator from it up to the use is
      ``&&`` (the use runs only if it ran);
    - no command from it up to the use (included) is part of a compound command: the header of a
      ``for``/``select`` loop belongs to no command, so a loop there could set NAME unseen.
    """
    from collections import Counter

    out: list[dict[str, str]] = [{} for _ in invs]
    if any(i.command.words and i.command.words[0].value in _SETS_HIDDEN for i in invs):
        return out
    if loops is None and any(i.command.compound for i in invs):
        return out  # the loops' names are not known
    counts = Counter(_assigned(invs))
    counts.update(loops or ())
    for inv in invs:
        for w in (*inv.command.assignments, *inv.command.words):
            counts.update(_DEFAULT_ASSIGN.findall(w.raw))
    for j, inv in enumerate(invs):
        cmd = inv.command
        if cmd.words or not cmd.assignments or cmd.compound or cmd.redirects:
            continue
        if cmd.op_before not in (None, ";", "\n", "&&") or cmd.op_after in ("|", "&", "|&"):
            continue
        for w in cmd.assignments:
            name, _, value = w.raw.partition("=")
            if not name.isidentifier() or counts[name] != 1 or w.has_expansion or "$" in value or "`" in value:
                continue
            value = w.value.partition("=")[2]
            for i in range(j + 1, len(invs)):
                if cmd.op_before == "&&" and any(invs[n].command.op_after != "&&" for n in range(j, i)):
                    break
                if invs[i].command.compound:
                    break  # a loop's header (``for NAME in ...``) is no command: it may set NAME unseen
                out[i][name] = value
    return out


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
    ctx.reads.clear(), ctx.writes.clear(), ctx.anything.clear(), ctx.configs.clear()
    return effect


__all__ = ["UNKNOWN_HOME", "Access", "Effect", "Ctx", "run_effects", "run_effect", "volume_effect"]
