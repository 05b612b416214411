"""conda, mamba and micromamba (one ``shell.Invocation`` tool: ``conda``)."""

from .profile import Cache, Profile, Reads

PROFILE = Profile(
    "conda",
    # conda's docs, "Using the .condarc conda configuration file" (search path), and micromamba's
    # .mambarc: $CONDARC, the user's, the environment's and the system's files (``*.d`` are folders).
    reads={"conda": Reads(
        file_env=("CONDARC", "MAMBARC"),
        home=(".condarc", ".conda/.condarc", ".conda/condarc", ".conda/condarc.d", ".mambarc"),
        xdg=("conda/.condarc", "conda/condarc", "conda/condarc.d"),
        prefix=(".condarc", "condarc", "condarc.d", ".mambarc"),
        prefix_env=("CONDA_PREFIX", "MAMBA_ROOT_PREFIX", "CONDA_ROOT"),
        site=("/etc/conda/.condarc", "/etc/conda/condarc", "/etc/conda/condarc.d", "/var/lib/conda/.condarc", "/var/lib/conda/condarc", "/var/lib/conda/condarc.d"),
    )},
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
