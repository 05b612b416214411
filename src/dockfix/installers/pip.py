"""pip (and pip-tools' pip-sync, which runs pip)."""

from .profile import Cache, Profile, Reads

# pip's configuration (pip's docs, "Configuration"): PIP_CONFIG_FILE; the site file in the
# environment pip runs from (sys.prefix/pip.conf, which $VIRTUAL_ENV names); the user's
# $XDG_CONFIG_HOME/pip/pip.conf and the legacy ~/.pip/pip.conf; the global /etc/pip.conf and
# $XDG_CONFIG_DIRS/pip/pip.conf (default /etc/xdg).
_PIP = dict(
    file_env=("PIP_CONFIG_FILE",),
    home=(".pip/pip.conf",),
    xdg=("pip/pip.conf",),
    prefix=("pip.conf",),
    site=("/etc/pip.conf", "/etc/xdg/pip/pip.conf"),
)

PROFILE = Profile(
    "pip",
    reads={
        "pip": Reads(env=("PIP_CONSTRAINT", "PIP_REQUIREMENT", "PIP_FIND_LINKS", "PIP_SRC", "PIP_TARGET", "PIP_PREFIX"), **_PIP),
        # pip-tools 7 reads its own defaults from .pip-tools.toml or [tool.pip-tools] in the working directory
        "pip-sync": Reads(env=("PIP_CONSTRAINT", "PIP_FIND_LINKS"), project=(".pip-tools.toml", "pyproject.toml:tool.pip-tools"), **_PIP),
    },
    caches=(Cache("pip", "PIP_CACHE_DIR", "pip", ("pip",), "PIP_NO_CACHE_DIR", ("--no-cache-dir",), ("cache purge",)),),
    uses={"pip": (frozenset({"install", "download", "wheel"}), ("pip",))},
)
