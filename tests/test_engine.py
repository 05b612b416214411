"""The engine: verification catches wrong edits; generated files stay lossless and idempotent."""

import pathlib
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dockfix.api import fix_bytes
from dockfix.engine import VerifyError, apply_edits, verify
from dockfix.model import Edit, Expect, Fix
from dockfix.reader import read

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
