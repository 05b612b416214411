"""Poetry."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "poetry",
    reads={"poetry": Reads(env=("POETRY_PROJECT_DIR",))},
    caches=(
        Cache(
            "poetry", "POETRY_CACHE_DIR", "pypoetry", ("poetry",), None, ("--no-cache",), ("cache clear",),
            # {cache-dir}/cache (repository metadata) and {cache-dir}/artifacts (downloaded
            # distributions) are download caches; {cache-dir}/virtualenvs is the default
            # virtualenvs.path, the environment the image runs with.
            mount=("cache", "artifacts"),
            keeps=("virtualenvs",),
            link_env=(("POETRY_VIRTUALENVS_PATH", frozenset()),),
            config_keys=("cache-dir", "virtualenvs.path"),
            config_files=("poetry.toml",),
            config_sub="config",
        ),
    ),
    uses={"poetry": (frozenset({"install", "add", "lock", "update", "sync"}), ("poetry",))},
)
