"""The stage chain: a stage built FROM another starts from that stage's state at its end."""

from dockfix.analysis import states
from dockfix.reader import read


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
