"""Fixture pairs: fixtures/<rule>/<case>/ holds the build context of one case.

- ``Dockerfile``: the input;
- ``expected.Dockerfile``: the output (absent: the file must stay byte for byte unchanged);
- ``case.toml`` (optional): ``context`` (a folder relative to the case, default the case itself),
  ``settings`` (select, ignore, add_syntax, unsafe_fixes) and the skips the case must report:
  ``[[skip]] code, line, reason`` (reason: a substring of the message), and the unsafe fixes it
  must show without applying them: ``[[unsafe]] code, message``.

Every case is also run on its own output (nothing may change: black's stability check) and the
output is read by BuildKit's parser where the oracle is installed.
"""

import tomllib

import pytest

from dockfix.api import fix_bytes
from dockfix.dockerfile.model import Settings
from dockfix.dockerfile.reader import read

from _paths import fixture_cases

CASES = fixture_cases()


def load(case):
    meta = {}
    if (case / "case.toml").exists():
        meta = tomllib.loads((case / "case.toml").read_text())
    s = meta.get("settings", {})
    settings = Settings(
        select=frozenset(s["select"]) if "select" in s else None,
        ignore=frozenset(s.get("ignore", ())),
        add_syntax=s.get("add_syntax", False),
        unsafe_fixes=s.get("unsafe_fixes", False),
    )
    context = (case / meta.get("context", ".")).resolve()
    return meta, settings, context


def run_case(case, data=None):
    meta, settings, context = load(case)
    path = case / "Dockerfile"
    return fix_bytes(path.read_bytes() if data is None else data, str(path), context, settings)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture(case):
    meta, _, _ = load(case)
    original = (case / "Dockerfile").read_bytes()
    result = run_case(case)
    assert result.outcome != "failed", result.error
    expected_file = case / "expected.Dockerfile"
    if expected_file.exists():
        assert result.patched.decode("utf-8", "surrogateescape") == expected_file.read_bytes().decode("utf-8", "surrogateescape")
        assert result.outcome == "changed"
    else:
        assert result.patched == original, "expected no change"
        assert meta.get("skip") or meta.get("unsafe") or meta.get("unchanged_ok"), "an unchanged case must name the skips it expects"
    for want in meta.get("skip", []):
        found = [s for s in result.skips if s.code == want["code"] and want["reason"] in s.reason]
        assert found, f"no {want['code']} skip containing {want['reason']!r}; got {[(s.code, s.lineno, s.reason) for s in result.skips]}"
        if "line" in want:
            assert want["line"] in [s.lineno for s in found], [(s.lineno, s.reason) for s in found]
    for want in meta.get("unsafe", []):
        shown = [f for f in result.unapplied if f.code == want["code"] and f.applicability.value == "unsafe"]
        assert any(want.get("message", "") in f.message for f in shown), result.unapplied
    for want in meta.get("fix", []):
        assert any(f.code == want["code"] and want.get("message", "") in f.message for f in result.fixes), result.fixes


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_is_stable(case):
    first = run_case(case)
    second = run_case(case, first.patched)
    assert second.patched == first.patched
    assert second.fixes == []


oracle = pytest.importorskip("dockerfile", reason="BuildKit's parser (dockerfile package) not installed")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_output_parses_like_buildkit(case, tmp_path):
    out = tmp_path / "Dockerfile"
    out.write_bytes(run_case(case).patched)
    theirs = [(c.cmd.upper(), c.start_line, c.end_line, tuple(c.flags)) for c in oracle.parse_file(str(out))]
    ours = [(i.keyword, i.start + 1, i.end + 1, tuple(f.raw for f in i.flags)) for i in read(out.read_bytes()).instructions]
    assert ours == theirs
