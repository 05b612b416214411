"""DF002's soundness checks: what a cache mount would hide from the image, and what removing a
command that empties a cache would leave in it.

- ``setting_refusal``: settings that make an installer keep run-time files in its cache folder or
  move the cache (``profile.Cache.link_env``/``link_options``/``config_keys``), read from the
  environment, from ``<tool> config`` commands of the stage chain and from the installer's
  configuration files that the build context can bring into the image (``config_files``).
- ``lower_layers_refusal``: a removed ``rm``/purge/clean also deleted what earlier layers left in
  that folder; it may go only when nothing below the RUN can have left files there.
- ``home_mkdir``: where a non-root user's cache mount needs its folder made by that user first.
"""

from __future__ import annotations

import fnmatch
import posixpath

from ..build.state import copy_parts, join, under
from ..installers import CACHES, USES
from ..dockerfile.model import Instruction
from .reorder.base import ACCOUNT_COMMANDS, HARMLESS, PATH_COMMANDS, SYSTEM_TOOLS
from .reorder.steps import paths_touch
from ..build.users import UNKNOWN, Account, chain, env, known_image, who

GLOB = set("*?[")


def _touches(a: str, b: str) -> bool:
    return under(a, b) or under(b, a)


# --- settings that change what the cache holds -------------------------------------------------------


def setting_refusal(facts, inst: Instruction, invs, keys) -> str | None:
    for key in sorted(keys):
        cache = CACHES[key]
        for name, safe in cache.link_env:
            value = env(facts, inst, name)
            if value is None:
                continue
            if value is UNKNOWN or value not in safe:
                shown = "a value not known here" if value is UNKNOWN else value
                return f"{name} is set to {shown}, which may keep files the image needs in the cache folder a mount would hide"
        for inv in invs:
            if inv.tool not in cache.tools:
                continue
            for option, safe in cache.link_options:
                for value in inv.option_values(option):
                    if value not in safe:
                        return f"{inv.program} is given {option} {value}: the environment would point into the cache a mount hides"
        for inv in invs:
            program = inv.command.words[0].value.rpartition("/")[2] if inv.command.words else ""
            keeps = program in cache.env_programs or any(
                inv.tool in cache.tools and inv.sub == sub and (not options or any(n in options for n, _, _ in inv.options))
                for sub, options in cache.envs_in_cache
            )
            if keeps:
                text = " ".join(w.raw for w in inv.command.words)
                return f"'{text}' keeps its environment in the cache folder, which a mount would hide from the image"
        why = _config_commands(facts, inst, cache) or _config_files(facts, inst, cache)
        if why:
            return why
    return None


def _config_commands(facts, inst: Instruction, cache) -> str | None:
    """``poetry config virtualenvs.path ...`` and the like, in the stage chain or this RUN."""
    if not cache.config_sub:
        return None
    df = facts.df
    for k in chain(df, facts.index(inst)) + [facts.index(inst)]:
        run = df.instructions[k]
        if run.keyword != "RUN":
            continue
        runs = facts.invocations(run)
        if runs is None:
            if any(t in run.args for t in cache.tools) and cache.config_sub in run.args:
                return f"the RUN at line {run.lineno} may configure {cache.key} and cannot be read reliably"
            continue
        for inv in runs:
            if inv.tool in cache.tools and inv.sub == cache.config_sub:
                words = [w.value.lstrip("-") for w in inv.command.words]
                # ``poetry config cache-dir`` alone reads the value; with a value or --unset it sets it.
                sets = [w for k, w in enumerate(words) if k + 1 < len(words) or "unset" in words]
                hit = next((key for key in cache.config_keys if key in sets or key.replace("_", "-") in sets), None)
                if hit:
                    return f"the RUN at line {run.lineno} sets {cache.key}'s {hit}, which may move the cache or keep run-time files in it"
    return None


def _config_files(facts, inst: Instruction, cache) -> str | None:
    if not cache.config_files:
        return None
    found = context_files(facts, inst, cache.config_files)
    if isinstance(found, str):
        return found
    for path in found:
        data = facts.ctx.toml(path)[0]
        if data is None:
            return f"{path} in the build context cannot be read as TOML; it may configure {cache.key}'s cache"
        if posixpath.basename(path) == "pyproject.toml":
            data = data.get("tool", {}).get(cache.key, {})
            if not isinstance(data, dict):
                continue
        for key in cache.config_keys:
            node = data
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                return f"{path} in the build context sets {key}, which may move the cache or keep run-time files in it"
    return None


def context_files(facts, inst: Instruction, names: tuple[str, ...]) -> list[str] | str:
    """The build context's files named ``names`` that a COPY/ADD of the stage chain may have put in
    the install's working directory or one of its parents; a string when a source is not known."""
    df = facts.df
    ctx = facts.ctx
    workdir = facts.state(inst).workdir
    out: list[str] = []
    for k in chain(df, facts.index(inst)):
        c = df.instructions[k]
        if c.keyword not in ("COPY", "ADD") or c.flag("--from"):
            continue
        parts = copy_parts(c)
        if parts is None:
            continue
        st = facts.states[k]
        dest, _ = st.expand(parts[1])
        dest = join(st.workdir, dest)
        below = posixpath.relpath(workdir, dest) if under(workdir, dest) and "@" not in dest else ""
        levels = [""]
        for part in below.split("/") if below and below != "." else ():
            levels.append(posixpath.join(levels[-1], part))
        for src in parts[0]:
            value, literal = st.expand(src)
            if "://" in value:
                continue
            if not literal:
                return f"the {c.keyword} at line {c.lineno} has a source with a variable; it may bring {' or '.join(names)}"
            if GLOB & set(value):
                out += [posixpath.join(posixpath.dirname(value), n) for n in names if fnmatch.fnmatchcase(n, posixpath.basename(value))]
                continue
            norm = ctx.normalize(value)
            if norm is None:
                continue
            if ctx.is_file(norm) and posixpath.basename(norm) in names:
                out.append(norm)
            elif ctx.is_dir(norm):
                out += [posixpath.normpath(posixpath.join(norm, lvl, n)) for lvl in levels for n in names]
    return [p for p in dict.fromkeys(out) if ctx.is_file(p)]


# --- what lower layers left in a folder a removed command empties -----------------------------------


def lower_layers_refusal(facts, inst: Instruction, folder: str, what: str, cache_dir) -> str | None:
    """Why removing ``what`` (which empties ``folder``) could leave files of earlier layers in the
    image; None when nothing below the RUN can have left files in ``folder``."""
    df = facts.df
    because = f"removing {what} would keep what the instruction at line {{}} may have left in {folder}"
    for k in chain(df, facts.index(inst)):
        prior = df.instructions[k]
        st = facts.states[k]
        if prior.keyword in ("COPY", "ADD"):
            parts = copy_parts(prior)
            if parts is None:
                return because.format(prior.lineno)
            dest, _ = st.expand(parts[1])
            dest = join(st.workdir, dest)
            if "${" in dest:
                return because.format(prior.lineno)
            if "@" in dest:
                # Relative to the base image's WORKDIR (a known image's is never inside a cache
                # folder): only a directory tree copied there could reach the folder.
                if _may_hold_tree(facts, prior, parts[0], st):
                    return because.format(prior.lineno)
                continue
            if under(dest, folder) or (under(folder, dest) and _may_bring(facts, prior, parts[0], st, posixpath.relpath(folder, dest))):
                return because.format(prior.lineno)
        elif prior.keyword == "RUN":
            if _run_may_write(facts, prior, folder, cache_dir):
                return because.format(prior.lineno)
    return None


def _may_hold_tree(facts, copy: Instruction, sources: list[str], st) -> bool:
    if copy.flag("--from") or copy.keyword == "ADD":
        return True
    for src in sources:
        value, literal = st.expand(src)
        if not literal or GLOB & set(value) or not facts.ctx.is_file(facts.ctx.normalize(value) or ""):
            return True
    return False


def _may_bring(facts, copy: Instruction, sources: list[str], st, rel: str) -> bool:
    """May a COPY into an ancestor of a folder bring files into it (``rel``: the folder below the destination)?"""
    if copy.flag("--from") or copy.keyword == "ADD":
        return True
    for src in sources:
        value, literal = st.expand(src)
        if not literal or GLOB & set(value):
            return True
        norm = facts.ctx.normalize(value)
        if norm is None:
            continue
        if facts.ctx.is_dir(norm):
            if facts.ctx.exists(posixpath.join(norm, rel)):
                return True
        elif posixpath.basename(norm) == rel.split("/", 1)[0]:
            return True
    return False


def same_run_refusal(facts, inst: Instruction, folder: str, what: str, cache_dir, mounted: list[str], removed) -> str | None:
    """Why removing ``what`` would keep files that other commands of the same RUN write into
    ``folder`` (``mounted``: the folders the rewrite mounts; ``removed``: the commands it removes)."""
    if _run_may_write(facts, inst, folder, cache_dir, mounted, removed):
        return f"removing {what} would keep what other commands of the RUN may write into {folder}"
    return None


def _run_may_write(facts, run: Instruction, folder: str, cache_dir, extra_mounts=(), skip=(), homes_made=False) -> bool:
    """May ``run`` leave files in ``folder``? ``homes_made``: account commands count only when the
    home they make is inside the folder (making /home/app makes no /home/app/.cache)."""
    invs = facts.invocations(run)
    if invs is None:
        return True
    st = facts.states[facts.index(run)]
    mounted = _mount_targets(run) + list(extra_mounts)
    account = None
    for inv in invs:
        if inv in skip:
            continue
        cmd = inv.command
        if cmd.compound:
            return True
        for r in cmd.redirects:
            target = r.split()[-1] if r.split() else ""
            if not target.startswith(("&", "/dev/")) and (not target.startswith("/") or _touches(target, folder)):
                return True
        if not cmd.words:
            continue
        if inv.tool in USES:
            if inv.sub == "config":
                continue  # writes the tool's configuration, not its cache
            # Any other subcommand may use the cache (pip's self-check writes there too).
            if account is None:
                account = who(facts, run)
            if isinstance(account, str):
                return True
            for key in USES[inv.tool][1]:
                cache = CACHES[key]
                if cache.off_env and env(facts, run, cache.off_env) is not None:
                    continue  # the earlier RUN had the cache disabled
                if any(name in cache.off_options for name, _, _ in inv.options):
                    continue
                target, why = cache_dir(facts, run, key, invs, account)
                if why:
                    return True
                if any(under(target, m) for m in mounted):
                    continue
                if _touches(target, folder):
                    return True
            continue
        if inv.tool in SYSTEM_TOOLS or inv.tool == "cd":
            continue
        name = posixpath.basename(cmd.words[0].value)
        if name in ACCOUNT_COMMANDS:
            home = [w.value for w in cmd.words if w.value.startswith("/")]
            if any(under(h, folder) if homes_made else _touches(h, folder) for h in home):
                return True
            continue
        if name in PATH_COMMANDS or inv.tool == "rm":
            words = [w for w in cmd.words[1:] if not w.value.startswith("-")]
            if name in ("chown", "chmod") and words:
                words = words[1:]
            if paths_touch(words, st, folder):
                return True
            continue
        if name in HARMLESS:
            continue
        return True
    return False


def _mount_targets(inst: Instruction) -> list[str]:
    from .mounts import cache_mount_targets

    return [posixpath.normpath(t) for t in cache_mount_targets(inst) if t.startswith("/")]


# --- a non-root user's cache mount ------------------------------------------------------------------


def home_mkdir(facts, inst: Instruction, account: Account, targets: list[str], cache_dir) -> list[str] | str:
    """The folders to make as the user before the RUN, so that BuildKit creates no root-owned
    folders for the mounts (it makes a mount's missing parents as root, and Docker 20.10's BuildKit
    leaves them in the image); a string says why that cannot be done."""
    home = account.home
    value = env(facts, inst, "HOME")
    if value is not None and value != home:
        return f"HOME is set to {'a value not known here' if value is UNKNOWN else value}, not the home of the user"
    owned = [home] if home and account.home_made else []
    image = known_image(facts.state(inst).base, facts.settings.root_images)
    if image is not None and image.user == account:
        owned += image.owned
    if not owned:
        return "the user's home is not known to exist and belong to the user"
    outside = [t for t in targets if not any(under(t, d) and t != d for d in owned)]
    if outside:
        return f"the cache folder {outside[0]} is not inside a folder known to belong to the user, so who may create its parent folders is not known"
    # The folders mkdir creates must not exist already as another user's: an earlier instruction
    # run as someone else (or a COPY) that may have written there would make the mkdir fail.
    for t in targets:
        base = next(d for d in owned if under(t, d) and t != d)
        top = posixpath.join(base, posixpath.relpath(t, base).split("/", 1)[0])
        why = _foreign_writes(facts, inst, account, top, cache_dir)
        if why:
            return why
    made = _already_made(facts, inst, account)
    return [t for t in targets if t not in made]


def _foreign_writes(facts, inst: Instruction, account: Account, folder: str, cache_dir) -> str | None:
    df = facts.df
    for k in chain(df, facts.index(inst)):
        prior = df.instructions[k]
        st = facts.states[k]
        if prior.keyword in ("COPY", "ADD"):
            parts = copy_parts(prior)
            dest = join(st.workdir, st.expand(parts[1])[0]) if parts else None
            if dest is None or "@" in dest or "${" in dest or under(dest, folder) or (
                under(folder, dest) and _may_bring(facts, prior, parts[0], st, posixpath.relpath(folder, dest))
            ):
                return f"the {prior.keyword} at line {prior.lineno} may have made {folder} for another user, so the user may not be able to make the cache folder"
        elif prior.keyword == "RUN" and who(facts, prior) != account:
            if _run_may_write(facts, prior, folder, cache_dir, homes_made=True):
                return f"the RUN at line {prior.lineno} runs as another user and may have made {folder}, so the user may not be able to make the cache folder"
    return None


def _already_made(facts, inst: Instruction, account: Account) -> set[str]:
    """Folders that an earlier ``RUN mkdir -p ...`` of the same user made (a fix of an earlier pass)."""
    df = facts.df
    out: set[str] = set()
    for k in chain(df, facts.index(inst)):
        run = df.instructions[k]
        if run.keyword != "RUN" or run.flags:
            continue
        words = run.args.split()
        if words[:2] == ["mkdir", "-p"] and len(words) > 2 and all(w.startswith("/") for w in words[2:]):
            if who(facts, run) == account:
                out.update(posixpath.normpath(w) for w in words[2:])
    return out
