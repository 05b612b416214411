"""PDM."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pdm",
    # PDM's docs, "Configure the project": pdm.toml in the project root, the interpreter chosen in
    # .pdm-python, the user's $XDG_CONFIG_HOME/pdm/config.toml (PDM_CONFIG_FILE moves it).
    reads={"pdm": Reads(env=("PDM_PROJECT", "PDM_LOCKFILE"), file_env=("PDM_CONFIG_FILE",), project=("pdm.toml", ".pdm-python"), xdg=("pdm/config.toml",))},
    caches=(Cache("pdm", "PDM_CACHE_DIR", "pdm", ("pdm",), None, (), ("cache clear",)),),
    uses={"pdm": (frozenset({"install", "sync", "add", "lock", "update"}), ("pdm",))},
)
