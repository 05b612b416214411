"""Suppression comments: handled in the engine; unknown codes reported."""

import pytest

from _repos import NAIVE
from dockfix.api import fix_bytes
from dockfix.dockerfile.model import Settings
from dockfix.dockerfile.reader import read
from dockfix.dockerfile.suppress import read_suppressions

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
        pytest.param(above(4, "# dockfix: ignore[DF001]"), {"DF002"}, 1, id="df001-above-the-install"),
        pytest.param(above(4, "# dockfix: ignore"), set(), 2, id="all-rules"),  # DF001 concerns the install too
        pytest.param(above(3, "# dockfix: ignore"), {"DF002"}, 1, id="all-rules-above-the-copy"),
        pytest.param(above(4, "# a note\n# dockfix: ignore[df002]\n# another"), {"DF001"}, 1, id="in-a-block"),
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


def test_a_blank_line_below_a_suppression_is_reported_and_the_comment_applies_to_nothing(tmp_path):
    result = fix(tmp_path, above(4, "# dockfix: ignore[DF002]\n"))
    assert {f.code for f in result.fixes} == {"DF001", "DF002"} and result.suppressed == 0
    assert result.warnings == [
        "line 4: suppression comment '# dockfix: ignore[DF002]' applies to nothing: a blank line (line 5) "
        "separates it from the instruction at line 6; put it directly above the instruction"]


@pytest.mark.parametrize("comment, line, warning", [
    pytest.param("# dockfix: ignore[DF004]", 3, "line 3: unused suppression comment '# dockfix: ignore[DF004]': "
                 "no DF004 finding on the instruction at line 4", id="no-finding-of-that-code"),
    pytest.param("# dockfix: ignore[DF002, DF004]", 4, "line 4: unused suppression comment '# dockfix: ignore[DF002, DF004]': "
                 "no DF004 finding on the instruction at line 5", id="one-code-of-two"),
    pytest.param("# dockfix: ignore", 2, "line 2: unused suppression comment '# dockfix: ignore': "
                 "no finding on the instruction at line 3", id="bare-ignore-on-workdir"),
    pytest.param("# dockfix: skip-file[DF003]", 1, "line 1: unused suppression comment '# dockfix: skip-file[DF003]': "
                 "no DF003 finding in the file", id="skip-file"),
])
def test_unused_suppressions_are_reported(tmp_path, comment, line, warning):
    result = fix(tmp_path, above(line, comment))
    assert result.warnings == [warning]


def test_a_suppression_used_after_a_fix_moved_it_is_not_unused(tmp_path):
    # DF001 moves the COPY (and its comment block) below the install; DF002 is found on the moved text
    data = b"FROM python:3.11-slim\nWORKDIR /app\n# dockfix: ignore[DF001]\nCOPY . .\n# dockfix: ignore[DF002]\nRUN pip install -r requirements.txt\n"
    result = fix(tmp_path, data)
    assert result.fixes == [] and result.suppressed == 2 and result.warnings == []
    result = fix(tmp_path, data.replace(b"# dockfix: ignore[DF001]\n", b""))
    assert [f.code for f in result.fixes] == ["DF001"] and result.warnings == []


def test_unused_is_judged_only_for_rules_that_ran(tmp_path):
    assert fix(tmp_path, above(3, "# dockfix: ignore[DF004]"), select=frozenset({"DF001"})).warnings == []


def test_misplaced_suppressions(tmp_path):
    data = (b"FROM python:3.11-slim\nRUN apt-get update && \\\n    # dockfix: ignore[DF004]\n    apt-get install -y gcc\n"
            b"# dockfix: ignore[DF002]\n")
    result = fix(tmp_path, data)
    assert result.warnings == [
        "line 3: suppression comment '# dockfix: ignore[DF004]' is inside the instruction at line 2, where it applies "
        "to nothing; put it above the instruction",
        "line 5: suppression comment '# dockfix: ignore[DF002]' applies to nothing: no instruction follows it",
    ]


def test_suppressions_through_the_console_script(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "Dockerfile").write_bytes(above(4, "# dockfix: ignore[DF001]") + b"# dockfix: ignore[DF003]\nCMD [\"x\"]\n")
    p = subprocess.run([sys.executable, "-m", "dockfix", "--check", "Dockerfile"], cwd=tmp_path, capture_output=True,
                       env=dict(os.environ, NO_COLOR="1"))
    err = p.stderr.decode()
    assert p.returncode == 1 and "DF001" not in p.stdout.decode() and "+COPY requirements.txt" not in p.stdout.decode()
    assert "Dockerfile:5: DF002 would fix" in err
    assert ("Dockerfile: warning: line 7: unused suppression comment '# dockfix: ignore[DF003]': "
            "no DF003 finding on the instruction at line 8") in err
