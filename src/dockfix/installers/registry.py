"""Every installer's profile, and the views of them that rules use (imported by the package and by
``manifests``/``config``, which need them without importing the package they belong to)."""

from __future__ import annotations

from . import conda, pdm, pip, pipenv, poetry, uv
from .profile import Cache, Profile, Reads

PROFILES: tuple[Profile, ...] = tuple(m.PROFILE for m in (pip, uv, poetry, pipenv, pdm, conda))
CACHES: dict[str, Cache] = {c.key: c for p in PROFILES for c in p.caches}
USES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {t: u for p in PROFILES for t, u in p.uses.items()}
READS: dict[str, Reads] = {t: r for p in PROFILES for t, r in p.reads.items()}
READS_FROM_ENV: dict[str, tuple[str, ...]] = {t: r.env for t, r in READS.items()}
