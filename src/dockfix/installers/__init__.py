"""Installers: one profile per tool (what it reads, what it caches) and the manifest forms of installs.

``PROFILES`` lists every installer's profile (``profile.Profile``); ``CACHES``, ``USES`` and
``READS_FROM_ENV`` are the views of them that rules use (all defined in ``registry``). ``manifests``
holds what DF001 and DF003 need: the manifest files an install reads and the dependencies-only form
of a project install.
"""

from __future__ import annotations

from .manifests import (
    PROJECT_METADATA,
    PROJECT_VENV,
    CondaEnv,
    DepsOnly,
    Manifest,
    deps_only,
    expand,
    is_manifest_install,
    manifest_reads,
    project_install,
    read_conda_env,
    reads_from_env,
)
from .profile import Cache, Profile, Reads
from .registry import CACHES, PROFILES, READS, READS_FROM_ENV, USES

__all__ = [
    "CACHES", "PROFILES", "PROJECT_METADATA", "PROJECT_VENV", "READS", "READS_FROM_ENV", "USES", "Cache", "CondaEnv",
    "DepsOnly", "Manifest", "Profile", "Reads", "deps_only", "expand", "is_manifest_install", "manifest_reads",
    "project_install", "read_conda_env", "reads_from_env",
]
