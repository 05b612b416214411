"""The stage chain: a stage built FROM another starts from that stage's state at its end."""

import pytest

from dockfix.build import state as analysis
from dockfix.dockerfile import reader
from dockfix.build.state import states
from dockfix.dockerfile.reader import read


def test_a_stage_that_is_only_its_from_is_a_parent_like_any_other():
    df = read(
        b"ARG BUILDPLATFORM=linux/amd64\n"
        b"FROM --platform=$BUILDPLATFORM python:3.12-alpine AS base\n"
        b"FROM base AS builder\nRUN pip install flask\n"
        b"FROM BASE\nRUN pip install gunicorn\n"
    )
    st = states(df)
    assert [s.base for s in st[1:]] == ["python:3.12-alpine"] * 5


def test_the_parent_state_carries_env_and_workdir():
    df = read(b"FROM python:3.12 AS base\nENV A=1\nWORKDIR /app\nFROM base\nRUN true\n")
    last = states(df)[-1]
    assert last.base == "python:3.12" and last.workdir == "/app" and last.vars["A"].value == "1"


@pytest.mark.parametrize("lines,text,expected", [
    # BuildKit's lex.go processDollar: without ':' only unset counts as missing, with ':' empty too
    ("ENV APP_DIR=/srv", "${APP_DIR:-/app}", ("/srv", True)),
    ("ENV APP_DIR=", "${APP_DIR:-/app}", ("/app", True)),
    ("ENV APP_DIR=", "${APP_DIR-/app}", ("", True)),
    ("ENV APP_DIR=/srv", "${APP_DIR-/app}/x", ("/srv/x", True)),
    ("ENV APP_DIR=/srv", "${APP_DIR:+/x}", ("/x", True)),
    ("ENV APP_DIR=", "${APP_DIR:+/x}/y", ("/y", True)),
    ("ENV APP_DIR=", "${APP_DIR+/x}", ("/x", True)),
    # not proven by the file: the base image may set it; an ARG may be overridden
    ("", "${APP_DIR:-/app}", "unknown"),
    ("ARG APP_DIR=/srv", "${APP_DIR:-/app}", "unknown"),
    ("ARG D=/srv\nENV APP_DIR=$D", "${APP_DIR:-/app}", "unknown"),
    ("ENV A=/srv", "${A:-$B}", "unknown"),  # the word expands itself
    # forms not evaluated here are never literal (they used to pass through as written)
    ("ENV APP_DIR=/srv", "${APP_DIR#/s}", ("${APP_DIR#/s}", False)),
    ("ENV APP_DIR=/srv", "${APP_DIR/srv/x}", ("${APP_DIR/srv/x}", False)),
])
def test_expand_modifiers(lines, text, expected):
    st = analysis.states(reader.read(f"FROM python:3.11-slim\n{lines}\nRUN true\n".encode()))[-1]
    got = st.expand(text)
    if expected == "unknown":
        assert not got[1] and got[0].startswith("${") and analysis.shown(got[0]).startswith("${" + text[2:].split(":")[0] + "}")
    else:
        assert got == expected


def test_unknown_forms_compare_equal_only_to_the_same_form():
    st = analysis.states(reader.read(b"FROM python:3.11-slim\nARG X\nRUN true\n"))[-1]
    a, b = st.expand("${X:-/a}")[0], st.expand("${X:-/b}")[0]
    assert a != b and a == st.expand("${X:-/a}")[0]
    assert analysis.may_touch(a, b)  # unknown: they may still be the same folder
    later = analysis.states(reader.read(b"FROM python:3.11-slim\nARG X\nARG X\nRUN true\n"))[-1]
    assert later.expand("${X:-/a}")[0] != a  # another definition of X


def test_expand_modifier_in_a_parent_stage():
    text = "FROM python:3.11-slim AS base\nENV APP_DIR=/srv\nFROM base\nRUN true\n"
    st = analysis.states(reader.read(text.encode()))[-1]
    assert st.expand("${APP_DIR:-/app}") == ("/srv", True)
