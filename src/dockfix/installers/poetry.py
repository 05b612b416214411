"""Poetry."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "poetry",
    # Poetry's docs, "Configuration": poetry.toml next to pyproject.toml (local), the user's
    # $XDG_CONFIG_HOME/pypoetry/config.toml (and auth.toml); POETRY_CONFIG_DIR moves them.
    reads={"poetry": Reads(env=("POETRY_PROJECT_DIR", "POETRY_CONFIG_DIR"), project=("poetry.toml",), xdg=("pypoetry/config.toml", "pypoetry/auth.toml"))},
    caches=(Cache("poetry", "POETRY_CACHE_DIR", "pypoetry", ("poetry",), None, ("--no-cache",), ("cache clear",)),),
    uses={"poetry": (frozenset({"install", "add", "lock", "update", "sync"}), ("poetry",))},
)
