"""Facts about the build context that need a walk of its tree or a look at its symlinks.

``files_named(ctx, names)``: every context path whose last component is one of ``names`` (one
walk per context, kept in ``ctx.memo``; symlinked folders are not followed, as BuildKit sends
the link itself). ``symlink_on(ctx, rel)``: the first component of ``rel`` that is a symlink in
the context, if any (a COPY of such a path copies the link; a WORKDIR or a COPY that creates
the path makes a real folder instead).
"""

from __future__ import annotations

import os
import posixpath

from .context import BuildContext

# Names the installers' configuration search may read (installers/*.py ``Reads``), and the marks
# of a Python environment or an installer program inside the tree.
CONFIG_NAMES = frozenset({
    "pip.conf", "uv.toml", "pyproject.toml", "poetry.toml", "config.toml", "auth.toml", "pdm.toml",
    ".pdm-python", ".env", ".condarc", "condarc", "condarc.d", ".mambarc", ".pip-tools.toml", "pyvenv.cfg", "conda-meta", ".cache",
    # folders of the home an installer reads below (effects.Effect.configs)
    ".pip", ".config", ".local",
})


def _walk(ctx: BuildContext) -> dict[str, list[str]]:
    key = ("context_scan.walk",)
    if key in ctx.memo:
        return ctx.memo[key]  # type: ignore[return-value]
    found: dict[str, list[str]] = {}
    root = str(ctx.root)
    if os.path.isdir(root):
        for here, dirs, files in os.walk(root, followlinks=False):
            rel_dir = os.path.relpath(here, root).replace(os.sep, "/")
            for name in (*dirs, *files):
                if name in CONFIG_NAMES:
                    rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                    found.setdefault(name, []).append(rel)
    ctx.memo[key] = found
    return found


def files_named(ctx: BuildContext, names) -> list[str]:
    """Context paths (files or folders, not excluded by .dockerignore) whose name is in ``names``."""
    walk = _walk(ctx)
    out = []
    for name in names:
        for rel in walk.get(name, ()):
            if not ctx.is_ignored(rel):
                out.append(rel)
    return sorted(out)


def symlink_on(ctx: BuildContext, rel: str) -> str | None:
    """The first component of the context path ``rel`` (itself included) that is a symlink."""
    rel = posixpath.normpath(rel)
    if rel in (".", "") or rel.startswith(".."):
        return None
    key = ("context_scan.symlink", rel)
    if key not in ctx.memo:
        parts = rel.split("/")
        hit = None
        for n in range(1, len(parts) + 1):
            sub = "/".join(parts[:n])
            if os.path.islink(os.path.join(str(ctx.root), *parts[:n])):
                hit = sub
                break
        ctx.memo[key] = hit
    return ctx.memo[key]  # type: ignore[return-value]
