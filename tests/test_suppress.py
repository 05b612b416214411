"""Suppression comments: handled in the engine; unknown codes reported."""

import pytest

from _repos import NAIVE
from dockfix.api import fix_bytes
from dockfix.model import Settings
from dockfix.reader import read
from dockfix.suppress import read_suppressions

RULES = ("DF001", "DF002")


def fix(tmp_path, data, **settings):
    (tmp_path / "requirements.txt").write_text("flask\n")
    return fix_bytes(data, str(tmp_path / "Dockerfile"), settings=Settings(**settings))


def above(line_no, comment):
    lines = NAIVE.decode().splitlines(keepends=True)
    lines.insert(line_no - 1, comment + "\n")
    return "".join(lines).encode()


@pytest.mark.parametrize(
    "data, codes, suppressed",
    [
        pytest.param(NAIVE, {"DF001", "DF002"}, 0, id="none"),
        pytest.param(above(4, "# dockfix: ignore[DF002]"), {"DF001"}, 1, id="one-rule"),
        pytest.param(above(3, "# dockfix: ignore[DF001]"), {"DF002"}, 1, id="at-the-reported-line"),
        pytest.param(above(4, "# dockfix: ignore"), {"DF001"}, 1, id="all-rules"),
        pytest.param(above(4, "# a note\n# dockfix: ignore[df002, DF001]\n# another"), {"DF001"}, 1, id="in-a-block"),
        pytest.param(above(4, "# dockfix: ignore[DF002]\n"), {"DF001", "DF002"}, 0, id="blank-line-breaks-the-block"),
        pytest.param(above(1, "# dockfix: skip-file[DF001]"), {"DF002"}, 1, id="file-one-rule"),
        pytest.param(above(6, "# dockfix: skip-file"), set(), 0, id="file-all"),
    ],
)
def test_suppressions(tmp_path, data, codes, suppressed):
    result = fix(tmp_path, data)
    assert {f.code for f in result.fixes} == codes
    assert result.suppressed == suppressed
    assert result.warnings == []
    assert result.outcome == ("changed" if codes else "unchanged")


def test_suppressed_refusals_are_dropped_too(tmp_path):
    data = b"FROM python:3.11\nUSER app\n# dockfix: ignore[DF002]\nRUN pip install flask\n"
    assert fix(tmp_path, data).skips == []


def test_unknown_codes_and_forms_are_reported(tmp_path):
    data = above(4, "# dockfix: ignore[DF002,DF777]") + b"# dockfix: ignroe\n"
    result = fix(tmp_path, data)
    assert result.warnings == [
        "line 4: unknown rule code DF777 in suppression comment",
        "line 7: unrecognised suppression comment '# dockfix: ignroe'",
    ]
    assert {f.code for f in result.fixes} == {"DF001"}


def test_rules_never_see_pragmas():
    sup = read_suppressions(read(above(4, "# dockfix: ignore[DF002]")), RULES)
    assert sup.lines == {5: frozenset({"DF002"})} and not sup.skip_file
