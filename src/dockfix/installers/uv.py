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

PROFILE = Profile(
    "uv",
    reads={"uv": _READS, "uv-pip": _READS},
    caches=(Cache("uv", "UV_CACHE_DIR", "uv", ("uv", "uv-pip"), "UV_NO_CACHE", ("--no-cache", "--no-cache-dir"), ("cache clean", "clean")),),
    uses={
        "uv": (frozenset({"sync", "add", "remove", "lock", "run", "tool install"}), ("uv",)),
        "uv-pip": (frozenset({"install", "sync", "compile"}), ("uv",)),
    },
)
