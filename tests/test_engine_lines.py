"""The engine's bookkeeping: line numbers through edits, and the analysis's shared variable log."""

import random

from dockfix.build.state import Snapshot, states
from dockfix.engine import LineMap
from dockfix.dockerfile.model import Edit, Fix, Skip
from dockfix.dockerfile.reader import read, split_lines


def test_a_kept_line_keeps_its_number_through_an_insertion_above():
    lines = split_lines("FROM a\nCOPY . .\nRUN x\n")
    m = LineMap(len(lines))
    m.apply(lines, (Edit(1, 1, "COPY r.txt .\n"),), 4)
    assert [m.lineno(k) for k in (1, 2, 3, 4)] == [1, 2, 2, 3]  # the new line takes the line it went above


def test_a_moved_line_keeps_its_number():
    lines = split_lines("FROM a\nCOPY . .\nRUN pip install -r r.txt\nCMD x\n")
    m = LineMap(len(lines))
    # move the COPY below the RUN: delete it at 1, insert the same text at 3
    m.apply(lines, (Edit(1, 2, ""), Edit(3, 3, "COPY . .\n")), 4)
    assert [m.lineno(k) for k in (1, 2, 3, 4)] == [1, 3, 2, 4]


def test_a_rewritten_instruction_maps_line_by_line_and_crlf_is_one_line():
    lines = split_lines("FROM a\r\nRUN a \\\r\n  b\r\nCMD x\r\n")
    m = LineMap(len(lines))
    m.apply(lines, (Edit(1, 3, "RUN --mount=type=cache,target=/c a \\\r\n  b\r\n"),), 4)
    assert [m.lineno(k) for k in (1, 2, 3, 4)] == [1, 2, 3, 4]
    m.apply(split_lines("FROM a\r\nRUN --mount=type=cache,target=/c a \\\r\n  b\r\nCMD x\r\n"), (Edit(1, 3, "RUN y\r\n"),), 3)
    assert [m.lineno(k) for k in (1, 2, 3)] == [1, 2, 4]


def test_line_numbers_in_messages_are_mapped_and_identity_changes_nothing():
    m = LineMap(5)
    f = Skip("DF003", "x", "the RUN at line 3 may use the COPY at line 2; lines 2, 4 and 5", 3)
    assert m.finding(f) is f
    m.apply(split_lines("a\nb\nc\nd\ne\n"), (Edit(0, 0, "new\n"),), 6)
    g = m.finding(Skip("DF003", "x", "the RUN at line 4 may use the COPY at line 3; lines 3, 5 and 6", 4))
    assert (g.lineno, g.reason) == (3, "the RUN at line 3 may use the COPY at line 2; lines 2, 4 and 5")
    h = m.finding(Fix("DF002", "x", "at line 6", 6, ()))
    assert (h.lineno, h.message) == (5, "at line 5")


def test_snapshots_behave_like_copied_dicts_also_when_branching():
    rnd = random.Random(7)
    for _ in range(200):
        snaps = [(Snapshot(), {})]
        for _ in range(60):
            snap, ref = rnd.choice(snaps) if rnd.random() < 0.3 else snaps[-1]
            name = rnd.choice("abcdefgh")
            value = rnd.randint(0, 9)
            snaps.append((snap.with_(name, value), {**ref, name: value}))
        for snap, ref in snaps:
            assert dict(snap) == ref and len(snap) == len(ref)
            for name in "abcdefghz":
                assert snap.get(name) == ref.get(name) and (name in snap) == (name in ref)


def test_states_of_stages_built_from_one_parent_do_not_see_each_other():
    df = read(b"FROM a AS base\nENV X=1\nFROM base AS one\nENV Y=1\nFROM base AS two\nENV Z=1\nRUN z\nFROM one\nRUN y\n")
    st = states(df)
    two, one = st[6], st[8]
    assert set(two.vars) == {"X", "Z"} and set(one.vars) == {"X", "Y"}
    assert "Y" not in two.env_names and "Z" not in one.env_names
