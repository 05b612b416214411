"""Effect models of system tools: OS package managers, conda, account management, ``which``.

Split from ``commands.py`` along its seam; same contract (record reads and writes on the ``Ctx``,
raise ``Unknown`` on anything not modelled).
"""

from __future__ import annotations

import posixpath
import re

from .commands import Unknown, getopt, has, values
from .commands_net import _local
from .effect_types import Ctx

_CONDA_IMAGES = ("continuumio/", "condaforge/", "mambaorg/micromamba")


def conda(ctx: Ctx, words):
    inv = ctx.inv
    if inv.tool != "conda" or inv.unknown:
        raise Unknown("conda")
    for name in ("CONDARC", "MAMBARC", "CONDA_PKGS_DIRS", "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS"):
        if name in ctx.state.env_names:
            raise Unknown(name)
    root = next((ctx.var(n) for n in ("CONDA_DIR", "MAMBA_ROOT_PREFIX", "CONDA_ROOT") if ctx.var(n)), None)
    if root is None and ctx.state.base.lower().startswith(_CONDA_IMAGES):
        root = "/opt/conda"
    for value in inv.option_values("--root-prefix"):
        root = value
    sub = inv.sub
    ctx.read("~/.condarc")
    ctx.read("/etc/conda", tree=True)
    if sub not in ("install", "update", "upgrade", "remove", "uninstall", "create", "clean"):
        raise Unknown("conda " + str(sub))
    if inv.option_values("--file") or inv.option_values("--clone"):
        raise Unknown("conda --file")
    if any(_local(w.value) or w.has_expansion or w.value.endswith(".conda") for w in inv.args):
        raise Unknown("conda with a local path")
    for channel in inv.option_values("--channel"):
        if channel is None or _local(channel):
            raise Unknown("a local channel")
    prefixes = [p for p in inv.option_values("--prefix") if p]
    for name in inv.option_values("--name"):
        if name is None or "$" in name or "/" in name:
            raise Unknown("conda -n")
        if root is None:
            raise Unknown("conda root")
        prefixes.append(root if name == "base" else posixpath.join(root, "envs", name))
    if root is None:
        raise Unknown("conda root")
    ctx.read(posixpath.join(root, ".condarc"))
    ctx.write(posixpath.join(root, "pkgs"), tree=True)
    if sub != "clean":
        ctx.write("~/.conda", tree=True)
        for p in prefixes or [root]:
            ctx.write(p, tree=True)
    return ctx.effect()


ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/subuid", "/etc/subgid")
_USERADD = dict(short="DlmMNorUhFqS", short_v="bcdefgGkKpsuZ",  # shadow's useradd, groupadd, usermod
                long="create-home no-create-home no-log-init non-unique system user-group no-user-group help "
                     "badnames btrfs-subvolume-home",
                long_v="base-dir comment home-dir home expiredate inactive gid groups skel key password shell "
                       "uid root prefix selinux-user ingroup gecos firstuid lastuid conf extrausers add-extra-groups "
                       "add_extra_groups encrypt-home disabled-password disabled-login group")


# BusyBox adduser/addgroup (-h HOME, -H: no home) and Debian's adduser/addgroup (--home, --no-create-home)
_ADDUSER = dict(short="DSHq", short_v="hgsGuk",
                long="no-create-home system group disabled-password disabled-login quiet debug force-badname "
                     "add-extra-groups add_extra_groups allow-badname allow-bad-names",
                long_v="home shell ingroup gid uid gecos comment firstuid lastuid firstgid lastgid conf encrypt-home")


def _accounts(ctx: Ctx) -> None:
    for f in ACCOUNT_FILES + ("/etc/login.defs", "/etc/default/useradd", "/etc/adduser.conf"):
        ctx.read(f)
    for f in ACCOUNT_FILES:
        ctx.write(f)
        ctx.write(f + "-")
    ctx.write("/etc/.pwd.lock")
    ctx.write("/var/mail", tree=True)
    ctx.write("/var/spool/mail", tree=True)
    ctx.write("/var/log/lastlog")
    ctx.write("/var/log/faillog")


def account_lookup(ctx: Ctx, words):
    """``id``, ``whoami``: they read the account files (their arguments are names, not paths)."""
    for f in ("/etc/passwd", "/etc/group", "/etc/nsswitch.conf"):
        ctx.read(f)
    return ctx.effect()


def account(kind: str):
    def fn(ctx: Ctx, words):
        opts, args = getopt(words, **(_ADDUSER if kind in ("adduser", "addgroup") else _USERADD))
        if has(opts, "R", "P", "root", "prefix", "conf", "encrypt-home"):
            raise Unknown(kind)
        _accounts(ctx)
        if kind in ("groupadd", "addgroup", "groupmod"):
            return ctx.effect()
        if kind == "usermod":
            if has(opts, "m", "d", "home"):
                raise Unknown("usermod moving a home")
            return ctx.effect()
        if kind == "adduser" and has(opts, "group", "ingroup") and len(args) == 2 and not has(opts, "h", "home"):
            return ctx.effect()  # Debian's adduser USER GROUP adds a user to a group
        homes = values(opts, "d", "home-dir", "home") if kind == "useradd" else values(opts, "h", "home")
        if not args:
            raise Unknown(kind)
        user = args[0]
        if kind == "useradd":
            create = has(opts, "m", "create-home") or (not has(opts, "M", "no-create-home") and not _debian(ctx))
        else:  # Debian's adduser and BusyBox's both create the home unless told not to
            create = not has(opts, "H", "no-create-home")
        if create:
            for skel in values(opts, "k", "skel") or ["/etc/skel"]:
                ctx.read(skel, tree=True)
            if homes:
                ctx.write(homes[-1], tree=True)
            else:
                base = (values(opts, "b", "base-dir") or ["/home"])[-1]
                found = ctx.path(base)
                if found is None or not found[1]:
                    raise Unknown("useradd -b")
                ctx.write(user if not user.has_expansion else ".", tree=True, base=found[0])
        return ctx.effect()

    return fn


_DEBIAN = re.compile(r"(docker\.io/)?(library/)?(python|debian|ubuntu|buildpack-deps)(:|@|$)")


def _debian(ctx: Ctx) -> bool:
    """Does the image's useradd create no home without -m (Debian's login.defs has no CREATE_HOME)?"""
    base = ctx.state.base.lower()
    return bool(_DEBIAN.match(base)) and "alpine" not in base


_SYSTEM_SUBS = {
    "apt": {"update", "install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove",
            "clean", "autoclean"},
    "apk": {"add", "del", "update", "upgrade", "cache clean", "cache sync", "cache purge"},
    "yum": {"install", "update", "upgrade", "remove", "erase", "clean", "makecache", "groupinstall",
            "autoremove", "reinstall", "distro-sync"},
}


def packages(ctx: Ctx, words):
    inv = ctx.inv
    if inv.tool not in _SYSTEM_SUBS or inv.unknown or inv.sub not in _SYSTEM_SUBS[inv.tool]:
        raise Unknown("package manager")
    for name, value, _ in inv.options:
        if name in ("--installroot", "--root", "--downloaddir", "--cache-dir", "--keys-dir",
                    "--repositories-file", "--config-file", "--config", "--setopt"):
            raise Unknown(name)
        if name == "--option" and (value is None or re.search(r"dir|root|file|path", value, re.I)):
            raise Unknown("apt -o naming a path")  # Dir::Cache=..., --instdir=...
    for w in inv.args:
        names = ctx.words(w)  # $DEPS set earlier in the RUN to a known list (effects.script_values)
        if names is None or any(v.startswith((".", "/", "~")) or "/" in v for v in names):
            raise Unknown("a local package")
    ctx.system = True
    return ctx.effect()


def system(ctx: Ctx, words):
    if words:
        raise Unknown("arguments")
    ctx.system = True
    return ctx.effect()


def which(ctx: Ctx, words):
    words = list(words)
    if ctx.inv.command.words[0].value == "command":
        if not words or words[0].value not in ("-v", "-V"):
            raise Unknown("command")
        words = words[1:]
    _, names = getopt(words, "as")
    dirs = ctx.path_dirs()
    if dirs is None:
        ctx.anything.add("read")
    for n in names:
        if "/" in n.value or n.has_expansion:
            ctx.read(n)
        else:
            for d in dirs or ():
                ctx.read(posixpath.join(d, n.value))
    return ctx.effect()


def poetry_config(ctx: Ctx, words):
    """``poetry config KEY VALUE`` (no option): writes the user's configuration file
    (``$POETRY_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/pypoetry``, else ``~/.config/pypoetry``) and
    reads it. Assumption: setting a value writes only that file; the project's ``poetry.toml`` that
    the command also loads only changes what ``poetry config --list`` shows. Any option
    (``--local``, ``--unset``, ``--list``) or another form stays unknown."""
    if len(words) != 3 or words[0].value != "config" or any(w.value.startswith("-") or w.has_expansion for w in words):
        raise Unknown("poetry")
    for name in ("POETRY_CONFIG_DIR", "XDG_CONFIG_HOME", "POETRY_HOME"):
        if name in ctx.state.env_names or name in ctx.shell_vars:
            raise Unknown(name)
    ctx.read("~/.config/pypoetry/config.toml")
    ctx.write("~/.config/pypoetry/config.toml")
    return ctx.effect()


MODELS = {
    "poetry": poetry_config,
    "useradd": account("useradd"), "adduser": account("adduser"), "groupadd": account("groupadd"),
    "addgroup": account("addgroup"), "usermod": account("usermod"), "groupmod": account("groupmod"),
    "apt-get": packages, "apt": packages, "apk": packages, "yum": packages, "dnf": packages, "microdnf": packages,
    "conda": conda, "mamba": conda, "micromamba": conda,
    "update-ca-certificates": system, "ldconfig": system, "locale-gen": system,
    "which": which, "command": which,
    "id": account_lookup, "whoami": account_lookup,
}
