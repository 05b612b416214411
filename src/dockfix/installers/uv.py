"""uv: the project interface (``uv sync``...) and the pip interface (``uv pip``)."""

from .profile import Cache, Profile, Reads

_ENV = ("UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT", "UV_CONFIG_FILE", "UV_FIND_LINKS")

PROFILE = Profile(
    "uv",
    reads={"uv": Reads(env=_ENV), "uv-pip": Reads(env=_ENV)},
    caches=(Cache("uv", "UV_CACHE_DIR", "uv", ("uv", "uv-pip"), "UV_NO_CACHE", ("--no-cache", "--no-cache-dir"), ("cache clean", "clean")),),
    uses={
        "uv": (frozenset({"sync", "add", "remove", "lock", "run", "tool install"}), ("uv",)),
        "uv-pip": (frozenset({"install", "sync", "compile"}), ("uv",)),
    },
)
