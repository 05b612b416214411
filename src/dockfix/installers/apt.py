"""apt (apt-get, apt) on Debian and Ubuntu: what DF004 assumes about it.

apt is not a ``profile.Profile`` (its caches are fixed system folders, not under a home, and no
variable moves them; ``-o`` options can, and DF004 refuses them). Its knowledge lives here so that
the rule hard-codes no path.
"""

# The BuildKit reference's pattern (frontend/dockerfile/docs/reference.md, "RUN --mount=type=cache"):
# downloaded packages and package lists.
CACHES = ("/var/cache/apt", "/var/lib/apt")
# Subcommands that download packages into /var/cache/apt/archives.
INSTALLS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall"})
# Subcommands that only empty /var/cache/apt.
CLEANS = frozenset({"clean", "autoclean"})
# Debian's docker images delete downloaded packages after every install (the docker-clean hook);
# with the cache mounted they must be kept. The BuildKit reference's line, verbatim.
KEEP_DOWNLOADS = "RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
HOOK_FILE = "docker-clean"
