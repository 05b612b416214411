"""Tests for dockfix.build.context: build-context facts, .dockerignore, requirements
closures and static project metadata."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dockfix.build.context import BuildContext
from dockfix.build.dockerignore import DockerIgnore, read_ignore_patterns
from dockfix.project.requirements_closure import RequirementsClosure, RequirementsRef, requirements_closure
from dockfix.build.paths import go_clean
from dockfix.project.requirements import parse_requirements_text
from dockfix.project.base import ProjectDeps
from dockfix.project.pyproject import project_deps


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root; values are text (dedented) or bytes."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def ctx_with(tmp_path: Path, files: dict[str, str | bytes]) -> BuildContext:
    return BuildContext(make_tree(tmp_path / "ctx", files))


# ---------------------------------------------------------------------------
# go_clean / ignore file reading
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        pytest.param("", ".", id="empty"),
        pytest.param("./foo", "foo", id="dot-slash"),
        pytest.param("foo/", "foo", id="trailing-slash"),
        pytest.param("a//b///c", "a/b/c", id="double-slashes"),
        pytest.param("a/./b/../c", "a/c", id="dot-dotdot"),
        pytest.param("../a", "../a", id="leading-dotdot-kept"),
        pytest.param("/../a", "/a", id="dotdot-above-root-dropped"),
        pytest.param("//a", "/a", id="double-leading-slash"),
        pytest.param("a/..", ".", id="collapses-to-dot"),
    ],
)
def test_go_clean(path: str, expected: str) -> None:
    assert go_clean(path) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("# comment\nfoo\n", ["foo"], id="comment-line"),
        pytest.param("  # not a comment\n", ["# not a comment"], id="indented-hash-is-a-pattern"),
        pytest.param("\n   \nfoo\n", ["foo"], id="blank-lines"),
        pytest.param("  foo  \n", ["foo"], id="whitespace-trimmed"),
        pytest.param("./foo\n", ["foo"], id="cleaned"),
        pytest.param("/foo/bar\n", ["foo/bar"], id="leading-slash-removed"),
        pytest.param("foo/\n", ["foo"], id="trailing-slash"),
        pytest.param("! ./foo/\n", ["!foo"], id="negation-cleaned"),
        pytest.param("\ufeffnode_modules\n", ["node_modules"], id="bom"),
        pytest.param("a\r\nb\r\n", ["a", "b"], id="crlf"),
        pytest.param("/\n", ["/"], id="lone-slash-kept"),
    ],
)
def test_read_ignore_patterns(text: str, expected: list[str]) -> None:
    assert read_ignore_patterns(text) == expected


# ---------------------------------------------------------------------------
# .dockerignore matching
# ---------------------------------------------------------------------------

IGNORE_CASES = [
    # (dockerignore text, path, ignored?)
    pytest.param("*.txt", "a.txt", True, id="star-top-level"),
    pytest.param("*.txt", "sub/a.txt", False, id="star-not-recursive"),
    pytest.param("**/*.txt", "sub/a.txt", True, id="doublestar-nested"),
    pytest.param("**/*.txt", "a.txt", True, id="doublestar-zero-dirs"),
    pytest.param("**/*.txt", "a/b/c.txt", True, id="doublestar-deep"),
    pytest.param("*\n!requirements.txt", "requirements.txt", False, id="reinclude-after-star"),
    pytest.param("*\n!requirements.txt", "app.py", True, id="star-excludes-rest"),
    pytest.param("*\n!src\nsrc/secret", "src/app.py", False, id="star-bang-src-keeps-src"),
    pytest.param("*\n!src\nsrc/secret", "src/secret", True, id="star-bang-src-then-secret"),
    pytest.param("*\n!src\nsrc/secret", "src/secret/key.pem", True, id="secret-dir-contents"),
    pytest.param("*\n!src\nsrc/secret", "docs/x.md", True, id="star-bang-src-other-dir"),
    pytest.param("./foo", "foo", True, id="dot-slash-cleaned"),
    pytest.param("./foo", "foo/bar.txt", True, id="dot-slash-dir-contents"),
    pytest.param("foo/", "foo", True, id="trailing-slash-matches-dir"),
    pytest.param("foo/", "foo/x", True, id="trailing-slash-contents"),
    pytest.param("foo/", "foobar", False, id="trailing-slash-not-prefix"),
    pytest.param("/foo", "foo", True, id="leading-slash"),
    pytest.param("docs", "docs/a.txt", True, id="dir-excludes-contents"),
    pytest.param("docs", "docs/deep/er/a.txt", True, id="dir-excludes-deep-contents"),
    pytest.param("docs", "docsx", False, id="dir-is-not-prefix"),
    pytest.param("docs", "sub/docs", False, id="no-implicit-doublestar"),
    pytest.param("# docs", "docs", False, id="comment-is-not-a-pattern"),
    pytest.param("  # docs", "# docs", True, id="indented-hash-is-a-pattern"),
    pytest.param("!a.txt\n*.txt", "a.txt", True, id="last-match-wins-exclude"),
    pytest.param("*.txt\n!a.txt", "a.txt", False, id="last-match-wins-include"),
    pytest.param("*.txt\n!a.txt\na.txt", "a.txt", True, id="last-match-wins-again"),
    pytest.param("a?.txt", "ab.txt", True, id="question-one-char"),
    pytest.param("a?.txt", "abc.txt", False, id="question-exactly-one"),
    pytest.param("a?.txt", "a/.txt", False, id="question-not-slash"),
    pytest.param("[abc].py", "b.py", True, id="class"),
    pytest.param("[abc].py", "d.py", False, id="class-miss"),
    pytest.param("[^a].py", "b.py", True, id="negated-class"),
    pytest.param("[^a].py", "a.py", False, id="negated-class-miss"),
    pytest.param("[a-c]x", "bx", True, id="class-range"),
    pytest.param("\\*.txt", "*.txt", True, id="escaped-star-literal"),
    pytest.param("\\*.txt", "a.txt", False, id="escaped-star-not-glob"),
    pytest.param("a.b", "axb", False, id="dot-is-literal"),
    pytest.param("a+(b)", "a+(b)", True, id="regex-metachars-literal"),
    pytest.param("**", "any/thing", True, id="doublestar-alone"),
    pytest.param("foo/**", "foo/x/y", True, id="trailing-doublestar"),
    pytest.param("foo/**", "foo", False, id="trailing-doublestar-not-dir-itself"),
    pytest.param("**/foo", "foo", True, id="leading-doublestar-top"),
    pytest.param("**/foo", "a/b/foo", True, id="leading-doublestar-nested"),
    pytest.param("**/foo", "a/foo/c.txt", True, id="leading-doublestar-parent"),
    pytest.param("**/foo", "a/xfoo", False, id="leading-doublestar-whole-name"),
    pytest.param("**foo", "a/xfoo", True, id="doublestar-suffix-quirk"),
    pytest.param("a/**/b", "a/b", True, id="inner-doublestar-zero"),
    pytest.param("a/**/b", "a/x/y/b", True, id="inner-doublestar-many"),
    pytest.param("a/**/b", "a/xb", False, id="inner-doublestar-segment"),
    pytest.param("*/*.pyc", "pkg/a.pyc", True, id="star-dir-star"),
    pytest.param("*/*.pyc", "pkg/sub/a.pyc", False, id="star-dir-star-depth"),
    pytest.param("docs\n!docs/keep.md", "docs/keep.md", False, id="reinclude-inside-excluded-dir"),
    pytest.param("docs\n!docs/keep.md", "docs/other.md", True, id="reinclude-only-that-file"),
    pytest.param("docs\n!docs/**/*.md", "docs/a/b.md", False, id="reinclude-glob-inside-dir"),
    pytest.param("docs\n!docs/**/*.md", "docs/a/b.txt", True, id="reinclude-glob-miss"),
    pytest.param("a\n!a/b/c", "a/b/c", False, id="reinclude-deep"),
    pytest.param("a\n!a/b/c", "a/b/d", True, id="reinclude-deep-sibling"),
    # fsutil skips an excluded directory when no literal `!` pattern lies below it
    # (MatchesOrParentMatches alone would re-include a/b/x through `!a`)
    pytest.param("a/b\n!a", "a/b/x", True, id="fsutil-skipdir"),
    pytest.param("foo/../bar", "bar", True, id="pattern-dotdot-cleaned"),
    pytest.param("! foo\n*", "foo", True, id="bang-space"),
    pytest.param("", "anything", False, id="empty-file"),
]


@pytest.mark.parametrize("text, path, ignored", IGNORE_CASES)
def test_dockerignore_matches(text: str, path: str, ignored: bool) -> None:
    assert DockerIgnore.from_text(text).matches(path) is ignored


@pytest.mark.parametrize("text, path, ignored", IGNORE_CASES)
def test_dockerignore_through_context(tmp_path: Path, text: str, path: str, ignored: bool) -> None:
    ctx = ctx_with(tmp_path, {".dockerignore": (text + "\n").encode()})  # bytes: no dedent
    assert ctx.is_ignored(path) is ignored


@pytest.mark.parametrize(
    "text, bad",
    [
        pytest.param("!\nfoo", 1, id="lone-bang"),
        pytest.param("[abc\nfoo", 1, id="unclosed-class"),
        pytest.param("foo\\\nfoo", 1, id="trailing-backslash"),
        pytest.param("[]a]\nfoo", 1, id="empty-class-start"),
        pytest.param("foo\n*.py", 0, id="all-valid"),
    ],
)
def test_dockerignore_invalid_patterns_are_reported(text: str, bad: int) -> None:
    ignore = DockerIgnore.from_text(text)
    assert len(ignore.errors) == bad
    assert ignore.matches("foo")  # the valid pattern still applies


def test_root_and_outside_are_never_ignored(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {".dockerignore": "*\n**\n"})
    assert ctx.is_ignored("a.txt")
    assert not ctx.is_ignored(".")
    assert not ctx.is_ignored("")
    assert not ctx.is_ignored("../a.txt")


def test_dockerfile_specific_ignore_takes_precedence(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            ".dockerignore": "a.txt\n",
            "docker/app.Dockerfile": "FROM python\n",
            "docker/app.Dockerfile.dockerignore": "b.txt\n",
        },
    )
    assert ctx.is_ignored("a.txt") and not ctx.is_ignored("b.txt")
    ctx.set_dockerfile(ctx.root / "docker" / "app.Dockerfile")
    assert ctx.is_ignored("b.txt") and not ctx.is_ignored("a.txt")
    assert ctx.dockerignore_file == ctx.root / "docker" / "app.Dockerfile.dockerignore"
    # a Dockerfile without its own ignore file falls back to the context's
    ctx.set_dockerfile(ctx.root / "Dockerfile")
    assert ctx.is_ignored("a.txt") and not ctx.is_ignored("b.txt")
    ctx.set_dockerfile(None)
    assert ctx.dockerignore_file == ctx.root / ".dockerignore"


def test_no_dockerignore(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"a.txt": "x"})
    assert ctx.dockerignore_file is None
    assert not ctx.is_ignored("a.txt")
    assert ctx.dockerignore_errors == []


def test_dockerignore_errors_exposed(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {".dockerignore": "!\n[x\nok\n"})
    assert len(ctx.dockerignore_errors) == 2
    assert ctx.is_ignored("ok")


# ---------------------------------------------------------------------------
# BuildContext: existence, escapes, reading
# ---------------------------------------------------------------------------


@pytest.fixture
def linked_ctx(tmp_path: Path) -> BuildContext:
    outside = make_tree(tmp_path / "outside", {"secret.txt": "s", "dir/x.txt": "x"})
    root = make_tree(tmp_path / "ctx", {"a.txt": "a", "sub/b.txt": "b"})
    (root / "link_out.txt").symlink_to(outside / "secret.txt")
    (root / "link_dir_out").symlink_to(outside / "dir")
    (root / "link_in.txt").symlink_to(root / "sub" / "b.txt")
    (root / "rel_link_out").symlink_to("../outside/secret.txt")
    (root / "dangling").symlink_to(root / "nope.txt")
    return BuildContext(root)


@pytest.mark.parametrize(
    "rel, exists, is_file, kind",
    [
        pytest.param("a.txt", True, True, "file", id="file"),
        pytest.param("./a.txt", True, True, "file", id="dot-slash"),
        pytest.param("sub", True, False, "dir", id="dir"),
        pytest.param("sub/../a.txt", True, True, "file", id="inner-dotdot"),
        pytest.param(".", True, False, "dir", id="root"),
        pytest.param("missing.txt", False, False, "missing", id="missing"),
        pytest.param("a.txt/x", False, False, "missing", id="under-a-file"),
        pytest.param("../outside/secret.txt", False, False, "outside", id="dotdot-escape"),
        pytest.param("sub/../../outside/secret.txt", False, False, "outside", id="dotdot-escape-nested"),
        pytest.param("/etc/passwd", False, False, "outside", id="absolute"),
        pytest.param("link_out.txt", False, False, "outside", id="symlink-out"),
        pytest.param("rel_link_out", False, False, "outside", id="relative-symlink-out"),
        pytest.param("link_dir_out/x.txt", False, False, "outside", id="through-symlinked-dir"),
        pytest.param("link_in.txt", True, True, "file", id="symlink-inside"),
        pytest.param("dangling", False, False, "missing", id="dangling-symlink"),
    ],
)
def test_context_paths(linked_ctx: BuildContext, rel: str, exists: bool, is_file: bool, kind: str) -> None:
    assert linked_ctx.exists(rel) is exists
    assert linked_ctx.is_file(rel) is is_file
    assert linked_ctx.kind(rel) == kind


def test_symlink_loop_is_missing(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {})
    (ctx.root / "loop_a").symlink_to(ctx.root / "loop_b")
    (ctx.root / "loop_b").symlink_to(ctx.root / "loop_a")
    assert not ctx.exists("loop_a")
    assert ctx.read_text("loop_a") is None
    assert [r.target for r in requirements_closure(ctx, ["loop_a"]).missing] == ["loop_a"]


def test_symlink_out_is_not_readable(linked_ctx: BuildContext) -> None:
    assert linked_ctx.read_text("link_out.txt") is None
    assert linked_ctx.read_text("link_in.txt") == "b"


def test_real_paths_match_os_realpath(tmp_path: Path) -> None:
    """The per-folder resolution gives what ``os.path.realpath`` gives for every kind of link."""
    import os

    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    root = tmp_path / "ctx"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_text("x")
    (root / "file").write_text("x")
    links = {
        "in": "a/b", "chain": "in", "rel_up": "../ctx/a", "out": "../outside", "abs_out": str(outside),
        "dangling": "nowhere/else", "loop1": "loop2", "loop2": "loop1", "self": "self", "a/b/up": "../..",
        "a/b/to_file": "../../file", "a/back_out": "../../outside/deep",
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    ctx = BuildContext(root)
    rels = [".", "a", "a/b", "a/b/f.txt", "missing", "missing/x", "file", "file/x"]
    rels += [f"{name}{tail}" for name in links for tail in ("", "/f.txt", "/b", "/x/y", "/deep")]
    rels += ["a/b/up/a/b/up/chain", "chain/up/out/deep", "in/to_file/x"]
    for rel in rels:
        assert ctx._realpath(rel) == os.path.realpath(root / rel), rel
        real, real_root = os.path.realpath(root / rel), os.path.realpath(root)
        inside = real == real_root or real.startswith(real_root + os.sep)
        assert (ctx.kind(rel) != "outside") == inside, rel


def test_missing_root(tmp_path: Path) -> None:
    ctx = BuildContext(tmp_path / "does-not-exist")
    assert not ctx.exists(".")
    assert not ctx.exists("a.txt")
    assert ctx.read_text("a.txt") is None
    assert not ctx.is_ignored("a.txt")
    closure = requirements_closure(ctx, ["requirements.txt"])
    assert closure.files == ()
    assert [r.file for r in closure.missing] == ["requirements.txt"]
    assert project_deps(ctx).dependencies is None


def test_root_accepts_pathlike_and_str(tmp_path: Path) -> None:
    make_tree(tmp_path / "ctx", {"a.txt": "a"})
    assert BuildContext(str(tmp_path / "ctx")).is_file("a.txt")
    assert BuildContext(tmp_path / "ctx").root == tmp_path / "ctx"


@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(b"flask\n", "flask\n", id="utf8"),
        pytest.param(b"\xef\xbb\xbfflask\n", "flask\n", id="utf8-bom-stripped"),
        pytest.param("flask\n".encode("utf-16"), "flask\n", id="utf16-bom"),
        pytest.param(b"caf\xe9\n", "caf\xe9\n", id="latin1-fallback"),
        pytest.param(b"\x89PNG\x00\x00", None, id="binary"),
    ],
)
def test_read_text_decoding(tmp_path: Path, data: bytes, expected: str | None) -> None:
    ctx = ctx_with(tmp_path, {"f": data})
    assert ctx.read_text("f") == expected


def test_read_text_is_cached(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "one"})
    assert ctx.read_text("r.txt") == "one"
    (ctx.root / "r.txt").write_text("two")
    assert ctx.read_text("./r.txt") == "one"
    assert BuildContext(ctx.root).read_text("r.txt") == "two"


def test_read_text_missing_and_dir(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"d/x": "x"})
    assert ctx.read_text("nope") is None
    assert ctx.read_text("d") is None
    assert ctx.read_text("../ctx/d/x") is None


# ---------------------------------------------------------------------------
# Requirements file syntax
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        # expected: list of (lineno, requirement, options) per logical line
        pytest.param("flask==2.0\n", [(1, "flask==2.0", ())], id="plain"),
        pytest.param("# c\n\nflask  # web\n", [(3, "flask", ())], id="comments"),
        pytest.param("pkg#egg\n", [(1, "pkg#egg", ())], id="hash-without-space-is-not-comment"),
        pytest.param("-r base.txt\n", [(1, "", (("requirements", "base.txt"),))], id="short-space"),
        pytest.param("-rbase.txt\n", [(1, "", (("requirements", "base.txt"),))], id="short-attached"),
        pytest.param("--requirement=base.txt\n", [(1, "", (("requirements", "base.txt"),))], id="long-equals"),
        pytest.param("--requirement base.txt\n", [(1, "", (("requirements", "base.txt"),))], id="long-space"),
        pytest.param("--requirem base.txt\n", [(1, "", (("requirements", "base.txt"),))], id="long-abbreviated"),
        pytest.param("-c c.txt\n", [(1, "", (("constraints", "c.txt"),))], id="constraint"),
        pytest.param("-r 'with space.txt'\n", [(1, "", (("requirements", "with space.txt"),))], id="quoted"),
        pytest.param(
            "flask \\\n  ==2.0 \\\n  --hash=sha256:abc\nx\n",
            [(1, "flask   ==2.0", (("hashes", "sha256:abc"),)), (4, "x", ())],
            id="continuation-keeps-first-lineno",
        ),
        pytest.param(
            "# comment \\\nflask\n", [(2, "flask", ())], id="comment-line-does-not-continue"
        ),
        pytest.param("-e .\n", [(1, "", (("editables", "."),))], id="editable"),
        pytest.param("-e.\n", [(1, "", (("editables", "."),))], id="editable-attached"),
        pytest.param(
            "--index-url https://x/simple --pre\n",
            [(1, "", (("index_url", "https://x/simple"), ("pre", None)))],
            id="several-options",
        ),
        pytest.param("-i\thttps://x\n", [(1, "", (("index_url", "https://x"),))], id="tab-separated"),
    ],
)
def test_parse_requirements_text(content: str, expected: list) -> None:
    lines = parse_requirements_text(content)
    assert [(line.lineno, line.requirement, line.options) for line in lines] == expected
    assert all(line.error is None for line in lines)


@pytest.mark.parametrize(
    "content, fragment",
    [
        pytest.param("--bogus\n", "no such option", id="unknown-long"),
        pytest.param("-x foo\n", "no such option", id="unknown-short"),
        pytest.param("-r\n", "requires an argument", id="missing-value"),
        pytest.param("--pre=yes\n", "does not take a value", id="flag-with-value"),
        pytest.param("--e x\n", "ambiguous", id="ambiguous-abbreviation"),
        pytest.param("--req x.txt\n", "ambiguous", id="req-is-ambiguous-with-require-hashes"),
        pytest.param("--requirements x.txt\n", "no such option", id="plural-is-not-an-option"),
        pytest.param("-r 'unbalanced\n", "quotation", id="shlex-error"),
    ],
)
def test_parse_requirements_errors(content: str, fragment: str) -> None:
    (line,) = parse_requirements_text(content)
    assert line.error is not None and fragment in line.error


# ---------------------------------------------------------------------------
# requirements_closure
# ---------------------------------------------------------------------------


def refs(items: tuple[RequirementsRef, ...]) -> list[tuple[str, int, str]]:
    return [(r.file, r.lineno, r.text) for r in items]


def test_nested_include_resolves_relative_to_including_file(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "requirements/prod.txt": "-r base.txt\ngunicorn\n",
            "requirements/base.txt": "-c ../constraints.txt\nflask\n",
            "constraints.txt": "flask<3\n",
            "base.txt": "this one must not be read\n",
        },
    )
    closure = requirements_closure(ctx, ["requirements/prod.txt"])
    assert closure.files == ("requirements/prod.txt", "requirements/base.txt", "constraints.txt")
    assert closure.ok
    assert closure.problems == ()


def test_files_order_roots_first_then_depth_first(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "a.txt": "-r a1.txt\n-r a2.txt\n",
            "a1.txt": "-r a11.txt\n",
            "a11.txt": "x\n",
            "a2.txt": "y\n",
            "b.txt": "-r a2.txt\n-r b1.txt\n",
            "b1.txt": "z\n",
        },
    )
    closure = requirements_closure(ctx, ["a.txt", "b.txt", "a.txt"])
    assert closure.files == ("a.txt", "b.txt", "a1.txt", "a11.txt", "a2.txt", "b1.txt")


@pytest.mark.parametrize(
    "files, roots, expected_files",
    [
        pytest.param({"a.txt": "-r b.txt\n", "b.txt": "-r a.txt\n"}, ["a.txt"], ("a.txt", "b.txt"), id="two-cycle"),
        pytest.param({"a.txt": "-r a.txt\nflask\n"}, ["a.txt"], ("a.txt",), id="self-include"),
        pytest.param(
            {"r/a.txt": "-r ../r/./b.txt\n", "r/b.txt": "-c a.txt\n"}, ["r/a.txt"], ("r/a.txt", "r/b.txt"),
            id="cycle-through-spellings",
        ),
    ],
)
def test_cycles_terminate(tmp_path: Path, files: dict, roots: list, expected_files: tuple) -> None:
    closure = requirements_closure(ctx_with(tmp_path, files), roots)
    assert closure.files == expected_files
    assert closure.ok


def test_missing_include_and_missing_root(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"requirements/prod.txt": "flask\n-r  base.txt\n-c dev/c.txt\n"})
    closure = requirements_closure(ctx, ["requirements/prod.txt", "nope.txt"])
    assert refs(closure.missing) == [
        ("nope.txt", 0, "nope.txt"),
        ("requirements/prod.txt", 2, "-r  base.txt"),
        ("requirements/prod.txt", 3, "-c dev/c.txt"),
    ]
    assert [r.target for r in closure.missing] == ["nope.txt", "requirements/base.txt", "requirements/dev/c.txt"]
    assert closure.files == ("requirements/prod.txt",)
    assert not closure.ok


def test_include_of_a_directory_is_missing(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "-r sub\n", "sub/x": ""})
    (missing,) = requirements_closure(ctx, ["r.txt"]).missing
    assert (missing.kind, missing.target) == ("not-a-file", "sub")


def test_ignored_files(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            ".dockerignore": "*\n!requirements.txt\n!requirements/prod.txt\n",
            "requirements.txt": "-r requirements/prod.txt\n",
            "requirements/prod.txt": "-r base.txt\n",
            "requirements/base.txt": "flask\n",
            "dev.txt": "pytest\n",
        },
    )
    closure = requirements_closure(ctx, ["requirements.txt", "dev.txt"])
    assert refs(closure.ignored) == [("dev.txt", 0, "dev.txt"), ("requirements/prod.txt", 1, "-r base.txt")]
    assert [r.target for r in closure.ignored] == ["dev.txt", "requirements/base.txt"]
    # ignored files are still followed and listed
    assert closure.files == ("requirements.txt", "dev.txt", "requirements/prod.txt", "requirements/base.txt")


def test_ignored_through_dockerfile_specific_ignore(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {"Dockerfile": "FROM x\n", "Dockerfile.dockerignore": "base.txt\n", "r.txt": "-r base.txt\n", "base.txt": "x\n"},
    )
    assert requirements_closure(ctx, ["r.txt"]).ignored == ()
    ctx.set_dockerfile(ctx.root / "Dockerfile")
    assert [r.target for r in requirements_closure(ctx, ["r.txt"]).ignored] == ["base.txt"]


@pytest.mark.parametrize(
    "line, kind",
    [
        pytest.param("-r ../../common.txt", "include", id="dotdot-escape"),
        pytest.param("-r /app/requirements/base.txt", "absolute", id="absolute"),
        pytest.param("-r file:///app/base.txt", "file-url", id="file-url"),
        pytest.param("-c ../../c.txt", "constraint", id="constraint-escape"),
        pytest.param("-r ../link_out.txt", "symlink", id="symlink-out"),
    ],
)
def test_includes_outside_the_context(tmp_path: Path, line: str, kind: str) -> None:
    (tmp_path / "common.txt").write_text("x\n")
    (tmp_path / "c.txt").write_text("x\n")
    ctx = ctx_with(tmp_path, {"requirements/prod.txt": f"flask\n{line}\n"})
    (ctx.root / "link_out.txt").symlink_to(tmp_path / "common.txt")
    closure = requirements_closure(ctx, ["requirements/prod.txt"])
    assert refs(closure.outside) == [("requirements/prod.txt", 2, line)]
    assert closure.outside[0].kind == kind
    assert closure.files == ("requirements/prod.txt",)


def test_dotdot_that_stays_inside_is_fine(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"requirements/prod.txt": "-r ../common.txt\n", "common.txt": "x\n"})
    closure = requirements_closure(ctx, ["requirements/prod.txt"])
    assert closure.files == ("requirements/prod.txt", "common.txt")
    assert closure.ok


def test_root_outside_the_context(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {})
    closure = requirements_closure(ctx, ["../requirements.txt", "/abs.txt"])
    assert refs(closure.outside) == [("../requirements.txt", 0, "../requirements.txt"), ("/abs.txt", 0, "/abs.txt")]


def test_remote_include_is_not_followed(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "-r https://example.com/base.txt\n"})
    closure = requirements_closure(ctx, ["r.txt"])
    assert refs(closure.remote) == [("r.txt", 1, "-r https://example.com/base.txt")]
    assert closure.ok and closure.files == ("r.txt",)


@pytest.mark.parametrize(
    "line, category",
    [
        pytest.param("-r ${REQ_DIR}/base.txt", "variables", id="include-var"),
        pytest.param("-c ${C}", "variables", id="constraint-var"),
        pytest.param("-r https://${HOST}/base.txt", "remote", id="remote-include-var"),
        pytest.param("${PACKAGE}", "variables", id="whole-requirement-var"),
        pytest.param("./pkgs/${NAME}", "variables", id="local-path-var"),
        pytest.param("pkg @ ${URL}", "variables", id="direct-reference-var"),
        pytest.param("pkg @ file://${WHEELS}/pkg.whl", "variables", id="file-url-var"),
        pytest.param("pkg==${VERSION}", None, id="version-var-is-harmless"),
        pytest.param("pkg @ https://${TOKEN}@host/pkg.whl", None, id="remote-url-var"),
        pytest.param("-e ${PROJECT_DIR}", "variables", id="editable-var"),
        pytest.param("-e git+https://${TOKEN}@github.com/o/r#egg=r", "local_refs", id="editable-vcs-var"),
        pytest.param("-f ${WHEELS}", "variables", id="find-links-var"),
        pytest.param("--extra-index-url https://${TOKEN}@pypi.example.com/simple", None, id="index-credentials"),
        pytest.param("-r ${lower}.txt", "missing", id="lowercase-is-not-expanded"),
    ],
)
def test_env_variables(tmp_path: Path, line: str, category: str | None) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": f"{line}\n"})
    closure = requirements_closure(ctx, ["r.txt"])
    for name in ("variables", "local_refs", "missing", "remote"):
        found = refs(getattr(closure, name))
        assert found == ([("r.txt", 1, line)] if name == category else []), name


LOCAL_REF_CASES = [
    pytest.param("-e .", "editable", id="editable-dot"),
    pytest.param("--editable=./pkg", "editable", id="editable-long"),
    pytest.param("-e./pkg[dev]", "editable", id="editable-attached-extras"),
    pytest.param("-e file:///src/pkg", "editable", id="editable-file-url"),
    pytest.param("-e git+https://github.com/o/r.git#egg=r", "editable-vcs", id="editable-vcs"),
    pytest.param("-e git+ssh://git@github.com/o/r.git#egg=r", "editable-vcs", id="editable-vcs-ssh"),
    pytest.param("-e hg+https://hg.example.com/r#egg=r", "editable-vcs", id="editable-hg"),
    pytest.param(".", "path", id="dot"),
    pytest.param(".[dev]", "path", id="dot-extras"),
    pytest.param("./pkg", "path", id="relative-dir"),
    pytest.param("../shared", "path", id="parent-dir"),
    pytest.param("/abs/path/pkg", "path", id="absolute"),
    pytest.param("libs/pkg ; python_version >= '3.8'", "path", id="path-with-marker"),
    pytest.param("file:///wheels/pkg-1.0-py3-none-any.whl", "file-url", id="file-url"),
    pytest.param("file:../pkg", "file-url", id="file-url-relative"),
    pytest.param("pkg @ file:///wheels/pkg.whl", "file-url", id="direct-reference-file"),
    pytest.param("git+file:///repos/pkg#egg=pkg", "file-url", id="vcs-file"),
    pytest.param("pkg-1.0-py3-none-any.whl", "archive", id="wheel-in-cwd"),
    pytest.param("pkg-1.0.tar.gz", "archive", id="sdist-in-cwd"),
    pytest.param("-f ./wheels", "find-links", id="find-links"),
    pytest.param("--find-links=/wheels", "find-links", id="find-links-long"),
    pytest.param("--find-links wheels", "find-links", id="find-links-bare"),
    pytest.param("-f file:///wheels", "find-links", id="find-links-file-url"),
    pytest.param("--index-url file:///simple", "index", id="index-file-url"),
    pytest.param("--extra-index-url /srv/simple", "index", id="extra-index-path"),
    # remote or plain: nothing to report
    pytest.param("requests>=2", None, id="named"),
    pytest.param("requests[security]>=2; python_version<'3.8'", None, id="named-extras-marker"),
    pytest.param("pkg @ https://example.com/pkg-1.0.whl", None, id="direct-reference-remote"),
    pytest.param("git+https://github.com/o/r.git#egg=r", None, id="vcs-remote-not-editable"),
    pytest.param("https://example.com/pkg-1.0.tar.gz", None, id="url-archive"),
    pytest.param("-f https://example.com/wheels", None, id="find-links-remote"),
    pytest.param("-i https://pypi.org/simple", None, id="index-remote"),
    pytest.param("pkg==1.0 --hash=sha256:abc", None, id="hash"),
    pytest.param("zope.interface", None, id="dotted-name"),
    pytest.param("--pre", None, id="flag"),
    pytest.param("--only-binary :all:", None, id="only-binary"),
    pytest.param("--trusted-host example.com", None, id="trusted-host"),
    pytest.param("flask -e .", None, id="editable-ignored-on-requirement-line"),
    pytest.param("flask -f ./wheels", None, id="find-links-ignored-on-requirement-line"),
]


@pytest.mark.parametrize("line, kind", LOCAL_REF_CASES)
def test_local_refs(tmp_path: Path, line: str, kind: str | None) -> None:
    ctx = ctx_with(tmp_path, {"requirements.txt": f"flask\n{line}\n"})
    closure = requirements_closure(ctx, ["requirements.txt"])
    if kind is None:
        assert closure.local_refs == ()
        assert closure.ok
    else:
        assert refs(closure.local_refs) == [("requirements.txt", 2, line)]
        assert closure.local_refs[0].kind == kind
        assert closure.local_refs[0].detail


def test_editable_vcs_detail_mentions_working_dir(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "-e git+https://github.com/o/r#egg=r\n"})
    (ref,) = requirements_closure(ctx, ["r.txt"]).local_refs
    assert "./src" in ref.detail


def test_include_line_ignores_other_options(tmp_path: Path) -> None:
    # pip recurses into the include and does not process -f on the same line
    ctx = ctx_with(tmp_path, {"r.txt": "-r b.txt -f ./wheels\n", "b.txt": "x\n"})
    closure = requirements_closure(ctx, ["r.txt"])
    assert closure.files == ("r.txt", "b.txt") and closure.local_refs == ()


def test_local_refs_found_in_included_files(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"requirements/prod.txt": "-r base.txt\n", "requirements/base.txt": "flask\n\n-e .\n"})
    closure = requirements_closure(ctx, ["requirements/prod.txt"])
    assert refs(closure.local_refs) == [("requirements/base.txt", 3, "-e .")]


def test_include_on_continued_line(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "flask\n-r \\\n  missing.txt\n"})
    closure = requirements_closure(ctx, ["r.txt"])
    assert [(r.lineno, r.target) for r in closure.missing] == [(2, "missing.txt")]


def test_parse_errors_and_unreadable_files(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"r.txt": "flask\n--bogus-option\n-r bin.txt\n", "bin.txt": b"\x00\x01\x02"})
    closure = requirements_closure(ctx, ["r.txt"])
    assert [(r.file, r.lineno, r.kind) for r in closure.errors] == [("r.txt", 2, "parse"), ("bin.txt", 0, "unreadable")]
    assert closure.files == ("r.txt", "bin.txt")
    assert not closure.ok


def test_closure_is_a_plain_value() -> None:
    empty = RequirementsClosure((), (), (), (), (), ())
    assert empty.ok and empty.remote == () and empty.errors == ()
    ref = RequirementsRef("r.txt", 3, "-e .")
    assert (ref.kind, ref.target, ref.detail) == ("", None, "")
    with pytest.raises(AttributeError):
        ref.lineno = 4  # type: ignore[misc]


# ---------------------------------------------------------------------------
# project_deps: pyproject.toml
# ---------------------------------------------------------------------------


def test_pyproject_static(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=68", "wheel"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "app"
                version = "1.0"
                readme = "README.md"
                license = {file = "LICENSE"}
                dependencies = ["flask>=2", "requests"]

                [project.optional-dependencies]
                dev = ["pytest"]
                docs = ["sphinx", "furo"]
            """,
            "README.md": "# app\n",
            "LICENSE": "MIT\n",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask>=2", "requests")
    assert deps.optional == {"dev": ("pytest",), "docs": ("sphinx", "furo")}
    assert deps.build_requires == ("setuptools>=68", "wheel")
    assert deps.build_backend == "setuptools.build_meta"
    assert deps.reads == ("pyproject.toml", "README.md", "LICENSE")
    assert deps.reason is None
    assert deps.source == "pyproject.toml [project].dependencies"


def test_pyproject_no_dependencies_key_means_none(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\n'})
    deps = project_deps(ctx)
    assert deps.dependencies == () and deps.optional == {} and deps.reason is None
    assert deps.build_requires == ()


def test_pyproject_readme_table_and_missing_readme(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\nreadme = {file = "docs/README.rst", content-type = "text/x-rst"}\n'},
    )
    deps = project_deps(ctx)
    assert deps.reads == ("pyproject.toml",)
    assert deps.missing_reads == ("docs/README.rst",)


def test_pyproject_setuptools_dynamic_file(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools"]
                build-backend = "setuptools.build_meta"
                [project]
                name = "a"
                dynamic = ["version", "dependencies", "optional-dependencies"]
                [tool.setuptools.dynamic]
                version = {file = "VERSION"}
                dependencies = {file = ["requirements.txt", "requirements-extra.txt"]}
                optional-dependencies.dev = {file = "requirements-dev.txt"}
            """,
            "VERSION": "1.0\n",
            "requirements.txt": "# pinned\nflask==2.0\n\nrequests  # http\n",
            "requirements-extra.txt": "click\n",
            "requirements-dev.txt": "pytest\n",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask==2.0", "requests", "click")
    assert deps.optional == {"dev": ("pytest",)}
    assert deps.reads == ("pyproject.toml", "VERSION", "requirements.txt", "requirements-extra.txt", "requirements-dev.txt")
    assert "requirements.txt" in (deps.source or "")


@pytest.mark.parametrize(
    "files, fragment",
    [
        pytest.param(
            {"requirements.txt": "flask\n-r other.txt\n"},
            "requirements.txt:2",
            id="option-line-in-dependency-file",
        ),
        pytest.param({}, "requirements.txt", id="dependency-file-missing"),
        pytest.param({"requirements.txt": "flask\n./libs/x\n"}, "requirements.txt:2", id="local-path-in-file"),
    ],
)
def test_pyproject_setuptools_dynamic_problems(tmp_path: Path, files: dict, fragment: str) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "a"
                version = "1"
                dynamic = ["dependencies"]
                [tool.setuptools.dynamic]
                dependencies = {file = ["requirements.txt"]}
            """,
            **files,
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies is None
    assert deps.reason is not None and fragment in deps.reason


def test_pyproject_dynamic_with_other_backend(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling", "hatch-requirements-txt"]
                build-backend = "hatchling.build"
                [project]
                name = "a"
                version = "1"
                dynamic = ["dependencies"]
            """,
            "setup.py": "from setuptools import setup\nsetup(install_requires=['x'])\n",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies is None
    assert "dynamic" in (deps.reason or "") and "hatchling.build" in (deps.reason or "")
    assert deps.reads == ("pyproject.toml",)  # hatchling does not run setup.py


def test_pyproject_dynamic_falls_through_to_setup_py(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n',
            "setup.py": "from setuptools import setup\nsetup(install_requires=['flask'])\n",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask",)
    assert deps.reads == ("pyproject.toml", "setup.py")


def test_pyproject_dynamic_without_provider(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n'})
    deps = project_deps(ctx)
    assert deps.dependencies is None and "dynamic" in (deps.reason or "")


@pytest.mark.parametrize(
    "pyproject, reason_fragment",
    [
        pytest.param(
            '[tool.poetry]\nname = "a"\n[tool.poetry.dependencies]\npython = "^3.11"\n',
            "poetry project",
            id="poetry",
        ),
        pytest.param(
            '[project]\nname = "a"\nversion = "1"\ndependencies = ["x"]\n[tool.poetry.dependencies]\nx = {path = "../x"}\n',
            "poetry project",
            id="poetry-2-with-project-table",
        ),
        pytest.param("[project\nname = 1\n", "invalid TOML", id="invalid-toml"),
        pytest.param(
            '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n[tool.flit.metadata]\nmodule = "a"\n',
            "no [project] table",
            id="no-project-table",
        ),
        pytest.param('[project]\nname = "a"\nversion = "1"\ndependencies = "flask"\n', "not a list of strings", id="bad-type"),
    ],
)
def test_pyproject_unknown(tmp_path: Path, pyproject: str, reason_fragment: str) -> None:
    deps = project_deps(ctx_with(tmp_path, {"pyproject.toml": pyproject}))
    assert deps.dependencies is None
    assert deps.reason is not None and reason_fragment in deps.reason
    assert deps.reason == "poetry project" or "pyproject.toml" in deps.reason


def test_poetry_reason_is_exact(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'})
    assert project_deps(ctx).reason == "poetry project"


def test_no_metadata_files(tmp_path: Path) -> None:
    deps = project_deps(ctx_with(tmp_path, {"app.py": ""}))
    assert deps.dependencies is None and "no pyproject.toml" in (deps.reason or "")


def test_project_dir_outside(tmp_path: Path) -> None:
    deps = project_deps(ctx_with(tmp_path, {}), "../elsewhere")
    assert deps.dependencies is None and "outside" in (deps.reason or "")


def test_project_in_subdirectory(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "backend/pyproject.toml": '[project]\nname = "a"\nversion = "1"\nreadme = "README.md"\ndependencies = ["django"]\n',
            "backend/README.md": "x",
        },
    )
    deps = project_deps(ctx, "backend")
    assert deps.dependencies == ("django",)
    assert deps.source == "backend/pyproject.toml [project].dependencies"
    assert deps.reads == ("backend/pyproject.toml", "backend/README.md")


def test_scm_version_note(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {"pyproject.toml": '[build-system]\nrequires = ["setuptools", "setuptools_scm>=8"]\n[project]\nname = "a"\ndynamic = ["version"]\n'},
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ()
    assert any(".git" in note for note in deps.notes)


def test_dynamic_version_attr_records_module(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "a"
                dynamic = ["version"]
                dependencies = []
                [tool.setuptools.dynamic]
                version = {attr = "app.__version__"}
            """,
            "src/app/__init__.py": "__version__ = '1'\n",
        },
    )
    assert project_deps(ctx).reads == ("pyproject.toml", "src/app/__init__.py")


# ---------------------------------------------------------------------------
# project_deps: setup.cfg
# ---------------------------------------------------------------------------


def test_setup_cfg(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "setup.cfg": """
                [metadata]
                name = app
                version = attr: app.__version__
                long_description = file: README.md, CHANGES.md

                [options]
                package_dir =
                    = src
                install_requires =
                    flask>=2
                    # a comment
                    requests ; python_version >= "3.8"

                [options.extras_require]
                dev =
                    pytest
                    black
            """,
            "README.md": "x",
            "CHANGES.md": "x",
            "src/app/__init__.py": "__version__ = '1'\n",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask>=2", 'requests ; python_version >= "3.8"')
    assert deps.optional == {"dev": ("pytest", "black")}
    assert deps.reads == ("setup.cfg", "README.md", "CHANGES.md", "src/app/__init__.py")
    assert deps.source == "setup.cfg [options] install_requires"


@pytest.mark.parametrize(
    "install_requires, files, expected",
    [
        pytest.param("flask; requests", {}, ("flask", "requests"), id="single-line-semicolons"),
        pytest.param("file: requirements.txt", {"requirements.txt": "flask\n# c\nclick\n"}, ("flask", "click"), id="file-directive"),
        pytest.param(
            "file: a.txt, b.txt", {"a.txt": "flask\n", "b.txt": "click\n"}, ("flask", "click"), id="file-directive-several"
        ),
    ],
)
def test_setup_cfg_variants(tmp_path: Path, install_requires: str, files: dict, expected: tuple) -> None:
    ctx = ctx_with(tmp_path, {"setup.cfg": f"[options]\ninstall_requires = {install_requires}\n", **files})
    deps = project_deps(ctx)
    assert deps.dependencies == expected
    assert set(files) <= set(deps.reads)


def test_setup_cfg_without_install_requires_uses_setup_py(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {"setup.cfg": "[metadata]\nname = a\n", "setup.py": "from setuptools import setup\nsetup(install_requires=['flask'])\n"},
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask",)
    assert deps.reads == ("setup.cfg", "setup.py")


def test_setup_cfg_only_without_install_requires(tmp_path: Path) -> None:
    deps = project_deps(ctx_with(tmp_path, {"setup.cfg": "[metadata]\nname = a\n"}))
    assert deps.dependencies == () and deps.reason is None


def test_setup_cfg_wins_over_setup_py(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "setup.cfg": "[options]\ninstall_requires =\n    flask\n",
            "setup.py": "from setuptools import setup\nsetup(install_requires=compute())\n",
        },
    )
    assert project_deps(ctx).dependencies == ("flask",)


def test_setup_cfg_unparseable(tmp_path: Path) -> None:
    deps = project_deps(ctx_with(tmp_path, {"setup.cfg": "install_requires = x\n"}))
    assert deps.dependencies is None and "setup.cfg" in (deps.reason or "")


# ---------------------------------------------------------------------------
# project_deps: setup.py (read with libcst, never executed)
# ---------------------------------------------------------------------------

SETUP_PY_KNOWN = [
    pytest.param(
        """
        from setuptools import setup
        setup(name="a", install_requires=["flask>=2", 'requests'])
        """,
        {},
        ("flask>=2", "requests"),
        id="literal-list",
    ),
    pytest.param(
        """
        import setuptools
        setuptools.setup(install_requires=("flask",))
        """,
        {},
        ("flask",),
        id="literal-tuple-setuptools-attribute",
    ),
    pytest.param(
        """
        from setuptools import setup
        REQUIRES = ["flask", "click"]
        setup(install_requires=REQUIRES)
        """,
        {},
        ("flask", "click"),
        id="name-bound-once",
    ),
    pytest.param(
        """
        from setuptools import setup
        BASE = ["flask"]
        setup(install_requires=BASE + ["click"])
        """,
        {},
        ("flask", "click"),
        id="list-concatenation",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=open("requirements.txt").read().splitlines())
        """,
        {"requirements.txt": "flask\nclick  # cli\n"},
        ("flask", "click"),
        id="open-read-splitlines",
    ),
    pytest.param(
        """
        from setuptools import setup
        with open("requirements.txt") as f:
            required = f.read().splitlines()
        setup(install_requires=required)
        """,
        {"requirements.txt": "flask\n"},
        ("flask",),
        id="with-block-binding",
    ),
    pytest.param(
        """
        import os
        from setuptools import setup
        here = os.path.abspath(os.path.dirname(__file__))
        def get_requirements():
            with open(os.path.join(here, "requirements.txt")) as fh:
                return [l.strip() for l in fh if l.strip() and not l.startswith("#")]
        setup(install_requires=get_requirements())
        """,
        {"requirements.txt": "# deps\nflask\n"},
        ("flask",),
        id="helper-opens-literal",
    ),
    pytest.param(
        """
        from setuptools import setup
        def read_reqs(path):
            with open(path) as fh:
                return fh.read().splitlines()
        REQS = read_reqs("requirements/base.txt")
        setup(install_requires=REQS)
        """,
        {"requirements/base.txt": "flask\n"},
        ("flask",),
        id="helper-with-literal-argument",
    ),
    pytest.param(
        """
        from pathlib import Path
        from setuptools import setup
        setup(install_requires=(Path(__file__).parent / "requirements.txt").read_text().splitlines())
        """,
        {"requirements.txt": "flask\n"},
        ("flask",),
        id="pathlib-read-text",
    ),
    pytest.param(
        """
        from setuptools import setup
        from pip._internal.req import parse_requirements
        setup(install_requires=[str(r.requirement) for r in parse_requirements("requirements.txt", session=None)])
        """,
        {"requirements.txt": "flask\n"},
        ("flask",),
        id="pip-parse-requirements",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=open("a.txt").read().split() + open("b.txt").read().split())
        """,
        {"a.txt": "flask\n", "b.txt": "click\n"},
        ("flask", "click"),
        id="two-files-concatenated",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(name="a")
        """,
        {},
        (),
        id="no-install-requires",
    ),
    pytest.param(
        """
        from setuptools import setup
        if __name__ == "__main__":
            setup(install_requires=["flask"])
        """,
        {},
        ("flask",),
        id="setup-under-main-guard",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=\"\"\"
            flask
            click
        \"\"\")
        """,
        {},
        ("flask", "click"),
        id="string-value",
    ),
    pytest.param(
        """
        from setuptools import setup
        kwargs = {"name": "a", "install_requires": ["flask"]}
        setup(**kwargs)
        """,
        {},
        ("flask",),
        id="kwargs-dict-literal",
    ),
]


@pytest.mark.parametrize("setup_py, files, expected", SETUP_PY_KNOWN)
def test_setup_py_known(tmp_path: Path, setup_py: str, files: dict, expected: tuple) -> None:
    ctx = ctx_with(tmp_path, {"setup.py": setup_py, **files})
    deps = project_deps(ctx)
    assert deps.reason is None
    assert deps.dependencies == expected
    assert deps.reads[0] == "setup.py"
    for name in files:
        assert name in deps.reads


SETUP_PY_DYNAMIC = [
    pytest.param(
        """
        from setuptools import setup
        from deps import REQS
        setup(install_requires=REQS)
        """,
        "setup.py:3: install_requires comes from `REQS`, which is imported",
        id="imported-name",
    ),
    pytest.param(
        """
        from setuptools import setup
        REQS = ["flask"]
        REQS = REQS + ["click"]
        setup(install_requires=REQS)
        """,
        "bound 2 times",
        id="bound-twice",
    ),
    pytest.param(
        """
        import sys
        from setuptools import setup
        REQS = ["flask"]
        if sys.version_info < (3, 8):
            REQS.append("importlib-metadata")
        setup(install_requires=REQS)
        """,
        "setup.py:6",
        id="appended",
    ),
    pytest.param(
        """
        from setuptools import setup
        REQS = ["flask"]
        REQS += ["click"]
        setup(install_requires=REQS)
        """,
        "modified",
        id="augmented",
    ),
    pytest.param(
        """
        import sys
        from setuptools import setup
        if sys.platform == "win32":
            REQS = ["pywin32"]
        setup(install_requires=REQS)
        """,
        "inside an if block",
        id="assigned-in-if",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=["flask", f"click>={MIN}"])
        """,
        "not a string literal",
        id="f-string-element",
    ),
    pytest.param(
        """
        from setuptools import setup
        from helpers import compute
        setup(install_requires=compute())
        """,
        "computed",
        id="computed-call",
    ),
    pytest.param(
        """
        import os
        from setuptools import setup
        setup(install_requires=open(os.environ["REQS"]).read().splitlines())
        """,
        "not a literal",
        id="non-literal-file",
    ),
    pytest.param(
        """
        import os
        from setuptools import setup
        setup(install_requires=open("a.txt").read().split() if os.path.exists("a.txt") else open("b.txt").read().split())
        """,
        "several files",
        id="several-files",
    ),
    pytest.param(
        """
        from setuptools import setup
        from meta import KWARGS
        setup(**KWARGS)
        """,
        "**KWARGS",
        id="star-kwargs",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=open("requirements.txt").read().splitlines())
        """,
        "requirements.txt",
        id="read-file-missing",
    ),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=open("reqs.txt").read().splitlines())
        """,
        "reqs.txt:2",
        id="read-file-with-editable",
    ),
    pytest.param(
        """
        from distutils.core import setup
        exec(open("meta.py").read())
        setup(install_requires=INSTALL_REQUIRES)
        """,
        "exec() at line 3",
        id="execd-namespace",
    ),
    pytest.param(
        """
        from setuptools import setup
        from _meta import *
        setup(install_requires=REQUIRES)
        """,
        "import *",
        id="star-import",
    ),
    pytest.param("print('no setup here')\n", "no setup() call", id="no-setup-call"),
    pytest.param("x = 1\ndef broken(:\n", "setup.py:2: cannot parse", id="syntax-error"),
    pytest.param(
        """
        from setuptools import setup
        setup(install_requires=["a"])
        setup(install_requires=["b"])
        """,
        "several setup() calls",
        id="two-setup-calls",
    ),
]


@pytest.mark.parametrize("setup_py, fragment", SETUP_PY_DYNAMIC)
def test_setup_py_dynamic(tmp_path: Path, setup_py: str, fragment: str) -> None:
    files = {"setup.py": setup_py, "reqs.txt": "flask\n-e .\n", "a.txt": "x\n", "b.txt": "y\n", "meta.py": "INSTALL_REQUIRES = []\n"}
    deps = project_deps(ctx_with(tmp_path, files))
    assert deps.dependencies is None
    assert deps.reason is not None and fragment in deps.reason, deps.reason
    assert deps.reason.startswith("setup.py")
    assert "\n" not in deps.reason
    assert deps.source is None


def test_setup_py_source_names_the_file_read(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "svc/setup.py": "from setuptools import setup\nsetup(install_requires=open('requirements/base.txt').read().splitlines())\n",
            "svc/requirements/base.txt": "flask\n",
        },
    )
    deps = project_deps(ctx, "svc")
    assert deps.dependencies == ("flask",)
    assert deps.source == "svc/setup.py:2 install_requires (read from svc/requirements/base.txt)"
    assert deps.reads == ("svc/setup.py", "svc/requirements/base.txt")


def test_setup_py_records_files_it_reads(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "setup.py": """
                import codecs
                import io
                import os
                from pathlib import Path
                from setuptools import setup

                HERE = os.path.abspath(os.path.dirname(__file__))

                def read(*parts):
                    with codecs.open(os.path.join(HERE, *parts), "r") as fp:
                        return fp.read()

                about = {}
                exec(open(os.path.join("src", "app", "__about__.py")).read(), about)
                long_description = io.open("README.rst", encoding="utf-8").read()
                changes = Path("CHANGES.md").read_text()
                version = read("src", "app", "VERSION").strip()

                setup(name="app", version=version, install_requires=["flask"])
            """,
            "src/app/__about__.py": "x = 1\n",
            "README.rst": "x",
            "CHANGES.md": "x",
            "src/app/VERSION": "1.0",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask",)
    assert deps.reads == ("setup.py", "src/app/__about__.py", "README.rst", "CHANGES.md", "src/app/VERSION")
    assert deps.missing_reads == ()


def test_setup_py_missing_read_is_reported(tmp_path: Path) -> None:
    ctx = ctx_with(tmp_path, {"setup.py": "from setuptools import setup\nopen('README.md').read()\nsetup()\n"})
    deps = project_deps(ctx)
    assert deps.dependencies == ()
    assert deps.missing_reads == ("README.md",)


def test_setup_py_imports_local_module(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nimport versioneer\nsetup(version=versioneer.get_version())\n",
            "versioneer.py": "def get_version(): return '1'\n",
        },
    )
    deps = project_deps(ctx)
    assert "versioneer.py" in deps.reads
    assert any("versioneer" in note for note in deps.notes)


@pytest.mark.parametrize(
    "setup_py, expected, reason_fragment",
    [
        pytest.param(
            'from setuptools import setup\nsetup(extras_require={"dev": ["pytest"], "docs": ("sphinx",)})\n',
            {"dev": ("pytest",), "docs": ("sphinx",)},
            None,
            id="literal-dict",
        ),
        pytest.param(
            'from setuptools import setup\nDEV = ["pytest"]\nEXTRAS = {"dev": DEV}\nsetup(extras_require=EXTRAS)\n',
            {"dev": ("pytest",)},
            None,
            id="name-bound-dict",
        ),
        pytest.param("from setuptools import setup\nsetup()\n", {}, None, id="no-extras"),
        pytest.param(
            "from setuptools import setup\nsetup(extras_require=make_extras())\n",
            {},
            "extras_require is computed",
            id="computed-extras",
        ),
        pytest.param(
            'from setuptools import setup\nsetup(extras_require={k: ["x"] for k in "ab"})\n',
            {},
            "extras_require is computed",
            id="dict-comprehension",
        ),
    ],
)
def test_setup_py_extras(tmp_path: Path, setup_py: str, expected: dict, reason_fragment: str | None) -> None:
    deps = project_deps(ctx_with(tmp_path, {"setup.py": setup_py}))
    assert deps.optional == expected
    if reason_fragment is None:
        assert deps.optional_reason is None
    else:
        assert deps.optional_reason is not None and reason_fragment in deps.optional_reason


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    ctx = ctx_with(
        tmp_path,
        {"setup.py": f"open({str(marker)!r}, 'w').write('x')\nfrom setuptools import setup\nsetup(install_requires=['a'])\n"},
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("a",)
    assert not marker.exists()
    assert any("absolute path" in note for note in deps.notes)


def test_setup_py_with_pyproject_static_deps_still_records_reads(tmp_path: Path) -> None:
    ctx = ctx_with(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndependencies = ["flask"]\n',
            "setup.py": "from setuptools import setup\nsetup(long_description=open('README.md').read())\n",
            "README.md": "x",
        },
    )
    deps = project_deps(ctx)
    assert deps.dependencies == ("flask",)
    assert deps.reads == ("pyproject.toml", "setup.py", "README.md")


def test_project_deps_value_shape(tmp_path: Path) -> None:
    deps = project_deps(ctx_with(tmp_path, {"setup.py": "from setuptools import setup\nsetup(install_requires=['a'])\n"}))
    assert isinstance(deps, ProjectDeps)
    assert deps.source is not None and deps.source.startswith("setup.py:2")
    with pytest.raises(AttributeError):
        deps.reason = "x"  # type: ignore[misc]
