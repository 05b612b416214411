"""Pipenv (which installs with pip, so it also uses pip's cache)."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pipenv",
    reads={"pipenv": Reads(env=("PIPENV_PIPFILE", "PIP_CONSTRAINT", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"))},
    caches=(Cache("pipenv", "PIPENV_CACHE_DIR", "pipenv", ("pipenv",)),),
    uses={"pipenv": (frozenset({"install", "sync", "lock", "update"}), ("pipenv", "pip"))},
)
