"""The broad COPY of the build context, the reason for a refusal, and the plumbing both rules share."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from ...build.state import copy_parts, join, may_touch, relative
from ...installers.refuse import Refuse  # noqa: F401  (re-exported: the rules import it from here)
from ...dockerfile.model import Instruction, Skip
from ...shell.nodes import Invocation

BROAD_SOURCES = {".", "./", "./.", "*", "./*"}
CARRIED_FLAGS = ("--chown", "--chmod")
GLOB = set("*?[\\")  # a generated COPY source must name exactly one file
SAFE_KEYWORDS = {"ENV", "ARG", "LABEL", "EXPOSE", "USER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "SHELL", "MAINTAINER", "ONBUILD", "WORKDIR"}
SYSTEM_TOOLS = {"apt", "apk", "yum"}
ACCOUNT_COMMANDS = {"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod"}
PATH_COMMANDS = {"mkdir", "chown", "chmod", "ln", "touch"}
HARMLESS = {"true", "set", "echo", ":", "export", "locale-gen", "update-ca-certificates", "ldconfig"}
FHS_DIRS = {"bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var"}
ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


@dataclass(frozen=True)
class BroadCopy:
    inst: Instruction
    index: int
    source: str  # the broad source as written
    source_dir: str  # context-relative directory whose contents it copies ("." for the context)
    dest: str  # symbolic absolute destination

    def image_path(self, ctx_path: str) -> str:
        """Where the COPY puts a context file (which must be inside its source)."""
        rel = relative(posixpath.normpath(ctx_path), self.source_dir) if self.source_dir != "." else ctx_path
        if rel is None:
            raise Refuse(f"'{ctx_path}' is not inside '{self.source}' of the COPY at line {self.inst.lineno}", 0)
        if any(ch.isspace() for ch in ctx_path) or "$" in ctx_path:
            raise Refuse(f"the manifest path '{ctx_path}' needs quoting", 0)
        return join(self.dest, rel)


def broad_copy(facts, first: int, k: int) -> BroadCopy | None:
    """The last COPY/ADD of the build context (or of a context directory) before index k."""
    df = facts.df
    for j in range(k - 1, first, -1):
        inst = df.instructions[j]
        if inst.keyword not in ("COPY", "ADD") or inst.flag("--from"):
            continue
        parts = copy_parts(inst)
        if parts is None:
            continue
        sources, dest = parts
        state = facts.states[j]
        for src in sources:
            src_dir = source_dir(facts, src)
            if src_dir is not None:
                expanded, _ = state.expand(dest)
                return BroadCopy(inst, j, src, src_dir, join(state.workdir, expanded))
    return None


def source_dir(facts, src: str) -> str | None:
    if src in BROAD_SOURCES:
        return "."
    if "$" in src or any(c in src for c in "*?[") or "://" in src:
        return None
    rel = posixpath.normpath(src.lstrip("/")) if src not in ("/",) else "."
    if rel.startswith(".."):
        return None
    if rel == ".":
        return "."
    return rel if facts.ctx.is_dir(rel) else None


def each_install(facts, code: str, name: str, find, plan) -> list:
    """Fixes and skips of a dependency-first rule: at most one fix per stage and pass.

    ``find(invs)`` picks the install in a RUN's commands (None: not one); ``plan(broad, k, inst,
    invs, found)`` returns a Fix (or None: nothing to do) or raises Refuse, reported as a Skip.
    Every install of the stage is looked at until one gets a fix (a refused first install does
    not hide a later one that can be fixed); the engine re-runs the rules after each fix, so
    later installs come in later passes.
    """
    out: list = []
    df = facts.df
    for stage in df.stages:
        for k in range(stage.start + 1, stage.end):
            inst = df.instructions[k]
            if inst.keyword != "RUN":
                continue
            invs = facts.invocations(inst) or []
            found = find(invs)
            if found is None:
                continue
            broad = broad_copy(facts, stage.start, k)
            if broad is None:
                continue
            try:
                fix = plan(broad, k, inst, invs, found)
            except Refuse as r:
                fix = Skip(code, name, r.reason, r.lineno or inst.lineno)
            if fix is not None:  # a suppression above the COPY or above the install applies
                out.append(replace(fix, lines=(broad.inst.lineno, inst.lineno)))
                if not isinstance(fix, Skip):
                    break
    return out


def subshell_invocations(facts, inst: Instruction) -> list[Invocation] | None:
    """The commands of a RUN whose whole script is one subshell, ``( ... )``, read as the script
    inside it; None for any other RUN.

    A RUN runs its script in a shell of its own: a subshell around all of it changes nothing
    (the exit status is that of the last command either way; variables and ``cd`` vanish with
    the RUN either way). Taken only when the text inside the parentheses parses on its own into as
    many commands as the whole (so the parentheses are one pair around everything)."""
    from ...shell.invocation import invocations

    s = facts.script(inst)
    if not s:
        return None
    text = s[0].strip()
    if not (text.startswith("(") and text.endswith(")")) or text.startswith("(("):
        return None
    outer = facts.invocations(inst)
    inner = invocations(text[1:-1])
    if outer is None or inner is None or len(inner) != len(outer) or not all(i.command.compound for i in outer):
        return None
    if any(i.command.compound for i in inner):
        return None
    return list(inner)


def install_cwd(facts, install: Instruction, invs: list[Invocation]) -> list[tuple[Invocation, str]]:
    """Each command of the RUN with the working directory it runs in (following ``cd``)."""
    cwd = facts.states[facts.index(install)].workdir
    out = []
    for inv in invs:
        if inv.tool == "cd":
            if not inv.args or inv.args[0].has_expansion:
                raise Refuse("the RUN changes directory to a path dockfix cannot resolve", install.lineno)
            cwd = join(cwd, inv.args[0].value)
        out.append((inv, cwd))
    return out


_SHELL_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def known_path(facts, install: Instruction, invs: list[Invocation], n: int, path: str) -> str:
    """``path``, a word of command n of the install RUN, with ``$NAME``/``${NAME}`` replaced by
    values known for certain: set by ``ENV`` in this file (an ``ARG`` may be overridden), not
    changed earlier in the RUN, holding no space, pattern or further ``$``. The word must be
    unquoted or double-quoted (in single quotes a ``$`` is literal). Else Refuse."""
    if "$" not in path:
        return path
    from ...installers.config import command_env

    inv = invs[n]
    word = next((w for w in inv.command.words if w.value == path or w.value.endswith("=" + path)), None)
    bad = Refuse(f"the path '{path}' uses a variable or a pattern dockfix cannot resolve", install.lineno)
    if word is None or not word.has_expansion or "'" in word.raw or inv.command.compound:
        raise bad
    st = facts.states[facts.index(install)]
    try:
        get = command_env(facts, install, invs, n)
    except Refuse:
        raise bad from None

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        var = st.vars.get(name)
        if var is None or var.is_arg or not isinstance(var.value, str) or get(name) != var.value:
            raise bad
        if not var.value or re.search(r"[\s$`*?\[{~\\]", var.value):
            raise bad
        return var.value

    out = _SHELL_VAR.sub(sub, path)
    if "$" in out:
        raise bad
    return out


def to_context(facts, broad: BroadCopy, cwd: str, path: str, install: Instruction, required: bool = True) -> str | None:
    """The context path of a file the install names ``path`` (relative to ``cwd``).

    The file must come from the broad COPY. An optional file that cannot come from it: None.
    """
    if any(ch in path for ch in "$*?[{~"):
        raise Refuse(f"the path '{path}' uses a variable or a pattern dockfix cannot resolve", install.lineno)
    rel = relative(join(cwd, path), broad.dest)
    ctx_path = None if rel is None else posixpath.normpath(posixpath.join(broad.source_dir, rel))
    if rel is None or ctx_path.startswith(".."):
        if not required:
            return None
        if rel is None:
            raise Refuse(f"'{path}' is not inside the destination of the COPY at line {broad.inst.lineno}", install.lineno)
        raise Refuse(f"'{path}' resolves outside the build context", install.lineno)
    return ctx_path


def touches(path: str, dest: str) -> bool:
    """Could writing/reading ``path`` (symbolic absolute) touch the tree at ``dest``? A path that
    holds a value dockfix does not know (``${NAME#k}``, the base image's WORKDIR) may be anything."""
    return may_touch(path, dest)
