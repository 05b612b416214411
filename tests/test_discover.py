"""Discovery: names, skipped folders, .gitignore (nested, negated, per repository), excludes, symlinks."""

import os

import pytest

from _repos import NAIVE, TREE, make_tree
from dockfix.targets.discover import expand_paths, find_dockerfiles, is_dockerfile_name


@pytest.mark.parametrize(
    "name, expected",
    [
        pytest.param("Dockerfile", True, id="plain"),
        pytest.param("dockerfile", True, id="lower"),
        pytest.param("Dockerfile.dev", True, id="suffix"),
        pytest.param("api.Dockerfile", True, id="prefix"),
        pytest.param("api.dockerfile", True, id="prefix-lower"),
        pytest.param("Containerfile", True, id="containerfile"),
        pytest.param("Containerfile.prod", True, id="containerfile-suffix"),
        pytest.param("Dockerfile.md", False, id="markdown"),
        pytest.param(".dockerignore", False, id="dockerignore"),
        pytest.param("Dockerfile.dockerignore", False, id="per-file-dockerignore"),
        pytest.param("docker-compose.yml", False, id="compose"),
    ],
)
def test_names(name, expected):
    assert is_dockerfile_name(name) is expected


def rel(root, files):
    return sorted(os.path.relpath(f, root) for f in files)


def test_tree_of_repositories(tmp_path):
    make_tree(tmp_path)
    found = find_dockerfiles(str(tmp_path))
    assert rel(tmp_path, found.files) == [
        "alpha/Dockerfile", "alpha/keep.Dockerfile",
        "beta/Dockerfile.prod", "beta/docker/Dockerfile",
        "gamma/Containerfile", "gamma/api.dockerfile",
    ]
    assert rel(tmp_path, found.compose_files) == ["beta/compose.yaml"]


def test_outer_gitignore_does_not_reach_into_a_nested_repository(tmp_path):
    (tmp_path / ".gitignore").write_text("Dockerfile\n")
    make_tree(tmp_path, {"inner/Dockerfile": NAIVE}, ("inner",))
    (tmp_path / "Dockerfile").write_bytes(NAIVE)
    assert rel(tmp_path, find_dockerfiles(str(tmp_path)).files) == ["inner/Dockerfile"]


def test_git_info_exclude(tmp_path):
    make_tree(tmp_path, {"r/Dockerfile": NAIVE, "r/x/Dockerfile": NAIVE}, ("r",))
    (tmp_path / "r/.git/info/exclude").write_text("x/\n")
    assert rel(tmp_path, find_dockerfiles(str(tmp_path)).files) == ["r/Dockerfile"]


def test_exclude_patterns_are_gitignore_style_relative_to_the_walked_folder(tmp_path):
    make_tree(tmp_path)
    found = expand_paths([str(tmp_path)], ("gamma/", "/beta/Dockerfile.*"))
    assert rel(tmp_path, found.files) == ["alpha/Dockerfile", "alpha/keep.Dockerfile", "beta/docker/Dockerfile"]


def test_config_exclude(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "beta/.dockfix.toml").write_text('exclude = ["docker/"]\n')
    assert "beta/docker/Dockerfile" not in rel(tmp_path, find_dockerfiles(str(tmp_path)).files)
    assert "beta/docker/Dockerfile" in rel(tmp_path, find_dockerfiles(str(tmp_path), use_config=False).files)


def test_explicit_files_are_always_taken(tmp_path):
    make_tree(tmp_path)
    assert expand_paths([str(tmp_path / "alpha/build/Dockerfile")], ("build/",)).files == [str(tmp_path / "alpha/build/Dockerfile")]


def test_symlinks_are_not_followed_out_of_the_tree(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_bytes(NAIVE)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").write_bytes(NAIVE)
    os.symlink(outside / "Dockerfile", tree / "out.Dockerfile")
    os.symlink(tree / "Dockerfile", tree / "same.Dockerfile")
    os.symlink(outside, tree / "linked-dir")
    assert rel(tree, find_dockerfiles(str(tree)).files) == ["Dockerfile"]


def test_errors_warnings_and_allow_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    found = expand_paths([str(tmp_path / "empty"), str(tmp_path / "missing")])
    assert found.errors == [f"{tmp_path / 'missing'}: No such file or directory"]
    assert found.warnings == [f"{tmp_path / 'empty'}: no Dockerfiles found in this directory"]
    assert expand_paths([str(tmp_path / "empty")], allow_empty=True).warnings == []


def test_an_empty_result_says_what_was_skipped(tmp_path):
    make_tree(tmp_path, {"r/Dockerfile": NAIVE, "r/.venv/Dockerfile": NAIVE, "r/node_modules/x/Dockerfile": NAIVE,
                         "r/Dockerfile.j2": NAIVE}, ("r",))
    (tmp_path / "r/.gitignore").write_text("/Dockerfile\n")
    (tmp_path / "r/.venv/pyvenv.cfg").write_text("")
    found = expand_paths([str(tmp_path / "r")])
    assert found.files == []
    assert found.warnings == [f"{tmp_path / 'r'}: no Dockerfiles found in this directory "
                              "(skipped: 1 gitignored, 1 template, 1 tool folder, 1 virtual environment; --verbose lists them)"]
    reasons = dict(found.skipped)
    assert reasons[str(tmp_path / "r/Dockerfile")] == f"gitignored ({tmp_path / 'r/.gitignore'})"
    assert reasons[str(tmp_path / "r/Dockerfile.j2")].startswith("a template (.j2)")


@pytest.mark.parametrize(
    "name, kind",
    [
        pytest.param("NOTES.md", "other", id="markdown"),
        pytest.param("app.py", "other", id="python"),
        pytest.param("Dockerfile.j2", "template", id="jinja"),
        pytest.param("{{cookiecutter.slug}}/Dockerfile", "template", id="cookiecutter-folder"),
        pytest.param("Dockerfile", "file", id="dockerfile"),
        pytest.param("build", "file", id="no-suffix-read-by-content"),
    ],
)
def test_explicit_files_by_name(tmp_path, name, kind):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(NAIVE)
    found = expand_paths([str(path)])
    got = {"other": found.errors, "template": found.templates, "file": found.files}
    assert len(got[kind]) == 1 and sum(map(len, got.values())) == 1


def test_force_exclude_applies_to_explicit_files(tmp_path, monkeypatch):
    make_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "beta/.dockfix.toml").write_text('exclude = ["docker/"]\n')
    named = ["alpha/build/Dockerfile", "beta/docker/Dockerfile", "alpha/Dockerfile"]
    assert expand_paths(named, ("build/",)).files == named
    found = expand_paths(named, ("build/",), force_exclude=True)
    assert found.files == ["alpha/Dockerfile"]
    assert dict(found.skipped) == {"alpha/build/Dockerfile": "--exclude",
                                   "beta/docker/Dockerfile": f"exclude in {tmp_path / 'beta/.dockfix.toml'}"}


def test_tree_fixture_is_complete():
    assert "alpha/.gitignore" in TREE  # the discovery cases above depend on it
