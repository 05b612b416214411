"""The COPY lines that put the manifests where the install reads them (skipping those an earlier
COPY put there and no later step changed)."""

from __future__ import annotations

import posixpath
import re

from ...build.state import BASE_WORKDIR, State, copy_parts, join, relative, unquote_word
from ...build.context_scan import symlink_on
from ...dockerfile.model import Expect
from .base import CARRIED_FLAGS, GLOB, BroadCopy, Refuse, touches
from .steps import _absolute, command_touches


def manifest_copy(facts, broad: BroadCopy, manifests: list[tuple[str, str]], k: int, at: int | None = None) -> tuple[list[str], tuple[Expect, ...]]:
    """COPY lines (and their expectations) that put ``manifests`` (context path, image path)
    where the install at index k reads them, skipping those an earlier COPY already put there.
    ``at``: the lines go right before instruction ``at`` (default: the install)."""
    c = broad.inst
    install = facts.df.instructions[k]
    for ctx_path, _ in manifests:
        if GLOB & set(ctx_path):
            raise Refuse(f"the file name {ctx_path} holds a pattern character, so a COPY of it may copy other files", install.lineno)
        link = symlink_on(facts.ctx, ctx_path)
        if link is not None:
            raise Refuse(
                f"{ctx_path} goes through the symlink {link} of the build context; copied on its own it becomes a real "
                f"file or folder, which the COPY at line {c.lineno} cannot then replace with the link",
                install.lineno,
            )
    at = k if at is None else at
    needed = [m for m in manifests if not already_copied(facts, broad, m, at)]
    flags = " ".join(f.raw for f in c.flags if f.name in CARRIED_FLAGS)
    return copy_lines(needed, facts.states[at], flags, c.raw_keyword == c.raw_keyword.lower())


def render(path: str, st: State) -> str | None:
    """A symbolic path as Dockerfile text valid at ``st``, or None when it cannot be written."""
    if path.startswith(BASE_WORKDIR):
        return None

    def sub(m: re.Match) -> str:
        name, version = m.group(1), m.group(2)
        var = st.vars.get(name)
        if var is None or version == "?" or var.version != int(version):
            raise ValueError(name)
        return "${%s}" % name

    try:
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)#(\d+|\?)\}", sub, path)
    except ValueError:
        return None


def copy_lines(manifests: list[tuple[str, str]], st: State, flags: str, lower: bool) -> tuple[list[str], tuple[Expect, ...]]:
    """COPY lines (one per destination directory) for the manifests, relative to the workdir."""
    groups: dict[str, list[str]] = {}
    for ctx_path, image_path in manifests:
        groups.setdefault(posixpath.dirname(image_path) or "/", []).append(ctx_path)
    lines, expects = [], []
    keyword = "copy" if lower else "COPY"
    for dest_dir, sources in groups.items():
        rel = relative(dest_dir, st.workdir)
        if rel is not None:
            dest = "." if rel == "." and len(sources) == 1 else ("./" if rel == "." else rel + "/")
        else:
            rendered = render(dest_dir, st)
            if rendered is None:
                raise Refuse(f"cannot write the destination of {sources[0]} at the install", 0)
            dest = rendered.rstrip("/") + "/"
        words = [flags] if flags else []
        lines.append(" ".join([keyword, *words, *sources, dest]))
        flag_words = tuple(flags.split()) if flags else ()
        expects.append(Expect("COPY", flag_words, tuple(sources) + (dest,)))
    return lines, tuple(expects)


def already_copied(facts, broad: BroadCopy, manifest: tuple[str, str], k: int) -> bool:
    """Does an earlier COPY in the stage put this manifest where the install reads it, and is it
    still, when the install runs, the file of the build context (no later step may have changed,
    moved or removed it, and it has the owner and mode the broad COPY would give it)?"""
    df = facts.df
    stage = df.stage_of(k)
    ctx_path, image_path = manifest
    carried = sorted(f.raw for f in broad.inst.flags if f.name in CARRIED_FLAGS)
    for j in range(k - 1, stage.start, -1):
        inst = df.instructions[j]
        if inst is broad.inst:
            continue
        if not _copies_to(facts, j, ctx_path, image_path, carried):
            if _may_change(facts, j, image_path):
                return False  # the newest write before the install is not a copy of the context file
            continue
        return True
    return False


def _may_change(facts, j: int, image_path: str) -> bool:
    """May instruction j write, move or remove ``image_path``?"""
    inst = facts.df.instructions[j]
    st = facts.states[j]
    if inst.keyword in ("COPY", "ADD"):
        parts = copy_parts(inst)
        if parts is None:
            return True
        expanded, _ = st.expand(parts[1])
        return touches(join(st.workdir, expanded), image_path)
    if inst.keyword == "RUN":
        invs = facts.invocations(inst)
        if invs is None:
            return True
        for flag in inst.flags:
            if flag.name == "--mount":
                return True
        return any(command_touches(inv, st, image_path) for inv in invs)
    return False


def _copies_to(facts, j: int, ctx_path: str, image_path: str, carried: list[str]) -> bool:
    """Is instruction j a COPY of the context file ``ctx_path`` to ``image_path``, with the broad
    COPY's owner and mode flags?"""
    inst = facts.df.instructions[j]
    if inst.keyword != "COPY" or sorted(f.raw for f in inst.flags) != carried:
        return False
    parts = copy_parts(inst)
    if parts is None:
        return False
    sources, dest = parts
    st = facts.states[j]
    expanded, literal = st.expand(dest)
    if not literal and "$" in expanded:
        return False
    target = join(st.workdir, expanded)
    for src in sources:
        if posixpath.normpath(src) != ctx_path:
            continue
        if dest.endswith("/") or len(sources) > 1 or dest in (".", "./"):
            if join(target, posixpath.basename(ctx_path)) == image_path:
                return True
        elif target == image_path:
            return True
    return False


def absolute_copy(facts, broad: BroadCopy, st_after: State) -> str | None:
    """The broad COPY written with its destination absolute, as one line valid at ``st_after``,
    when its destination is relative and the working directory there differs; None when it
    keeps its text. Refuse when it cannot be written so (a continuation, JSON form, quoting)."""
    c = broad.inst
    sources, dest = copy_parts(c)
    st_before = facts.states[broad.index]
    if _absolute(dest, st_before) or st_before.workdir == st_after.workdir:
        return None
    why = Refuse(f"a WORKDIR between the COPY at line {c.lineno} and the install changes its relative destination '{dest}'", c.lineno)
    words = c.args.split()
    if c.start != c.end or c.json_form or len(words) != len(sources) + 1 or any(w != unquote_word(w) or "$" in w for w in words):
        raise why
    rendered = render(broad.dest, st_after)
    if rendered is None or any(ch.isspace() or ch in "\"'" for ch in rendered):
        raise why
    return " ".join([c.raw_keyword, *(f.raw for f in c.flags), *words[:-1], rendered.rstrip("/") + "/"])
