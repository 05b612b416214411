"""conda, mamba and micromamba (one ``shell.Invocation`` tool: ``conda``)."""

from .profile import Cache, Profile

PROFILE = Profile(
    "conda",
    reads={},
    caches=(Cache("conda", "CONDA_PKGS_DIRS", None, ("conda",)),),
    uses={"conda": (frozenset({"install", "create", "update", "env create", "env update"}), ("conda",))},
)
