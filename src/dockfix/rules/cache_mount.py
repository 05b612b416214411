"""DF002 cache-mount: give each RUN that installs Python packages a BuildKit cache mount of its cache.

Targets per tool (each project's documented default, moved by its variables when the Dockerfile sets
them to a known value): pip ``~/.cache/pip`` (``PIP_CACHE_DIR``), uv ``~/.cache/uv`` (``UV_CACHE_DIR``),
poetry ``~/.cache/pypoetry/{cache,artifacts}`` (``POETRY_CACHE_DIR``; only the download caches of the
folder, ``profile.Cache.mount``, unless the RUN deletes the whole folder), pipenv ``~/.cache/pipenv`` (``PIPENV_CACHE_DIR``)
and pip's, pdm ``~/.cache/pdm`` (``PDM_CACHE_DIR``), conda/mamba/micromamba ``<root prefix>/pkgs``
(``CONDA_PKGS_DIRS``, ``MAMBA_ROOT_PREFIX``); ``~/.cache`` is ``$XDG_CACHE_HOME`` when set, ``~`` is
``$HOME`` or the home of the user that runs the RUN (``dockfix.build.users``), whose uid/gid go on the mount;
a non-root user makes the folder first (``cache_checks.home_mkdir``). Only on base images dockfix knows.
Settings that would keep run-time files in the cache (uv symlink mode, pdm's install cache, poetry's
virtualenvs.path) refuse, and so does a removal whose folder lower layers may have filled
(``cache_checks``).

In the same RUN, what would defeat the mount goes: ``--no-cache-dir``, ``uv --no-cache``, ``poetry
--no-cache``, ``pip cache purge``, ``uv cache clean``, ``poetry``/``pdm cache clear``, ``conda clean`` of
the package cache, ``rm -rf`` of the cache. ``ENV PIP_NO_CACHE_DIR``/``UV_NO_CACHE`` can only go as an
unsafe fix (the image's environment changes), together with the mounts of every RUN it affected. A
uv command that installs gets ``--link-mode=copy`` unless UV_LINK_MODE is set (an ENV, as in uv's
Docker guide, would stay in the image's environment).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ..build.state import _VAR, env_pairs, under
from ..dockerfile.edits import comment_block_start, delete_expect, lines_text, remove_instruction, rewrite_instruction, word_span
from ..installers import CACHES, USES
from ..dockerfile.model import Applicability, Edit, Expect, Fix, Instruction, Skip
from ..shell.nodes import Invocation
from ..shell.script import split_commands
from ..build.users import UNKNOWN, Account, chain, describe, env, known_image, who
from .cache_checks import home_mkdir, lower_layers_refusal, same_run_refusal, setting_refusal
from .mounts import (
    Removals,
    expand_home,
    add_mounts_edit,
    existing_targets,
    frontend_refusal,
    mount_flag,
    planned_runs,
    shell_refusal,
    syntax_edit,
)

CODE = "DF002"
NAME = "cache-mount"
SUMMARY = "add a BuildKit cache mount for the package cache of pip, uv, poetry, pipenv, pdm and conda, and drop what defeats it"
# Each fix rewrites only its own RUN, planned from that RUN, the state before it (variables, user,
# SHELL) and the parser directives, none of which another RUN's mounts change.
INDEPENDENT_FIXES = True

LINK_MODE = "--link-mode=copy"
LINK_MODE_SUBCOMMANDS = ("sync", "add", "run", "pip install", "pip sync", "tool install")
MOVERS = ("XDG_CACHE_HOME", "HOME", "MAMBA_ROOT_PREFIX")
# ``conda clean`` options that touch only the package cache (index cache, locks, packages, tarballs,
# logs: all under <root>/pkgs), so that with the cache mounted the command no longer changes the image.
CONDA_CLEAN_PKGS = frozenset(
    {"--all", "--index-cache", "--packages", "--tarballs", "--force-pkgs-dirs", "--logfiles", "--locks",
     "--yes", "--quiet", "--verbose", "--json"}
)
UNREADABLE_INSTALL = re.compile(
    r"\b(pip3?|uv|poetry|pipenv|pdm|conda|mamba|micromamba)\b[^\n]*\b(install|sync|add|create|update|download|wheel)\b"
)


# --- the plan for one RUN ---------------------------------------------------------------------------


@dataclass
class Plan:
    """What DF002 would do to one RUN."""

    caches: frozenset[str]  # the caches the RUN uses
    skip: str | None = None
    disabled_by: tuple[str, int] | None = None  # (variable, index of the ENV setting it)
    mounts: list[str] = field(default_factory=list)
    removals: Removals | None = None
    link_mode: tuple[int, ...] = ()  # logical offsets after which uv gets --link-mode=copy
    mkdirs: list[str] = field(default_factory=list)  # folders a non-root user makes before the RUN

    @property
    def changes(self) -> bool:
        return bool(self.mounts or (self.removals and self.removals.spans))


def _var_kind(facts, inst: Instruction, name: str) -> str:
    var = facts.state(inst).vars.get(name)
    return "the base image's ENV" if var is None else ("ARG" if var.is_arg else "ENV")


def _literal_dir(facts, inst: Instruction, name: str, value) -> tuple[str | None, str | None]:
    kind = _var_kind(facts, inst, name)
    if value is UNKNOWN:
        return None, f"{kind} {name} is set to a value not known here, so the cache's place is not known"
    if not value.startswith("/") or ":" in value:
        return None, f"{kind} {name}={value} is not one absolute path, so the cache's place is not known"
    return posixpath.normpath(value), None


def _conda_dir(facts, inst: Instruction, invs: list[Invocation], account: Account) -> tuple[str | None, str | None]:
    state = facts.state(inst)
    image = known_image(state.base, facts.settings.root_images)
    pkgs = env(facts, inst, "CONDA_PKGS_DIRS")
    if pkgs is not None:
        return _literal_dir(facts, inst, "CONDA_PKGS_DIRS", pkgs)
    targets = set()
    for inv in invs:
        if inv.tool != "conda" or inv.sub not in USES["conda"][0]:
            continue
        if inv.option_values("--root-prefix"):
            return None, f"{inv.program} is given --root-prefix: its package cache is elsewhere"
        root = image.conda_root if image else None
        installed = re.fullmatch(r"(/\S+)/bin/(conda|mamba)", inv.program)
        if installed:  # /opt/conda/bin/conda: the base installation's own conda lives in <root>/bin
            root = installed.group(1)
        elif inv.program.rpartition("/")[2] == "micromamba":
            prefix = env(facts, inst, "MAMBA_ROOT_PREFIX")
            if prefix is not None:
                root, why = _literal_dir(facts, inst, "MAMBA_ROOT_PREFIX", prefix)
                if why:
                    return None, why
        if root is None:
            return None, f"the root prefix of {inv.program} (its package cache is <root prefix>/pkgs) is not known for this base image"
        targets.add(posixpath.join(root, "pkgs"))
    if len(targets) != 1:
        return None, "the RUN's conda commands use different package caches"
    if account.uid != 0 and not (image and account.uid is not None and account.uid == image.user.uid):
        return None, f"conda runs as the non-root user {describe(account)}: whether it can write the root prefix's package cache is not known"
    return targets.pop(), None


def cache_dir(facts, inst: Instruction, key: str, invs: list[Invocation], account: Account) -> tuple[str | None, str | None]:
    """Where cache ``key`` is for this RUN: (path, None) or (None, why it is not known)."""
    cache = CACHES[key]
    if cache.xdg_name is None:
        return _conda_dir(facts, inst, invs, account)
    value = env(facts, inst, cache.dir_env)
    if value is not None:
        return _literal_dir(facts, inst, cache.dir_env, value)
    xdg = env(facts, inst, "XDG_CACHE_HOME")
    if xdg is not None:
        base, why = _literal_dir(facts, inst, "XDG_CACHE_HOME", xdg)
        return (posixpath.join(base, cache.xdg_name), None) if base else (None, why)
    home = env(facts, inst, "HOME")
    if home is None:
        if account.home is None:
            return None, f"the home directory of the user {describe(account)} is not known"
        home = account.home
    else:
        home, why = _literal_dir(facts, inst, "HOME", home)
        if why:
            return None, why
    return posixpath.join(home, ".cache", cache.xdg_name), None


def covers(mount_target: str, target: str, key: str) -> bool:
    """Does an existing cache mount at ``mount_target`` hold the cache at ``target``?"""
    t = posixpath.normpath(mount_target) if mount_target else ""
    if t.count("/") < 2:  # "", "/", "/root", "/opt": not a cache folder
        return False
    name = CACHES[key].xdg_name
    return under(target, t) or (name is not None and f".cache/{name}" in t) or (name is None and t.endswith("/pkgs"))


def _disabler(facts, inst: Instruction, name: str) -> tuple[int | None, str]:
    """The ENV instruction that alone sets ``name`` for this RUN, or why there is none."""
    df = facts.df
    setters = [
        k for k in chain(df, facts.index(inst))
        if df.instructions[k].keyword in ("ENV", "ARG") and re.search(rf"(^|\s){name}(=|\s|$)", df.instructions[k].args)
    ]
    kind = _var_kind(facts, inst, name)
    if len(setters) == 1 and kind == "ENV":
        return setters[0], ""
    return None, f"{kind} {name} disables the cache and is not set by one ENV of this file"


def plan(facts, inst: Instruction, allow_off: frozenset[str] = frozenset()) -> Plan | None:
    """What DF002 would do to one RUN (None: it installs nothing with the tools it knows)."""
    script = facts.script(inst)
    invs = facts.invocations(inst)
    if script is None or invs is None:
        if UNREADABLE_INSTALL.search(inst.args):
            why = "exec form" if inst.json_form else "commands that cannot be read reliably"
            return Plan(frozenset(CACHES), f"an install in a RUN with {why}: no cache mount added")
        return None
    users = [i for i in invs if i.tool in USES and i.sub in USES[i.tool][0]]
    if not users:
        return None
    keys = frozenset(k for i in users for k in USES[i.tool][1])
    tools = ", ".join(dict.fromkeys(i.tool.replace("uv-pip", "uv") for i in users))

    def refuse(why: str) -> Plan:
        return Plan(keys, f"{why}; no cache mount added")

    why = frontend_refusal(facts.df) or facts.builder_refusal[0]
    if why:
        return Plan(keys, why)
    state = facts.state(inst)
    why = shell_refusal(state)
    if why:
        return refuse(why)
    if known_image(state.base, facts.settings.root_images) is None:
        if state.is_root() is None:
            return refuse("the base image is a variable, so who runs the RUN and where its cache is are not known")
        return refuse(
            f"the base image {state.base} is not one dockfix knows: it may set USER, HOME or the cache's "
            "variables, so who runs the RUN and where its cache is are not known"
        )
    watched = (
        {CACHES[k].dir_env for k in keys} | {CACHES[k].off_env for k in keys if CACHES[k].off_env} | set(MOVERS)
        | {name for k in keys for name, _ in CACHES[k].link_env}
    )
    for inv in invs:
        for w in inv.command.assignments:
            if w.value.split("=", 1)[0] in watched:
                return refuse(f"the RUN sets {w.value.split('=', 1)[0]}, which moves the cache, disables it or changes what it holds")
        if inv.tool == "other" and inv.command.words and inv.command.words[0].value in ("export", "source", "."):
            return refuse(f"the RUN changes its environment (export/source) before {tools} runs")
        if inv.tool in ("pip", "uv", "uv-pip") and inv.option_values("--cache-dir"):
            return refuse(f"{inv.program} is given --cache-dir: its cache is elsewhere")
    for key in sorted(keys):
        off = CACHES[key].off_env
        if off and off not in allow_off and env(facts, inst, off) is not None:
            env_idx, why = _disabler(facts, inst, off)
            return Plan(keys, disabled_by=(off, env_idx)) if env_idx is not None else refuse(why)
    account = who(facts, inst)
    if isinstance(account, str):
        return refuse(account)
    why = setting_refusal(facts, inst, invs, keys)
    if why:
        return refuse(why)
    text, offset, editable = script
    removals = Removals(inst, facts.df.lines, facts.df.escape, text, offset, editable)
    existing = existing_targets(facts, inst)
    if existing is None:
        return refuse("a cache mount of the RUN has a target with a variable not known here")
    homes = {account.home} if account.home else set()
    deleted = [p for inv in invs if inv.tool == "rm" for p in (_abs(w.value, homes, state) for w in inv.args) if p]
    mounts: list[str] = []
    targets: dict[str, str] = {}  # cache key -> its folder
    mounted: list[str] = []  # the folders mounted
    for key in sorted(keys):
        target, why = cache_dir(facts, inst, key, invs, account)
        if why:
            return refuse(why)
        targets[key] = target
        # Only the pure download caches of the folder, unless the RUN deletes the whole folder
        # anyway (what the installer keeps there then never reaches the image either).
        subs = CACHES[key].mount
        if any(under(target, p) for p in deleted):
            subs = ("",)
        for sub in subs:
            folder = posixpath.join(target, sub) if sub else target
            mounted.append(folder)
            if any(covers(t, folder, key) for t in existing):
                continue
            if account.uid is None:
                return refuse(
                    f"{tools} runs as the non-root user {describe(account)}, whose uid is not certain "
                    "(a useradd/adduser without a uid gets one that depends on the image)"
                )
            mounts.append(mount_flag(folder, account))
    mkdirs: list[str] = []
    if mounts and account.uid != 0:
        made = home_mkdir(facts, inst, account, [m.split("target=", 1)[1].split(",", 1)[0] for m in mounts], cache_dir)
        if isinstance(made, str):
            return refuse(
                f"{tools} runs as the non-root user {describe(account)} and {made} (BuildKit creates a cache "
                "mount's missing parent folders as root, and some versions leave them in the image)"
            )
        mkdirs = made
    why, emptied = _defeaters(removals, invs, keys, targets, mounted, account, state)
    if why:
        return refuse(why)
    removed = [i for i in invs if i in removals.commands or i.tool == "rm"]
    for folder, what in emptied:
        why = lower_layers_refusal(facts, inst, folder, what, cache_dir) or same_run_refusal(
            facts, inst, folder, what, cache_dir, mounted, removed
        )
        if why:
            return refuse(why)
    link_mode = ()
    if "uv" in keys and any(targets["uv"] in m for m in mounts) and env(facts, inst, "UV_LINK_MODE") is None and editable:
        link_mode = _link_mode_offsets(invs, offset)
    return Plan(keys, mounts=mounts, removals=removals, link_mode=link_mode, mkdirs=mkdirs)


def _abs(value: str, homes: set[str], state=None) -> str | None:
    """An ``rm`` argument as an absolute normalized path (``~``/``$HOME`` resolved, variables an
    ENV of this file sets to a literal expanded), or None."""
    value = expand_home(value, homes)
    if state is not None:
        value = _VAR.sub(lambda m: _env_literal(state, m), value)
    value = re.sub(r"/\*?$", "", value)
    if not value.startswith("/") or any(c in value for c in "$`*?[{"):
        return None
    return posixpath.normpath(value)


def _env_literal(state, m: re.Match) -> str:
    var = state.vars.get(m.group(1) or m.group(4))
    if m.group(2) or var is None or var.is_arg or var.value is None:
        return m.group(0)  # stays a variable: not a path dockfix knows
    return var.value


def _link_mode_offsets(invs: list[Invocation], offset: int) -> tuple[int, ...]:
    """Where ``--link-mode=copy`` goes: after the subcommand of each uv command that installs.

    With the cache on a mount, uv cannot hard-link from it and falls back to copying with a
    warning. uv's Docker guide sets ENV UV_LINK_MODE=copy, but an ENV would stay in the image's
    environment (a different image), so the option goes on each command instead.
    """
    out = []
    for inv in invs:
        sub = f"pip {inv.sub}" if inv.tool == "uv-pip" else inv.sub
        if inv.tool not in ("uv", "uv-pip") or sub not in LINK_MODE_SUBCOMMANDS or inv.option_values("--link-mode"):
            continue
        n = len(inv.program.split()) + len(inv.sub.split())
        words = inv.command.words
        if len(words) >= n and words[n - 1].value == inv.sub.split()[-1]:
            out.append(offset + words[n - 1].end)
    return tuple(out)


def _defeaters(removals: Removals, invs: list[Invocation], keys, targets: dict[str, str], mounted: list[str], account: Account, state):
    """Plan the removal of what defeats the mounts: (why not, or None; [(folder, what)] for each
    removed command that emptied a folder, whose files from lower layers would then stay)."""
    emptied: list[tuple[str, str]] = []
    for key in sorted(keys):
        cache = CACHES[key]
        for inv in invs:
            if inv.tool not in cache.tools:
                continue
            for name, _, word in inv.options:
                if name in cache.off_options:
                    if not (word.value.startswith("--") or len(word.value) == 2):
                        return f"'{word.value}' disables the cache and is grouped with other options", []
                    removals.word(word, word.value)
            if inv.sub in cache.purges:
                removals.command(inv)
                emptied.append((targets[key], removals.what[-1]))
            if inv.tool == "conda" and inv.sub == "clean" and key == "conda":
                names = {n for n, _, _ in inv.options}
                if not names & {"--all", "--packages", "--tarballs", "--force-pkgs-dirs"}:
                    continue
                if not names <= CONDA_CLEAN_PKGS or inv.args:
                    return f"'{removals.script[inv.command.start:inv.command.end]}' also cleans outside the package cache", []
                removals.command(inv)
                emptied.append((targets[key], removals.what[-1]))
    homes = {account.home} if account.home else set()
    dot_caches = {posixpath.join(h, ".cache") for h in homes} | {"/root/.cache"}

    def is_cache(value: str) -> bool:
        path = _abs(value, homes, state)
        if path is None:
            return False
        # Under a mounted folder the rm only empties the cache; ~/.cache or a whole cache folder
        # (then mounted whole) held only what the mounts now keep out of the image.
        hit = path in dot_caches or any(under(path, m) for m in mounted) or path in mounted
        if hit:
            emptied.append((path, f"'rm {value}'"))
        return hit

    why = removals.rm(invs, is_cache, mounted, frozenset(homes)) or removals.refusal(invs)
    return why, emptied


# --- the rule ----------------------------------------------------------------------------------------


def _skip(line: int, reason: str) -> Skip:
    return Skip(CODE, NAME, reason, line)


def _edits(facts, inst: Instruction, p: Plan) -> list[Edit]:
    edits = []
    if p.mkdirs:
        # Made by the RUN's user before the mount, so BuildKit creates no root-owned folder.
        line = "RUN mkdir -p " + " ".join(p.mkdirs)
        at = comment_block_start(facts.df, inst)
        edits.append(Edit(at, at, lines_text(facts.df, at, [line]), (Expect("RUN", (), tuple(line.split()[1:])),)))
    edits.append(add_mounts_edit(facts, inst, p.mounts, p.removals, [(at, " " + LINK_MODE) for at in p.link_mode]))
    return edits


def _message(p: Plan) -> str:
    parts = []
    if p.mkdirs:
        parts.append("make " + ", ".join(p.mkdirs) + " as the RUN's user first")
    if p.mounts:
        parts.append("add a cache mount for " + ", ".join(m.split("target=", 1)[1].split(",", 1)[0] for m in p.mounts))
    if p.link_mode:
        parts.append(f"pass {LINK_MODE} to uv (it cannot hard-link from a cache mount)")
    if p.removals.what:
        parts.append("remove " + ", ".join(p.removals.what) + ", which defeats it")
    return "; ".join(parts)


def check(facts) -> list:
    df = facts.df
    out: list = []
    if facts.builder_refusal[1]:
        return out  # the user's builder setting rules cache mounts out
    add_syntax = facts.settings.add_syntax and df.directive("syntax") is None
    disabled: dict[tuple[str, int], None] = {}
    for inst, p in planned_runs(facts, plan):
        if p.skip:
            out.append(_skip(inst.lineno, p.skip))
        elif p.disabled_by:
            disabled.setdefault(p.disabled_by)
        elif p.changes:
            if inst.keyword_split:
                out.append(_skip(inst.lineno, "the RUN keyword is split by a line continuation"))
                continue
            edits = _edits(facts, inst, p)
            if p.mounts and add_syntax:
                edits.append(syntax_edit(df))
            out.append(Fix(CODE, NAME, _message(p), inst.lineno, tuple(edits)))
    for name, env_idx in disabled:
        out.append(_unset_fix(facts, name, env_idx, add_syntax))
    return out


def _env_removal(facts, env_inst: Instruction, name: str) -> Edit | str:
    """The edit that removes ``name`` from its ENV (the whole ENV when it sets nothing else)."""
    if env_inst.keyword_split:
        return f"ENV {name} disables the cache and this ENV cannot be edited reliably"
    if [n for n, _ in env_pairs(env_inst.args)] == [name]:
        return remove_instruction(facts.df, env_inst)
    commands = split_commands(env_inst.args)
    if commands is None or len(commands) != 1 or commands[0].words:
        return f"ENV {name} disables the cache and this ENV cannot be edited reliably"
    pairs = commands[0].assignments
    word = next(w for w in pairs if w.value.split("=", 1)[0] == name)
    span = word_span(env_inst, env_inst.args_offset + word.start, env_inst.args_offset + word.end)
    return rewrite_instruction(facts.df, env_inst, delete_expect(env_inst, [span]), [span])


def _unset_fix(facts, name: str, env_idx: int, add_syntax: bool) -> Fix | Skip:
    """Remove ENV ``name`` and mount the cache on every RUN it affected: all or nothing."""
    df = facts.df
    env_inst = df.instructions[env_idx]
    key = next(k for k, c in CACHES.items() if c.off_env == name)
    removal = _env_removal(facts, env_inst, name)
    if isinstance(removal, str):
        return _skip(env_inst.lineno, f"{removal}; no cache mount added")
    edits = [removal]
    lines = []
    for k in range(env_idx + 1, len(df.instructions)):
        inst = df.instructions[k]
        if inst.keyword != "RUN" or env_idx not in chain(df, k):
            continue
        p = plan(facts, inst, frozenset({name}))
        if p is None or key not in p.caches:
            continue
        if p.skip or p.disabled_by or inst.keyword_split:
            why = p.skip or (f"{p.disabled_by[0]} is set too" if p.disabled_by else "its keyword is split")
            return _skip(env_inst.lineno, f"ENV {name} disables the cache; removing it needs a cache mount on the RUN at line {inst.lineno}, but: {why}")
        edits.extend(_edits(facts, inst, p))
        lines.append(str(inst.lineno))
    if add_syntax and lines:
        edits.append(syntax_edit(df))
    message = (
        f"remove ENV {name}, which disables the cache (this changes the image's environment), and add cache "
        f"mounts to the RUNs it affected (lines {', '.join(lines) or 'none'})"
    )
    return Fix(CODE, NAME, message, env_inst.lineno, tuple(edits), Applicability.UNSAFE)
