"""pip (and pip-tools' pip-sync, which runs pip)."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pip",
    reads={
        "pip": Reads(env=("PIP_CONSTRAINT", "PIP_REQUIREMENT", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PIP_SRC", "PIP_TARGET", "PIP_PREFIX")),
        "pip-sync": Reads(env=("PIP_CONSTRAINT", "PIP_FIND_LINKS", "PIP_CONFIG_FILE")),
    },
    caches=(Cache("pip", "PIP_CACHE_DIR", "pip", ("pip",), "PIP_NO_CACHE_DIR", ("--no-cache-dir",), ("cache purge",)),),
    uses={"pip": (frozenset({"install", "download", "wheel"}), ("pip",))},
)
