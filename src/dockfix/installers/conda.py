"""conda, mamba and micromamba (one ``shell.Invocation`` tool: ``conda``)."""

from .profile import Cache, Profile

PROFILE = Profile(
    "conda",
    reads={},
    caches=(
        Cache(
            "conda", "CONDA_PKGS_DIRS", None, ("conda",),
            # Environments hard-link (or copy) from the package cache; with always_softlink they
            # would point into it.
            link_env=(("CONDA_ALWAYS_SOFTLINK", frozenset({"0", "false", "False", "no"})),),
            config_keys=("always_softlink", "pkgs_dirs"),
            config_sub="config",
        ),
    ),
    uses={"conda": (frozenset({"install", "create", "update", "env create", "env update"}), ("conda",))},
)
