"""The facts behind DF001/DF003's moves: symbolic paths, a command's environment, the
configuration search path per installer."""

import pytest

from dockfix.build.state import may_touch, symbolic_head
from dockfix.build.context import BuildContext
from dockfix.installers.config import UNKNOWN, command_env, config_files
from dockfix.dockerfile.model import Settings
from dockfix.dockerfile.reader import read
from dockfix.rules.reorder import Refuse
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


@pytest.mark.parametrize("lines, exists", [
    ("WORKDIR /app\nCOPY . .", True),  # the WORKDIR created it
    ("WORKDIR /app/sub\nWORKDIR /app\nCOPY . .", True),  # a folder below it was created
    ("COPY . /app", False),  # only the COPY creates it
    ("WORKDIR /srv\nCOPY . /app", False),
    ("COPY req.txt /app/\nCOPY . /app", True),  # an earlier COPY into it
    ("COPY req.txt /app/r.txt\nCOPY . /app", True),  # the parent of the file it names
    ("WORKDIR /app\nRUN rm -rf /app\nCOPY . .", False),  # removed after the WORKDIR
    ("WORKDIR /app\nRUN mkdir -p /app && rm -rf /app/tmp\nCOPY . .", True),  # left in place
    ("WORKDIR /app\nRUN ./setup.sh\nCOPY . .", False),  # may remove it
    ("ARG D=/app\nWORKDIR $D\nCOPY . /app", False),  # an ARG may be overridden
])
def test_dest_exists_before(tmp_path, lines, exists):
    from dockfix.rules.reorder.base import broad_copy
    from dockfix.rules.reorder.steps import dest_exists_before

    facts = _facts(tmp_path, f"FROM python:3.11\n{lines}\nRUN echo\n")
    k = len(facts.df.instructions) - 1
    broad = broad_copy(facts, 0, k)
    assert broad is not None and broad.dest == "/app"
    assert dest_exists_before(facts, broad, k) is exists


def test_step_home_of_unknown_user_is_unknown(tmp_path):
    """A base image that runs as a non-root user whose home is not known: '~' is no known folder, so a write there may be anywhere."""
    from dockfix.rules.reorder.base import broad_copy
    from dockfix.rules.reorder.steps import step_meets_copy

    (tmp_path / "app.py").write_text("")
    facts = _facts(tmp_path, "FROM bitnami/python:3.11\nWORKDIR /app\nCOPY . .\nRUN mkdir -p ~/cache\n")
    k = 3
    broad = broad_copy(facts, 0, k)
    inst = facts.df.instructions[k]
    why = step_meets_copy(facts, broad, inst, facts.states[k], facts.invocations(inst))
    assert why is not None and "cannot name" in why
    facts = _facts(tmp_path, "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN mkdir -p ~/cache\n")
    inst = facts.df.instructions[k]
    assert step_meets_copy(facts, broad_copy(facts, 0, k), inst, facts.states[k], facts.invocations(inst)) is None


@pytest.mark.parametrize("script, cut", [
    ("pip install -r r.txt && python setup.py bdist_wheel", "python setup.py bdist_wheel"),
    ("pip install -r r.txt && a && b", "a && b"),
    ("pip install -r r.txt ; python setup.py bdist_wheel", None),  # runs the rest when the install fails
    ("pip install -r r.txt || python setup.py install", None),
    ("pip install -r r.txt && a | b", None),
    ("cd /app && pip install -r r.txt && b", None),  # the cd would not reach the rest
    ("X=1 pip install -r r.txt && b", None),
    ("pip install -r r.txt > log && b", None),
    ("pip install -r r.txt && (b)", None),
    ("pip install -r r.txt", None),
    # pip installs of packages by name may come first: external programs, no cd, no variable
    ("pip install -U pip && pip install -r r.txt && b", "b"),
    ("pip install -U pip setuptools==70.0 && python -m pip install -r r.txt && b", "b"),
    ("pip install -U ./pip && pip install -r r.txt && b", None),  # a folder of the tree
    ("pip install -U pip -e . && pip install -r r.txt && b", None),
    ("pip install -U pip; pip install -r r.txt && b", None),
    ("pip install -U pip || true && pip install -r r.txt && b", None),
    ("PIP_INDEX_URL=./x pip install -U pip && pip install -r r.txt && b", None),
    ("apt-get update && pip install -r r.txt && b", None),  # only pip by name before the install
    ("echo hi && pip install -r r.txt && b", None),
    ("pip install -U pip && pip install -r r.txt && pip install -r s.txt && b", None),
])
def test_split_point(tmp_path, script, cut):
    from dockfix.rules.deps_first import _split_point

    facts = _facts(tmp_path, f"FROM python:3.11\nWORKDIR /app\nRUN {script}\n")
    inst = facts.df.instructions[2]
    at = _split_point(facts, inst, facts.invocations(inst))
    assert (None if at is None else facts.script(inst)[0][at[1]:]) == cut
