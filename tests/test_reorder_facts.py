"""The facts behind DF001/DF003's moves: symbolic paths, a command's environment, the
configuration search path per installer."""

import pytest

from dockfix.analysis import may_touch, symbolic_head
from dockfix.context import BuildContext
from dockfix.installers.config import UNKNOWN, command_env, config_files
from dockfix.model import Settings
from dockfix.reader import read
from dockfix.reorder import Refuse
from dockfix.rules import Facts


@pytest.mark.parametrize("a, b, touch", [
    ("/app/x", "/app", True),
    ("/srv/x", "/app", False),
    ("/etc/pip.conf", "@base", True),  # the base image's WORKDIR may be /
    ("@base/x", "@base", True),
    ("@base/x", "@base/y", False),  # the same unknown folder: compared below it
    ("${APP#1}/a", "${APP#1}/b", False),
    ("${APP#1}/a", "${APP#2}/b", True),
    ("/app/${X#0}", "/app/b", True),
])
def test_may_touch(a, b, touch):
    assert may_touch(a, b) is touch


def test_symbolic_head():
    assert symbolic_head("/app/x") is None
    assert symbolic_head("${A#1}/x/y") == "${A#1}"
    assert symbolic_head("/app/${B#0}x/y") == "/app/${B#0}x"


def _facts(tmp_path, text):
    df = read(text.encode())
    return Facts(df, BuildContext(tmp_path), Settings())


def test_undefined_variable_is_not_empty(tmp_path):
    facts = _facts(tmp_path, "FROM public.ecr.aws/lambda/python:3.12\nCOPY . ${LAMBDA_TASK_ROOT}\n")
    expanded, literal = facts.states[1].expand("${LAMBDA_TASK_ROOT}")
    assert (expanded, literal) == ("${LAMBDA_TASK_ROOT#0}", False)


def test_command_env_sees_export_prefix_and_unset(tmp_path):
    facts = _facts(tmp_path, "FROM python:3.11\nENV A=1\nARG B\nRUN export C=/x && unset A && D=$E pip install -r r.txt\n")
    inst = facts.df.instructions[3]
    invs = facts.invocations(inst)
    get = command_env(facts, inst, invs, len(invs) - 1)
    assert get("A") is None and get("B") is UNKNOWN and get("C") == "/x" and get("D") is UNKNOWN
    assert get("HOME") is None  # not set: the caller asks users.who


def test_command_env_refuses_a_sourced_script(tmp_path):
    facts = _facts(tmp_path, "FROM python:3.11\nRUN . ./env.sh && pip install -r r.txt\n")
    inst = facts.df.instructions[1]
    invs = facts.invocations(inst)
    with pytest.raises(Refuse):
        command_env(facts, inst, invs, len(invs) - 1)


def test_pip_search_path_for_root(tmp_path):
    facts = _facts(tmp_path, "FROM python:3.11\nENV VIRTUAL_ENV=/opt/venv\nRUN pip install -r r.txt\n")
    inst = facts.df.instructions[2]
    invs = facts.invocations(inst)
    paths = {c.path for c in config_files(facts, inst, invs[0], command_env(facts, inst, invs, 0), ["/app"])}
    assert {"/root/.pip/pip.conf", "/root/.config/pip/pip.conf", "/opt/venv/pip.conf", "/etc/pip.conf", "/etc/xdg/pip/pip.conf"} <= paths


def test_uv_searches_every_parent(tmp_path):
    facts = _facts(tmp_path, "FROM python:3.11\nRUN uv pip install -r r.txt\n")
    inst = facts.df.instructions[1]
    invs = facts.invocations(inst)
    paths = {c.path for c in config_files(facts, inst, invs[0], command_env(facts, inst, invs, 0), ["/app/svc"])}
    assert {"/app/svc/uv.toml", "/app/uv.toml", "/uv.toml", "/app/pyproject.toml", "/root/.config/uv/uv.toml", "/etc/uv/uv.toml"} <= paths


def test_uv_no_config_keeps_only_the_named_file(tmp_path):
    facts = _facts(tmp_path, "FROM python:3.11\nENV UV_NO_CONFIG=1 UV_CONFIG_FILE=/cfg/uv.toml\nRUN uv pip install -r r.txt\n")
    inst = facts.df.instructions[2]
    invs = facts.invocations(inst)
    paths = [c.path for c in config_files(facts, inst, invs[0], command_env(facts, inst, invs, 0), ["/app"])]
    assert paths == ["/cfg/uv.toml"]
