"""uv: the project interface (``uv sync``...) and the pip interface (``uv pip``)."""

from .profile import Cache, Profile, Reads

_ENV = ("UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT", "UV_FIND_LINKS")

# uv's docs, "Configuration files": uv.toml or pyproject.toml with [tool.uv] in the working
# directory or the nearest parent that has one (uv.toml first); the user's
# $XDG_CONFIG_HOME/uv/uv.toml; the system's $XDG_CONFIG_DIRS/uv/uv.toml or /etc/uv/uv.toml.
# UV_CONFIG_FILE (--config-file) replaces them; UV_NO_CONFIG (--no-config) turns them off.
_READS = Reads(
    env=_ENV,
    file_env=("UV_CONFIG_FILE",),
    project=("uv.toml", "pyproject.toml:tool.uv"),
    parents=True,
    xdg=("uv/uv.toml",),
    site=("/etc/uv/uv.toml", "/etc/xdg/uv/uv.toml"),
    off_env=("UV_NO_CONFIG",),
)

_COPIES = frozenset({"copy", "hardlink", "clone"})

PROFILE = Profile(
    "uv",
    reads={"uv": _READS, "uv-pip": _READS},
    caches=(
        Cache(
            "uv", "UV_CACHE_DIR", "uv", ("uv", "uv-pip"), "UV_NO_CACHE", ("--no-cache", "--no-cache-dir"), ("cache clean", "clean"),
            # With link mode "symlink" the environment points into the cache (a mount would hide it);
            # "hardlink" and "clone" cannot cross into a mount and fall back to copying.
            link_env=(("UV_LINK_MODE", _COPIES),),
            link_options=(("--link-mode", _COPIES),),
            # uv.toml / [tool.uv] can move the cache; link-mode there is overridden by the command
            # line (dockfix adds --link-mode=copy) or by UV_LINK_MODE.
            config_keys=("cache-dir",),
            config_files=("uv.toml", "pyproject.toml"),
            # Ephemeral environments (uvx, uv run --with/--script/--isolated) live in the cache;
            # warmed at build time, a later run reuses them.
            envs_in_cache=(
                ("tool run", ()),
                ("run", ("--with", "--with-requirements", "--with-editable", "--script", "--isolated", "--no-project")),
            ),
            env_programs=("uvx",),
        ),
    ),
    uses={
        "uv": (frozenset({"sync", "add", "remove", "lock", "run", "tool install"}), ("uv",)),
        "uv-pip": (frozenset({"install", "sync", "compile"}), ("uv",)),
    },
)
