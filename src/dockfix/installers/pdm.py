"""PDM."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pdm",
    reads={"pdm": Reads(env=("PDM_PROJECT", "PDM_LOCKFILE"))},
    caches=(Cache("pdm", "PDM_CACHE_DIR", "pdm", ("pdm",), None, (), ("cache clear",)),),
    uses={"pdm": (frozenset({"install", "sync", "add", "lock", "update"}), ("pdm",))},
)
