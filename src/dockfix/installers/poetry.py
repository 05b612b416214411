"""Poetry."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "poetry",
    reads={"poetry": Reads(env=("POETRY_PROJECT_DIR",))},
    caches=(Cache("poetry", "POETRY_CACHE_DIR", "pypoetry", ("poetry",), None, ("--no-cache",), ("cache clear",)),),
    uses={"poetry": (frozenset({"install", "add", "lock", "update", "sync"}), ("poetry",))},
)
