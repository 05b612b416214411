"""Steps that use the copied files move down with the broad COPY.

A ``RUN`` between the broad ``COPY`` and the install that reads or writes what the ``COPY``
brings (``RUN echo "x=1" >> /app/settings.env``) cannot run before the ``COPY``. It can run
right after it, below the install, in its order among such steps:

    COPY . /app                              COPY requirements.txt /app/
    RUN echo "x=1" >> /app/settings.env  ->  RUN pip install -r requirements.txt
    RUN pip install -r requirements.txt      COPY . /app
                                             RUN echo "x=1" >> /app/settings.env

The step ``S`` (carried) then runs after the instructions it passes (the steps between that stay
above, the install ``I``) instead of before them; the image is the same when S commutes with
each of them (``check_carry``):

1. S runs with the same settings: it passes no ``ENV``, ``ARG``, ``WORKDIR``, ``USER``, ``SHELL``
   or ``VOLUME`` (only ``RUN``, ``COPY``/``ADD`` and declarations that no ``RUN`` sees); S has no
   flag (a mount would share a cache with the install), no heredoc, no exec form.
2. Neither writes what the other reads or writes: each ``Access`` of one is apart from each of the
   other (``commute.relation``; a path below an unknown part meets everything), both reads aside.
   ``/bin``, ``/sbin``, ``/lib*`` count as their ``/usr`` twins (merged-usr images link them).
3. What S runs is the same program: S's reads include, for each command, where the shell looks
   it up (every ``PATH`` folder, for a name that is no shell builtin: ``effects.model``), the
   program itself, and the loader's files and the library folders (``/etc/ld.so.cache``, ``/lib``, ``/usr/lib``,
   ``/usr/local/lib`` ...); and the shell of the ``RUN`` with ``/etc/ld.so.cache`` and the system
   library folders (assumed: the shell needs only the C library, which lives there). ``pip``
   writes console scripts and data files below its prefix (``/usr/local`` for the image's
   Python), so below a ``pip install`` of the image's Python only shell builtins can move (``echo``,
   ``printf``, ``test``, redirections); below an install into a virtualenv or ``--target`` folder
   off ``PATH``, programs such as ``/bin/chmod`` or ``chmod`` can. S runs no Python (a Python
   program reads the site-packages and ``.pth`` files an install writes), and the account
   files (``/etc/passwd``, ``/etc/group``: BuildKit resolves ``USER`` through them) are read.
4. The install's effect is known: ``pip install -r`` (and ``pip download``) from the pip model
   (``commands_net.pip``: its prefix or ``--target``/``--prefix``/``--user`` folder, its cache,
   its configuration files, the manifests), plus every manifest the install reads and its mount
   targets; any other installer (uv, poetry, pipenv, pdm, conda) is not modelled here: refused.
   A configuration file below an unknown home (``Effect.configs``) on either side refuses when
   the other side writes anything.
5. What an install reads is modelled, not known whole (a source distribution's build reads
   ``~/.pydistutils.cfg``, pip may use a keyring): S writes only inside the broad COPY's
   destination, and the install's home is known and apart from it.

Steps that stay above pass S in the other direction; a ``COPY``/``ADD`` among them writes its
destination (the whole tree) and, with ``--chown``, reads the account files.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...build.state import State, copy_parts, join
from ...dockerfile.model import Instruction
from ...shell.effect_types import Access, Ctx, Effect
from ...shell.commands import BUILTINS
from ...shell.effects import run_effects
from ...shell.nodes import Invocation
from .base import BroadCopy, Refuse
from .commute import PACKAGE_ROOTS, relation

# Instructions a carried RUN may pass: they change nothing a RUN runs with.
PASSABLE = frozenset({"RUN", "COPY", "ADD", "LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL",
                      "MAINTAINER", "ONBUILD"})
SYSTEM_LIBRARIES = ("/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32")
LOADER_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
ACCOUNT_FILES = ("/etc/passwd", "/etc/group")
# What running a program reads besides its file: the loader's files and the library folders
# (the shell: the system ones only; assumed: it needs only the C library).
_SHELL_LOADS = frozenset(Access(p, tree=True) for p in (*LOADER_FILES, *SYSTEM_LIBRARIES))
_PROGRAM_LOADS = _SHELL_LOADS | {Access("/usr/local/lib", tree=True)}
_MERGED = {"/bin": "/usr/bin", "/sbin": "/usr/sbin", "/lib": "/usr/lib", "/lib32": "/usr/lib32", "/lib64": "/usr/lib64",
           "/libx32": "/usr/libx32"}
_PYTHON = re.compile(r"(python|pip)(\d+(\.\d+)*)?")


class _Stuck(Exception):
    """Why a carried step cannot move (``check_carry`` makes it a ``Refuse`` naming the step)."""


def check_carry(facts, broad: BroadCopy, carried: list[tuple[int, str]], k: int, install: Callable[[], Effect]) -> None:
    """May each RUN of ``carried`` ((index, why it meets the COPY), in order) move from its place
    to just below the moved COPY, after the install at ``k`` whose effect ``install()`` gives
    (``install_effect``)? Raises ``Refuse`` naming the step, why it meets the COPY and why it
    cannot move."""
    from .steps import run_home

    df = facts.df
    moving = {j for j, _ in carried}
    effects: dict[str, Effect] = {}
    home = run_home(facts, df.instructions[k])
    for j, why in carried:
        inst = df.instructions[j]
        try:
            if not home.startswith("/") or relation(home, broad.dest) != "apart":
                raise _Stuck("the install's home may be in the COPY's destination, and what an install reads there "
                             "is not all known")
            effect = carried_effect(facts, inst)
            for i in range(j + 1, k):
                if i in moving:
                    continue
                other = df.instructions[i]
                if other.keyword not in PASSABLE:
                    raise _Stuck(f"it would pass the {other.keyword} at line {other.lineno}, which changes what it runs with")
                clash = meets(effect, passed_effect(facts, other))
                if clash:
                    raise _Stuck(f"the {other.keyword} at line {other.lineno} {clash}")
            if "install" not in effects:
                effects["install"] = install()
            clash = meets(effect, effects["install"])
            if clash:
                raise _Stuck(f"the install at line {df.instructions[k].lineno} {clash}")
            # what an install reads is modelled, not known whole (a build of a source distribution
            # reads ~/.pydistutils.cfg, pip may read a keyring...): write only inside the destination
            outside = sorted(a.path for a in effect.writes if relation(a.path, broad.dest) != "inside")
            if outside:
                raise _Stuck(f"it writes {outside[0]}, outside the COPY's destination, where the install may read "
                             "more than dockfix can list")
        except _Stuck as r:
            raise Refuse(
                f"the RUN at line {inst.lineno} may use the files of the COPY at line {broad.inst.lineno}: {why}; "
                f"it cannot move below the install with the COPY: {r}", inst.lineno) from None


def carried_effect(facts, inst: Instruction) -> Effect:
    """What the carried RUN reads and writes, with the programs it runs (see the module docstring);
    ``_Stuck`` when it is not known."""
    if inst.flags:
        raise _Stuck(f"it has {inst.flags[0].raw.split('=', 1)[0]}")
    if inst.heredocs:
        raise _Stuck("it has a heredoc")
    if inst.json_form:  # no shell: even echo is a program found on PATH
        raise _Stuck("it is in exec form")
    effect = _run_effect(facts, inst, carried=True)
    if effect.reads_anything or effect.writes_anything:
        raise _Stuck("what it reads or writes is not fully known")
    return effect


def passed_effect(facts, inst: Instruction) -> Effect:
    """What an instruction the carried RUN passes reads and writes in the image; ``_Stuck`` when unknown."""
    st = facts.states[facts.index(inst)]
    kw = inst.keyword
    if kw == "RUN":
        return _run_effect(facts, inst, carried=False) | mount_writes(inst, st)
    if kw in ("COPY", "ADD"):
        parts = copy_parts(inst)
        if parts is None:
            raise _Stuck(f"the {kw} at line {inst.lineno} is a heredoc")
        expanded, literal = st.expand(parts[1])
        dest = join(st.workdir, expanded)
        if not literal or "$" in dest or not dest.startswith("/"):
            raise _Stuck(f"where the {kw} at line {inst.lineno} writes is not known")
        reads = frozenset(Access(p) for p in ACCOUNT_FILES) if inst.flag("--chown") else frozenset()
        return Effect(f"{kw} {inst.args.strip()}", reads, frozenset({Access(dest, tree=True)}))
    return Effect("")


def _run_effect(facts, inst: Instruction, carried: bool) -> Effect:
    """A RUN's effect with what running its commands reads: the shell, each program (looked up on
    ``PATH``), the loader's files and library folders, a Python's prefix and user site. ``carried``:
    the RUN moves below an install, so it may run no Python."""
    from ...shell.effects import _assigned, loop_names
    from .steps import run_home

    what = "it" if carried else f"the RUN at line {inst.lineno}"
    invs = facts.invocations(inst)
    if invs is None:
        raise _Stuck(f"{what} cannot be read reliably")
    st = facts.states[facts.index(inst)]
    for name in st.vars:
        if name.startswith("LD_"):
            raise _Stuck(f"{name} is set, which changes the libraries programs load")
    script = facts.script(inst)
    text = script[0] if script else None
    if "PATH" in set(_assigned(invs)) | (loop_names(text) if text is not None else set()):
        raise _Stuck(f"{what} sets PATH")
    home = run_home(facts, inst)
    reads: set[Access] = {Access(p) for p in ACCOUNT_FILES}
    shell = st.shell[0] if st.shell else "/bin/sh"
    if shell.startswith("/"):
        reads |= _SHELL_LOADS | {Access(join("/", shell))}
    else:  # SHELL ["bash", "-c"]: the program is looked up on PATH
        dirs = Ctx(invs[0], st.workdir, st, None).path_dirs() if invs and "/" not in shell else None
        if dirs is None:
            raise _Stuck(f"where the SHELL program '{shell}' is found is not known")
        reads |= _PROGRAM_LOADS | {Access(join(d, shell)) for d in dirs}
    total = Effect("", frozenset(reads))
    for inv, effect in run_effects(invs, st, home, text):
        if effect is None:
            raise _Stuck(f"'{_text(inv)}' is a command dockfix cannot tell the files of")
        total = total | effect | _command_reads(inv, st, home, carried)
    return total


def _command_reads(inv: Invocation, st: State, home: str, carried: bool) -> Effect:
    """What running the command's program reads beyond its effect model, which already has the
    program's file (each ``PATH`` folder for a name that is no shell builtin, ``commands.BUILTINS``):
    the loader's files and library folders; for a Python, its prefixes and user site."""
    words = inv.command.words
    if not words or ("/" not in words[0].value and words[0].value in BUILTINS):
        return Effect("")
    program = words[0].value
    if not _PYTHON.fullmatch(program.rpartition("/")[2]):
        return Effect("", _PROGRAM_LOADS)
    if carried:
        raise _Stuck(f"'{_text(inv)}' runs Python, which reads what an install writes")
    from ...shell.commands_net import _prefixes

    ctx = Ctx(inv, st.workdir, st, home if home.startswith("/") else None)
    prefixes = _prefixes(ctx, program)
    if prefixes is None:
        raise _Stuck(f"where '{program}' is installed is not known")
    out = _PROGRAM_LOADS | {Access(p, tree=True) for p in prefixes}
    if ctx.home is None:  # the user's site-packages, below a home whose place is not known
        return Effect("", out, configs=frozenset({"~/.local"}))
    return Effect("", out | {Access(join(ctx.home, ".local"), tree=True)})


def mount_writes(inst: Instruction, st: State) -> Effect:
    """A RUN's mount targets: the folders BuildKit may create for them (and leave in the layer)."""
    writes = set()
    for flag in inst.flags:
        if flag.name != "--mount":
            continue
        opts = dict(p.partition("=")[::2] for p in (flag.value or "").split(","))
        target = opts.get("target") or opts.get("dst") or opts.get("destination")
        if not target or "$" in target:
            return Effect("", writes_anything=True)
        writes.add(Access(join(st.workdir, target), tree=True))
    return Effect("", writes=frozenset(writes))


def install_effect(facts, install: Instruction, invs: list[Invocation], is_install, manifests: list[str]) -> Effect:
    """The effect of the install RUN's commands ``invs`` (``is_install(inv)``: the installs whose
    manifests the caller resolved; ``manifests``: their image paths); ``_Stuck`` when one is unknown."""
    from .steps import run_home

    st = facts.states[facts.index(install)]
    script = facts.script(install)
    total = Effect("", frozenset(Access(p) for p in manifests)) | mount_writes(install, st)
    for inv, effect in run_effects(invs, st, run_home(facts, install), script[0] if script else None, manifests=is_install):
        if effect is None or effect.reads_anything or effect.writes_anything:
            raise _Stuck(f"dockfix does not know what '{_text(inv)}' reads and writes")
        total = total | effect
    return total


def meets(a: Effect, b: Effect) -> str | None:
    """Why ``a`` and ``b`` may not commute (``b`` described as the subject); None when they do."""
    if b.writes_anything or (b.reads_anything and (a.writes or a.writes_anything)):
        return "may read or write files dockfix cannot name"
    if a.writes_anything or (a.reads_anything and (b.writes or b.system)):
        return "writes files, and the other step may read or write files dockfix cannot name"
    if (b.configs and (a.writes or a.writes_anything)) or (a.configs and (b.writes or b.system)):
        return "reads configuration below a home whose place is not known"
    b_writes = set(b.writes) | ({Access(p, tree=True) for p in PACKAGE_ROOTS} if b.system else set())
    a_writes = set(a.writes) | ({Access(p, tree=True) for p in PACKAGE_ROOTS} if a.system else set())
    b_reads = set(b.reads) | {Access(d, tree=True) for d in b.imports}
    a_reads = set(a.reads) | {Access(d, tree=True) for d in a.imports}
    for x in sorted(a_writes, key=lambda x: x.path):
        for y in sorted(b_writes | b_reads, key=lambda y: y.path):
            if _overlap(x, y):
                return f"{'writes' if y in b_writes else 'reads'} {_shown(y)}, where it writes {_shown(x)}"
    for x in sorted(a_reads, key=lambda x: x.path):
        for y in sorted(b_writes, key=lambda y: y.path):
            if _overlap(x, y):
                return f"writes {_shown(y)}, which it reads ({_shown(x)})"
    return None


def _overlap(x: Access, y: Access) -> bool:
    if x.mkdir and y.mkdir and x.path == y.path:
        return False  # two mkdir -p of one folder: either order leaves it as it was made first
    return relation(_canonical(x.path), _canonical(y.path)) != "apart"


def _canonical(path: str) -> str:
    top, _, rest = path[1:].partition("/")
    twin = _MERGED.get("/" + top)
    return twin + ("/" + rest if rest else "") if twin else path


def _shown(a: Access) -> str:
    return a.path + ("/..." if a.tree else "")


def _text(inv: Invocation) -> str:
    return " ".join(w.raw for w in inv.command.words) or " ".join(inv.command.redirects)


__all__ = ["check_carry", "install_effect", "carried_effect", "passed_effect", "meets"]
