"""DF001 deps-first: copy the dependency manifests and install them before the application.

    COPY . .                                  COPY requirements.txt .
    RUN pip install -r requirements.txt  ->   RUN pip install -r requirements.txt
                                              COPY . .

The broad COPY of the build context moves down to just after the install, and the files the
install reads (requirements files and everything they include) are copied right before it. The
move is made only when it provably yields the same image (design.md §5); otherwise the rule
explains, with the line, why it left the file alone.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ..analysis import BASE_WORKDIR, State, copy_parts, join, relative, under
from ..edits import block, comment_block_start, expect_of, insert_after, insert_before, lines_text, remove_block
from ..model import Expect, Fix, Instruction, Skip
from ..shell import Invocation

CODE = "DF001"
NAME = "deps-first"
SUMMARY = "copy dependency manifests and install them before copying the application"

BROAD_SOURCES = {".", "./", "./.", "*", "./*"}
CARRIED_FLAGS = ("--chown", "--chmod")
SAFE_KEYWORDS = {"ENV", "ARG", "LABEL", "EXPOSE", "USER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "SHELL", "MAINTAINER", "ONBUILD", "WORKDIR"}
SYSTEM_TOOLS = {"apt", "apk", "yum"}
ACCOUNT_COMMANDS = {"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod"}
PATH_COMMANDS = {"mkdir", "chown", "chmod", "ln", "touch"}
HARMLESS = {"true", "set", "echo", ":", "export", "locale-gen", "update-ca-certificates", "ldconfig"}
PIP_ENV = ("PIP_CONSTRAINT", "PIP_REQUIREMENT", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PIP_SRC", "PIP_TARGET", "PIP_PREFIX")
FHS_DIRS = {"bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var"}


class Refuse(Exception):
    def __init__(self, reason: str, lineno: int):
        super().__init__(reason)
        self.reason = reason
        self.lineno = lineno


@dataclass(frozen=True)
class BroadCopy:
    inst: Instruction
    index: int
    source: str  # the broad source as written
    source_dir: str  # context-relative directory whose contents it copies ("." for the context)
    dest: str  # symbolic absolute destination


def check(facts) -> list:
    out: list = []
    df = facts.df
    for stage in df.stages:
        for k in range(stage.start + 1, stage.end):
            inst = df.instructions[k]
            if inst.keyword != "RUN":
                continue
            invs = facts.invocations(inst)
            pips = [i for i in invs or () if i.tool == "pip" and i.sub == "install" and _requirement_files(i)]
            if not pips:
                continue
            broad = _broad_copy(facts, stage.start, k)
            if broad is None:
                continue
            try:
                out.append(_plan(facts, broad, k, inst, invs))
            except Refuse as r:
                out.append(Skip(CODE, NAME, r.reason, r.lineno))
            break  # one install per stage per pass: the engine re-runs the rules after each fix
    return out


def _requirement_files(inv: Invocation) -> list[str]:
    return [v for name, v, _ in inv.options if name in ("--requirement", "--constraint") and v is not None]


def _broad_copy(facts, first: int, k: int) -> BroadCopy | None:
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
            src_dir = _source_dir(facts, src)
            if src_dir is not None:
                expanded, _ = state.expand(dest)
                return BroadCopy(inst, j, src, src_dir, join(state.workdir, expanded))
    return None


def _source_dir(facts, src: str) -> str | None:
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


def _plan(facts, broad: BroadCopy, k: int, install: Instruction, invs: list[Invocation]) -> Fix:
    df = facts.df
    ctx = facts.ctx
    c = broad.inst
    st_install: State = facts.states[k]
    if c.keyword_split or install.keyword_split:
        raise Refuse("an instruction keyword is split by a line continuation", c.lineno)
    if c.open_at_eof or install.open_at_eof:
        raise Refuse("a line continuation is still open at the end of the file", install.lineno)
    extra = [f.name for f in c.flags if f.name not in CARRIED_FLAGS + ("--link",)]
    if extra:
        raise Refuse(f"the COPY at line {c.lineno} has {extra[0]}, which dockfix does not carry over", c.lineno)
    if broad.source in ("*", "./*"):
        raise Refuse(f"'{c.raw_keyword} {broad.source}' flattens directories; dockfix cannot map the manifests", c.lineno)
    if not ctx.root.is_dir():
        raise Refuse(f"the build context {ctx.root} does not exist", c.lineno)
    dest = broad.dest
    if dest == "/" or dest == BASE_WORKDIR:
        clash = sorted(name for name in FHS_DIRS if ctx.exists(name) and not ctx.is_ignored(name))
        if clash:
            raise Refuse(f"the COPY at line {c.lineno} writes into the image's root and the context has '{clash[0]}/'", c.lineno)
    for name in PIP_ENV:
        if name in st_install.vars:
            raise Refuse(f"{name} is set, so pip may read files dockfix cannot see", install.lineno)

    # Which files does the install read, and where does it expect them?
    manifests = _manifests(facts, broad, install, invs, st_install)

    # Can the broad COPY move down past everything up to and including the install?
    for j in range(broad.index + 1, k):
        _check_between(facts, broad, df.instructions[j], facts.states[j])
    _check_install(facts, broad, install, invs, st_install)
    _check_same_meaning(facts, broad, st_install)

    # Edits: remove the broad COPY (with its comments), copy the manifests right before the
    # install (above its comment block), put the broad COPY right after the install.
    needed = [m for m in manifests if not _already_copied(facts, broad, m, k)]
    flags = " ".join(f.raw for f in c.flags if f.name in CARRIED_FLAGS)
    copy_lines, expects = _copy_lines(needed, st_install, flags, c.raw_keyword == c.raw_keyword.lower())
    c_start = comment_block_start(df, c)
    r_start = comment_block_start(df, install)
    edits = [remove_block(df, c_start, c.end + 1)]
    if copy_lines:
        edits.append(insert_before(df, r_start, lines_text(df, r_start, copy_lines), expects))
    edits.append(insert_after(df, install, block(df, c_start, c.end + 1), (expect_of(c),)))
    what = ", ".join(m[0] for m in manifests)
    msg = f"copy {what} and install before the COPY at line {c.lineno}, which moves below the install at line {install.lineno}"
    return Fix(CODE, NAME, msg, c.lineno, tuple(edits))


def _manifests(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State) -> list[tuple[str, str]]:
    """(context path, image path) of every file the install reads, includes resolved."""
    from ..context import requirements_closure

    ctx = facts.ctx
    roots: list[str] = []
    cwd = st.workdir
    for inv in invs:
        if inv.tool == "cd":
            if not inv.args or inv.args[0].has_expansion:
                raise Refuse("the RUN changes directory to a path dockfix cannot resolve", install.lineno)
            cwd = join(cwd, inv.args[0].value)
            continue
        if not (inv.tool == "pip" and inv.sub == "install"):
            continue
        for name, value, word in inv.options:
            if name not in ("--requirement", "--constraint") or value is None:
                continue
            if any(w.has_expansion for w in inv.option_words(word)) or "$" in value:
                raise Refuse(f"the requirements path '{value}' uses a variable or a pattern dockfix cannot resolve", install.lineno)
            image_path = join(cwd, value)
            rel = relative(image_path, broad.dest)
            if rel is None:
                raise Refuse(f"'{value}' is not inside the destination of the COPY at line {broad.inst.lineno}", install.lineno)
            ctx_path = posixpath.normpath(posixpath.join(broad.source_dir, rel))
            if ctx_path.startswith(".."):
                raise Refuse(f"'{value}' resolves outside the build context", install.lineno)
            roots.append(ctx_path)
    closure = requirements_closure(ctx, roots)
    for ref in closure.problems:
        where = f"{ref.file}:{ref.lineno}: " if ref.lineno else f"{ref.text}: "
        raise Refuse(f"{where}{ref.detail or ref.text}", install.lineno)
    out = []
    for path in closure.files:
        rel = relative(posixpath.normpath(path), broad.source_dir) if broad.source_dir != "." else path
        if rel is None:
            raise Refuse(f"'{path}' is not inside '{broad.source}' of the COPY at line {broad.inst.lineno}", install.lineno)
        if any(ch.isspace() for ch in path) or "$" in path:
            raise Refuse(f"the manifest path '{path}' needs quoting", install.lineno)
        out.append((path, join(broad.dest, rel)))
    return out


def _render(path: str, st: State) -> str | None:
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


def _copy_lines(manifests: list[tuple[str, str]], st: State, flags: str, lower: bool) -> tuple[list[str], tuple[Expect, ...]]:
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
            rendered = _render(dest_dir, st)
            if rendered is None:
                raise Refuse(f"cannot write the destination of {sources[0]} at the install", 0)
            dest = rendered.rstrip("/") + "/"
        words = [flags] if flags else []
        lines.append(" ".join([keyword, *words, *sources, dest]))
        flag_words = tuple(flags.split()) if flags else ()
        expects.append(Expect("COPY", flag_words, tuple(sources) + (dest,)))
    return lines, tuple(expects)


def _already_copied(facts, broad: BroadCopy, manifest: tuple[str, str], k: int) -> bool:
    """Does an earlier plain COPY in the stage already put this manifest where the install reads it?"""
    df = facts.df
    stage = df.stage_of(k)
    ctx_path, image_path = manifest
    for j in range(stage.start + 1, k):
        inst = df.instructions[j]
        if inst is broad.inst or inst.keyword != "COPY" or inst.flags:
            continue
        parts = copy_parts(inst)
        if parts is None:
            continue
        sources, dest = parts
        st = facts.states[j]
        expanded, literal = st.expand(dest)
        if not literal and "$" in expanded:
            continue
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


def _touches(path: str, dest: str) -> bool:
    """Could writing/reading ``path`` (symbolic absolute) touch the tree at ``dest``?"""
    return under(path, dest) or under(dest, path)


def _check_between(facts, broad: BroadCopy, inst: Instruction, st: State) -> None:
    """May ``inst`` run without the files of the broad COPY (which moves below it)?"""
    dest = broad.dest
    kw = inst.keyword
    c = broad.inst
    if kw in SAFE_KEYWORDS:
        if kw == "WORKDIR":
            expanded, _ = st.expand(inst.args.strip())
            wd = join(st.workdir, expanded)
            if under(wd, dest) and wd != st.workdir:
                root = st.is_root()
                if c.flags or not root:
                    raise Refuse(
                        f"WORKDIR at line {inst.lineno} would create {wd} before the COPY at line {c.lineno}, changing its owner",
                        inst.lineno,
                    )
        return
    if kw in ("COPY", "ADD"):
        parts = copy_parts(inst)
        if parts is None:
            raise Refuse(f"the {kw} at line {inst.lineno} is a heredoc; dockfix cannot tell where it writes", inst.lineno)
        expanded, _ = st.expand(parts[1])
        if _touches(join(st.workdir, expanded), dest):
            raise Refuse(f"the {kw} at line {inst.lineno} writes into {parts[1]}, which the COPY at line {c.lineno} also fills", inst.lineno)
        return
    if kw == "RUN":
        invs = facts.invocations(inst)
        if invs is None:
            raise Refuse(f"the RUN at line {inst.lineno} cannot be read reliably; it may use the copied files", inst.lineno)
        _check_mounts(inst, st, dest)
        for inv in invs:
            why = _command_touches(inv, st, dest, allow_requirements=False)
            if why:
                raise Refuse(f"the RUN at line {inst.lineno} runs '{why}', which may use the files of the COPY at line {c.lineno}", inst.lineno)
        return
    raise Refuse(f"{kw} at line {inst.lineno} stands between the COPY at line {c.lineno} and the install", inst.lineno)


def _check_mounts(inst: Instruction, st: State, dest: str) -> None:
    for flag in inst.flags:
        if flag.name == "--mount" and flag.value:
            opts = dict(p.partition("=")[::2] for p in flag.value.split(","))
            target = opts.get("target") or opts.get("dst") or opts.get("destination")
            if target and _touches(join(st.workdir, target), dest):
                raise Refuse(f"the RUN at line {inst.lineno} mounts {target} over the copied files", inst.lineno)


def _command_touches(inv: Invocation, st: State, dest: str, allow_requirements: bool) -> str | None:
    """The command text if it may read or write ``dest``; None when it provably does not."""
    cmd = inv.command
    text = " ".join(w.raw for w in cmd.words)
    if cmd.compound:
        return text
    for r in cmd.redirects:
        target = r.split()[-1] if r.split() else ""
        if not target.startswith("&") and target not in ("/dev/null",) and (not target.startswith("/") or _touches(target, dest)):
            return text
    if not cmd.words:
        return None
    tool = inv.tool
    if tool in SYSTEM_TOOLS:
        return None
    if tool == "cd":
        return None
    if tool == "pip":
        return _pip_touches(inv, st, dest, allow_requirements)
    if tool == "rm":
        return _paths_touch(inv.args, st, dest) and text
    name = posixpath.basename(cmd.words[0].value)
    if name in ACCOUNT_COMMANDS:
        home = [w.value for w in inv.command.words if w.value.startswith("/")]
        return text if any(_touches(h, dest) for h in home) else None
    if name in PATH_COMMANDS:
        paths = [w for w in cmd.words[1:] if not w.value.startswith("-")]
        if name in ("chown", "chmod") and paths:
            paths = paths[1:]
        return _paths_touch(paths, st, dest) and text
    if name in ("python", "python3") or re.fullmatch(r"python3(\.\d+)?", name):
        values = [w.value for w in cmd.words[1:]]
        if len(values) >= 3 and values[0] == "-m" and values[1] in ("venv", "virtualenv"):
            target = values[-1]
            if target.startswith("/") and not _touches(target, dest):
                return None
        return text
    if name in HARMLESS and not cmd.redirects:
        return None
    return text


def _paths_touch(words, st: State, dest: str) -> bool:
    for w in words:
        if w.has_expansion and not w.value.startswith("/"):
            return True
        if not w.value.startswith("/"):
            return True  # relative to a working directory: could be the destination
        if _touches(w.value, dest):
            return True
    return False


def _pip_touches(inv: Invocation, st: State, dest: str, allow_requirements: bool) -> str | None:
    text = " ".join(w.raw for w in inv.command.words)
    if inv.sub in ("cache purge",) or (inv.sub == "cache"):
        return None
    if inv.sub not in ("install",):
        return text
    if inv.unknown:
        return text  # an option dockfix does not know may read anything
    program = inv.command.words[0].value
    if program.startswith("/") and _touches(program, dest):
        return text  # a pip inside the copied tree (a virtualenv there)
    for name, value, word in inv.options:
        if name in ("--requirement", "--constraint"):
            if not allow_requirements:
                return text
        elif name in ("--editable", "--src"):
            return text
        elif name in ("--target", "--prefix", "--root", "--find-links", "--report", "--log"):
            if value is None or value.startswith("http://") or value.startswith("https://"):
                continue
            if not value.startswith("/") or _touches(value, dest):
                return text
    for w in inv.args:
        v = w.value
        if w.has_expansion or v.startswith((".", "/", "~")) or ("/" in v and "://" not in v) or v.startswith("file:"):
            return text
        if re.search(r"\.(whl|tar\.gz|zip|tar\.bz2)$", v) and "://" not in v:
            return text
        if "@" in v and "file:" in v:
            return text
    return None


def _check_install(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State) -> None:
    """Does the install read only the manifests, and leave the COPY's tree alone?"""
    _check_mounts(install, st, broad.dest)
    for inv in invs:
        why = _command_touches(inv, st, broad.dest, allow_requirements=True)
        if why:
            raise Refuse(f"the RUN at line {install.lineno} also runs '{why}', which may need the application files", install.lineno)
        if inv.tool == "pip" and any(name == "--user" for name, _, _ in inv.options) and st.is_root() is False:
            raise Refuse(f"pip install --user as a non-root user may write into the copied tree (line {install.lineno})", install.lineno)


def _check_same_meaning(facts, broad: BroadCopy, st_after: State) -> None:
    """Does the broad COPY mean the same thing once moved below the install?"""
    c = broad.inst
    st_before = facts.states[broad.index]
    for name in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", c.rest)):
        a, b = st_before.vars.get(name), st_after.vars.get(name)
        if (a and a.version) != (b and b.version):
            raise Refuse(f"${name} changes between the COPY at line {c.lineno} and the install", c.lineno)
    sources, dest = copy_parts(c)
    if not dest.startswith("/") and st_before.workdir != st_after.workdir:
        raise Refuse(f"a WORKDIR between the COPY at line {c.lineno} and the install changes its relative destination '{dest}'", c.lineno)
