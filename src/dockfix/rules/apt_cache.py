"""DF004 apt-cache-mount: BuildKit cache mounts for apt on Debian and Ubuntu bases.

The BuildKit reference's pattern: ``RUN --mount=type=cache,target=/var/cache/apt,sharing=locked
--mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install ...``, with the
image's ``docker-clean`` hook disabled once before the first such RUN of a stage chain (the hook deletes
downloaded packages after every install). In that RUN, ``rm -rf /var/lib/apt/lists/*`` (and any rm of
those two folders) and ``apt-get clean``/``autoclean`` go: they would only empty the cache, since with
the mounts nothing they delete is in the image any more. Only as root, only on bases known to be Debian
or Ubuntu, and only when the RUN runs ``apt-get update`` itself (the mounted /var/lib/apt starts empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..build.state import under
from ..dockerfile.edits import comment_block_start, lines_text
from ..installers import apt
from ..dockerfile.model import Applicability, Edit, Expect, Fix, Instruction, Skip
from ..shell.nodes import Invocation
from ..build.users import chain, describe, is_debian, who
from .mounts import (
    Removals,
    add_mounts_edit,
    existing_targets,
    frontend_refusal,
    planned_runs,
    shell_refusal,
    syntax_edit,
)

CODE = "DF004"
NAME = "apt-cache-mount"
SUMMARY = "add BuildKit cache mounts for apt's caches on Debian/Ubuntu bases, with docker-clean disabled once"

TARGETS = apt.CACHES
INSTALLS = apt.INSTALLS
CLEANS = apt.CLEANS
HOOK = apt.KEEP_DOWNLOADS
UNREADABLE_APT = re.compile(r"\bapt(-get)?\b[^\n]*\binstall\b")


@dataclass
class AptPlan:
    """What DF004 would do to one RUN."""

    skip: str | None = None
    mounts: list[str] = field(default_factory=list)
    removals: Removals | None = None
    hook: bool = False  # disable docker-clean before this RUN


def _apt(invs: list[Invocation]) -> list[Invocation]:
    return [i for i in invs if i.tool == "apt"]


def _hook_present(facts, inst: Instruction) -> bool:
    df = facts.df
    return any(
        df.instructions[k].keyword == "RUN" and apt.HOOK_FILE in df.instructions[k].args
        for k in chain(df, facts.index(inst))
    )


def plan(facts, inst: Instruction) -> AptPlan | None:
    """What DF004 would do to one RUN (None: it installs nothing with apt)."""
    script = facts.script(inst)
    invs = facts.invocations(inst)
    if script is None or invs is None:
        if UNREADABLE_APT.search(inst.args):
            why = "exec form" if inst.json_form else "commands that cannot be read reliably"
            return AptPlan(f"apt install in a RUN with {why}: no cache mount added")
        return None
    apts = _apt(invs)
    installs = [i for i in apts if i.sub in INSTALLS]
    if not installs:
        return None

    def refuse(why: str) -> AptPlan:
        return AptPlan(f"{why}; no apt cache mount added")

    state = facts.state(inst)
    why = frontend_refusal(facts.df) or facts.builder_refusal[0] or shell_refusal(state)
    if why:
        return refuse(why)
    if not is_debian(state.base, facts.settings.debian_images):
        return refuse(f"the base image {state.base or '(unknown)'} is not known to be Debian or Ubuntu")
    account = who(facts, inst)
    if isinstance(account, str):
        return refuse(account)
    if account.uid != 0:
        return refuse(f"apt runs as the non-root user {describe(account)}")
    first = invs.index(installs[0])
    if not any(i.sub == "update" for i in apts if invs.index(i) < first):
        return refuse("the RUN installs without running apt-get update first, and the mounted /var/lib/apt starts empty")
    if any(name == "--option" for i in apts for name, _, _ in i.options):
        return refuse("apt is given -o options, which may move its caches")
    text, offset, editable = script
    removals = Removals(inst, facts.df.lines, facts.df.escape, text, offset, editable)
    existing = existing_targets(facts, inst)
    if existing is None:
        return refuse("a cache mount of the RUN has a target with a variable not known here")
    mounts = [
        f"--mount=type=cache,target={t},sharing=locked"
        for t in TARGETS
        if not any(m.count("/") >= 2 and under(t, m.rstrip("/")) for m in existing)
    ]
    for inv in apts:
        if inv.sub in CLEANS:
            removals.command(inv)
    def in_cache(path: str) -> bool:
        return any(under(re.sub(r"/\*?$", "", path), t) for t in TARGETS)

    why = removals.rm(invs, in_cache, TARGETS) or removals.refusal(invs)
    if why:
        return refuse(why)
    return AptPlan(mounts=mounts, removals=removals, hook=bool(mounts) and not _hook_present(facts, inst))


def _blocker(facts, inst: Instruction) -> str | None:
    """Disabling docker-clean before ``inst`` keeps downloaded packages in the image for every later
    apt RUN of the stages built on it: each of them must get the mounts too."""
    df = facts.df
    idx = facts.index(inst)
    for k in range(idx + 1, len(df.instructions)):
        later = df.instructions[k]
        if later.keyword == "RUN" and idx in chain(df, k):
            p = plan(facts, later)
            if p is not None and p.skip:
                return f"the apt RUN at line {later.lineno} cannot get the mounts ({p.skip}), and with docker-clean disabled its downloaded packages would stay in the image"
    return None


def check(facts) -> list:
    df = facts.df
    out: list = []
    if facts.builder_refusal[1]:
        return out  # the user's builder setting rules cache mounts out
    add_syntax = facts.settings.add_syntax and df.directive("syntax") is None
    for inst, p in planned_runs(facts, plan):
        if p.skip:
            out.append(Skip(CODE, NAME, p.skip, inst.lineno))
            continue
        if not (p.mounts or p.removals.spans):
            continue
        why = (_blocker(facts, inst) if p.hook else None) or (
            "the RUN keyword is split by a line continuation" if inst.keyword_split else None
        )
        if why:
            out.append(Skip(CODE, NAME, why, inst.lineno))
            continue
        edits: list[Edit] = []
        parts = []
        if p.hook:
            at = comment_block_start(df, inst)
            edits.append(Edit(at, at, lines_text(df, at, [HOOK]), (Expect("RUN", (), tuple(HOOK.split()[1:])),)))
            parts.append("disable the docker-clean hook before it")
        edits.append(add_mounts_edit(facts, inst, p.mounts, p.removals))
        if p.mounts:
            parts.insert(0, "add cache mounts for " + " and ".join(TARGETS))
            if add_syntax:
                edits.append(syntax_edit(df))
        if p.removals.what:
            parts.append("remove " + ", ".join(p.removals.what) + ", which empties the cache")
        # Not only a cache matter, so opt-in only: with /var/lib/apt mounted, apt's record of
        # automatically installed packages (extended_states) stays in the cache, not the image;
        # and disabling docker-clean leaves the changed apt configuration in the image.
        out.append(Fix(CODE, NAME, "; ".join(parts), inst.lineno, tuple(edits), Applicability.UNSAFE))
    return out
