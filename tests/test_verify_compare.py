"""The image comparison of ``dockfix verify`` (no Docker needed): cache folders' contents are
ignored, the folders and their parents are not."""

from dockfix.cli.verify import CACHE_FOLDERS, Entry, compare_trees


def d(uid=0, mode=0o755):
    return Entry("dir", mode, uid, uid, "")


BASE = {"/root": d(mode=0o700), "/home": d(), "/home/app": d(1000), "/app": d()}


def test_download_caches_come_from_the_profiles():
    assert "*/.cache/pip" in CACHE_FOLDERS
    assert "*/.cache/pypoetry/cache" in CACHE_FOLDERS and "*/.cache/pypoetry/artifacts" in CACHE_FOLDERS
    assert not any(f.endswith("/pypoetry") or "virtualenvs" in f for f in CACHE_FOLDERS)


def test_a_stub_owned_like_its_parent_is_no_difference():
    rewritten = dict(BASE, **{"/root/.cache": d(), "/root/.cache/pip": d(), "/home/app/.cache": d(1000), "/home/app/.cache/pip": d(1000)})
    assert compare_trees(BASE, rewritten) == []


def test_a_root_owned_cache_folder_in_a_users_home_is_a_difference():
    rewritten = dict(BASE, **{"/home/app/.cache": d(0), "/home/app/.cache/pip": d(0)})
    assert compare_trees(BASE, rewritten) == ["only in rewritten: /home/app/.cache"]
    original = dict(BASE, **{"/home/app/.cache": d(1000), "/home/app/.cache/pip": d(1000)})
    assert "owner 1000:1000 != 0:0: /home/app/.cache" in compare_trees(original, rewritten)


def test_poetrys_virtualenvs_are_compared():
    venv = {"/root/.cache": d(), "/root/.cache/pypoetry": d(), "/root/.cache/pypoetry/virtualenvs": d(),
            "/root/.cache/pypoetry/virtualenvs/app-py3.11/bin/python": Entry("symlink", 0o777, 0, 0, "/usr/local/bin/python")}
    original = dict(BASE, **venv)
    rewritten = dict(BASE, **{"/root/.cache": d(), "/root/.cache/pypoetry": d()})
    diffs = compare_trees(original, rewritten)
    assert "only in original: /root/.cache/pypoetry/virtualenvs" in diffs


def test_a_symlink_into_a_hidden_cache_is_a_difference():
    link = {"/app/.venv/lib/site-packages/six.py": Entry("symlink", 0o777, 0, 0, "/root/.cache/uv/archive-v0/k/six.py")}
    tree = dict(BASE, **link)
    assert compare_trees(tree, dict(tree), {"/root/.cache/uv/archive-v0/k/six.py"}, set()) == [
        "symlink into a cache folder resolves in one image only: /app/.venv/lib/site-packages/six.py -> /root/.cache/uv/archive-v0/k/six.py"
    ]
    assert compare_trees(tree, dict(tree), {"/root/.cache/uv/archive-v0/k/six.py"}, {"/root/.cache/uv/archive-v0/k/six.py"}) == []


def test_symlinks_into_a_cache_compare_by_resolving_not_by_name():
    # uv names its cache entries randomly: two builds link to different names, both resolve.
    a = dict(BASE, **{"/app/.venv/six.py": Entry("symlink", 0o777, 0, 0, "/root/.cache/uv/archive-v0/k1/six.py")})
    b = dict(BASE, **{"/app/.venv/six.py": Entry("symlink", 0o777, 0, 0, "/root/.cache/uv/archive-v0/k2/six.py")})
    assert compare_trees(a, b, {"/root/.cache/uv/archive-v0/k1/six.py"}, {"/root/.cache/uv/archive-v0/k2/six.py"}) == []
    assert compare_trees(a, b, {"/root/.cache/uv/archive-v0/k1/six.py"}, set()) != []


def test_cache_files_only_the_rewrite_keeps_are_a_difference():
    # The original deleted what a lower layer left in ~/.cache; the rewrite's mount kept it.
    assert compare_trees(BASE, dict(BASE), set(), {"/root/.cache/pip/http/a"}) == [
        "only in rewritten, inside a cache folder: /root/.cache/pip/http/a"
    ]
    # The other way round is the point of a cache mount.
    assert compare_trees(BASE, dict(BASE), {"/root/.cache/pip/http/a"}, set()) == []
