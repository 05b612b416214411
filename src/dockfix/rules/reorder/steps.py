"""The instructions the broad COPY moves past: none may read or write its destination, and the
COPY must mean the same at its new place."""

from __future__ import annotations

import posixpath
import re

from ...build.state import State, copy_parts, join, relative, shown, under, unquote_word
from ...build.context_scan import symlink_on
from ...dockerfile.model import Instruction
from ...shell.invocation import local_word  # noqa: F401  (re-exported by reorder)
from ...shell.nodes import Invocation
from .commute import context_copied, relation, run_meets_copy
from ...shell.effects import UNKNOWN_HOME, volume_effect
from .base import ACCOUNT_COMMANDS, ACCOUNT_FILES, HARMLESS, PATH_COMMANDS, SAFE_KEYWORDS, SYSTEM_TOOLS, BroadCopy, Refuse, touches


class MeetsCopy(Refuse):
    """A RUN between reads or writes what the broad COPY brings (``why``): it cannot run before
    the COPY, but may move down with it (``carry.check_carry``)."""

    def __init__(self, reason: str, lineno: int, why: str):
        super().__init__(reason, lineno)
        self.why = why


def check_move_down(facts, broad: BroadCopy, k: int, absolute_dest: bool = False, created_at: int | None = None,
                    carry: bool = False) -> list[tuple[int, str]]:
    """May the broad COPY move down to just before instruction ``k``, meaning the same there?

    ``absolute_dest``: the caller writes the moved COPY's destination absolute
    (``absolute_copy``), so a WORKDIR between does not change it. ``created_at``: the caller puts
    the manifest COPYs (with the broad COPY's flags, into the destination) right before
    instruction ``created_at``, so a WORKDIR of the destination itself from there on finds it.
    ``carry``: a RUN that uses the copied files does not refuse; it is returned, (index, why it
    meets the COPY) in order, for the caller to move down with the COPY once ``carry.check_carry``
    shows it may."""
    carried = []
    for j in range(broad.index + 1, k):
        inst = facts.df.instructions[j]
        if created_at is not None and j >= created_at and workdir_target(facts, j) == broad.dest:
            continue  # the folder exists: the WORKDIR creates nothing
        try:
            check_between(facts, broad, inst, facts.states[j])
        except MeetsCopy as r:
            if not carry:
                raise
            carried.append((j, r.why))
    check_same_meaning(facts, broad, facts.states[k], absolute_dest)
    check_accounts(facts, broad, k)
    check_environments(facts, broad)
    return carried


def workdir_target(facts, j: int) -> str | None:
    """The folder a WORKDIR at index ``j`` names, when it is known; else None."""
    inst = facts.df.instructions[j]
    if inst.keyword != "WORKDIR":
        return None
    st = facts.states[j]
    expanded, literal = st.expand(unquote_word(inst.args.strip()))
    target = join(st.workdir, expanded)
    return target if literal and "$" not in target and "@" not in target else None


def first_dest_workdir(facts, broad: BroadCopy, k: int) -> int | None:
    """The index of the first WORKDIR of the broad COPY's destination itself between it and ``k``
    that would create that folder before the moved COPY with another owner (the COPY has
    ``--chown``, or the user is not root); None when there is none."""
    for j in range(broad.index + 1, k):
        if workdir_target(facts, j) == broad.dest:
            st = facts.states[j]
            if (broad.inst.flags or not st.is_root()) and not dest_exists_before(facts, broad, j):
                return j
            return None
    return None


def check_between(facts, broad: BroadCopy, inst: Instruction, st: State) -> None:
    """May ``inst`` run without the files of the broad COPY (which moves below it)?"""
    dest = broad.dest
    kw = inst.keyword
    c = broad.inst
    if kw in SAFE_KEYWORDS:
        if kw == "WORKDIR":
            expanded, _ = st.expand(unquote_word(inst.args.strip()))
            wd = join(st.workdir, expanded)
            if touches(wd, dest) and wd != st.workdir:
                root = st.is_root()
                if c.flags or not root:
                    raise Refuse(
                        f"WORKDIR at line {inst.lineno} would create {shown(wd)} before the COPY at line {c.lineno}, changing its owner",
                        inst.lineno,
                    )
                rel = relative(wd, dest)
                link = None
                if rel is not None and rel != ".":
                    link = symlink_on(facts.ctx, posixpath.join(broad.source_dir, rel))
                if rel is None and not under(dest, wd):
                    raise Refuse(f"WORKDIR at line {inst.lineno} may create a folder inside the destination of the COPY at line {c.lineno}", inst.lineno)
                if link is not None:
                    raise Refuse(
                        f"WORKDIR at line {inst.lineno} would create a folder where the COPY at line {c.lineno} puts the symlink {link} of the build context",
                        inst.lineno,
                    )
        return
    if kw in ("COPY", "ADD"):
        parts = copy_parts(inst)
        if parts is None:
            raise Refuse(f"the {kw} at line {inst.lineno} is a heredoc; dockfix cannot tell where it writes", inst.lineno)
        expanded, _ = st.expand(parts[1])
        if touches(join(st.workdir, expanded), dest) and not recopies_context_files(facts, broad, inst, st):
            raise Refuse(f"the {kw} at line {inst.lineno} writes into {parts[1]}, which the COPY at line {c.lineno} also fills", inst.lineno)
        return
    if kw == "RUN":
        invs = facts.invocations(inst)
        if invs is None:
            raise Refuse(f"the RUN at line {inst.lineno} cannot be read reliably; it may use the copied files", inst.lineno)
        check_mounts(inst, st, dest)
        why = step_meets_copy(facts, broad, inst, st, invs)
        if why:
            raise MeetsCopy(f"the RUN at line {inst.lineno} may use the files of the COPY at line {c.lineno}: {why}", inst.lineno, why)
        return
    if kw == "VOLUME":
        paths = volume_paths(inst)
        effect = volume_effect(paths, st) if paths else None
        if effect is None or effect.writes_anything or any(relation(a.path, dest) != "apart" for a in effect.writes):
            raise Refuse(f"VOLUME at line {inst.lineno} may name a folder of the tree the COPY at line {c.lineno} fills", inst.lineno)
        return
    raise Refuse(f"{kw} at line {inst.lineno} stands between the COPY at line {c.lineno} and the install", inst.lineno)


def step_meets_copy(facts, broad: BroadCopy, inst: Instruction, st: State, invs: list[Invocation]) -> str | None:
    """Why the RUN ``inst`` (before which the broad COPY would now run) does not commute with the
    COPY, from the effects of its commands (``commute.run_meets_copy``); None when it provably does.

    The context is read as the COPY brings it (after ``.dockerignore``); the RUN's home is the one
    of the account ``users.who`` finds (unknown: paths below ``~`` are unknown); the destination
    counts as existing before the RUN only when ``dest_exists_before`` proves it.
    """

    copied, names = context_copied(facts.ctx, broad.source_dir)
    return run_meets_copy(
        invs, st, broad.dest, copied, dest_exists=dest_exists_before(facts, broad, facts.index(inst)),
        names=names, home=run_home(facts, inst),
        configs_checked=lambda effect: home_files_in_tree(facts, broad, inst, effect),
        script=_script_text(facts, inst),
    )


def _script_text(facts, inst: Instruction) -> str | None:
    s = facts.script(inst)
    return s[0] if s else None


def run_home(facts, inst: Instruction) -> str:
    """The home directory of the account that runs ``inst`` (``users.who``), else UNKNOWN_HOME."""
    from ...build.users import who

    account = who(facts, inst)
    home = None if isinstance(account, str) else account.home
    return home if home and home.startswith("/") and "$" not in home else UNKNOWN_HOME


def dest_exists_before(facts, broad: BroadCopy, j: int) -> bool:
    """Does the destination of the broad COPY provably exist (as a folder) when instruction ``j``
    runs, without the broad COPY? Yes when an earlier instruction of the stage created it or a
    folder below it (a ``WORKDIR``, a ``COPY``/``ADD`` into it) and no ``RUN`` from there up to ``j``
    may remove or replace it (their effects are known and write nothing at or above it, ``mkdir -p``
    aside). The base image's folders are not known, so a destination only the base image has is
    not taken as existing."""
    from ...shell.effects import run_effect

    df = facts.df
    stage = df.stage_of(j)
    dest = broad.dest
    for i in range(j - 1, stage.start, -1):
        inst = df.instructions[i]
        st = facts.states[i]
        if inst is broad.inst:
            continue
        if inst.keyword == "RUN":
            invs = facts.invocations(inst)
            if invs is None or any(f.name == "--mount" for f in inst.flags):
                return False
            effect = run_effect(invs, st, run_home(facts, inst), _script_text(facts, inst))
            if effect is None or effect.writes_anything:
                return False
            for a in effect.writes:
                where = relation(a.path, dest)
                if where == "apart" or (where == "inside" and a.path != dest):
                    continue  # elsewhere, or below the destination: the folder itself stays
                if where is None or not a.mkdir:
                    return False  # may remove or replace the destination or a parent
            continue
        target = None
        if inst.keyword == "WORKDIR":
            expanded, literal = st.expand(unquote_word(inst.args.strip()))
            target = join(st.workdir, expanded) if literal or "$" not in expanded else None
        elif inst.keyword in ("COPY", "ADD") and not inst.flag("--from"):
            parts = copy_parts(inst)
            if parts is not None:
                expanded, literal = st.expand(parts[1])
                if literal:
                    full = join(st.workdir, expanded)
                    # a COPY creates its destination folder, or the parent of the file it names
                    target = full if expanded.endswith("/") or expanded in (".", "./") else posixpath.dirname(full)
        if target is not None and "$" not in target and "@" not in target and under(target, dest):
            return True
    return False


def volume_paths(inst: Instruction) -> list[str] | None:
    """The paths a VOLUME names (JSON array or words); None when unreadable."""
    import json

    text = inst.args.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            return None
        return items if isinstance(items, list) and all(isinstance(x, str) for x in items) else None
    return [unquote_word(w) for w in text.split()] or None


def recopies_context_files(facts, broad: BroadCopy, inst: Instruction, st: State) -> bool:
    """Is ``inst`` a COPY of context files that puts each exactly where the broad COPY puts it,
    directly in its destination, with the broad COPY's ``--chown``/``--chmod`` and no other flag?

    Such a COPY (``COPY . /app`` then ``COPY requirements.txt .``) writes each file again with the
    same content, owner and mode, so the broad COPY may move below it: the file ends up the same.
    Only files directly in the destination: a folder the COPY would create inside it gets the
    default mode where the broad COPY gives the context's (see ``commute``, case 3)."""
    from .base import CARRIED_FLAGS, GLOB

    if inst.keyword != "COPY" or any(f.name not in CARRIED_FLAGS for f in inst.flags):
        return False
    carried = sorted(f.raw for f in broad.inst.flags if f.name in CARRIED_FLAGS)
    if sorted(f.raw for f in inst.flags) != carried:
        return False
    parts = copy_parts(inst)
    if parts is None:
        return False
    sources, dest = parts
    expanded, literal = st.expand(dest)
    if not literal or "$" in expanded:
        return False
    target = join(st.workdir, expanded)
    into_dir = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
    for src in sources:
        if GLOB & set(src) or "$" in src or src.startswith("/"):
            return False
        ctx_path = posixpath.normpath(src)
        if ctx_path.startswith("..") or facts.ctx.kind(ctx_path) != "file" or facts.ctx.is_ignored(ctx_path):
            return False
        if symlink_on(facts.ctx, ctx_path) is not None:
            return False
        image_path = join(target, posixpath.basename(ctx_path)) if into_dir else target
        try:
            if broad.image_path(ctx_path) != image_path:
                return False
        except Refuse:
            return False
        if posixpath.dirname(image_path) != broad.dest:
            return False
    return True


def check_mounts(inst: Instruction, st: State, dest: str) -> None:
    for flag in inst.flags:
        if flag.name == "--mount" and flag.value:
            opts = dict(p.partition("=")[::2] for p in flag.value.split(","))
            target = opts.get("target") or opts.get("dst") or opts.get("destination")
            if target and touches(join(st.workdir, target), dest):
                raise Refuse(f"the RUN at line {inst.lineno} mounts {target} over the copied files", inst.lineno)


def command_touches(inv: Invocation, st: State, dest: str, install: bool = False) -> str | None:
    """The command text if it may read or write ``dest``; None when it provably does not.

    ``install``: ``inv`` is the install whose manifest files the caller resolved and checked
    (``installers.manifest_reads``); only pip's other arguments are still checked here.
    """
    cmd = inv.command
    text = " ".join(w.raw for w in cmd.words)
    if cmd.compound:
        return text
    for r in cmd.redirects:
        target = r.split()[-1] if r.split() else ""
        if not target.startswith("&") and target not in ("/dev/null",) and (not target.startswith("/") or touches(target, dest)):
            return text
    if not cmd.words:
        return None
    tool = inv.tool
    if tool in SYSTEM_TOOLS:
        return None
    if tool == "cd" or (tool == "poetry" and inv.sub == "config" and not inv.options):
        return None  # poetry config writes the user's configuration, never the working directory
    if tool == "conda" and inv.sub == "clean" and not inv.args:
        return None  # the package cache of the conda installation
    if tool == "pip":
        return pip_touches(inv, st, dest, install)
    if install:
        return None
    if tool == "rm":
        return paths_touch(inv.args, st, dest) and text
    name = posixpath.basename(cmd.words[0].value)
    if name in ACCOUNT_COMMANDS:
        home = [w.value for w in inv.command.words if w.value.startswith("/")]
        return text if any(touches(h, dest) for h in home) else None
    if name in PATH_COMMANDS:
        paths = [w for w in cmd.words[1:] if not w.value.startswith("-")]
        if name in ("chown", "chmod") and paths:
            paths = paths[1:]
        return paths_touch(paths, st, dest) and text
    if name in ("python", "python3") or re.fullmatch(r"python3(\.\d+)?", name):
        values = [w.value for w in cmd.words[1:]]
        if len(values) >= 3 and values[0] == "-m" and values[1] in ("venv", "virtualenv"):
            target = values[-1]
            if target.startswith("/") and not touches(target, dest):
                return None
        return text
    if name in HARMLESS and not cmd.redirects:
        return None
    return text


def paths_touch(words, st: State, dest: str) -> bool:
    for w in words:
        if w.has_expansion and not w.value.startswith("/"):
            return True
        if not w.value.startswith("/"):
            return True  # relative to a working directory: could be the destination
        if touches(w.value, dest):
            return True
    return False


def pip_touches(inv: Invocation, st: State, dest: str, allow_requirements: bool) -> str | None:
    text = " ".join(w.raw for w in inv.command.words)
    if inv.sub in ("cache purge",) or (inv.sub == "cache"):
        return None
    if inv.sub not in ("install",) and not (inv.sub == "download" and inv.option_values("--dest")):
        return text
    if inv.unknown:
        return text  # an option dockfix does not know may read anything
    program = inv.command.words[0].value
    if program.startswith("/") and touches(program, dest):
        return text  # a pip inside the copied tree (a virtualenv there)
    for name, value, word in inv.options:
        if name in ("--requirement", "--constraint"):
            if not allow_requirements:
                return text
        elif name in ("--editable", "--src"):
            return text
        elif name in ("--target", "--prefix", "--root", "--find-links", "--report", "--log", "--dest",
                      "--index-url", "--extra-index-url", "--cert", "--client-cert"):
            # a folder or file it reads or writes: an index may be a local folder laid out as one
            if value is None or value.startswith("http://") or value.startswith("https://"):
                continue
            if not value.startswith("/") or touches(value, dest):
                return text
    if any(local_word(w) for w in inv.args):
        return text
    return None


def check_accounts(facts, broad: BroadCopy, k: int) -> None:
    """A ``--chown`` that names a user or group resolves the name where the COPY runs: no account
    may change between the COPY's old place and the install (the install's RUN included)."""
    owner = next((f.value for f in broad.inst.flags if f.name == "--chown"), None)
    if not owner or all(part.isdigit() for part in owner.split(":") if part):
        return
    df = facts.df
    for j in range(broad.index + 1, k + 1):
        inst = df.instructions[j]
        if inst.keyword != "RUN":
            continue
        invs = facts.invocations(inst)
        if invs is None:
            raise Refuse(f"the RUN at line {inst.lineno} cannot be read; it may change the accounts that --chown={owner} names", inst.lineno)
        for inv in invs:
            words = [w.value for w in inv.command.words]
            name = posixpath.basename(words[0]) if words else ""
            if name in ACCOUNT_COMMANDS or any(a in " ".join(words + list(inv.command.redirects)) for a in ACCOUNT_FILES):
                raise Refuse(
                    f"the RUN at line {inst.lineno} runs '{' '.join(words)}' after the COPY --chown={owner} at line {broad.inst.lineno}; "
                    "moved, the COPY would resolve the names to other ids",
                    inst.lineno,
                )


def check_environments(facts, broad: BroadCopy) -> None:
    """A Python or conda environment in the copied tree: the install may run from it or into it."""
    from ...build.context_scan import files_named

    for path in files_named(facts.ctx, ("pyvenv.cfg", "conda-meta")):
        if broad.source_dir == "." or relative(path, broad.source_dir) is not None:
            env = posixpath.dirname(path) or "."
            raise Refuse(
                f"the build context holds the environment {env}/ ({posixpath.basename(path)}), which the COPY at line "
                f"{broad.inst.lineno} puts into the image; the install may run from it or write into it",
                broad.inst.lineno,
            )


def check_same_meaning(facts, broad: BroadCopy, st_after: State, absolute_dest: bool = False) -> None:
    """Does the broad COPY mean the same thing once moved below the install?"""
    c = broad.inst
    st_before = facts.states[broad.index]
    for name in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", c.rest)):
        a, b = st_before.vars.get(name), st_after.vars.get(name)
        if (a and a.version) != (b and b.version):
            raise Refuse(f"${name} changes between the COPY at line {c.lineno} and the install", c.lineno)
    sources, dest = copy_parts(c)
    if not _absolute(dest, st_before) and st_before.workdir != st_after.workdir and not absolute_dest:
        raise Refuse(f"a WORKDIR between the COPY at line {c.lineno} and the install changes its relative destination '{dest}'", c.lineno)


def _absolute(dest: str, st: State) -> bool:
    """Is a COPY destination absolute once BuildKit expands its variables (``$APP_HOME``,
    ``${APP_DIR:-/app}`` with values this file proves, ``analysis.State.expand``)?"""
    if dest.startswith("/"):
        return True
    expanded, literal = st.expand(dest)
    return literal and expanded.startswith("/")


def home_files_in_tree(facts, broad: BroadCopy, install: Instruction, effect) -> None:
    """A command reads files at fixed places of a home dockfix does not know (``Effect.configs``:
    pip's ``~/.pip/pip.conf``, ``~/.config/pip/pip.conf``, the user's site ``~/.local``). The home
    may be any folder of the destination, so no entry of the copied tree may be such a file or a
    folder on its way (an entry whose path ends like the path below the home up to one of its
    parts: ``x/.pip``, ``.pip/pip.conf``, a top-level ``pip.conf`` when the destination may be
    ``~/.pip``); else Refuse."""
    from ...build.context_scan import files_named

    for entry in sorted(effect.configs):
        tail = [p for p in entry.split("/")[1:] if p]
        for ctx_path in files_named(facts.ctx, set(tail)):
            rel = ctx_path if broad.source_dir == "." else relative(ctx_path, broad.source_dir)
            if rel is None:
                continue
            r = rel.split("/")
            for i, part in enumerate(tail):
                head = tail[: i + 1]
                n = min(len(r), len(head))
                if part == r[-1] and r[-n:] == head[-n:]:
                    raise Refuse(
                        f"'{effect.text}' reads {entry}, and the home is not known: {ctx_path} of the copied tree may be on that path",
                        install.lineno,
                    )
