"""The engine: verification catches wrong edits; generated files stay lossless and idempotent."""

import pathlib
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dockfix.api import fix_bytes
from dockfix.engine import VerifyError, apply_edits, verify
from dockfix.dockerfile.model import Edit, Expect, Fix, Settings
from dockfix.dockerfile.reader import read

BASE = b"FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"


def test_verify_accepts_the_declared_change():
    df = read(BASE)
    fix = Fix("T1", "t", "m", 4, (Edit(3, 4, "RUN pip install -r requirements.txt flask\n", (Expect("RUN", (), ("pip", "install", "-r", "requirements.txt", "flask")),)),))
    verify(df, read(df.encode(apply_edits(df.lines, fix.edits))), fix)


@pytest.mark.parametrize(
    "edit, message",
    [
        pytest.param(Edit(3, 4, "RUN pip install flask\n", (Expect("RUN", (), ("pip", "install", "-r", "requirements.txt")),)), "reads back as", id="text-differs-from-expect"),
        pytest.param(Edit(3, 4, "RUN pip install \\\n", (Expect("RUN", (), ("pip", "install")),)), "left open", id="continuation-left-open"),
        pytest.param(Edit(2, 2, "# new\n", ()), "comments", id="comment-added"),
        pytest.param(Edit(1, 2, "", ()), "instruction was lost", id="instruction-lost"),
        pytest.param(Edit(3, 3, "RUN <<EOF\n", (Expect("RUN", (), ("<<EOF",)),)), "", id="heredoc-introduced"),
    ],
)
def test_verify_rejects_wrong_edits(edit, message):
    df = read(BASE)
    fix = Fix("T1", "t", "m", 1, (edit,))
    with pytest.raises(Exception) as e:
        verify(df, read(df.encode(apply_edits(df.lines, fix.edits))), fix)
    assert message in str(e.value)


def test_edit_cutting_through_an_instruction_is_rejected():
    df = read(b"FROM a\nRUN a \\\n  b\n")
    fix = Fix("T1", "t", "m", 2, (Edit(1, 2, "RUN a \\\n", (Expect("RUN", (), ("a", "b")),)),))
    with pytest.raises(VerifyError, match="cuts through"):
        verify(df, read(df.encode(apply_edits(df.lines, fix.edits))), fix)


# --- whole pipeline on generated Dockerfiles -----------------------------------------------------

FRAGMENTS = [
    "WORKDIR /app", "WORKDIR /srv/app", "COPY . .", "COPY . /app", "ADD . /app/", "COPY --chown=1000:1000 . .",
    "RUN pip install -r requirements.txt", "RUN pip install --no-cache-dir -r requirements.txt",
    "RUN python -m pip install \\\n    --no-cache-dir \\\n    -r requirements.txt",
    "RUN cd /app && pip3 install -r requirements.txt && pip cache purge",
    "RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*",
    "RUN pip install flask", "RUN python manage.py collectstatic", "# a comment", "", "USER app",
    "ENV PIP_NO_CACHE_DIR=1", "EXPOSE 8000", 'CMD ["python", "app.py"]', "RUN <<EOF\npip install flask\nEOF",
    "ARG V=1", "COPY requirements.txt .", "RUN pip install -r requirements.txt \\\n  && python -c 'import flask'",
]


@st.composite
def dockerfiles(draw):
    body = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=10))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    text = nl.join(["FROM python:3.11", *body])
    if draw(st.booleans()):
        text += nl
    return text.replace("\n", nl) if nl == "\r\n" else text


CONTEXT = pathlib.Path(tempfile.mkdtemp(prefix="dockfix-engine-"))
(CONTEXT / "requirements.txt").write_text("flask\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_generated_files_are_lossless_and_idempotent(text):
    data = text.encode()
    first = fix_bytes(data, "Dockerfile", CONTEXT)
    assert first.outcome != "failed", first.error
    assert not [s for s in first.skips if s.code == "DF999"], first.skips
    if not first.fixes:
        assert first.patched == data
        return
    out = read(first.patched)
    # nothing lost: every comment and every original instruction keyword is still there
    before, after = read(data), out
    assert sorted(l.strip() for l in before.lines if l.lstrip().startswith("#")) == sorted(
        l.strip() for l in after.lines if l.lstrip().startswith("#")
    )
    assert len(after.instructions) >= len(before.instructions)
    assert ("\r\n" in text) == (b"\r\n" in first.patched)
    assert text.endswith(("\n",)) == first.patched.endswith(b"\n")
    second = fix_bytes(first.patched, "Dockerfile", CONTEXT)
    assert second.patched == first.patched and not second.fixes


def test_verify_rejects_gluing_onto_the_next_instruction():
    df = read(BASE + b"CMD [\"x\"]\n")
    fix = Fix("T1", "t", "m", 4, (Edit(3, 4, "RUN pip install \\\n", (Expect("RUN", (), ("pip", "install")),)),))
    with pytest.raises(VerifyError):
        verify(df, read(df.encode(apply_edits(df.lines, fix.edits))), fix)


def test_a_crashing_rule_fails_the_file_with_one_line(monkeypatch):
    from dockfix.rules import deps_first

    def boom(facts):
        raise KeyError("unexpected")

    monkeypatch.setattr(deps_first, "check", boom)
    result = fix_bytes(BASE, "Dockerfile", CONTEXT)
    assert result.outcome == "failed"
    assert result.error == "Dockerfile: internal error: KeyError: 'unexpected' (please report this)"
    assert result.patched == BASE


def test_verify_rejects_a_run_left_with_a_dangling_operator():
    df = read(b"FROM a\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\n")
    fix = Fix("T1", "t", "m", 2, (Edit(1, 2, "RUN apt-get update &&\n", (Expect("RUN", (), ("apt-get", "update", "&&")),)),))
    with pytest.raises(VerifyError, match="valid shell script"):
        verify(df, read(df.encode(apply_edits(df.lines, fix.edits))), fix)


# --- every fix in one run; limits end a file as failed, with one line ------------------------------


def many_installs(n: int) -> bytes:
    return ("FROM python:3.12-slim\n" + "".join(f"RUN pip install --no-cache-dir pkg{k}\n" for k in range(n))).encode()


@pytest.mark.parametrize("n", [40, 62])
def test_one_run_applies_more_fixes_than_the_pass_limit(n):
    from dockfix.engine import MAX_PASSES

    assert n > MAX_PASSES
    first = fix_bytes(many_installs(n), "Dockerfile", CONTEXT)
    assert first.outcome == "changed" and len(first.fixes) == n
    assert sorted(f.lineno for f in first.fixes) == list(range(2, n + 2))
    assert first.patched.count(b"--mount=type=cache,target=/root/.cache/pip") == n
    assert b"--no-cache-dir" not in first.patched
    second = fix_bytes(first.patched, "Dockerfile", CONTEXT)
    assert second.outcome == "unchanged" and second.patched == first.patched


@pytest.mark.parametrize("n", [40, 62])
def test_write_then_check_exits_0(tmp_path, n):
    import os
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_bytes(many_installs(n))
    exe = pathlib.Path(sys.executable).parent / "dockfix"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dockfix"]
    env = dict(os.environ, NO_COLOR="1")
    w = subprocess.run([*cmd, "--write", str(tmp_path / "Dockerfile")], capture_output=True, env=env)
    assert w.returncode in (0, 1), w.stderr.decode()
    c = subprocess.run([*cmd, "--check", str(tmp_path / "Dockerfile")], capture_output=True, env=env)
    assert c.returncode == 0, (c.stdout + c.stderr).decode()
    assert (tmp_path / "Dockerfile").read_bytes().count(b"--mount=type=cache") == n


class _Restless:
    """A rule that never settles: each pass it proposes one more ENV line."""

    CODE, NAME = "DF998", "restless"

    @staticmethod
    def check(facts):
        n = len(facts.df.lines)
        return [Fix("DF998", "restless", "one more", n, (Edit(n, n, f"ENV X{n}=1\n", (Expect("ENV", (), (f"X{n}=1",)),)),))]


def test_a_rule_that_never_settles_fails_the_file_with_one_line(monkeypatch):
    import dockfix.rules

    monkeypatch.setattr(dockfix.rules, "ALL_RULES", (_Restless,))
    result = fix_bytes(BASE, "Dockerfile", CONTEXT)
    assert result.outcome == "failed"
    assert result.error.startswith("Dockerfile: fixes did not settle after ") and "\n" not in result.error
    assert result.patched == BASE


def test_a_file_over_the_time_budget_fails_as_too_complex(monkeypatch):
    import dockfix.engine

    monkeypatch.setattr(dockfix.engine, "TIME_BUDGET", 0.0)
    result = fix_bytes(BASE, "Dockerfile", CONTEXT)
    assert result.outcome == "failed"
    assert result.error.startswith("Dockerfile: too complex: not finished within the time budget")
    assert result.patched == BASE


# --- fixes found in one pass applied together: the same result as one at a time -------------------


def _both_ways(df, ctx, settings):
    from dockfix.engine import fix_dockerfile

    together = fix_dockerfile(df, ctx, settings)
    one_by_one = fix_dockerfile(df, ctx, settings, batch=False)
    return together, one_by_one


def _same(a, b):
    assert a.df.text == b.df.text
    assert [(f.code, f.lineno, f.message) for f in a.applied] == [(f.code, f.lineno, f.message) for f in b.applied]
    assert [(s.code, s.lineno, s.reason) for s in a.skips] == [(s.code, s.lineno, s.reason) for s in b.skips]
    assert [(f.code, f.lineno, f.message) for f in a.unapplied] == [(f.code, f.lineno, f.message) for f in b.unapplied]
    assert a.errors == b.errors


def test_batched_fixes_give_the_same_result_as_one_per_pass_on_every_fixture():
    from dockfix.build.context import BuildContext

    from _paths import fixture_cases
    from test_fixtures import load

    for case in fixture_cases():
        _, settings, context = load(case)
        for s in (settings, Settings(unsafe_fixes=True), Settings(add_syntax=True)):
            df = read((case / "Dockerfile").read_bytes(), str(case / "Dockerfile"))
            ctx = BuildContext(context)
            ctx.set_dockerfile(str(case / "Dockerfile"))
            _same(*_both_ways(df, ctx, s))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=20, max_size=60), st.booleans())
def test_batched_fixes_give_the_same_result_as_one_per_pass_on_generated_files(body, unsafe):
    from dockfix.build.context import BuildContext

    df = read("\n".join(["FROM python:3.11", *body, ""]).encode())
    _same(*_both_ways(df, BuildContext(CONTEXT), Settings(unsafe_fixes=unsafe)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=20, max_size=80))
def test_files_with_many_fixes_are_fixed_in_one_run(body):
    data = "\n".join(["FROM python:3.11", *body, ""]).encode()
    first = fix_bytes(data, "Dockerfile", CONTEXT)
    assert first.outcome != "failed", first.error
    second = fix_bytes(first.patched, "Dockerfile", CONTEXT)
    assert second.patched == first.patched and not second.fixes
    # every finding speaks of a line of the file as given, in order
    n = len(read(data).lines)
    for found in (first.fixes, first.skips, first.unapplied):
        lines = [f.lineno for f in found if f.code != "DF999"]
        assert all(1 <= k <= n for k in lines) and lines == sorted(lines), found


# --- reports: original line numbers, no stale refusals, one finding per place ----------------------


def test_findings_of_later_passes_use_the_original_line_numbers(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    data = b"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nRUN pip install -r requirements.txt gunicorn\n"
    result = fix_bytes(data, str(tmp_path / "Dockerfile"), tmp_path)
    assert result.outcome == "changed"
    lines = data.decode().splitlines()
    df002 = [f for f in result.fixes if f.code == "DF002"]
    assert df002 and all(lines[f.lineno - 1].startswith("RUN pip install") for f in df002)
    assert sorted(f.lineno for f in df002) == [4, 5]
    assert [f.lineno for f in result.fixes] == sorted(f.lineno for f in result.fixes)


def test_line_numbers_inside_messages_are_mapped(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    data = b"FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nRUN pip install -r requirements-dev.txt\n"
    result = fix_bytes(data, str(tmp_path / "Dockerfile"), tmp_path, Settings(select=frozenset({"DF001"})))
    # the second fix is planned on the file the first one changed (the COPY is then at line 5)
    assert [(f.lineno, f.message) for f in result.fixes] == [
        (3, "copy requirements.txt and install before the COPY at line 3, which moves below the install at line 4"),
        (3, "copy requirements-dev.txt and install before the COPY at line 3, which moves below the install at line 5"),
    ]


def test_no_refusal_about_a_situation_a_fix_removed(tmp_path):
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / "requirements.txt").write_text("flask\n")
    data = b"FROM python:3.11\nWORKDIR /app\nCOPY serve/ ./serve\nRUN pip install -r serve/requirements.txt\nCMD [\"python\"]\n"
    result = fix_bytes(data, str(tmp_path / "Dockerfile"), tmp_path)
    assert result.outcome == "changed"
    after = read(result.patched)
    assert [i.keyword for i in after.instructions][:4] == ["FROM", "WORKDIR", "COPY", "RUN"]
    assert not [s for s in result.skips if "COPY at line" in s.reason], result.skips


def test_the_same_unsafe_fix_on_two_lines_is_reported_twice():
    data = b"FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\nFROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
    result = fix_bytes(data, "Dockerfile", CONTEXT)
    unsafe = [f for f in result.unapplied if f.applicability.value == "unsafe"]
    assert [f.lineno for f in unsafe] == [2, 4]
    assert unsafe[0].message == unsafe[1].message
    assert result.unsafe_fixes_available == 2
    applied = fix_bytes(data, "Dockerfile", CONTEXT, Settings(unsafe_fixes=True))
    assert applied.unsafe_fixes_available == 0 and len(applied.fixes) == 2


# --- pathological input: no recursion limit, every fix applied ----------------------------------------


def test_a_thousand_chained_stages():
    parts = ["FROM python:3.12-slim AS s0\nRUN pip install pkg0\n"]
    parts += [f"FROM s{k - 1} AS s{k}\nRUN pip install pkg{k}\n" for k in range(1, 1000)]
    result = fix_bytes("".join(parts).encode(), "Dockerfile", CONTEXT)
    assert result.outcome == "changed", result.error
    assert len(result.fixes) == 1000


def test_independent_rules_are_declared_by_the_rules():
    """The engine batches the fixes of the rules that declare ``INDEPENDENT_FIXES`` (DF002 today)."""
    from dockfix import rules

    assert rules.INDEPENDENT == {"DF002"}
