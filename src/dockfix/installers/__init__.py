"""Installers: one profile per tool (what it reads, what it caches) and the manifest forms of installs.

``PROFILES`` lists every installer's profile (``profile.Profile``); ``CACHES``, ``USES`` and
``READS_FROM_ENV`` are the views of them that rules use. ``manifests`` holds what DF001 and DF003
need: the manifest files an install reads and the dependencies-only form of a project install.
"""

from __future__ import annotations

from . import conda, pdm, pip, pipenv, poetry, uv
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

PROFILES: tuple[Profile, ...] = tuple(m.PROFILE for m in (pip, uv, poetry, pipenv, pdm, conda))
CACHES: dict[str, Cache] = {c.key: c for p in PROFILES for c in p.caches}
USES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {t: u for p in PROFILES for t, u in p.uses.items()}
READS: dict[str, Reads] = {t: r for p in PROFILES for t, r in p.reads.items()}
READS_FROM_ENV: dict[str, tuple[str, ...]] = {t: r.env for t, r in READS.items()}

__all__ = [
    "CACHES", "PROFILES", "PROJECT_METADATA", "PROJECT_VENV", "READS", "READS_FROM_ENV", "USES", "Cache", "CondaEnv",
    "DepsOnly", "Manifest", "Profile", "Reads", "deps_only", "expand", "is_manifest_install", "manifest_reads",
    "project_install", "read_conda_env", "reads_from_env",
]
