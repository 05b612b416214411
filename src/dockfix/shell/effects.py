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

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable

from ..build.state import State, join, unquote_word
from .effect_types import Access, Ctx, Effect
from .nodes import Invocation, Word

UNKNOWN_HOME = "?"  # ``home`` for run_effects: the home directory is not known


def run_effects(invs: Iterable[Invocation], state: State, home: str | None = None,
                script: str | None = None,
                manifests: Callable[[Invocation], bool] | None = None) -> list[tuple[Invocation, Effect | None]]:
    """Each command of one RUN with its effect, following ``cd`` through the script (the new
    directory holds along the ``&&`` chain after the ``cd``; past its end it is known only when it
    equals the one before, as a failed or skipped ``cd`` leaves the directory as it was).

    ``home``: the home directory of the RUN's user when the caller knows it (``users.who``);
    ``UNKNOWN_HOME`` when the caller knows it is not known; by default ``$HOME`` if the
    Dockerfile sets it, else ``/root`` when the user is root. ``script``: the text the commands
    come from; the header of a ``for``/``select`` loop belongs to no command, so the names loops
    set are read from it. Without it, no variable has a known value after a compound command.
    ``manifests(inv)``: True for the installs whose manifest files (``pip install -r``) the caller
    has resolved; their model then takes ``-r``/``-c`` as reads of the files named.
    """
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
    before_cd: str | None = None  # the directory before the last cd, while its && chain lasts
    in_chain = False
    for inv in invs:
        if in_chain and out and out[-1][0].command.op_after != "&&":
            # past ``;``, a newline or ``||``: the commands run whether or not the cd ran and
            # succeeded (no ``set -e`` is assumed), so the directory is one of the two
            in_chain = False
            cwd = cwd if cwd == before_cd else None
        ctx = Ctx(inv, cwd, state, home, assigned, values[len(out)], blind=blind,
                  manifests_read=manifests is not None and manifests(inv))
        blind = blind or (loops is None and inv.command.compound)
        effect = _redirects(ctx)
        found = model(ctx) if effect else None
        out.append((inv, found | effect if found is not None and effect is not None else None))
        if inv.tool == "cd" or (inv.command.words and inv.command.words[0].value in ("pushd", "popd")):
            cmd = inv.command
            plain = not cmd.compound and cmd.op_before not in ("|", "||") and cmd.op_after not in ("|", "||", "&")
            before_cd, in_chain = cwd, True
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
_SETS_HIDDEN = {"eval", "source", ".", "mapfile", "readarray", "let", "printf", "exec", "alias", "trap", "command", "builtin",
                "wait"}  # bash: wait -p NAME
_ARITHMETIC = ("$((", "$[")  # $((X=0)), $((X+=1)): arithmetic may assign
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
      (``eval``, ``source``, ``.``, ``printf -v``, ``wait -p``, arithmetic ``$((NAME=...))``, ...);
    - its value expands nothing (no ``$``, backquote: a literal);
    - it runs in the script's own shell: not inside a compound command (subshell, ``if``, loop,
      ``$(...)``), not in a pipeline or in the background;
    - it has run whenever the command using it runs: it runs unconditionally (first, or after
      ``;`` or a newline), or it comes after ``&&`` and every separator from it up to the use is
      ``&&`` (the use runs only if it ran);
    - no command from it up to the use (included) is part of a compound command: the header of a
      ``for``/``select`` loop belongs to no command, so a loop there could set NAME unseen.
    """
    out: list[dict[str, str]] = [{} for _ in invs]
    if any(i.command.words and i.command.words[0].value in _SETS_HIDDEN for i in invs):
        return out
    if any(a in w.raw for i in invs for w in (*i.command.assignments, *i.command.words) for a in _ARITHMETIC) or any(
            a in r for i in invs for r in i.command.redirects for a in _ARITHMETIC):
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
                if cmd.op_before == "&&" and invs[i - 1].command.op_after != "&&":
                    break  # (the separators before it were all ``&&``, or the loop had ended)
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


def model(ctx: Ctx) -> Effect | None:
    """The effect of the command on ``ctx``, from its model in ``commands*.py``; None when unknown."""
    c = _commands()
    words = ctx.inv.command.words
    if not words:
        return ctx.effect()
    program = words[0].value
    name = program.rpartition("/")[2]
    if words[0].has_expansion and program != "[":
        return None
    if "/" in program:
        ctx.read(words[0])
    elif program not in c.BUILTINS:
        dirs = ctx.path_dirs()
        if dirs is None:
            ctx.anything.add("read")
        for d in dirs or ():
            ctx.read(posixpath.join(d, program))
    if name in c.NOTHING:
        return ctx.effect()
    if (name in c.OPAQUE and not (name == "poetry" and len(words) > 1 and words[1].value == "config")) or program.startswith("./"):
        return ctx.opaque()
    if re.fullmatch(r"python(\d+(\.\d+)*)?", name):
        fn = c.MODELS["python"]
    elif re.fullmatch(r"pip(\d+(\.\d+)*)?", name):
        fn = c.MODELS["pip"]
    else:
        fn = c.MODELS.get(name)
    if fn is None:
        return None
    try:
        return fn(ctx, words[1:])
    except c.Unknown:
        return None


_COMMANDS = None


def _commands():
    """``commands``, its ``MODELS`` joined with those of ``commands_net`` and ``commands_system``
    (imported at first use)."""
    global _COMMANDS
    if _COMMANDS is None:
        from . import commands, commands_net, commands_system

        commands.MODELS.update(commands_net.MODELS, **commands_system.MODELS)
        _COMMANDS = commands
    return _COMMANDS
