"""Comparing two images for ``dockfix verify`` and the real-build tests: the flattened file tree
(contents, owners, modes) and the image config, leaving out what says nothing about a rewrite
(bytecode, logs, the runtime's files) and the contents of pure download caches.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import subprocess
import tarfile
from dataclasses import dataclass

from .buildkit import Docker, VerifyError, _first_line

# Paths whose differences say nothing about the rewrite. A pattern matches a path or any of its
# ancestors; ``*`` also matches ``/``.
IGNORED = (
    "*/__pycache__",  # bytecode: compiled at install time, embeds source mtimes
    "*.pyc",
    "/tmp/*",
    "/var/tmp/*",
    "/var/cache/*",
    "/var/lib/apt/lists/*",
    "/var/log/*",  # dpkg/apt logs carry the time of the build
    "/.dockerenv",  # written by the container runtime for `docker export`
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
)


def _cache_folders() -> tuple[str, ...]:
    """The folders a cache mount may hide: each installer's pure download caches (its profile's
    ``mount`` subfolders under ``~/.cache/<name>``, in any home) and conda's package cache."""
    from ..installers import CACHES
    from ..build.users import KNOWN_IMAGES

    out = []
    for cache in CACHES.values():
        if cache.xdg_name:
            out += [f"*/.cache/{cache.xdg_name}" + (f"/{sub}" if sub else "") for sub in cache.mount]
    out += sorted({f"{img.conda_root}/pkgs" for img in KNOWN_IMAGES.values() if img.conda_root})
    return tuple(dict.fromkeys(out))


# Only the contents of these folders are ignored: the folders themselves and their parents are
# compared (owner, mode), since a root-owned ~/.cache left by a mount breaks the user's programs.
CACHE_FOLDERS = _cache_folders()


def _glob_re(patterns) -> str:
    return "|".join(".*".join(map(re.escape, p.split("*"))) for p in patterns)


_IGNORED_RE = re.compile("(?:%s)(?:/.*)?\\Z" % _glob_re(IGNORED), re.S)
_CACHE_CONTENT_RE = re.compile("((?:%s))/.+\\Z" % _glob_re(CACHE_FOLDERS), re.S)


def is_ignored(path: str) -> bool:
    """Is ``path`` left out of the comparison (``IGNORED``, or inside a cache folder)?"""
    return bool(_IGNORED_RE.match(path) or _CACHE_CONTENT_RE.match(path))
# A cache folder or one of its parents inside a home (``~/.cache``, ``~/.cache/pypoetry``): present in
# one image only, it is no difference when it is an empty stub owned like the folder that holds it.
def _with_parents(folders) -> tuple[str, ...]:
    out = []
    for p in folders:
        head, sep, rest = p.partition("/.cache/")
        if sep:  # */.cache, */.cache/pypoetry, */.cache/pypoetry/cache
            parts = rest.split("/")
            out += [head + "/.cache"] + [head + "/.cache/" + "/".join(parts[: k + 1]) for k in range(len(parts))]
        else:
            out.append(p)
    return tuple(dict.fromkeys(out))


_CACHE_PARENTS = _with_parents(CACHE_FOLDERS)
_CACHE_DIR_RE = re.compile("(?:%s)\\Z" % _glob_re(_CACHE_PARENTS), re.S)
# Files whose line order means nothing and varies between builds: a wheel's RECORD (virtualenv's
# seeder writes pip's in a varying order). Their sorted lines are compared.
_UNORDERED_RE = re.compile(r"\.dist-info/RECORD\Z")
CONFIG_KEYS = (
    "Env", "User", "WorkingDir", "Entrypoint", "Cmd", "ExposedPorts",
    "Volumes", "Labels", "Healthcheck", "StopSignal", "Shell", "OnBuild",
)


# --- comparing images ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    kind: str  # file, dir, symlink, other
    mode: int
    uid: int
    gid: int
    content: str  # sha256 of a file, target of a symlink, device numbers


def image_tree(docker: Docker, image: str, hidden: set[str] | None = None) -> dict[str, Entry]:
    """The image's flattened file tree (``docker export`` of a created, never started container).

    ``hidden`` receives the paths inside cache folders (left out of the tree)."""
    p = docker.run("create", image, "/dockfix-verify-does-not-run", timeout=120)
    if p.returncode != 0:
        raise VerifyError(f"docker create {image} failed: {_first_line(p.stdout)}")
    cid = p.stdout.strip().splitlines()[-1]
    tree: dict[str, Entry] = {}
    digests: dict[str, str] = {}
    try:
        proc = subprocess.Popen(
            [docker.exe, "export", cid], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=docker.env or None
        )
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for m in tf:
                name = m.name[2:] if m.name.startswith("./") else m.name
                path = "/" + name.strip("/")
                mode = m.mode & 0o7777
                if m.isreg():
                    h = hashlib.sha256()
                    f = tf.extractfile(m)
                    if _UNORDERED_RE.search(path):
                        h.update(b"".join(sorted(f.read().splitlines(keepends=True))))
                    else:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                    digests[path] = h.hexdigest()
                    entry = Entry("file", mode, m.uid, m.gid, digests[path])
                elif m.islnk():  # a hard link has the content of its target
                    target = "/" + m.linkname.removeprefix("./").strip("/")
                    entry = Entry("file", mode, m.uid, m.gid, digests.get(target, "?"))
                elif m.issym():
                    entry = Entry("symlink", mode, m.uid, m.gid, m.linkname)
                elif m.isdir():
                    entry = Entry("dir", mode, m.uid, m.gid, "")
                else:
                    entry = Entry("other", mode, m.uid, m.gid, f"{m.type!r}:{m.devmajor}:{m.devminor}")
                if _CACHE_CONTENT_RE.match(path):
                    if hidden is not None:
                        hidden.add(path)
                elif not _IGNORED_RE.match(path):
                    tree[path] = entry
        if proc.wait(timeout=60) != 0:
            raise VerifyError(f"docker export of {image} failed")
    finally:
        docker.run("rm", "-f", cid, timeout=120)
    return tree


def image_config(docker: Docker, image: str) -> dict:
    p = docker.run("image", "inspect", "--format", "{{json .Config}}", image, timeout=60)
    if p.returncode != 0:
        raise VerifyError(f"docker image inspect {image} failed: {_first_line(p.stdout)}")
    config = json.loads(p.stdout) or {}
    return {k: config.get(k) or None for k in CONFIG_KEYS}


@dataclass
class Comparison:
    equal: bool
    paths: int  # paths compared (ignored ones excluded)
    differences: list[str]


def compare_images(docker: Docker, original: str, rewritten: str) -> Comparison:
    diffs = []
    ca, cb = image_config(docker, original), image_config(docker, rewritten)
    for k in CONFIG_KEYS:
        a, b = ca[k], cb[k]
        if a != b and k == "Env" and a and b:  # show what was added or removed
            change = [f"-{x}" for x in a if x not in b] + [f"+{x}" for x in b if x not in a]
            diffs.append(f"config Env: {' '.join(change) or 'order differs'}")
        elif a != b:
            diffs.append(f"config {k}: {a!r} != {b!r}")
    ha: set[str] = set()
    hb: set[str] = set()
    ta, tb = image_tree(docker, original, ha), image_tree(docker, rewritten, hb)
    diffs += compare_trees(ta, tb, ha, hb)
    return Comparison(not diffs, len(ta.keys() | tb.keys()), diffs)


def _stub(tree: dict[str, Entry], path: str) -> bool:
    """A cache folder (or its parent) that a cache mount may leave or not leave: a directory owned
    like the folder that holds it (not a root-owned ~/.cache in a user's home)."""
    entry = tree[path]
    parent = tree.get(posixpath.dirname(path))
    return (
        entry.kind == "dir" and bool(_CACHE_DIR_RE.match(path)) and parent is not None
        and (entry.uid, entry.gid) == (parent.uid, parent.gid)
    )


def _into_cache(path: str, e: Entry | None) -> str | None:
    """The target of a symlink that points into a cache folder, else None."""
    if e is None or e.kind != "symlink":
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), e.content))
    return target if _CACHE_CONTENT_RE.match(target) else None


def compare_trees(ta: dict[str, Entry], tb: dict[str, Entry], ha: set[str] = frozenset(), hb: set[str] = frozenset()) -> list[str]:
    """Differences between the original's and the rewrite's file trees (``image_tree``); ``ha``/``hb``:
    the paths inside their cache folders."""
    diffs = []
    for path in sorted(ta.keys() | tb.keys()):
        a, b = ta.get(path), tb.get(path)
        if a is None or b is None:
            if _stub(ta if b is None else tb, path):
                continue
            diffs.append(f"only in {'rewritten' if a is None else 'original'}: {path}")
            continue
        ca, cb = _into_cache(path, a), _into_cache(path, b)
        if ca and cb:
            # An environment linked to a cache (uv's symlink mode): the cache's entry names vary
            # between builds; what matters is whether the link resolves in its own image.
            if (ca in ha) != (cb in hb):
                diffs.append(f"symlink into a cache folder resolves in one image only: {path} -> {ca if ca in ha else cb}")
        elif a.kind != b.kind:
            diffs.append(f"type {a.kind} != {b.kind}: {path}")
        elif a.content != b.content:
            diffs.append(f"{'target' if a.kind == 'symlink' else 'content'} differs: {path}")
        if a.mode != b.mode:
            diffs.append(f"mode {a.mode:04o} != {b.mode:04o}: {path}")
        if (a.uid, a.gid) != (b.uid, b.gid):
            diffs.append(f"owner {a.uid}:{a.gid} != {b.uid}:{b.gid}: {path}")
    # A mount keeps a cache out of the image; the rewrite must never keep more there than the
    # original (a cache it failed to mount, files of lower layers the original deleted).
    # (Per cache folder: the names of the entries in a cache vary between builds.)
    filled = {_CACHE_CONTENT_RE.match(p).group(1) for p in ha}
    kept = sorted(p for p in hb if _CACHE_CONTENT_RE.match(p).group(1) not in filled)
    diffs += [f"only in rewritten, inside a cache folder: {p}" for p in kept[:20]]
    if len(kept) > 20:
        diffs.append(f"only in rewritten, inside a cache folder: {len(kept) - 20} more")
    return diffs
