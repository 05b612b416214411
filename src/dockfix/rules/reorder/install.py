"""The install itself: what it reads (configuration files, variables) and writes (the user's
site, its download cache) must not tie it to the files of the moved tree."""

from __future__ import annotations

import posixpath

from ...build.state import BASE_WORKDIR, State, relative, shown
from ...dockerfile.model import Instruction
from ...shell.nodes import Invocation
from .base import CARRIED_FLAGS, FHS_DIRS, BroadCopy, Refuse, touches
from .steps import check_mounts, command_touches, home_files_in_tree


def preflight(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State) -> None:
    """What must hold before anything moves: readable instructions, a COPY dockfix can carry,
    a build context, no clash with the image's root, no installer reading files named by ENV."""
    from ...installers import READS, reads_from_env

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
    from ...installers.config import command_env

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


def check_install(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State, is_install,
                  dest_exists: bool = False) -> None:
    """Does the install read only the manifests, and leave the COPY's tree alone?

    ``is_install(inv)``: the commands whose manifests the caller has resolved and checked.
    ``dest_exists``: the caller puts files into the destination before the install (the manifest
    COPYs), so the folder exists when the RUN runs.
    """
    check_mounts(install, st, broad.dest)
    others = _others_meet(facts, broad, install, invs, st, is_install, dest_exists)
    for inv in invs:
        why = command_touches(inv, st, broad.dest, install=True) if is_install(inv) else others.get(id(inv))
        if why:
            raise Refuse(f"the RUN at line {install.lineno} also runs '{why}', which may need the application files", install.lineno)
    from ...installers.config import command_env

    for n, inv in enumerate(invs):
        if inv.tool == "pip":
            try:
                get = command_env(facts, install, invs, n)
            except Refuse as r:
                raise Refuse(r.reason, install.lineno) from None
            check_user_install(facts, broad, install, inv, get)


def _others_meet(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], st: State, is_install,
                 dest_exists: bool) -> dict:
    """For each command of the install RUN other than the installs: why it does not commute with
    the broad COPY (now run before it), judged by its effect as a step between is
    (``steps.step_meets_copy``'s reasoning): the text of each command that does not commute."""
    from .commute import context_copied, meets_copy
    from ...shell.effects import run_effects
    from .steps import dest_exists_before, run_home

    copied, names = context_copied(facts.ctx, broad.source_dir)
    exists = dest_exists or dest_exists_before(facts, broad, facts.index(install))
    out = {}
    script = facts.script(install)
    for inv, effect in run_effects(invs, st, run_home(facts, install), script[0] if script else None):
        if is_install(inv):
            continue
        text = " ".join(w.raw for w in inv.command.words) or " ".join(inv.command.redirects)
        if effect is not None and effect.configs:
            home_files_in_tree(facts, broad, install, effect)
        if effect is None or meets_copy(effect, broad.dest, copied, exists, names, configs_checked=True):
            out[id(inv)] = text
    return out


def config_manifests(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], n: int, starts: list[str]) -> list[tuple[str, str]]:
    """The configuration files that command n of the install RUN may read and the broad COPY
    puts into the image: (context path, image path), to copy with the manifests (or Refuse)."""
    from ...installers.config import command_env, config_copies

    try:
        get = command_env(facts, install, invs, n)
        found = config_copies(facts, broad, install, invs[n], get, starts)
        check_user_install(facts, broad, install, invs[n], get)
        check_user_site(facts, broad, install, invs[n], get)
        check_cache_in_tree(facts, broad, install, invs[n], get)
    except Refuse as r:
        raise Refuse(r.reason, r.lineno or install.lineno) from None
    return found


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


def check_user_site(facts, broad: BroadCopy, install: Instruction, inv: Invocation, get) -> None:
    """pip sees what the user's site (``$PYTHONUSERBASE``, else ``~/.local``) holds as installed
    and skips it: moved below the install, a site the copied tree brings would no longer be
    there, so the install would install what the original skipped. The tree must not bring it."""
    from ...build.context_scan import files_named

    if inv.tool != "pip" or get("PYTHONNOUSERSITE") not in (None, ""):
        return
    base = user_base(facts, install, get)
    if base is not None and not touches(base, broad.dest):
        return
    rel = relative(base, broad.dest) if base is not None else None
    if rel is not None:
        ctx_path = posixpath.normpath(posixpath.join(broad.source_dir, rel))
        found = [ctx_path] if facts.ctx.exists(ctx_path) and not facts.ctx.is_ignored(ctx_path) else []
    else:  # where the site is, is not known: any .local of the tree may be it
        found = [p for p in files_named(facts.ctx, (".local",)) if broad.source_dir == "." or relative(p, broad.source_dir) is not None]
    if found:
        raise Refuse(f"pip reads the user's site {shown(base) if base else '~/.local'} as installed packages, which may be {found[0]} of the copied tree", install.lineno)


def user_base(facts, inst: Instruction, get=None) -> str | None:
    """Where ``pip install --user`` writes for this RUN (PYTHONUSERBASE, else ~/.local); None: unknown."""
    from ...installers.config import home_dir
    from ...build.users import env

    if get is None:
        from ...installers.config import command_env

        invs = facts.invocations(inst) or []
        get = command_env(facts, inst, invs, len(invs) - 1) if invs else (lambda name: env(facts, inst, name))
    base = get("PYTHONUSERBASE")
    if base is not None:
        return base if isinstance(base, str) and base.startswith("/") else None
    home = home_dir(facts, inst, get)
    return None if home is None else posixpath.join(home, ".local")


def check_cache_in_tree(facts, broad: BroadCopy, install: Instruction, inv: Invocation, get) -> None:
    """The install writes its download cache (``installers.CACHES``) into the home: where that
    folder is inside the copied tree, the context must have nothing there (moved below the
    install, the COPY would lay the context's files over the cache instead of under it)."""
    from ...build.context_scan import files_named
    from ...installers import CACHES, USES
    from ...installers.config import home_dir

    subs, keys = USES.get(inv.tool, (frozenset(), ()))
    if inv.sub not in subs:
        return
    home = home_dir(facts, install, get)
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
