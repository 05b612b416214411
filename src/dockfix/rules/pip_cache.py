"""DF002 pip-cache-mount: give each root ``pip install`` RUN a BuildKit cache mount.

``RUN --mount=type=cache,target=/root/.cache/pip pip install ...`` keeps pip's download and wheel
cache between builds, so a changed requirements file downloads only what changed. In the same RUN,
what would defeat the mount goes: ``--no-cache-dir``, ``pip cache purge`` and ``rm -rf`` of the
cache. Where the right target is not certain (a non-root user, a moved or disabled cache), the RUN
is left alone with the reason.
"""

from __future__ import annotations

import posixpath
import re

from ..analysis import under
from ..edits import delete_expect, rewrite_instruction, word_span
from ..model import Edit, Fix, Instruction, Skip
from ..shell import Invocation

CODE = "DF002"
NAME = "pip-cache-mount"
SUMMARY = "add a BuildKit cache mount for pip's cache to each pip install RUN, and drop what defeats it"

PIP_CACHE = "/root/.cache/pip"
MOUNT = f"--mount=type=cache,target={PIP_CACHE}"
SYNTAX_LINE = "# syntax=docker/dockerfile:1"
PIP_SUBCOMMANDS = ("install", "download", "wheel")
CACHE_ENV = ("PIP_NO_CACHE_DIR", "PIP_CACHE_DIR", "XDG_CACHE_HOME", "HOME")
CACHE_PATHS = re.compile(r"^(/root|~|\$HOME|\$\{HOME\})/\.cache(/pip)?(/|/\*)?$")
POSIX_SHELLS = re.compile(r"^(/usr)?/bin/(sh|bash|dash|ash)$")


def mount_options(value: str) -> dict[str, str]:
    out = {}
    for part in value.split(","):
        key, _, val = part.partition("=")
        out[key.strip().lower()] = val.strip()
    return out


def cache_mount_targets(inst: Instruction) -> list[str]:
    targets = []
    for flag in inst.flags:
        if flag.name == "--mount" and flag.value:
            opts = mount_options(flag.value)
            if opts.get("type") == "cache":
                targets.append(opts.get("target") or opts.get("dst") or opts.get("destination") or "")
    return targets


def covers(target: str) -> bool:
    """Does a cache mount at ``target`` hold pip's cache (/root/.cache/pip or a parent of it)?"""
    target = posixpath.normpath(target) if target else ""
    return target not in ("", "/", "/root") and under(PIP_CACHE, target) or ".cache/pip" in target


def old_frontend(syntax: str) -> bool:
    """Does a ``# syntax=`` value pin a Dockerfile frontend older than 1.2 (no RUN --mount)?"""
    m = re.search(r"docker/dockerfile(?:-upstream)?:(\d+)(?:\.(\d+))?", syntax)
    if not m or m.group(2) is None:
        return False
    return (int(m.group(1)), int(m.group(2))) < (1, 2)


def pip_runs(invs: list[Invocation]) -> list[Invocation]:
    return [i for i in invs if i.tool == "pip" and i.sub in PIP_SUBCOMMANDS]


def _skip(inst: Instruction, reason: str) -> Skip:
    return Skip(CODE, NAME, reason, inst.lineno)


def _command_span(script: str, inv: Invocation, invs: list[Invocation]) -> tuple[int, int] | None:
    """Script span that removes a whole command with the operator that joins it; None if unsafe."""
    cmd = inv.command
    k = invs.index(inv)
    neighbours = [invs[j].command for j in (k - 1, k + 1) if 0 <= j < len(invs)]
    if cmd.compound or any(n.compound for n in neighbours):
        return None
    if cmd.op_before in ("&&", ";"):
        prev_end = invs[k - 1].command.end
        gap = script[prev_end : cmd.start]
        op = gap.find(cmd.op_before)
        return prev_end + op, cmd.end
    if cmd.op_before is None and cmd.op_after in ("&&", ";") and k + 1 < len(invs):
        return cmd.start, invs[k + 1].command.start
    return None


def check(facts) -> list:
    df = facts.df
    out: list = []
    syntax = df.directive("syntax")
    old = syntax is not None and old_frontend(syntax)
    syntax_added = False
    for inst in df.instructions:
        if inst.keyword != "RUN":
            continue
        script = facts.script(inst)
        invs = facts.invocations(inst)
        if script is None or invs is None:
            if re.search(r"\bpip3?\b[^\n]*\binstall\b", inst.args):
                why = "exec form" if inst.json_form else "commands that cannot be read reliably"
                out.append(_skip(inst, f"pip install in a RUN with {why}: no cache mount added"))
            continue
        pips = pip_runs(invs)
        if not pips:
            continue
        text, offset, editable = script
        targets = cache_mount_targets(inst)
        has_mount = any(covers(t) for t in targets)
        if old:
            out.append(_skip(inst, f"the '# syntax={syntax}' directive pins a frontend older than 1.2, which has no RUN --mount"))
            continue
        state = facts.state(inst)
        reason = _uncertain_target(state, invs, pips)
        if reason:
            if not has_mount:
                out.append(_skip(inst, reason))
            continue
        spans: list[tuple[int, int]] = []
        what: list[str] = []
        for inv in pips:
            for name, _, word in inv.options:
                if name == "--no-cache-dir":
                    spans.append(word_span(inst, offset + word.start, offset + word.end) if editable else (0, 0))
                    what.append("--no-cache-dir")
        for inv in invs:
            whole = inv.tool == "pip" and inv.sub == "cache purge"
            if inv.tool == "rm":
                cache_args = [w for w in inv.args if CACHE_PATHS.match(w.value)]
                if cache_args and len(cache_args) == len(inv.args):
                    whole = True
                else:
                    for w in cache_args:
                        spans.append(word_span(inst, offset + w.start, offset + w.end) if editable else (0, 0))
                        what.append(f"rm of {w.value}")
            if whole:
                span = _command_span(text, inv, invs) if editable else None
                if span is None:
                    out.append(_skip(inst, f"'{text[inv.command.start:inv.command.end]}' empties the cache and cannot be removed safely here"))
                    break
                spans.append((offset + span[0], offset + span[1]))
                what.append(f"'{text[inv.command.start:inv.command.end]}'")
        else:
            if not editable and spans:
                out.append(_skip(inst, "the heredoc body defeats the cache (" + ", ".join(what) + "); dockfix never edits heredoc bodies"))
                continue
            if has_mount and not spans:
                continue
            if inst.keyword_split:
                out.append(_skip(inst, "the RUN keyword is split by a line continuation"))
                continue
            insert = None
            added: tuple[str, ...] = ()
            if not has_mount:
                col = inst.pieces[0][2] + len(inst.raw_keyword)
                insert = (col, " " + MOUNT)
                added = (MOUNT,)
            expect = delete_expect(inst, spans, added)
            edits: list[Edit] = [rewrite_instruction(df, inst, expect, spans, insert)]
            if added and facts.settings.add_syntax and syntax is None and not syntax_added:
                nl = "\r\n" if df.lines[0].endswith("\r\n") else "\n"
                edits.append(Edit(0, 0, SYNTAX_LINE + nl, (), (SYNTAX_LINE,)))
                syntax_added = True
            parts = []
            if added:
                parts.append(f"add a cache mount for {PIP_CACHE}")
            if what:
                parts.append("remove " + ", ".join(what) + ", which defeats it")
            out.append(Fix(CODE, NAME, "; ".join(parts), inst.lineno, tuple(edits)))
    return out


def _uncertain_target(state, invs: list[Invocation], pips: list[Invocation]) -> str | None:
    """Why /root/.cache/pip may not be pip's cache for this RUN (None when it is)."""
    root = state.is_root()
    if root is None:
        return "the user that runs pip is not known (base image with a variable name): no cache mount added"
    if not root:
        who = state.user or "the base image's user"
        return f"pip runs as the non-root user {who}: its cache is not /root/.cache/pip; no cache mount added"
    for name in CACHE_ENV:
        if name in state.vars:
            kind = "ARG" if state.vars[name].is_arg else "ENV"
            return f"{kind} {name} is set, so pip's cache is not {PIP_CACHE} or is disabled; no cache mount added"
    if state.shell is not None and not (state.shell and POSIX_SHELLS.match(state.shell[0])):
        return "a SHELL other than a POSIX shell is in force: no cache mount added"
    for inv in invs:
        for w in inv.command.assignments:
            name = w.value.split("=", 1)[0]
            if name in CACHE_ENV:
                return f"the RUN sets {name}, which moves or disables pip's cache; no cache mount added"
    for inv in pips:
        for name, _, _ in inv.options:
            if name in ("--cache-dir",):
                return f"pip is given {name}: its cache is elsewhere; no cache mount added"
    if any(i.tool == "other" and i.command.words and i.command.words[0].value in ("export", "source", ".") for i in invs):
        return "the RUN changes its environment (export/source) before pip runs: no cache mount added"
    return None
