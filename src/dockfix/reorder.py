"""Moving a broad COPY of the build context below an install, and proving it changes nothing.

Shared by the dependency-first rules (DF001 moves the COPY below an install that reads only
manifests; DF003 moves it below a dependencies-only step it inserts). The checks follow
design.md §5: every instruction the COPY passes must neither read nor write its destination,
the install must leave the copied tree alone, and the COPY must mean the same once moved.
A check that fails raises ``Refuse`` with the reason and the line.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .analysis import BASE_WORKDIR, State, copy_parts, join, may_touch, relative, under, unquote_word
from .analysis import shown
from .context_scan import symlink_on
from .model import Expect, Instruction, Skip
from .shell import Invocation

BROAD_SOURCES = {".", "./", "./.", "*", "./*"}
CARRIED_FLAGS = ("--chown", "--chmod")
GLOB = set("*?[\\")  # a generated COPY source must name exactly one file
SAFE_KEYWORDS = {"ENV", "ARG", "LABEL", "EXPOSE", "USER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "SHELL", "MAINTAINER", "ONBUILD", "WORKDIR"}
SYSTEM_TOOLS = {"apt", "apk", "yum"}
ACCOUNT_COMMANDS = {"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod"}
PATH_COMMANDS = {"mkdir", "chown", "chmod", "ln", "touch"}
HARMLESS = {"true", "set", "echo", ":", "export", "locale-gen", "update-ca-certificates", "ldconfig"}
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


def each_install(facts, code: str, name: str, find, plan) -> list:
    """Fixes and skips of a dependency-first rule, one install per stage and pass.

    ``find(invs)`` picks the install in a RUN's commands (None: not one); ``plan(broad, k, inst,
    invs, found)`` returns a Fix (or None: nothing to do) or raises Refuse, reported as a Skip.
    The engine re-runs the rules after each fix, so later installs come in later passes.
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
            if fix is not None:
                out.append(fix)
            break
    return out


def preflight(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State) -> None:
    """What must hold before anything moves: readable instructions, a COPY dockfix can carry,
    a build context, no clash with the image's root, no installer reading files named by ENV."""
    from .installers import READS, reads_from_env

    c = broad.inst
    ctx = facts.ctx
    if c.keyword_split or install.keyword_split:
        raise Refuse("an instruction keyword is split by a line continuation", c.lineno)
    if c.open_at_eof or install.open_at_eof:
        raise Refuse("a line continuation is still open at the end of the file", install.lineno)
    extra = [f.name for f in c.flags if f.name not in CARRIED_FLAGS]
    if "--link" in extra:
        # A linked COPY is laid over the layers below it without reading them (no symlink in its
        # destination is followed); moved below the install it would cover what the install left.
        raise Refuse(f"the COPY at line {c.lineno} has --link, which makes its layer independent of the instructions it would move past", c.lineno)
    if extra:
        raise Refuse(f"the COPY at line {c.lineno} has {extra[0]}, which dockfix does not carry over", c.lineno)
    if broad.source in ("*", "./*"):
        raise Refuse(f"'{c.raw_keyword} {broad.source}' flattens directories; dockfix cannot map the manifests", c.lineno)
    if not ctx.root.is_dir():
        raise Refuse(f"the build context {ctx.root} does not exist", c.lineno)
    if broad.dest == "/" or broad.dest == BASE_WORKDIR:
        clash = sorted(name for name in FHS_DIRS if ctx.exists(name) and not ctx.is_ignored(name))
        if clash:
            raise Refuse(f"the COPY at line {c.lineno} writes into the image's root and the context has '{clash[0]}/'", c.lineno)
    from .installers.config import command_env

    for n, inv in enumerate(invs):
        if inv.tool not in READS:
            continue
        try:
            get = command_env(facts, install, invs, n)
        except Refuse as r:
            raise Refuse(r.reason, install.lineno) from None
        name = reads_from_env(inv, [v for v in READS[inv.tool].env if get(v) is not None])
        if name:
            raise Refuse(f"{name} is set, so {inv.tool} may read files dockfix cannot see", install.lineno)


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


def manifest_copy(facts, broad: BroadCopy, manifests: list[tuple[str, str]], k: int) -> tuple[list[str], tuple[Expect, ...]]:
    """COPY lines (and their expectations) that put ``manifests`` (context path, image path)
    where the install at index k reads them, skipping those an earlier COPY already put there."""
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
    needed = [m for m in manifests if not already_copied(facts, broad, m, k)]
    flags = " ".join(f.raw for f in c.flags if f.name in CARRIED_FLAGS)
    return copy_lines(needed, facts.states[k], flags, c.raw_keyword == c.raw_keyword.lower())


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


def touches(path: str, dest: str) -> bool:
    """Could writing/reading ``path`` (symbolic absolute) touch the tree at ``dest``? A path that
    holds a value dockfix does not know (``${NAME#k}``, the base image's WORKDIR) may be anything."""
    return may_touch(path, dest)


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
        if touches(join(st.workdir, expanded), dest):
            raise Refuse(f"the {kw} at line {inst.lineno} writes into {parts[1]}, which the COPY at line {c.lineno} also fills", inst.lineno)
        return
    if kw == "RUN":
        invs = facts.invocations(inst)
        if invs is None:
            raise Refuse(f"the RUN at line {inst.lineno} cannot be read reliably; it may use the copied files", inst.lineno)
        check_mounts(inst, st, dest)
        for inv in invs:
            why = command_touches(inv, st, dest)
            if why:
                raise Refuse(f"the RUN at line {inst.lineno} runs '{why}', which may use the files of the COPY at line {c.lineno}", inst.lineno)
        return
    raise Refuse(f"{kw} at line {inst.lineno} stands between the COPY at line {c.lineno} and the install", inst.lineno)


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
    if inv.sub not in ("install",):
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
        elif name in ("--target", "--prefix", "--root", "--find-links", "--report", "--log"):
            if value is None or value.startswith("http://") or value.startswith("https://"):
                continue
            if not value.startswith("/") or touches(value, dest):
                return text
    if any(local_word(w) for w in inv.args):
        return text
    return None


def local_word(w) -> bool:
    """Does a positional installer argument name something on the local filesystem?"""
    v = w.value
    if w.has_expansion or v.startswith((".", "/", "~")) or ("/" in v and "://" not in v) or v.startswith("file:"):
        return True
    if re.search(r"\.(whl|tar\.gz|zip|tar\.bz2)$", v) and "://" not in v:
        return True
    return "@" in v and "file:" in v


def check_install(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State, is_install) -> None:
    """Does the install read only the manifests, and leave the COPY's tree alone?

    ``is_install(inv)``: the commands whose manifests the caller has resolved and checked.
    """
    check_mounts(install, st, broad.dest)
    for inv in invs:
        why = command_touches(inv, st, broad.dest, install=is_install(inv))
        if why:
            raise Refuse(f"the RUN at line {install.lineno} also runs '{why}', which may need the application files", install.lineno)
    from .installers.config import command_env

    for n, inv in enumerate(invs):
        if inv.tool == "pip":
            try:
                get = command_env(facts, install, invs, n)
            except Refuse as r:
                raise Refuse(r.reason, install.lineno) from None
            check_user_install(facts, broad, install, inv, get)


def user_base(facts, inst: Instruction, get=None) -> str | None:
    """Where ``pip install --user`` writes for this RUN (PYTHONUSERBASE, else ~/.local); None: unknown."""
    from .users import env, who

    if get is None:
        from .installers.config import command_env

        invs = facts.invocations(inst) or []
        get = command_env(facts, inst, invs, len(invs) - 1) if invs else (lambda name: env(facts, inst, name))
    base = get("PYTHONUSERBASE")
    if base is not None:
        return base if isinstance(base, str) and base.startswith("/") else None
    home = get("HOME")
    if home is None:
        account = who(facts, inst)
        home = account.home if not isinstance(account, str) else None
    if not isinstance(home, str) or not home.startswith("/"):
        return None
    return posixpath.join(home, ".local")


def check_move_down(facts, broad: BroadCopy, k: int) -> None:
    """May the broad COPY move down to just before instruction ``k``, meaning the same there?"""
    for j in range(broad.index + 1, k):
        check_between(facts, broad, facts.df.instructions[j], facts.states[j])
    check_same_meaning(facts, broad, facts.states[k])
    check_accounts(facts, broad, k)
    check_environments(facts, broad)


ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


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
    from .context_scan import files_named

    for path in files_named(facts.ctx, ("pyvenv.cfg", "conda-meta")):
        if broad.source_dir == "." or relative(path, broad.source_dir) is not None:
            env = posixpath.dirname(path) or "."
            raise Refuse(
                f"the build context holds the environment {env}/ ({posixpath.basename(path)}), which the COPY at line "
                f"{broad.inst.lineno} puts into the image; the install may run from it or write into it",
                broad.inst.lineno,
            )


def config_manifests(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], n: int, starts: list[str]) -> list[tuple[str, str]]:
    """The configuration files that command n of the install RUN may read and the broad COPY
    puts into the image: (context path, image path), to copy with the manifests (or Refuse)."""
    from .installers.config import command_env, config_copies

    try:
        get = command_env(facts, install, invs, n)
        found = config_copies(facts, broad, install, invs[n], get, starts)
        check_user_install(facts, broad, install, invs[n], get)
        check_cache_in_tree(facts, broad, install, invs[n], get)
    except Refuse as r:
        raise Refuse(r.reason, r.lineno or install.lineno) from None
    return found


def check_cache_in_tree(facts, broad: BroadCopy, install: Instruction, inv: Invocation, get) -> None:
    """The install writes its download cache (``installers.CACHES``) into the home: where that
    folder is inside the copied tree, the context must have nothing there (moved below the
    install, the COPY would lay the context's files over the cache instead of under it)."""
    from .context_scan import files_named
    from .installers import CACHES, USES
    from .installers.config import _home

    subs, keys = USES.get(inv.tool, (frozenset(), ()))
    if inv.sub not in subs:
        return
    home = _home(facts, install, get)
    for key in keys:
        cache = CACHES[key]
        value = get(cache.dir_env)
        if value is not None:
            folder = value if isinstance(value, str) and value.startswith("/") else None
        elif cache.xdg_name is None:
            continue  # conda's package cache lives in its root prefix, outside the home
        else:
            xdg = get("XDG_CACHE_HOME")
            if isinstance(xdg, str) and xdg.startswith("/"):
                folder = posixpath.join(xdg, cache.xdg_name)
            elif xdg is None and home:
                folder = posixpath.join(home, ".cache", cache.xdg_name)
            else:
                folder = None
        if folder is None:
            tree = [p for p in files_named(facts.ctx, (".cache",)) if broad.source_dir == "." or relative(p, broad.source_dir)]
            if tree:
                raise Refuse(f"{inv.tool} writes its cache where dockfix cannot tell, and the copied tree has {tree[0]}/", install.lineno)
            continue
        if not touches(folder, broad.dest):
            continue
        rel = relative(folder, broad.dest)
        if rel is not None:
            candidates = [rel]
        else:  # the destination is not known: any context path that ends the folder's path may be it
            parts = folder.strip("/").split("/")
            candidates = ["/".join(parts[i:]) for i in range(len(parts)) if "$" not in "/".join(parts[i:]) and "@" not in parts[i]]
        for cand in candidates:
            ctx_path = posixpath.normpath(posixpath.join(broad.source_dir, cand))
            if facts.ctx.exists(ctx_path) and not facts.ctx.is_ignored(ctx_path):
                raise Refuse(f"{inv.tool} writes its cache into {shown(folder)}, which may be {ctx_path} of the copied tree", install.lineno)


def check_user_install(facts, broad: BroadCopy, install: Instruction, inv: Invocation, get) -> None:
    """pip installs into the user's site (``--user``, PIP_USER): that folder must not be in the copied tree."""
    if inv.tool != "pip":
        return
    user = any(name == "--user" for name, _, _ in inv.options) or (get("PIP_USER") is not None and str(get("PIP_USER")).lower() not in ("0", "false", "no", "off"))
    if not user:
        return
    base = user_base(facts, install, get)
    if base is None or touches(base, broad.dest):
        where = f"into {shown(base)}, which" if base else "where it"
        raise Refuse(f"pip install --user writes {where} may overlap the copied tree (line {install.lineno})", install.lineno)


def check_same_meaning(facts, broad: BroadCopy, st_after: State) -> None:
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
