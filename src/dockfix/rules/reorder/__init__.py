"""Moving a broad COPY of the build context below an install, and proving it changes nothing.

Shared by the dependency-first rules (DF001 moves the COPY below an install that reads only
manifests; DF003 moves it below a dependencies-only step it inserts). The checks follow
design.md §5: every instruction the COPY passes must neither read nor write its destination,
the install must leave the copied tree alone, and the COPY must mean the same once moved.
A check that fails raises ``Refuse`` with the reason and the line.

Modules: ``base`` (the broad COPY, ``Refuse``), ``steps`` (the instructions it moves past),
``copies`` (the generated manifest COPYs), ``install`` (what the install reads and writes),
``carry`` (the steps that use the copied files and move down with it).
"""

from .base import (
    ACCOUNT_COMMANDS, BROAD_SOURCES, CARRIED_FLAGS, FHS_DIRS, GLOB, SAFE_KEYWORDS, BroadCopy, Refuse, broad_copy,
    each_install, install_cwd, known_path, source_dir, subshell_invocations, to_context, touches,
)
from .carry import check_carry, install_effect
from .copies import absolute_copy, already_copied, copy_lines, manifest_copy, render
from .install import (
    check_cache_in_tree, check_install, check_user_install, config_manifests, preflight, user_base,
)
from .steps import (
    first_dest_workdir, check_accounts, check_between, check_environments, check_mounts, check_move_down, check_same_meaning,
    command_touches, local_word, paths_touch, pip_touches,
)

__all__ = [
    "first_dest_workdir",
    "absolute_copy",
    "ACCOUNT_COMMANDS",
    "already_copied",
    "broad_copy",
    "BROAD_SOURCES",
    "BroadCopy",
    "CARRIED_FLAGS",
    "check_accounts",
    "check_between",
    "check_carry",
    "check_cache_in_tree",
    "check_environments",
    "check_install",
    "check_mounts",
    "check_move_down",
    "check_same_meaning",
    "check_user_install",
    "command_touches",
    "config_manifests",
    "copy_lines",
    "each_install",
    "FHS_DIRS",
    "GLOB",
    "install_cwd",
    "install_effect",
    "known_path",
    "local_word",
    "manifest_copy",
    "paths_touch",
    "pip_touches",
    "preflight",
    "Refuse",
    "render",
    "SAFE_KEYWORDS",
    "source_dir",
    "subshell_invocations",
    "to_context",
    "touches",
    "user_base",
]
