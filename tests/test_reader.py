"""The reader against BuildKit's own parser (the ``dockerfile`` package wraps BuildKit 0.12.5).

Compared per instruction: keyword, first and last line, flags, heredoc bodies. Run on our own
cases (tests/data/reader, every fixture input and output), and on ../shared/reader-cases and
../shared/corpus when those folders exist.
"""

import json
import pathlib

import pytest
from hypothesis import given, settings, strategies as st

from dockfix.dockerfile.model import ParseError
from dockfix.dockerfile.reader import read

from _paths import FIXTURES, SHARED

HERE = pathlib.Path(__file__).parent
OWN = sorted((HERE / "data" / "reader").glob("*.Dockerfile")) + sorted(FIXTURES.glob("*/*/*Dockerfile"))

# Where BuildKit 0.12.5's wrapper does not report what its parser read: heredoc bodies of
# ONBUILD instructions (their line spans agree).
def ours(data: bytes):
    return [
        (i.keyword, i.start + 1, i.end + 1, tuple(f.raw for f in i.flags), tuple(h.body for h in i.heredocs) if i.keyword != "ONBUILD" else ())
        for i in read(data).instructions
    ]


def theirs(path):
    import dockerfile

    return [
        (c.cmd.upper(), c.start_line, c.end_line, tuple(c.flags), tuple(h.content for h in c.heredocs) if c.cmd.upper() != "ONBUILD" else ())
        for c in dockerfile.parse_file(str(path))
    ]


def compare(path):
    pytest.importorskip("dockerfile")
    import dockerfile

    data = pathlib.Path(path).read_bytes()
    try:
        expected = theirs(path)
    except UnicodeDecodeError:
        # The wrapper cannot hand back invalid UTF-8; the line spans are checked by the recorded
        # BuildKit output where there is one, the round trip here.
        assert b"".join(l.encode("utf-8", "surrogateescape") for l in read(data).lines) in (data, data[3:])
        return
    except dockerfile.GoParseError:
        with pytest.raises(ParseError):
            read(data)
        return
    assert ours(data) == expected


@pytest.mark.parametrize("path", OWN, ids=[str(p.relative_to(HERE.parent)) for p in OWN])
def test_own_cases_match_buildkit(path):
    compare(path)


def test_reader_cases_match_buildkit(shared):
    """The 64 edge cases, against the recorded BuildKit 0.12.5 line spans and the live oracle."""
    cases = shared / "reader-cases"
    recorded = json.loads((cases / "buildkit-0.12.5.json").read_text())
    checked = 0
    for name, rec in recorded.items():
        path = cases / f"{name}.Dockerfile"
        data = path.read_bytes()
        want = rec["buildkit_0_12_5"]
        if want["error"]:
            with pytest.raises(ParseError):
                read(data)
        else:
            got = [[i.keyword, i.start + 1, i.end + 1] for i in read(data).instructions]
            assert got == [[k.upper(), a, b] for k, a, b in want["instructions"]], name
        compare(path)
        checked += 1
    assert checked == len(recorded) >= 63


def test_corpus_matches_buildkit(shared):
    index = [json.loads(line) for line in (shared / "corpus" / "index.jsonl").read_text().splitlines()]
    for entry in index:
        compare(shared / "corpus" / entry["repo"].replace("/", "__") / entry["dockerfile"])
    assert len(index) > 100


# --- facts of design.md §3, each a test -----------------------------------------------------------


def kinds(text: bytes):
    return [(i.keyword, i.start + 1, i.end + 1) for i in read(text).instructions]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(b"FROM a\nRUN a \\\n\n  # c\n  b\nRUN c\n", [("FROM", 1, 1), ("RUN", 2, 5), ("RUN", 6, 6)], id="blank-and-comment-inside-continuation"),
        pytest.param(b"FROM a\n# c \\\nRUN b\n", [("FROM", 1, 1), ("RUN", 3, 3)], id="top-level-comment-never-continues"),
        pytest.param(b"FROM a\nRUN a \\\\\nRUN b\n", [("FROM", 1, 1), ("RUN", 2, 2), ("RUN", 3, 3)], id="doubled-escape-does-not-continue"),
        pytest.param(b"FROM a\nRUN a \\ \t\n b\n", [("FROM", 1, 1), ("RUN", 2, 3)], id="blanks-after-escape"),
        pytest.param(b"# escape=`\nFROM a\nRUN a `\n b\nRUN c \\\nRUN d\n", [("FROM", 2, 2), ("RUN", 3, 4), ("RUN", 5, 5), ("RUN", 6, 6)], id="escape-directive"),
        pytest.param(b"FROM a\n# escape=`\nRUN a `\nRUN b\n", [("FROM", 1, 1), ("RUN", 3, 3), ("RUN", 4, 4)], id="directive-after-instruction-is-a-comment"),
        pytest.param(b"FROM a\nRUN <<EOF\nRUN x\n# y\nEOF\nRUN z\n", [("FROM", 1, 1), ("RUN", 2, 5), ("RUN", 6, 6)], id="heredoc-body-is-opaque"),
        pytest.param(b"FROM a\nRUN <<-EOF\n\tx\n\tEOF\n", [("FROM", 1, 1), ("RUN", 2, 4)], id="heredoc-chomp"),
        pytest.param(b"FROM a\nCMD <<EOF\nRUN b\n", [("FROM", 1, 1), ("CMD", 2, 2), ("RUN", 3, 3)], id="no-heredoc-on-cmd"),
        pytest.param(b"FROM a\nRUN a \\\n", [("FROM", 1, 1), ("RUN", 2, 2)], id="continuation-open-at-eof"),
        pytest.param(b"\xef\xbb\xbfFROM a\r\nRUN b\r\n", [("FROM", 1, 1), ("RUN", 2, 2)], id="bom-crlf"),
    ],
)
def test_grammar_facts(text, expected):
    assert kinds(text) == expected


def test_open_continuation_is_recorded():
    df = read(b"FROM a\nRUN a \\\n")
    assert df.instructions[-1].open_at_eof


def test_keyword_split_is_recorded():
    df = read(b"FROM a\nRU\\\nN echo\n")
    assert df.instructions[-1].keyword == "RUN" and df.instructions[-1].keyword_split


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(b"FROM a\nRUN <<EOF\necho\n", "unterminated heredoc", id="unterminated-heredoc"),
        pytest.param(b"# escape=x\nFROM a\n", "invalid escape", id="bad-escape"),
        pytest.param(b"# escape=`\n# escape=\\\nFROM a\n", "only one escape", id="two-escapes"),
        pytest.param(b"\n\n# only a comment\n", "no instructions", id="empty"),
        pytest.param(b'FROM a\nCMD ["a", 1]\n', "array of strings", id="json-not-strings"),
    ],
)
def test_rejected_input(text, message):
    with pytest.raises(ParseError) as e:
        read(text)
    assert message in e.value.message and e.value.lineno


# --- losslessness -------------------------------------------------------------------------------

LINE = st.sampled_from(
    [
        "FROM python:3.11", "RUN pip install -r requirements.txt \\", "    --no-cache-dir", "# comment",
        "", "   ", "RUN <<EOF", "EOF", "echo hi", "COPY . /app", "WORKDIR /app", "\\", "RUN a \\\\",
        "# escape=`", "RUN x `", '["a"]', "ENV A=1 \\", "  b=2", "\t", "run --mount=type=cache,target=/x y",
    ]
)
ENDING = st.sampled_from(["\n", "\r\n", "\n", ""])


@st.composite
def dockerfiles(draw):
    lines = draw(st.lists(st.tuples(LINE, ENDING), min_size=1, max_size=25))
    text = "FROM a\n" + "".join(l + (e or "\n") for l, e in lines[:-1]) + lines[-1][0] + lines[-1][1]
    raw = text.encode()
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=8))
    return raw


@settings(max_examples=300, deadline=None)
@given(dockerfiles())
def test_round_trip_is_byte_exact(data):
    try:
        df = read(data)
    except ParseError:
        return
    assert df.encode("".join(df.lines)) == data
    # every physical line is in exactly one span or gap
    covered = [j for i in df.instructions for j in range(i.start, i.end + 1)]
    assert len(covered) == len(set(covered))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data):
    try:
        df = read(data)
    except ParseError as e:
        assert e.lineno is not None
        return
    assert df.encode("".join(df.lines)) == data


@pytest.mark.parametrize(
    "text, ambiguous",
    [
        pytest.param(b"# check=skip=all\n# escape=`\nFROM a\n", True, id="check-then-escape"),
        pytest.param(b"# check=skip=all\nFROM a\n", False, id="check-alone"),
        pytest.param(b'FROM a\nCMD ["a"] b\n', True, id="json-trailing-text"),
        pytest.param(b"FROM a\nRUN << EOF\nx\nEOF\n", True, id="spaced-heredoc"),
        pytest.param(b"FROM a\nRUN echo a << b\n", True, id="spaced-heredoc-in-shell"),
        pytest.param(b'FROM a\nCMD ["a"]\nRUN cat <<EOF\nx\nEOF\n', False, id="plain"),
    ],
)
def test_version_ambiguities_are_recorded(text, ambiguous):
    assert bool(read(text).ambiguities) is ambiguous
