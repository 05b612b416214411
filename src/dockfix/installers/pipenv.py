"""Pipenv (which installs with pip, so it also uses pip's cache)."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "pipenv",
    # pipenv loads .env from the project directory (PIPENV_DOTENV_LOCATION moves it) into the
    # environment of the pip it runs, which then reads pip's own configuration files.
    reads={"pipenv": Reads(
        env=("PIPENV_PIPFILE", "PIP_CONSTRAINT", "PIP_FIND_LINKS"),
        file_env=("PIP_CONFIG_FILE", "PIPENV_DOTENV_LOCATION"),
        project=(".env",),
        home=(".pip/pip.conf",),
        xdg=("pip/pip.conf",),
        prefix=("pip.conf",),
        site=("/etc/pip.conf", "/etc/xdg/pip/pip.conf"),
    )},
    caches=(Cache("pipenv", "PIPENV_CACHE_DIR", "pipenv", ("pipenv",)),),
    uses={"pipenv": (frozenset({"install", "sync", "lock", "update"}), ("pipenv", "pip"))},
)
