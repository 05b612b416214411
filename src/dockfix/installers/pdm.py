"""PDM."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pdm",
    reads={"pdm": Reads(env=("PDM_PROJECT", "PDM_LOCKFILE"))},
    caches=(
        Cache(
            "pdm", "PDM_CACHE_DIR", "pdm", ("pdm",), None, (), ("cache clear",),
            # install.cache = true installs packages into {cache_dir}/packages and links the
            # environment to them (a mount would hide them); the default is false.
            keeps=("packages",),
            link_env=(("PDM_INSTALL_CACHE", frozenset({"0", "false", "False", "no", "off"})),),
            config_keys=("install.cache", "cache_dir"),
            config_files=("pdm.toml",),
            config_sub="config",
        ),
    ),
    uses={"pdm": (frozenset({"install", "sync", "add", "lock", "update"}), ("pdm",))},
)
