"""Poetry."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "poetry",
    # Poetry's docs, "Configuration": poetry.toml next to pyproject.toml (local), the user's
    # $XDG_CONFIG_HOME/pypoetry/config.toml (and auth.toml); POETRY_CONFIG_DIR moves them.
    reads={"poetry": Reads(env=("POETRY_PROJECT_DIR", "POETRY_CONFIG_DIR"), project=("poetry.toml",), xdg=("pypoetry/config.toml", "pypoetry/auth.toml"))},
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
