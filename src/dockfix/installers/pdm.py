"""PDM."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pdm",
    # PDM's docs, "Configure the project": pdm.toml in the project root, the interpreter chosen in
    # .pdm-python, the user's $XDG_CONFIG_HOME/pdm/config.toml (PDM_CONFIG_FILE moves it).
    reads={"pdm": Reads(env=("PDM_PROJECT", "PDM_LOCKFILE"), file_env=("PDM_CONFIG_FILE",), project=("pdm.toml", ".pdm-python"), xdg=("pdm/config.toml",))},
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
