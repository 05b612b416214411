"""Tests for dockfix.shell: splitting RUN scripts into commands and reading installer invocations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.shell.nodes import Command, Invocation, Word
from dockfix.shell.invocation import invocations, parse_invocation
from dockfix.shell.script import split_commands


def commands(script: str) -> list[Command]:
    result = split_commands(script)
    assert result is not None, f"unreadable: {script!r}"
    return result


def values(cmd: Command) -> list[str]:
    return [w.value for w in cmd.words]


def only(script: str) -> Invocation:
    result = invocations(script)
    assert result is not None and len(result) == 1, result
    return result[0]


def assert_offsets(script: str, cmds: list[Command]) -> None:
    for cmd in cmds:
        assert 0 <= cmd.start <= cmd.end <= len(script)
        for w in cmd.assignments + cmd.words:
            assert script[w.start : w.end] == w.raw
            assert cmd.start <= w.start and w.end <= cmd.end


# --- splitting -----------------------------------------------------------------------------------

SPLITTING = [
    pytest.param("cd /app && pip install -r requirements.txt",
                 [(["cd", "/app"], None, "&&"), (["pip", "install", "-r", "requirements.txt"], "&&", None)],
                 id="and"),
    pytest.param("a || b", [(["a"], None, "||"), (["b"], "||", None)], id="or"),
    pytest.param("a; b ;c", [(["a"], None, ";"), (["b"], ";", ";"), (["c"], ";", None)], id="semicolons"),
    pytest.param("curl -s x | sh", [(["curl", "-s", "x"], None, "|"), (["sh"], "|", None)], id="pipe"),
    pytest.param("server & client", [(["server"], None, "&"), (["client"], "&", None)], id="background"),
    pytest.param("a\nb\n\n  c\n", [(["a"], None, "\n"), (["b"], "\n", "\n"), (["c"], "\n", "\n")], id="newlines"),
    pytest.param("a;\nb", [(["a"], None, ";"), (["b"], ";", None)], id="newline-after-semicolon"),
    pytest.param("a &&\n  b ||\n c", [(["a"], None, "&&"), (["b"], "&&", "||"), (["c"], "||", None)],
                 id="newline-after-and"),
    pytest.param("a&&b||c;d|e&f",
                 [(["a"], None, "&&"), (["b"], "&&", "||"), (["c"], "||", ";"), (["d"], ";", "|"),
                  (["e"], "|", "&"), (["f"], "&", None)],
                 id="no-spaces"),
    pytest.param("a;", [(["a"], None, ";")], id="trailing-semicolon"),
    pytest.param("a &", [(["a"], None, "&")], id="trailing-ampersand"),
    pytest.param("echo 'a && b' \"c; d\" e\\;f", [(["echo", "a && b", "c; d", "e;f"], None, None)],
                 id="quoted-operators"),
    pytest.param("echo a \\\n  && echo b", [(["echo", "a"], None, "&&"), (["echo", "b"], "&&", None)],
                 id="line-continuation"),
    pytest.param("", [], id="empty"),
    pytest.param("  \n\t\n", [], id="blank"),
]


@pytest.mark.parametrize(("script", "expected"), SPLITTING)
def test_split(script: str, expected: list[tuple[list[str], str | None, str | None]]) -> None:
    cmds = commands(script)
    assert [(values(c), c.op_before, c.op_after) for c in cmds] == expected
    assert_offsets(script, cmds)


COMMENTS = [
    pytest.param("# just a comment", [], id="only-comment"),
    pytest.param("pip install x # && rm -rf /\nrm y", [["pip", "install", "x"], ["rm", "y"]], id="trailing"),
    pytest.param("a;# c\nb", [["a"], ["b"]], id="after-operator"),
    pytest.param("echo a#b '#c' \\#d", [["echo", "a#b", "#c", "#d"]], id="hash-inside-words"),
    pytest.param("echo ${#X} $#", [["echo", "${#X}", "$#"]], id="hash-in-expansions"),
    pytest.param("# first\n  # second\npip install x", [["pip", "install", "x"]], id="comment-lines"),
]


@pytest.mark.parametrize(("script", "expected"), COMMENTS)
def test_comments(script: str, expected: list[list[str]]) -> None:
    assert [values(c) for c in commands(script)] == expected


def test_comment_ends_command_with_newline_operator() -> None:
    first, second = commands("pip install x # note\npip install y")
    assert (first.end, first.op_after, second.op_before) == (13, "\n", "\n")


# --- words ------------------------------------------------------------------------------------------

WORDS = [
    pytest.param("'a b'", "a b", False, id="single-quotes"),
    pytest.param("'$HOME'", "$HOME", False, id="single-quotes-no-expansion"),
    pytest.param('"a b"', "a b", False, id="double-quotes"),
    pytest.param(r'"a \"b\" \$c \\ \x"', r'a "b" $c \ \x', False, id="double-quote-escapes"),
    pytest.param(r"a\ b\'c", "a b'c", False, id="backslash-escapes"),
    pytest.param("'it'\\''s'", "it's", False, id="quote-concatenation"),
    pytest.param('x"y"\'z\'', "xyz", False, id="mixed-quotes"),
    pytest.param('""', "", False, id="empty-quotes"),
    pytest.param("a\\\nb", "ab", False, id="continuation-inside-word"),
    pytest.param("$HOME/x", "$HOME/x", True, id="variable"),
    pytest.param('"${APP:-/app}"', "${APP:-/app}", True, id="braced-variable-quoted"),
    pytest.param("$1", "$1", True, id="positional"),
    pytest.param("$(id -u)", "$(id -u)", True, id="command-substitution"),
    pytest.param("`id -u`", "`id -u`", True, id="backticks"),
    pytest.param("$((1 + 2))", "$((1 + 2))", True, id="arithmetic"),
    pytest.param("$'a\\tb'", "$'a\\tb'", True, id="ansi-c-quotes"),
    pytest.param("*.whl", "*.whl", True, id="glob-star"),
    pytest.param("file?.txt", "file?.txt", True, id="glob-question"),
    pytest.param(".[dev]", ".[dev]", True, id="glob-bracket"),
    pytest.param('".[dev]"', ".[dev]", False, id="quoted-bracket"),
    pytest.param("\\*", "*", False, id="escaped-star"),
    pytest.param("{a,b}", "{a,b}", True, id="brace-expansion"),
    pytest.param("~/x", "~/x", True, id="tilde"),
    pytest.param("a~b", "a~b", False, id="tilde-inside"),
    pytest.param("a$", "a$", False, id="lone-dollar"),
    pytest.param('"$"', "$", False, id="quoted-lone-dollar"),
]


@pytest.mark.parametrize(("raw", "value", "expansion"), WORDS)
def test_word(raw: str, value: str, expansion: bool) -> None:
    script = f"echo {raw} end"
    cmd = commands(script)[0]
    word = cmd.words[1]
    assert (word.raw, word.value, word.has_expansion) == (raw, value, expansion)
    assert (word.start, word.end) == (5, 5 + len(raw))
    assert values(cmd)[2] == "end"


def test_word_spans_skip_trailing_continuation() -> None:
    script = "pip install --no-cache-dir\\\n  x"
    (cmd,) = commands(script)
    word = cmd.words[2]
    assert (word.raw, word.end) == ("--no-cache-dir", 26)
    assert values(cmd) == ["pip", "install", "--no-cache-dir", "x"]


def test_carriage_return_is_content() -> None:
    (cmd,) = commands("apt-get update\r")
    assert values(cmd) == ["apt-get", "update\r"]


# --- assignments and redirections -------------------------------------------------------------------

def test_assignments() -> None:
    (cmd,) = commands('PIP_NO_CACHE_DIR=1 A+="x y" pip install B=2')
    assert [w.value for w in cmd.assignments] == ["PIP_NO_CACHE_DIR=1", "A+=x y"]
    assert values(cmd) == ["pip", "install", "B=2"]
    assert cmd.start == 0


def test_quoted_name_is_not_an_assignment() -> None:
    (cmd,) = commands('"A"=1 pip')
    assert (cmd.assignments, values(cmd)) == ((), ["A=1", "pip"])


def test_assignment_only_command() -> None:
    cmd, inner = commands("X=$(pwd)")
    assert (cmd.words, [w.raw for w in cmd.assignments], cmd.compound) == ((), ["X=$(pwd)"], True)
    assert values(inner) == ["pwd"]


REDIRECTS = [
    pytest.param("pip install x > /dev/null 2>&1", ("> /dev/null", "2>&1"), False, id="output"),
    pytest.param("pip install x >>log 2>/dev/null", (">>log", "2>/dev/null"), False, id="append"),
    pytest.param("pip install x >| log", (">| log",), False, id="clobber"),
    pytest.param("pip install -r /dev/stdin < req.txt", ("< req.txt",), True, id="input"),
    pytest.param("python - <<< 'print(1)'", ("<<< 'print(1)'",), True, id="here-string"),
    pytest.param("pip install x &> log", ("&> log",), True, id="bash-both-streams"),
]


@pytest.mark.parametrize(("script", "redirects", "compound"), REDIRECTS)
def test_redirects(script: str, redirects: tuple[str, ...], compound: bool) -> None:
    (cmd,) = commands(script)
    assert cmd.redirects == redirects
    assert cmd.compound is compound
    assert cmd.end == len(script)
    assert values(cmd)[:2] in (["pip", "install"], ["python", "-"])


def test_heredoc_body_is_skipped() -> None:
    script = "cat <<'EOF' > /etc/pip.conf\n[global]\nno-cache-dir = false && x\nEOF\npip install y"
    first, second = commands(script)
    assert (values(first), first.redirects, first.compound) == (["cat"], ("<<'EOF'", "> /etc/pip.conf"), True)
    assert (values(second), second.op_before, second.compound) == (["pip", "install", "y"], "\n", False)


def test_heredoc_pending_across_a_substitution() -> None:
    cmds = commands("cat <<EOF $(date)\nbody && x\nEOF\nls")
    assert [(values(c), c.compound) for c in cmds] == [(["cat", "$(date)"], True), (["date"], True), (["ls"], False)]


def test_heredoc_with_tabs_stripped() -> None:
    assert [values(c) for c in commands("cat <<-END\n\tbody\n\tEND\necho ok")] == [["cat"], ["echo", "ok"]]


def test_heredoc_body_with_continuations() -> None:
    body = "set -e\npip install \\\n    --no-cache-dir \\\n    -r requirements.txt\npython -m compileall .\n"
    cmds = commands(body)
    assert [values(c) for c in cmds] == [["set", "-e"],
                                         ["pip", "install", "--no-cache-dir", "-r", "requirements.txt"],
                                         ["python", "-m", "compileall", "."]]
    assert [c.op_after for c in cmds] == ["\n", "\n", "\n"]
    assert_offsets(body, cmds)


# --- compound commands ----------------------------------------------------------------------------

COMPOUND = [
    pytest.param("if [ -f r.txt ]; then pip install -r r.txt; fi",
                 [(["[", "-f", "r.txt", "]"], True), (["pip", "install", "-r", "r.txt"], True)], id="if"),
    pytest.param("if a; then b; elif c; then d; else e; fi; f",
                 [(["a"], True), (["b"], True), (["c"], True), (["d"], True), (["e"], True), (["f"], False)],
                 id="if-elif-else"),
    pytest.param("for f in *; do pip install $f; done",
                 [(["pip", "install", "$f"], True)], id="for"),
    pytest.param("for f in a b\ndo\n  pip install $f\ndone", [(["pip", "install", "$f"], True)], id="for-newlines"),
    pytest.param("while read p; do pip install $p; done < req.txt",
                 [(["read", "p"], True), (["pip", "install", "$p"], True)], id="while"),
    pytest.param("until a; do b; done", [(["a"], True), (["b"], True)], id="until"),
    pytest.param("case $X in a|b) pip install x;; *) ;; esac && echo",
                 [(["pip", "install", "x"], True), (["echo"], False)], id="case"),
    pytest.param("case x in\n  (a) b\n  ;;\nesac", [(["b"], True)], id="case-parenthesised-pattern"),
    pytest.param("( cd x && pip install . )", [(["cd", "x"], True), (["pip", "install", "."], True)],
                 id="subshell"),
    pytest.param("{ a; b; } > log && c", [(["a"], True), (["b"], True), (["c"], False)], id="group"),
    pytest.param("pip install $(cat req.txt)",
                 [(["pip", "install", "$(cat req.txt)"], True), (["cat", "req.txt"], True)],
                 id="command-substitution"),
    pytest.param('pip install "`cat req.txt`"',
                 [(["pip", "install", "`cat req.txt`"], True), (["cat", "req.txt"], True)], id="backticks"),
    pytest.param("echo ${X:-$(pip cache dir)}",
                 [(["echo", "${X:-$(pip cache dir)}"], True), (["pip", "cache", "dir"], True)],
                 id="substitution-in-parameter"),
    pytest.param("V=$(python -V) pip install x",
                 [(["pip", "install", "x"], True), (["python", "-V"], True)], id="substitution-in-assignment"),
    pytest.param("echo $((1 + 2)) && b", [(["echo", "$((1 + 2))"], False), (["b"], False)], id="arithmetic"),
    pytest.param("f() { pip install x; }; f", [(["pip", "install", "x"], True), (["f"], False)], id="function"),
    pytest.param("function f { a; }", [(["a"], True)], id="function-keyword"),
    pytest.param("! pip show x | grep y; z", [(["pip", "show", "x"], True), (["grep", "y"], True), (["z"], False)],
                 id="negation"),
    pytest.param("[[ -f x && -n $Y ]] && pip install x",
                 [(["[[", "-f", "x", "&&", "-n", "$Y", "]]"], True), (["pip", "install", "x"], False)],
                 id="double-brackets"),
    pytest.param("echo done fi then", [(["echo", "done", "fi", "then"], False)], id="reserved-words-as-arguments"),
]


@pytest.mark.parametrize(("script", "expected"), COMPOUND)
def test_compound(script: str, expected: list[tuple[list[str], bool]]) -> None:
    cmds = commands(script)
    assert [(values(c), c.compound) for c in cmds] == expected
    assert_offsets(script, cmds)


def test_nested_commands_follow_their_command_in_text_order() -> None:
    script = "a && b $(c; d) && e"
    cmds = commands(script)
    assert [values(c)[0] for c in cmds] == ["a", "b", "c", "d", "e"]
    assert [(c.op_before, c.op_after) for c in cmds] == [(None, "&&"), ("&&", "&&"), (None, ";"), (";", None),
                                                         ("&&", None)]


def test_command_span_is_the_simple_command() -> None:
    script = "if true; then A=1 pip install x >log; fi"
    inner = commands(script)[1]
    assert script[inner.start : inner.end] == "A=1 pip install x >log"


# --- unreadable scripts ---------------------------------------------------------------------------

UNREADABLE = [
    pytest.param("echo 'unbalanced", id="single-quote"),
    pytest.param('echo "unbalanced', id="double-quote"),
    pytest.param("echo $(date", id="substitution"),
    pytest.param("echo ${X", id="parameter"),
    pytest.param("echo `date", id="backtick"),
    pytest.param("echo \\", id="trailing-backslash"),
    pytest.param("a &&", id="trailing-and"),
    pytest.param("a |", id="trailing-pipe"),
    pytest.param("&& a", id="leading-and"),
    pytest.param("; a", id="leading-semicolon"),
    pytest.param("a ;; b", id="double-semicolon"),
    pytest.param("a )", id="stray-paren"),
    pytest.param("( a", id="open-paren"),
    pytest.param("if a; then b", id="if-without-fi"),
    pytest.param("if a; fi", id="fi-without-then"),
    pytest.param("fi", id="stray-fi"),
    pytest.param("for f in *; do a", id="for-without-done"),
    pytest.param("for ((i=0; i<3; i++)); do a; done", id="arithmetic-for"),
    pytest.param("{ a; } b", id="word-after-group"),
    pytest.param("cat <<EOF\nbody", id="unterminated-heredoc"),
    pytest.param("cat <<EOF", id="heredoc-without-body"),
    pytest.param("echo `echo \\`date\\``", id="escaped-backticks"),
    pytest.param("diff <(a) <(b)", id="process-substitution"),
    pytest.param("a |& b", id="pipe-both-streams"),
    pytest.param("A=(1 2)", id="array"),
    pytest.param("a | ! b", id="negation-inside-pipeline"),
    pytest.param("!", id="negation-alone"),
    pytest.param("echo $(( \"1\" ))", id="quotes-in-arithmetic"),
    pytest.param("echo " + "$(" * 400 + ")" * 400, id="deep-nesting"),
]


@pytest.mark.parametrize("script", UNREADABLE)
def test_unreadable(script: str) -> None:
    assert split_commands(script) is None
    assert invocations(script) is None


# --- invocations -------------------------------------------------------------------------------

INVOCATIONS = [
    pytest.param("pip install -r requirements.txt", "pip", "install", "pip",
                 [("--requirement", "requirements.txt")], [], id="pip-requirement"),
    pytest.param("python -m pip install --no-cache-dir -r req.txt", "pip", "install", "python -m pip",
                 [("--no-cache-dir", None), ("--requirement", "req.txt")], [], id="python-m-pip"),
    pytest.param("pip install -r requirements/prod.txt -c constraints.txt", "pip", "install", "pip",
                 [("--requirement", "requirements/prod.txt"), ("--constraint", "constraints.txt")], [],
                 id="pip-constraint"),
    pytest.param("pip install --requirement=req.txt", "pip", "install", "pip",
                 [("--requirement", "req.txt")], [], id="pip-long-equals"),
    pytest.param("pip install --requirement req.txt", "pip", "install", "pip",
                 [("--requirement", "req.txt")], [], id="pip-long-separate"),
    pytest.param("pip install -rreq.txt", "pip", "install", "pip", [("--requirement", "req.txt")], [],
                 id="pip-short-attached"),
    pytest.param("pip install .", "pip", "install", "pip", [], ["."], id="pip-local"),
    pytest.param("pip install -e .[dev]", "pip", "install", "pip", [("--editable", ".[dev]")], [],
                 id="pip-editable"),
    pytest.param("pip3 install -qq -U pip setuptools", "pip", "install", "pip3",
                 [("--quiet", None), ("--quiet", None), ("--upgrade", None)], ["pip", "setuptools"],
                 id="pip-short-cluster"),
    pytest.param("pip install -Ur req.txt", "pip", "install", "pip",
                 [("--upgrade", None), ("--requirement", "req.txt")], [], id="pip-cluster-with-value"),
    pytest.param("pip install flask --user --no-deps", "pip", "install", "pip",
                 [("--user", None), ("--no-deps", None)], ["flask"], id="pip-options-after-arguments"),
    pytest.param("pip install -- -weird", "pip", "install", "pip", [], ["-weird"], id="pip-end-of-options"),
    pytest.param("pip install --no-cache x", "pip", "install", "pip", [("--no-cache-dir", None)], ["x"],
                 id="pip-abbreviation"),
    pytest.param("pip --disable-pip-version-check install x", "pip", "install", "pip",
                 [("--disable-pip-version-check", None)], ["x"], id="pip-option-before-subcommand"),
    pytest.param("pip3.11 install x", "pip", "install", "pip3.11", [], ["x"], id="pip-versioned"),
    pytest.param("/opt/venv/bin/pip3 install x", "pip", "install", "/opt/venv/bin/pip3", [], ["x"],
                 id="pip-path"),
    pytest.param("$VIRTUAL_ENV/bin/pip install x", "pip", "install", "$VIRTUAL_ENV/bin/pip", [], ["x"],
                 id="pip-variable-directory"),
    pytest.param("python3 -m pip install x", "pip", "install", "python3 -m pip", [], ["x"], id="python3-m-pip"),
    pytest.param("python3.11 -m pip install x", "pip", "install", "python3.11 -m pip", [], ["x"],
                 id="python311-m-pip"),
    pytest.param("/usr/local/bin/python -m pip install x", "pip", "install", "/usr/local/bin/python -m pip",
                 [], ["x"], id="python-path-m-pip"),
    pytest.param("python -u -mpip install x", "pip", "install", "python -u -mpip", [], ["x"],
                 id="python-flags-attached-module"),
    pytest.param("pip cache purge", "pip", "cache purge", "pip", [], [], id="pip-cache-purge"),
    pytest.param("pip uninstall -y foo", "pip", "uninstall", "pip", [("--yes", None)], ["foo"], id="pip-uninstall"),
    pytest.param("pip download -d /wheels -r r.txt", "pip", "download", "pip",
                 [("--dest", "/wheels"), ("--requirement", "r.txt")], [], id="pip-download"),
    pytest.param("pip wheel --wheel-dir=/w .", "pip", "wheel", "pip", [("--wheel-dir", "/w")], ["."],
                 id="pip-wheel"),
    pytest.param("pip install -i https://x/simple --extra-index-url https://y -f /links --trusted-host x z",
                 "pip", "install", "pip",
                 [("--index-url", "https://x/simple"), ("--extra-index-url", "https://y"),
                  ("--find-links", "/links"), ("--trusted-host", "x")], ["z"], id="pip-index-options"),
    pytest.param("pip install -C key=v --config-settings=k2=v2 --only-binary=:all: x", "pip", "install", "pip",
                 [("--config-settings", "key=v"), ("--config-settings", "k2=v2"), ("--only-binary", ":all:")],
                 ["x"], id="pip-values-with-equals"),
    pytest.param("uv sync --locked --no-install-project", "uv", "sync", "uv",
                 [("--locked", None), ("--no-install-project", None)], [], id="uv-sync"),
    pytest.param("uv sync --frozen --no-dev --extra gpu --group test --no-editable", "uv", "sync", "uv",
                 [("--frozen", None), ("--no-dev", None), ("--extra", "gpu"), ("--group", "test"),
                  ("--no-editable", None)], [], id="uv-sync-options"),
    pytest.param("uv --no-cache lock", "uv", "lock", "uv", [("--no-cache", None)], [], id="uv-global-option"),
    pytest.param("uv pip install --system -r requirements.txt", "uv-pip", "install", "uv pip",
                 [("--system", None), ("--requirement", "requirements.txt")], [], id="uv-pip-install"),
    pytest.param("uv pip sync --compile-bytecode requirements.txt", "uv-pip", "sync", "uv pip",
                 [("--compile-bytecode", None)], ["requirements.txt"], id="uv-pip-sync"),
    pytest.param("uv venv /opt/venv", "uv", "venv", "uv", [], ["/opt/venv"], id="uv-venv"),
    pytest.param("uv tool install ruff", "uv", "tool install", "uv", [], ["ruff"], id="uv-tool-install"),
    pytest.param("uv run --with x manage.py --no-cache", "uv", "run", "uv", [("--with", "x")],
                 ["manage.py", "--no-cache"], id="uv-run-passthrough"),
    pytest.param("poetry install --only main --no-interaction", "poetry", "install", "poetry",
                 [("--only", "main"), ("--no-interaction", None)], [], id="poetry-install"),
    pytest.param("poetry install --no-root --no-directory -n", "poetry", "install", "poetry",
                 [("--no-root", None), ("--no-directory", None), ("--no-interaction", None)], [],
                 id="poetry-no-root"),
    pytest.param("poetry config virtualenvs.create false", "poetry", "config", "poetry", [],
                 ["virtualenvs.create", "false"], id="poetry-config"),
    pytest.param("poetry export -f requirements.txt -o req.txt --without-hashes", "poetry", "export", "poetry",
                 [("--format", "requirements.txt"), ("--output", "req.txt"), ("--without-hashes", None)], [],
                 id="poetry-export"),
    pytest.param("pipenv install --deploy --system", "pipenv", "install", "pipenv",
                 [("--deploy", None), ("--system", None)], [], id="pipenv-install"),
    pytest.param("pipenv sync --dev", "pipenv", "sync", "pipenv", [("--dev", None)], [], id="pipenv-sync"),
    pytest.param("pdm install --prod --no-self -G web", "pdm", "install", "pdm",
                 [("--prod", None), ("--no-self", None), ("--group", "web")], [], id="pdm-install"),
    pytest.param("pdm sync --no-editable", "pdm", "sync", "pdm", [("--no-editable", None)], [], id="pdm-sync"),
    pytest.param("pip-sync requirements.txt dev.txt", "pip-sync", None, "pip-sync", [],
                 ["requirements.txt", "dev.txt"], id="pip-sync"),
    pytest.param("pip-compile -o req.txt pyproject.toml", "pip-compile", None, "pip-compile",
                 [("--output-file", "req.txt")], ["pyproject.toml"], id="pip-compile"),
    pytest.param("micromamba install -y -n base -f env.yaml", "conda", "install", "micromamba",
                 [("--yes", None), ("--name", "base"), ("--file", "env.yaml")], [], id="micromamba-install"),
    pytest.param("micromamba clean --all --yes", "conda", "clean", "micromamba",
                 [("--all", None), ("--yes", None)], [], id="micromamba-clean"),
    pytest.param("conda clean -afy", "conda", "clean", "conda",
                 [("--all", None), ("--force-pkgs-dirs", None), ("--yes", None)], [], id="conda-clean-cluster"),
    pytest.param("conda clean -p -t -y", "conda", "clean", "conda",
                 [("--packages", None), ("--tarballs", None), ("--yes", None)], [], id="conda-clean-p-is-packages"),
    pytest.param("conda env create -f environment.yml", "conda", "env create", "conda",
                 [("--file", "environment.yml")], [], id="conda-env-create"),
    pytest.param("conda env update -n base --file env.yml --prune", "conda", "env update", "conda",
                 [("--name", "base"), ("--file", "env.yml"), ("--prune", None)], [], id="conda-env-update"),
    pytest.param("mamba create -q -p /opt/env -c conda-forge python=3.11", "conda", "create", "mamba",
                 [("--quiet", None), ("--prefix", "/opt/env"), ("--channel", "conda-forge")], ["python=3.11"],
                 id="mamba-create"),
    pytest.param("apt-get update", "apt", "update", "apt-get", [], [], id="apt-get-update"),
    pytest.param("apt-get install -y --no-install-recommends gcc libpq-dev", "apt", "install", "apt-get",
                 [("--yes", None), ("--no-install-recommends", None)], ["gcc", "libpq-dev"], id="apt-get-install"),
    pytest.param("apt-get -qq -o Dpkg::Use-Pty=0 install curl", "apt", "install", "apt-get",
                 [("--quiet", None), ("--quiet", None), ("--option", "Dpkg::Use-Pty=0")], ["curl"],
                 id="apt-get-options-first"),
    pytest.param("apt install -y curl", "apt", "install", "apt", [("--yes", None)], ["curl"], id="apt"),
    pytest.param("apk add --no-cache --virtual .build-deps gcc", "apk", "add", "apk",
                 [("--no-cache", None), ("--virtual", ".build-deps")], ["gcc"], id="apk-add"),
    pytest.param("yum install -y python3", "yum", "install", "yum", [("--assumeyes", None)], ["python3"],
                 id="yum-install"),
    pytest.param("dnf clean all", "yum", "clean", "dnf", [], ["all"], id="dnf-clean"),
    pytest.param("microdnf install --nodocs -y git", "yum", "install", "microdnf",
                 [("--nodocs", None), ("--assumeyes", None)], ["git"], id="microdnf"),
    pytest.param("rm -rf /root/.cache/pip", "rm", None, "rm", [("--recursive", None), ("--force", None)],
                 ["/root/.cache/pip"], id="rm-rf"),
    pytest.param("rm -fr a b", "rm", None, "rm", [("--force", None), ("--recursive", None)], ["a", "b"],
                 id="rm-fr"),
    pytest.param("/bin/rm --recursive --force -- -x", "rm", None, "/bin/rm",
                 [("--recursive", None), ("--force", None)], ["-x"], id="rm-long"),
    pytest.param("rm -R x", "rm", None, "rm", [("--recursive", None)], ["x"], id="rm-capital-r"),
    pytest.param("cd /app", "cd", None, "cd", [], ["/app"], id="cd"),
    pytest.param("cd -P src", "cd", None, "cd", [("-P", None)], ["src"], id="cd-option"),
    pytest.param("python setup.py install", "setup.py", "install", "python setup.py", [], [], id="setup-install"),
    pytest.param("python3 ./setup.py develop --user", "setup.py", "develop", "python3 ./setup.py",
                 [("--user", None)], [], id="setup-develop"),
    pytest.param("python -m venv /opt/venv", "other", None, "python", [], ["-m", "venv", "/opt/venv"],
                 id="python-other-module"),
    pytest.param("python -c 'import pip'", "other", None, "python", [], ["-c", "import pip"], id="python-c"),
    pytest.param("sudo -H pip install x", "other", None, "sudo", [], ["-H", "pip", "install", "x"], id="sudo"),
    pytest.param("env PIP_NO_CACHE_DIR=1 pip install x", "other", None, "env", [],
                 ["PIP_NO_CACHE_DIR=1", "pip", "install", "x"], id="env"),
    pytest.param("$PIP install x", "other", None, "$PIP", [], ["install", "x"], id="program-from-variable"),
    pytest.param("pipx install x", "other", None, "pipx", [], ["install", "x"], id="unknown-program"),
]


@pytest.mark.parametrize(("script", "tool", "sub", "program", "options", "args"), INVOCATIONS)
def test_invocation(script: str, tool: str, sub: str | None, program: str,
                    options: list[tuple[str, str | None]], args: list[str]) -> None:
    inv = only(script)
    assert (inv.tool, inv.sub, inv.program) == (tool, sub, program)
    assert [(name, value) for name, value, _ in inv.options] == options
    assert [w.value for w in inv.args] == args
    assert inv.unknown == ()
    assert all(script[w.start : w.end] == w.raw for _, _, w in inv.options)


@pytest.mark.parametrize(("script", "tool", "sub", "program", "options", "args"), INVOCATIONS)
def test_every_word_is_accounted_for(script: str, tool: str, sub: str | None, program: str,
                                     options: list[tuple[str, str | None]], args: list[str]) -> None:
    inv = only(script)
    if tool == "other":
        return
    seen = {id(w) for _, _, w in inv.options} | {id(w) for w in inv.value_words} | {id(w) for w in inv.args}
    rest = [w.value for w in inv.command.words if id(w) not in seen]
    expected = program.split() + (sub.split() if sub else [])
    assert [v for v in rest if v != "--"] == expected


def test_chain_of_invocations() -> None:
    script = "apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*"
    invs = invocations(script)
    assert invs is not None
    assert [(i.tool, i.sub) for i in invs] == [("apt", "update"), ("apt", "install"), ("rm", None)]
    (path,) = invs[2].args
    assert (path.value, path.has_expansion) == ("/var/lib/apt/lists/*", True)


def test_conda_chain() -> None:
    invs = invocations("micromamba install -y -n base -f env.yaml && micromamba clean --all --yes")
    assert invs is not None
    assert [(i.tool, i.sub, i.command.op_before) for i in invs] == [("conda", "install", None),
                                                                    ("conda", "clean", "&&")]


def test_cd_then_install() -> None:
    invs = invocations("cd /app && pip install -r requirements.txt")
    assert invs is not None
    cd, pip = invs
    assert (cd.tool, [w.value for w in cd.args]) == ("cd", ["/app"])
    assert (pip.tool, pip.option_values("--requirement")) == ("pip", ["requirements.txt"])


UNKNOWN = [
    pytest.param("pip install --frobnicate x", [("--frobnicate", None)], ["x"], ["--frobnicate"], id="long"),
    pytest.param("pip install --frob=1 x", [("--frob", "1")], ["x"], ["--frob=1"], id="long-with-value"),
    pytest.param("pip install --no-c x", [("--no-c", None)], ["x"], ["--no-c"], id="ambiguous-abbreviation"),
    pytest.param("pip install -Z x", [("-Z", None)], ["x"], ["-Z"], id="short"),
    pytest.param("pip install -qZx y", [("--quiet", None), ("-Zx", None)], ["y"], ["-qZx"], id="short-in-cluster"),
    pytest.param("pip install -r", [("--requirement", None)], [], ["-r"], id="missing-value"),
    pytest.param("pip install -r=req.txt", [("--requirement", "=req.txt")], [], ["-r=req.txt"],
                 id="short-with-equals"),
    pytest.param("pip install --no-cache-dir=1 x", [("--no-cache-dir", "1")], ["x"], ["--no-cache-dir=1"],
                 id="flag-with-value"),
    pytest.param("uv sync --no-install", [("--no-install", None)], [], ["--no-install"],
                 id="no-abbreviations-in-uv"),
]


def test_uv_takes_no_cache_dir_for_no_cache():
    # uv 0.13.8 accepts --no-cache-dir as a hidden alias of --no-cache (uv pip install and uv sync alike)
    for script in ("uv sync --no-cache-dir", "uv pip install --no-cache-dir -r r.txt"):
        inv = only(script)
        assert inv.option_values("--no-cache") == [None] and not inv.unknown


@pytest.mark.parametrize(("script", "options", "args", "unknown"), UNKNOWN)
def test_unknown_options(script: str, options: list[tuple[str, str | None]], args: list[str],
                         unknown: list[str]) -> None:
    inv = only(script)
    assert [(name, value) for name, value, _ in inv.options] == options
    assert [w.value for w in inv.args] == args
    assert [w.raw for w in inv.unknown] == unknown


def test_option_words_include_a_separate_value() -> None:
    script = "pip install --cache-dir /tmp/c --no-cache-dir -r req.txt --requirement=b.txt"
    inv = only(script)
    spans = {name: [w.raw for w in inv.option_words(word)] for name, _, word in inv.options
             if name != "--requirement"}
    assert spans == {"--cache-dir": ["--cache-dir", "/tmp/c"], "--no-cache-dir": ["--no-cache-dir"]}
    requirement_words = [[w.raw for w in inv.option_words(word)] for name, _, word in inv.options
                         if name == "--requirement"]
    assert requirement_words == [["-r", "req.txt"], ["--requirement=b.txt"]]
    assert inv.option_values("--requirement") == ["req.txt", "b.txt"]


def test_no_cache_dir_word_can_be_deleted() -> None:
    script = "python -m pip install --no-cache-dir -r req.txt"
    inv = only(script)
    (word,) = [w for name, _, w in inv.options if name == "--no-cache-dir"]
    edited = script[: word.start] + script[word.end :]
    assert edited == "python -m pip install  -r req.txt"
    assert only(edited).option_values("--no-cache-dir") == []


def test_parse_invocation_of_empty_command() -> None:
    (cmd,) = commands("> /tmp/log")
    inv = parse_invocation(cmd)
    assert (inv.tool, inv.program, inv.args, cmd.redirects) == ("other", "", (), ("> /tmp/log",))


def test_invocations_keep_compound_flags() -> None:
    invs = invocations("if [ -f r.txt ]; then pip install -r r.txt; fi")
    assert invs is not None
    pip = invs[1]
    assert (pip.tool, pip.sub, pip.command.compound) == ("pip", "install", True)


def test_expansions_stay_visible_in_options() -> None:
    inv = only('pip install -r "$REQS" --index-url=${INDEX}')
    assert inv.option_values("--requirement") == ["$REQS"]
    assert inv.option_values("--index-url") == ["${INDEX}"]
    assert [w.has_expansion for w in inv.value_words] == [True]
    assert [w.has_expansion for _, _, w in inv.options] == [False, True]


# --- properties -----------------------------------------------------------------------------------

ALL_SCRIPTS = sorted(
    {p.values[0] for table in (SPLITTING, COMMENTS, COMPOUND, REDIRECTS, INVOCATIONS, UNKNOWN) for p in table}
)


@pytest.mark.parametrize("script", ALL_SCRIPTS)
def test_offsets_round_trip(script: str) -> None:
    assert_offsets(script, commands(script))


FRAGMENTS = [
    " ", "\n", "\t", ";", "&&", "||", "|", "&", "(", ")", "<", ">", "'", '"', "\\", "\\\n", "$", "`", "{", "}",
    "#", "*", "~", "=", "a", "pip", "install", "-r", "x.txt", "if ", "then ", "fi", "for x in y", "do ", "done",
    "case a in ", "b)", ";;", "esac", "$(", "${", "<<E\n", "\nE\n", "[[ ", " ]]", "! ", "2>&1", "f()", "A=1",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=20).map("".join))
def test_never_raises_and_offsets_hold(script: str) -> None:
    cmds = split_commands(script)
    if cmds is None:
        assert invocations(script) is None
        return
    assert_offsets(script, cmds)
    assert [c.start for c in cmds] == sorted(c.start for c in cmds)
    for cmd in cmds:
        inv = parse_invocation(cmd)
        assert inv.command is cmd
        assert all(isinstance(w, Word) for w in inv.args + inv.value_words + inv.unknown)
