"""What DF002 and DF004 share: reading existing cache mounts, the edit that adds mounts and removes
what defeats them (``Removals``), and the refusals common to both (old frontend, non-POSIX SHELL).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ..build.state import under
from ..dockerfile.edits import delete_expect, logical_to_physical, rewrite_instruction, word_span
from ..dockerfile.model import Edit, Instruction
from ..shell.nodes import Invocation
from ..build.users import Account, expand

SYNTAX_LINE = "# syntax=docker/dockerfile:1"
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


def existing_targets(facts, inst: Instruction) -> list[str] | None:
    """The targets of the RUN's cache mounts, variables expanded as BuildKit does; None if unknown."""
    state = facts.state(inst)
    targets = [expand(state, t) for t in cache_mount_targets(inst)]
    return None if None in targets else targets


def old_frontend(syntax: str) -> bool:
    """Does a ``# syntax=`` value pin a Dockerfile frontend older than 1.2 (no RUN --mount)?"""
    m = re.search(r"docker/dockerfile(?:-upstream)?:(\d+)(?:\.(\d+))?", syntax)
    if not m or m.group(2) is None:
        return False
    return (int(m.group(1)), int(m.group(2))) < (1, 2)


def command_spans(script: str, invs: list[Invocation], i: int, j: int) -> list[tuple[int, int]]:
    """Script spans that each remove commands i..j (adjacent) with one operator that joins them, best
    first; none when that is not safe (one of them or a neighbour is part of a compound command)."""
    first, last = invs[i].command, invs[j].command
    around = [invs[k].command for k in range(max(i - 1, 0), min(j + 2, len(invs)))]
    if any(c.compound for c in around) or any(invs[k].command.op_after not in ("&&", ";") for k in range(i, j)):
        return []
    spans = []
    if last.op_after in ("&&", ";") and j + 1 < len(invs) and first.op_before in (None, last.op_after):
        spans.append((first.start, script.find(last.op_after, last.end) + len(last.op_after)))
    if first.op_before in ("&&", ";"):
        prev_end = invs[i - 1].command.end
        spans.append((prev_end + script[prev_end : first.start].find(first.op_before), last.end))
    return spans


@dataclass
class Removals:
    """What defeats a mount in one RUN: logical spans to delete and their description."""

    inst: Instruction
    lines: tuple[str, ...]  # the file's physical lines
    escape: str
    script: str
    offset: int
    editable: bool
    spans: list[tuple[int, int]] = field(default_factory=list)
    what: list[str] = field(default_factory=list)
    commands: list[Invocation] = field(default_factory=list)

    def word(self, w, label: str) -> None:
        self.spans.append(word_span(self.inst, self.offset + w.start, self.offset + w.end) if self.editable else (0, 0))
        self.what.append(label)

    def command(self, inv: Invocation) -> None:
        """Remove a whole command (``finish`` turns the commands into spans)."""
        self.commands.append(inv)
        self.what.append(f"'{self.script[inv.command.start : inv.command.end]}'")

    def finish(self, invs: list[Invocation]) -> str | None:
        """Spans for the removed commands, adjacent ones together; the reason when unsafe."""
        if not self.editable:
            return None
        picked = sorted(invs.index(inv) for inv in self.commands)
        groups: list[list[int]] = []
        for k in picked:
            if groups and groups[-1][-1] == k - 1:
                groups[-1].append(k)
            else:
                groups.append([k])
        for group in groups:
            spans = [(self.offset + a, self.offset + b) for a, b in command_spans(self.script, invs, group[0], group[-1])]
            if not spans:
                text = self.script[invs[group[0]].command.start : invs[group[-1]].command.end]
                return f"'{text}' empties the cache and cannot be removed safely here"
            self.spans.append(word_span(self.inst, *min(spans, key=self._lines_left_cut)))
        return None

    def _lines_left_cut(self, span: tuple[int, int]) -> int:
        """How many physical lines ``span`` cuts without emptying them ("a && \\ b && \\ c" loses
        "b && ", "a \\ && b \\ && c" loses "&& b": both leave whole lines)."""
        cut = 0
        for line, c0, c1 in logical_to_physical(self.inst, *span):
            text = self.lines[line]
            left = (text[:c0] + text[c1:]).rstrip("\r\n").rstrip(" \t").removesuffix(self.escape)
            cut += left.strip(" \t") != ""
        return cut

    def rm(self, invs: list[Invocation], matches, targets, homes: frozenset[str] = frozenset()) -> str | None:
        """Remove the ``rm`` arguments ``matches(path)`` accepts (the whole command if all are).

        Returns why the mounts cannot be added when another ``rm`` argument may reach one of the
        ``targets``: a mount point cannot be removed, so that RUN would fail.
        """
        for inv in invs:
            if inv.tool != "rm":
                continue
            hits = [w for w in inv.args if matches(w.value)]
            for w in inv.args:
                if w not in hits and may_reach(w.value, w.has_expansion, homes, targets):
                    text = self.script[inv.command.start : inv.command.end]
                    return f"'{text}' may delete a cache mount's folder ({w.raw}), which would fail the RUN"
            if hits and len(hits) == len(inv.args):
                self.command(inv)
            else:
                for w in hits:
                    self.word(w, f"rm of {w.value}")
        return None

    def refusal(self, invs: list[Invocation]) -> str | None:
        """Why the removals cannot be made (after every ``word``/``command``/``rm``), or None."""
        if self.what and not self.editable:
            return "the heredoc body defeats the cache (" + ", ".join(self.what) + "); dockfix never edits heredoc bodies"
        return self.finish(invs)


def add_mounts_edit(facts, inst: Instruction, mounts: list[str], removals: Removals, inserts=()) -> Edit:
    """The RUN with ``mounts`` after its keyword, ``removals`` made and ``inserts`` (logical
    offset, text) added."""
    insert = None
    if mounts:
        insert = (inst.pieces[0][2] + len(inst.raw_keyword), " " + " ".join(mounts))
    expect = delete_expect(inst, removals.spans, tuple(mounts), list(inserts))
    return rewrite_instruction(facts.df, inst, expect, removals.spans, insert, list(inserts))


def syntax_edit(df) -> Edit:
    nl = "\r\n" if df.lines[0].endswith("\r\n") else "\n"
    return Edit(0, 0, SYNTAX_LINE + nl, (), (SYNTAX_LINE,))


def frontend_refusal(df) -> str | None:
    syntax = df.directive("syntax")
    if syntax is not None and old_frontend(syntax):
        return f"the '# syntax={syntax}' directive pins a frontend older than 1.2, which has no RUN --mount"
    return None


def planned_runs(facts, plan_run):
    """(RUN, plan) for each RUN that ``plan_run(facts, inst)`` has a plan for."""
    for inst in facts.df.instructions:
        if inst.keyword == "RUN":
            p = plan_run(facts, inst)
            if p is not None:
                yield inst, p


def shell_refusal(state) -> str | None:
    if state.shell is not None and not (state.shell and POSIX_SHELLS.match(state.shell[0])):
        return "a SHELL other than a POSIX shell is in force"
    return None


def mount_flag(target: str, account: Account, extra: str = "") -> str:
    owner = ""
    if account.uid:
        owner = f",uid={account.uid}" + (f",gid={account.gid}" if account.gid is not None else "")
    return f"--mount=type=cache,target={target}{extra}{owner}"


_HOME_PREFIX = re.compile(r"^(~|\$HOME|\$\{HOME\})(?=/|$)")


def expand_home(value: str, homes) -> str:
    """``~``, ``$HOME`` or ``${HOME}`` at the start of ``value`` replaced by the RUN user's home
    (``homes`` holds it, or nothing when the caller has none: then root's ``/root``)."""
    home = next(iter(sorted(homes)), "/root")
    return _HOME_PREFIX.sub(lambda _: home, value)


def may_reach(value: str, expands: bool, homes: set[str], targets) -> bool:
    """Could ``rm`` of this argument reach a mount target (a mount point cannot be removed)?"""
    value = expand_home(value, homes)
    if expands:
        prefix = re.split(r"[$`*?\[{~]", value, maxsplit=1)[0]
        return not prefix.startswith("/") or any(t.startswith(prefix) or under(t, prefix.rstrip("/") or "/") for t in targets)
    if not value.startswith("/"):
        return False  # relative to the working directory: a mount target is absolute
    path = posixpath.normpath(value)
    return any(under(t, path) for t in targets)
