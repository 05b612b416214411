"""Tests for dockfix.shell.effects: what shell commands read and write, and commutation with a broad COPY."""

from __future__ import annotations

import pytest

from dockfix.build import state as analysis
from dockfix.rules.reorder import commute
from dockfix.shell import effects
from dockfix.dockerfile import reader
from dockfix.build.context import BuildContext
from dockfix.shell.effect_types import Access
from dockfix.shell.invocation import invocations


def state(lines: str = "WORKDIR /app", base: str = "python:3.11-slim") -> analysis.State:
    text = f"FROM {base}\n{lines}\nRUN true\n"
    return analysis.states(reader.read(text.encode()))[-1]


def effect(script: str, lines: str = "WORKDIR /app", base: str = "python:3.11-slim", home: str | None = None):
    invs = invocations(script)
    assert invs is not None, script
    return effects.run_effect(invs, state(lines, base), home, script)


class Fake:
    """A build context given as the entries the COPY brings (directories end with '/')."""

    def __init__(self, *entries: str):
        self.entries = {e.rstrip("/") for e in entries}

    def copied(self, rel: str) -> bool:
        return any(e == rel or e.startswith(rel + "/") for e in self.entries)

    def names(self, rel: str) -> list[str]:
        prefix = "" if rel == "." else rel + "/"
        return sorted({e[len(prefix):].split("/", 1)[0] for e in self.entries if e.startswith(prefix)})


def verdict(script, context=(), lines="WORKDIR /app", dest="/app", base="python:3.11-slim", dest_exists=True,
            home=None) -> str | None:
    e = effect(script, lines, base, home)
    if e is None:
        return "unknown"
    fake = Fake(*context)
    return commute.meets_copy(e, dest, fake.copied, dest_exists=dest_exists, names=fake.names)


APP = ("app.py", "requirements.txt", "src/", "src/pkg/__init__.py")

# (id, script, context, header lines, expected: None = commutes, "unknown" = no model, else a reason part)
CASES = [
    # issue 9, group 1
    ("ls", "ls -la", APP, "WORKDIR /app", None),
    ("ls-into-file", "ls -la > listing.txt", APP, "WORKDIR /app", "reads /app/..."),
    ("ls-piped", "ls -la | grep x", APP, "WORKDIR /app", "reads /app/..."),
    ("ls-copied-operand", "ls -la src", APP, "WORKDIR /app", "reads /app/src"),
    ("echo", "echo hello", APP, "WORKDIR /app", None),
    ("mkdir-data", "mkdir -p .data/results", APP, "WORKDIR /app", None),
    ("mkdir-data-in-context", "mkdir -p .data/results", APP + (".data/x.csv",), "WORKDIR /app", ".data also brought"),
    ("mkdir-mode", "mkdir -p -m 700 /srv/cache", APP, "WORKDIR /app", None),
    ("venv-relative", "python3 -m venv .venv", APP, "WORKDIR /app", None),
    ("venv-in-context", "python3 -m venv .venv", APP + (".venv/bin/python",), "WORKDIR /app", "/app/.venv"),
    ("venv-shadowed-module", "python3 -m venv .venv", APP + ("logging.py",), "WORKDIR /app", "brings logging.py"),
    ("venv-env", "python3 -m venv $VIRTUAL_ENV", APP, "ENV VIRTUAL_ENV=/opt/venv\nWORKDIR /app", None),
    ("venv-env-braces", "python3 -m venv ${VIRTUAL_ENV}", APP, "ENV VIRTUAL_ENV=/opt/venv\nWORKDIR /app", None),
    ("venv-arg", "python3 -m venv $VIRTUAL_ENV", APP, "ARG VIRTUAL_ENV=/opt/venv\nWORKDIR /app", "cannot name"),
    ("venv-unset", "python3 -m venv $NOPE/venv", APP, "WORKDIR /app", "cannot name"),
    ("venv-known-prefix", "python3 -m venv /opt/$NOPE", APP, "WORKDIR /app", None),
    ("venv-env-inside-dest", "python3 -m venv $VIRTUAL_ENV", APP + (".venv/",), "ENV VIRTUAL_ENV=/app/.venv\nWORKDIR /app",
     "/app/.venv"),
    ("curl-output", "curl -L https://example.com/x.tgz -o n", APP, "WORKDIR /app", None),
    ("curl-output-copied", "curl -L https://example.com/x.tgz -o n", APP + ("n",), "WORKDIR /app", "writes /app/n"),
    ("curl-remote-name", "curl -fsSLO 'https://example.com/a/get-pip.py?x=1'", APP + ("get-pip.py",), "WORKDIR /app",
     "writes /app/get-pip.py"),
    ("curl-remote-name-glob", "curl -fsSLO https://example.com/a/get-pip.py?x=1", APP, "WORKDIR /app",
     "holds the copied files"),
    ("curl-remote-name-free", "curl -fsSLO https://example.com/a/get-pip.py", APP, "WORKDIR /app", None),
    ("git-clone-dir", "git clone https://github.com/a/b.git serve", APP, "WORKDIR /app", None),
    ("git-clone-dir-copied", "git clone https://github.com/a/b.git serve", APP + ("serve/",), "WORKDIR /app",
     "writes /app/serve/..."),
    ("git-clone-default-dir", "git clone --depth 1 -b main https://github.com/a/serve.git", APP + ("serve/",),
     "WORKDIR /app", "writes /app/serve/..."),
    ("conda-update-base", "conda update -n base conda", APP, "WORKDIR /app", None),
    ("useradd-no-home", "useradd -d /app app", APP, "WORKDIR /app", None),
    ("useradd-create-home", "useradd -m -d /app app", APP, "WORKDIR /app", "writes /app/..."),
    ("useradd-fedora-default", "useradd -d /app app", APP, "WORKDIR /app", "writes /app/..."),
    # adversarial
    ("cp-reads-copied", "cp requirements.txt /tmp/x", APP, "WORKDIR /app", "reads /app/requirements.txt"),
    ("sed-in-place", "sed -i s/x/y/ requirements.txt", APP, "WORKDIR /app", "requirements.txt"),
    ("sed-elsewhere", "sed -i -e 's/a/b/g' /etc/ssh/sshd_config", APP, "WORKDIR /app", None),
    ("sed-write-command", "sed -i 's/a/b/w /app/out' /etc/x", APP, "WORKDIR /app", "unknown"),
    ("echo-into-copied", "echo x > app.py", APP, "WORKDIR /app", "writes /app/app.py"),
    ("echo-append-new", "echo x >> notes.txt", APP, "WORKDIR /app", None),
    ("read-redirect", "cat < requirements.txt", APP, "WORKDIR /app", "reads /app/requirements.txt"),
    ("cd-copied-sub", "cd src && touch x", APP, "WORKDIR /app", "src also brought"),
    ("cd-elsewhere", "cd /tmp && touch x && mkdir -p y", APP, "WORKDIR /app", None),
    ("cd-unknown", "cd $SOMEWHERE && touch x", APP, "WORKDIR /app", "cannot name"),
    ("subshell-cd", "(cd /tmp && touch x) && touch y", APP, "WORKDIR /app", "cannot name"),
    ("env-known", "mkdir -p $DATA", APP, "ENV DATA=/data\nWORKDIR /app", None),
    ("env-into-copied", "mkdir -p $DATA/x", APP, "ENV DATA=/app/src\nWORKDIR /app", "src also brought"),
    ("shell-assigned", "DATA=/app/src; mkdir -p $DATA", APP, "ENV DATA=/data\nWORKDIR /app", "/app/src, also brought"),  # the script sets DATA: its own value counts
    ("single-quoted-dollar", "mkdir -p '$DATA'", APP, "ENV DATA=/data\nWORKDIR /app", None),
    ("chmod-dest", "chmod -R 755 /app", APP, "WORKDIR /", "holds the copied files"),
    ("chown-dest", "chown -R app:app /app", APP, "WORKDIR /", "holds the copied files"),
    ("chmod-elsewhere", "chmod +x /usr/local/bin/entry.sh", APP, "WORKDIR /app", None),
    ("chmod-minus-x", "chmod -x /usr/local/bin/entry.sh", APP, "WORKDIR /app", None),
    ("rm-tmp", "rm -rf /tmp/* /var/lib/apt/lists/*", APP, "WORKDIR /app", None),
    ("rm-star", "rm -rf *", APP, "WORKDIR /app", "holds the copied files"),
    ("apt", "apt-get update && apt-get install -y --no-install-recommends gcc", APP, "WORKDIR /app", None),
    ("apt-local", "apt-get install -y ./x.deb", APP, "WORKDIR /app", "unknown"),
    ("pip-named", "pip install --no-cache-dir gunicorn", APP, "WORKDIR /app", None),
    ("pip-cache-root", "pip install gunicorn", APP, "WORKDIR /app", None),
    ("pip-requirements", "pip install -r requirements.txt", APP, "WORKDIR /app", "unknown"),
    ("pip-local", "pip install .", APP, "WORKDIR /app", "unknown"),
    ("pip-venv-in-dest", "pip install --no-cache-dir gunicorn", APP + (".venv/bin/pip",),
     "ENV PATH=/app/.venv/bin:$PATH\nWORKDIR /app", "/app/.venv"),
    ("pip-shadowed", "python -m pip install --no-cache-dir x", APP + ("pip/__init__.py",), "WORKDIR /app", "brings pip"),
    ("pip-env-file", "pip install --no-cache-dir x", APP, "ENV PIP_REQUIREMENT=/app/r.txt\nWORKDIR /app", "unknown"),
    ("script", "python app.py", APP, "WORKDIR /app", "cannot name"),
    ("make", "make", APP, "WORKDIR /app", "cannot name"),
    ("sh-c", "sh -c 'touch x'", APP, "WORKDIR /app", "cannot name"),
    ("bash-script", "bash x.sh", APP, "WORKDIR /opt", "cannot name"),
    ("npm", "npm install", APP, "WORKDIR /opt", "cannot name"),
    ("unknown-command", "frobnicate --all", APP, "WORKDIR /app", "unknown"),
    ("unknown-option", "mkdir --frob x", APP, "WORKDIR /app", "unknown"),
    ("tar-elsewhere", "tar -xzf /tmp/a.tgz -C /opt", APP, "WORKDIR /app", None),
    ("tar-here", "tar xzf /tmp/a.tgz", APP, "WORKDIR /app", "holds the copied files"),
    ("wget-default-name", "wget -q https://example.com/dl/tool.tar.gz", APP, "WORKDIR /app", None),
    ("wget-prefix", "wget -P /opt https://example.com/dl/tool.tar.gz", APP + ("tool.tar.gz",), "WORKDIR /app", None),
    ("wget-name-copied", "wget https://example.com/dl/tool.tar.gz", APP + ("tool.tar.gz",), "WORKDIR /app",
     "tool.tar.gz"),
    ("test-copied", "test -f requirements.txt && echo yes", APP, "WORKDIR /app", "reads /app/requirements.txt"),
    ("test-bracket", "[ -d /opt/venv ] || echo no", APP, "WORKDIR /app", None),
    ("test-string", '[ -n "$X" ]', APP, "WORKDIR /app", None),
    ("ln-symlink", "ln -s /app/run.sh /usr/local/bin/run", APP, "WORKDIR /app", None),
    ("ln-hard", "ln /app/app.py /tmp/app.py", APP, "WORKDIR /", "reads /app/app.py"),
    ("grep-r", "grep -r foo .", APP, "WORKDIR /app", "reads /app/..."),
    ("cat-elsewhere", "cat /etc/os-release", APP, "WORKDIR /app", None),
    ("path-lookup-into-dest", "gunicorn --version", APP + ("bin/gunicorn",), "ENV PATH=/app/bin:$PATH", "cannot name"),
    ("which-dest", "which tool", APP + ("bin/tool",), "ENV PATH=/app/bin:$PATH\nWORKDIR /", "reads /app/bin/tool"),
]


# The base image of a case, when not python:3.11-slim (a Debian whose useradd creates no home by default).
BASES = {"conda-update-base": "continuumio/miniconda3", "useradd-fedora-default": "fedora:40"}


@pytest.mark.parametrize("case,script,context,lines,expected", CASES, ids=[c[0] for c in CASES])
def test_commutes(case, script, context, lines, expected):
    got = verdict(script, context, lines, base=BASES.get(case, "python:3.11-slim"))
    if expected is None:
        assert got is None
    else:
        assert got is not None and expected in got, got


@pytest.mark.parametrize("script,dest,expected", [
    ("conda update -n base conda", "/opt/conda/app", "writes /opt/conda"),
    ("apt-get install -y gcc", "/usr/lib/app", "installs packages"),
    ("apt-get install -y gcc", "/usr/src/app", None),
    ("pip install --no-cache-dir x", "/usr/local/app", "writes /usr/local/..."),
    ("useradd -d /home/app -m app", "/home/app/src", "writes /home/app/..."),
])
def test_destinations(script, dest, expected):
    got = verdict(script, APP, "WORKDIR /", dest=dest, base="continuumio/miniconda3" if "conda" in script else "debian")
    assert (got is None) if expected is None else (expected in got), got


@pytest.mark.parametrize("script", ["mkdir -p /app/.data", "touch /app/x", "echo x > /app/y"])
def test_dest_missing(script):
    assert "may not exist" in verdict(script, APP, "WORKDIR /", dest_exists=False)


def test_mkdir_p_of_existing_dest_is_nothing():
    assert verdict("mkdir -p /app", APP, "WORKDIR /") is None
    assert verdict("mkdir /app", APP, "WORKDIR /") is not None
    assert verdict("mkdir -p /app", APP, "WORKDIR /", dest_exists=False) is not None


def test_conda_root_unknown():
    assert verdict("conda update -n base conda", APP, base="python:3.11") == "unknown"
    assert verdict("conda install -y numpy", APP, "ENV CONDA_DIR=/srv/conda\nWORKDIR /app", base="x/y") is None


def test_unknown_home_refuses_home_writes():
    assert "cannot name" in verdict("pip install gunicorn", APP, "USER app\nWORKDIR /app")
    assert verdict("pip install --no-cache-dir gunicorn", APP, "USER app\nWORKDIR /app", home="/home/app") is None
    assert "/app/.cache/pip" in verdict("pip install gunicorn", APP + (".cache/",), "USER app\nWORKDIR /app", home="/app")


def test_imports_without_names_refuse():
    e = effect("python3 -m venv .venv")
    fake = Fake(*APP)
    assert "may bring modules" in commute.meets_copy(e, "/app", fake.copied, dest_exists=True)
    assert commute.meets_copy(effect("python3 -I -m venv .venv"), "/app", fake.copied, dest_exists=True) is None


def effects_account_files():
    from dockfix.shell.commands_system import ACCOUNT_FILES

    return [*ACCOUNT_FILES, *(f + "-" for f in ACCOUNT_FILES), "/etc/.pwd.lock", "/var/log/lastlog", "/var/log/faillog"]


def writes(script: str, lines: str = "WORKDIR /w") -> set[tuple[str, bool]]:
    e = effect(script, lines)
    assert e is not None and not e.writes_anything, script
    return {(a.path, a.tree) for a in e.writes}


def reads(script: str, lines: str = "WORKDIR /w") -> set[str]:
    e = effect(script, lines)
    assert e is not None
    return {a.path for a in e.reads if not a.path.endswith("/" + script.split()[0])}


@pytest.mark.parametrize("script,expected", [
    ("mkdir -p -m 700 d", {("/w/d", False)}),
    ("mkdir --mode=700 --parents a b", {("/w/a", False), ("/w/b", False)}),
    ("cp -r a b", {("/w/b", True)}),
    ("cp -t /dst a b", {("/dst", True)}),
    ("mv a /x/b", {("/w/a", True), ("/x/b", True)}),
    ("rm -rf a", {("/w/a", True)}),
    ("rm a", {("/w/a", False)}),
    ("ln -sf target name", {("/w/name", True)}),
    ("ln -s /opt/tool/bin/tool", {("/w/tool", True)}),
    ("touch -d 2020-01-01 f", {("/w/f", False)}),
    ("chmod 755 f", {("/w/f", False)}),
    ("chown -R 1000:1000 d", {("/w/d", True)}),
    ("chmod --reference=ref f", {("/w/f", False)}),
    ("curl -fsSL https://x/y --output /tmp/y", {("/tmp/y", False)}),
    ("curl -O https://h/p/file.tgz", {("/w/file.tgz", False)}),
    ("curl --output-dir /dl -O https://h/p/file.tgz", {("/dl/file.tgz", False)}),
    ("curl -sSL https://h/x", set()),
    ("wget -O /tmp/a https://h/x", {("/tmp/a", False)}),
    ("wget -O - https://h/x", set()),
    ("wget -P /dl https://h/p/f.zip", {("/dl/f.zip", False)}),
    ("wget https://h/", {("/w/index.html", False)}),
    ("git clone https://h/o/r.git", {("/w/r", True)}),
    ("git clone git@github.com:o/r.git", {("/w/r", True)}),
    ("git clone --bare https://h/o/r", {("/w/r.git", True)}),
    ("git -C /src clone https://h/o/r.git x", {("/src/x", True)}),
    ("tar -x -f a.tar -C /opt", {("/opt", True)}),
    ("tar -czf /tmp/a.tgz src", {("/tmp/a.tgz", False)}),
    ("sed -i.bak s/a/b/ f", {("/w/f", False), ("/w/f.bak", False)}),
    ("python3 -m venv /opt/venv", {("/opt/venv", True)}),
    ("python -m venv --upgrade-deps v", {("/w/v", True), ("/root/.cache/pip", True)}),
    ("echo a > /tmp/o 2>&1", {("/tmp/o", False)}),
    ("echo a 2>/dev/null >&2", set()),
    ("rmdir -p a/b", {("/w/a/b", False), ("/w/a", False)}),
    ("mkdir $HOME/x", {("/root/x", False)}),
    ("mkdir ~/x", {("/root/x", False)}),
    ("mkdir /opt/*", {("/opt", True)}),
    ("cd /srv && cd sub && mkdir x", {("/srv/sub/x", False)}),
    ("cd && mkdir x", {("/root/x", False)}),
    ("pip install --no-cache-dir --target /deps x", {("/deps", True)}),
    ("pip download -d /wheels x", {("/wheels", True), ("/root/.cache/pip", True)}),
    ("useradd -r -s /bin/false app", {(f, False) for f in effects_account_files()}
     | {("/var/mail", True), ("/var/spool/mail", True)}),
])
def test_writes(script, expected):
    assert writes(script) == expected


@pytest.mark.parametrize("script,expected", [
    ("cat a /etc/b", {"/w/a", "/etc/b"}),
    ("head -n 5 f", {"/w/f"}),
    ("grep -e pat f", {"/w/f"}),
    ("grep pat f", {"/w/f"}),
    ("grep -rl pat", {"/w"}),
    ("cp a /tmp/", {"/w/a"}),
    ("tar -xf a.tar -C /opt", {"/w/a.tar"}),
    ("curl -d @body.json https://h", {"/w/body.json", "/root/.curlrc"}),
    ("curl -q -F file=@up.bin https://h", {"/w/up.bin"}),
    ("test -f a -a -d /b", {"/w/a", "/b"}),
    ("[ a -nt b ]", {"/w/a", "/w/b"}),
])
def test_reads(script, expected):
    assert reads(script) - {"/root/.curlrc"} - NETWORK == expected - {"/root/.curlrc"}
    if "curlrc" in str(expected):
        assert "/root/.curlrc" in reads(script)


# what every download reads (commands_net.network): resolver files and trusted certificates
NETWORK = {"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/ssl",
           "/usr/lib/ssl", "/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates",
           "/usr/local/share/ca-certificates"}


@pytest.mark.parametrize("script, netrc", [
    ("pip install -U pip", True), ("wget https://h/a", True), ("git clone https://h/r.git d", True),
    ("curl -o a https://h/a", False), ("curl -n -o a https://h/a", True),
])
def test_downloads_read_certificates_resolver_and_netrc(script, netrc):
    got = reads(script)
    assert NETWORK <= got, NETWORK - got
    assert ("/root/.netrc" in got) == netrc


def test_a_certificate_variable_is_read_or_unknown():
    assert "/certs/ca.pem" in {a.path for a in effect("pip install -U pip", lines="ENV SSL_CERT_FILE=/certs/ca.pem").reads}
    assert effect("pip install -U pip", lines="ARG REQUESTS_CA_BUNDLE") is None


def test_git_over_ssh_reads_the_keys():
    assert {"/root/.ssh", "/etc/ssh"} <= reads("git clone git@github.com:o/r.git d")
    assert "/root/.ssh" not in reads("git clone https://github.com/o/r.git d")


@pytest.mark.parametrize("script", [
    "cp a",  # no destination
    "sed -f script.sed f",
    "sed -e '1d' f",
    "git status",
    "git config user.name x",
    "tar -xPf a.tar",
    "curl --frobnicate https://h",
    "curl file:///etc/passwd",
    "pip install -e .",
    "pip install ./pkg",
    "pip install $PKG",
    "pip --python /x/python install y",
    "conda env create -f environment.yml",
    "conda install --file spec.txt",
    "usermod -d /app -m app",
    "apt-get source pkg",
    "$TOOL run",
    "mkdir -$X d",
])
def test_unknown(script):
    assert effect(script, base="continuumio/miniconda3") is None


def test_run_effects_names_each_command():
    invs = invocations("cd /tmp && mkdir x && frob")
    out = effects.run_effects(invs, state())
    assert [inv.command.words[0].value for inv, _ in out] == ["cd", "mkdir", "frob"]
    assert out[2][1] is None and out[1][1] is not None
    assert Access("/tmp/x") in out[1][1].writes


@pytest.mark.parametrize("path,dest,expected", [
    ("/app/x", "/app", "inside"),
    ("/", "/app", "above"),
    ("/opt", "/app", "apart"),
    ("/opt/${X#1}", "/app", "apart"),
    ("/${X#1}", "/app", None),
    ("@base/x", "/app", None),
    ("${APP#1}/x", "${APP#1}", "inside"),
    ("/opt", "${APP#1}", None),
    ("/opt/x", "/opt/${APP#1}/y", None),
    ("/srv", "/opt/${APP#1}", "apart"),
])
def test_relation(path, dest, expected):
    assert commute.relation(path, dest) == expected


def test_symbolic_workdir_meets_everything():
    e = effect("mkdir -p .data", "WORKDIR $APP")
    fake = Fake()
    assert commute.meets_copy(e, "/srv", fake.copied, dest_exists=True) is not None


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "app.py").write_text("x")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / "main.py").write_text("")
    return tmp_path


@pytest.mark.parametrize("ignore,script,commutes", [
    ("", "python3 -m venv .venv", False),
    (".venv\n", "python3 -m venv .venv", True),
    (".venv\n!.venv/bin/python\n", "python3 -m venv .venv", False),
    ("**/.venv\n", "python3 -m venv .venv", True),
    ("", "git clone https://h/o/serve.git", False),
    ("serve\n", "git clone https://h/o/serve.git", True),
    ("", "mkdir -p .data", True),
    ("", "python3 -m venv /opt/venv", True),
    ("*.py\n", "echo x > app.py", True),
    ("", "echo x > app.py", False),
])
def test_with_build_context(ctx, ignore, script, commutes):
    if ignore:
        (ctx / ".dockerignore").write_text(ignore)
    copied, names = commute.context_copied(BuildContext(ctx))
    e = effect(script)
    why = commute.meets_copy(e, "/app", copied, dest_exists=True, names=names)
    assert (why is None) == commutes, why


def test_context_copied_of_a_subdirectory(ctx):
    copied, names = commute.context_copied(BuildContext(ctx), "serve")
    assert copied("main.py") is True
    assert copied("app.py") is False
    assert copied("../app.py") is None
    assert names(".") == ["main.py"]


@pytest.mark.parametrize("script,lines,base,commutes", [
    ("adduser -D -h /app app", "WORKDIR /", "alpine:3.20", False),  # BusyBox creates the home
    ("adduser -D -H -h /app app", "WORKDIR /", "alpine:3.20", True),
    ("adduser --disabled-password --home /app app", "WORKDIR /", "debian:12", False),
    ("adduser --system --no-create-home --home /app app", "WORKDIR /", "debian:12", True),
    ("addgroup -S app && adduser -S -G app -H app", "WORKDIR /", "alpine:3.20", True),
    ("groupadd -r app && useradd -r -g app -d /app app", "WORKDIR /", "python:3.11-slim", True),
    ("HOME=/app pip install gunicorn", "WORKDIR /", "python:3.11-slim", False),
    ("for d in a b; do mkdir -p $DATA/$d; done", "ENV DATA=/srv/data\nWORKDIR /", "python:3.11-slim", False),
    ("mkdir -p $DATA/x", "ENV DATA=/srv/data\nWORKDIR /", "python:3.11-slim", True),
])
def test_accounts_and_shell_variables(script, lines, base, commutes):
    why = verdict(script, APP, lines, base=base)
    assert (why is None) == commutes, why


@pytest.mark.parametrize("paths,lines,context,commutes", [
    (["/data"], "WORKDIR /app", APP, True),
    (["/app/data"], "WORKDIR /app", APP, True),
    (["/app/src"], "WORKDIR /app", APP, False),
    (["/app"], "WORKDIR /app", APP, True),  # the existing destination: nothing happens to it
    (["$DATA"], "ENV DATA=/srv\nWORKDIR /app", APP, True),
    (["$DATA"], "ARG DATA=/srv\nWORKDIR /app", APP, False),
])
def test_volume(paths, lines, context, commutes):
    e = effects.volume_effect(paths, state(lines))
    fake = Fake(*context)
    why = commute.meets_copy(e, "/app", fake.copied, dest_exists=True)
    assert (why is None) == commutes, why


@pytest.mark.parametrize("script,lines,expected", [
    ("mkdir -p $DATA", 'ENV DATA="/srv/a /app/src"\nWORKDIR /', "cannot name"),  # splits into two words
    ("mkdir -p $PWD/x", "ENV PWD=/srv\nWORKDIR /app", "cannot name"),  # the shell sets PWD
    ("cd /srv && mkdir x && frob", "WORKDIR /app", "'frob' is a command dockfix cannot tell"),
    ("cd /srv && mkdir x && cp /app/app.py .", "WORKDIR /app", "'cp /app/app.py .' reads /app/app.py"),
    ("cd /srv && mkdir x && cp /app/notes.txt .", "WORKDIR /app", None),
])
def test_run_meets_copy(script, lines, expected):
    fake = Fake(*APP)
    why = commute.run_meets_copy(invocations(script), state(lines), "/app", fake.copied, True, fake.names)
    assert (why is None) if expected is None else (expected in why), why


@pytest.mark.parametrize("script,expected", [
    ("wget 'https://h/f?x=1'", {("/w/f?x=1", False)}),
    ("wget -i urls.txt", {("/w", True)}),
    ("tar xzf a.tgz -C /opt", {("/opt", True)}),
    ("date +%s", set()),
    ("apt-get -o Acquire::Retries=3 install -y gcc", set()),
])
def test_writes_more(script, expected):
    assert writes(script) == expected


@pytest.mark.parametrize("script", [
    "tar xfz a.tgz",  # old style: f takes the next word, not 'z'
    "curl -K cfg https://h",
    "date -r /app/app.py",
    "hostname -F /etc/hostname",
    "apt-get -o Dir::Cache=/app/c install -y gcc",
])
def test_unknown_more(script):
    assert effect(script) is None


def test_recursive_listing_reads_the_tree():
    assert "reads /app/..." in verdict("ls -R", APP)
    assert "unknown" == verdict("pip install --no-cache-dir x", APP, "ENV PYTHONPATH=/app\nWORKDIR /app")


@pytest.mark.parametrize("script", [
    "cd /a || cd /b && touch x",  # after the first cd the second does not run
    "cd /a | true; touch x",  # a pipeline runs in a subshell
    "cd /a & touch x",
    "true || cd /b; touch x",
])
def test_cd_that_may_not_be_in_force(script):
    e = effect(script)
    assert e.writes_anything, e


def test_cd_sequence():
    assert writes("cd /a && cd b && cd ../c && touch x") == {("/a/c/x", False)}


@pytest.mark.parametrize("script", [
    "cd /srv/none; touch x",  # sh goes on after a failed cd, in the directory it was in
    "test -d /srv/none && cd /srv/none; touch x",  # the cd may not have run
    "cd /srv && touch y; touch x",
    "cd /srv || true; touch x",
])
def test_past_the_cd_chain_the_directory_is_not_known(script):
    assert effect(script).writes_anything


def test_past_the_cd_chain_the_same_directory_stays_known():
    assert ("/app/x", False) in writes("cd /app && true; touch x", "WORKDIR /app")


def test_unknown_home_makes_home_paths_unknown():
    """UNKNOWN_HOME: the caller knows the home is not known, so '~' names no folder (not /root)."""
    known = effect("mkdir -p ~/cache")
    assert Access("/root/cache", mkdir=True) in known.writes
    unknown = effect("mkdir -p ~/cache", home=effects.UNKNOWN_HOME)
    assert unknown.writes_anything and not unknown.writes


# pip of packages named by requirement specifiers (issue 9: the install RUN's other commands)
@pytest.mark.parametrize("script,lines", [
    ("pip install --upgrade ./pip", "WORKDIR /app"),
    ("pip install -U pip.tar", "WORKDIR /app"),  # pip's archive names are read as files when present
    ("pip install -U wheels.TXZ", "WORKDIR /app"),
    ("pip install -U pip -r extra.txt", "WORKDIR /app"),
    ("pip install -U pip -c constraints.txt", "WORKDIR /app"),
    ("pip install --group dev", "WORKDIR /app"),  # reads ./pyproject.toml
    ("pip install -U pip --find-links file:///app/wheels", "WORKDIR /app"),
    ("pip install -U pip", "ENV PIP_CONFIG_FILE=/app/pip.conf"),
    ("PIP_CONFIG_FILE=/app/pip.conf pip install -U pip", "WORKDIR /app"),
    ("pip install -U pip", "ENV XDG_CONFIG_HOME=/app/.cfg"),
    ("pip install -U pip", "ENV PIP_INDEX_URL=/app/index"),
    ("pip install -U pip", "ARG PIP_EXTRA_INDEX_URL"),
    ("export PIP_INDEX_URL=./index && pip install -U pip", "WORKDIR /app"),
])
def test_pip_by_name_unknown(script, lines):
    assert effect(script, lines) is None


@pytest.mark.parametrize("script,read", [
    ("pip install -U pip -i ./index", "/app/index"),
    ("pip install -U pip --extra-index-url /srv/index", "/srv/index"),
    ("pip install -U pip --cert ca.pem", "/app/ca.pem"),
    ("pip install -U pip", "/root/.local"),  # the user's site: what pip sees as installed
])
def test_pip_by_name_reads(script, read):
    assert read in {a.path for a in effect(script).reads}


def test_pip_index_url_over_https_is_no_read():
    e = effect("pip install -U pip", "ENV PIP_INDEX_URL=https://mirror.example/simple")
    assert e is not None and not e.reads_anything


def test_unknown_home_pip_reads_are_configs():
    """With the home not known, pip's home files are ``configs``: only a caller that checked the
    tree for them (reorder.install) may accept them; anyone else reads them as anything."""
    e = effect("pip install --no-cache-dir -U pip", lines="", base="registry.example.com/base", home=effects.UNKNOWN_HOME)
    assert e.configs == {"~/.pip/pip.conf", "~/.config/pip/pip.conf", "~/.local", "~/.netrc", "~/_netrc"}
    assert not e.reads_anything
    fake = Fake(*APP)
    assert "may read files dockfix cannot name" in commute.meets_copy(e, "/app", fake.copied, True, fake.names)
    assert commute.meets_copy(e, "/app", fake.copied, True, fake.names, configs_checked=True) is None
    known = effect("pip install --no-cache-dir -U pip", lines="", home="/root")
    assert known.configs == frozenset() and "/root/.pip/pip.conf" in {a.path for a in known.reads}


# variables the RUN itself sets to a literal earlier in the same shell (effects.script_values)
@pytest.mark.parametrize("script,known", [
    ('set -ex && D=" git  curl " && apt-get update && apt-get install -y $D', True),
    ('D="git curl"; apt-get install -y $D', True),
    ('D="git curl"; apt-get install -y "$D"', True),  # one word 'git curl': a name, no path
    ("D=git && apt-get install -y ${D}", True),
    ('D="./local.deb"; apt-get install -y $D', False),  # the value is a path
    ('D="lib*"; apt-get install -y $D', False),  # unquoted: a glob against the working directory
    ('D="git" && if [ -n "$N" ]; then D="./x.deb"; fi && apt-get install -y $D', False),  # assigned again
    ('(D="git") && apt-get install -y $D', False),  # a subshell's assignment is gone after it
    ('false || D="git" && apt-get install -y $D', False),  # runs only when the test fails
    ('true && D="git"; apt-get install -y $D', False),  # the use runs even when the assignment did not
    ("D=git | true; apt-get install -y $D", False),  # a pipeline runs it in a subshell
    ("D=$(cat x) && apt-get install -y $D", False),
    ('D=git && eval "D=./x.deb" && apt-get install -y $D', False),
    ("D=git && : ${D:=./x.deb} && apt-get install -y $D", False),
    ("D=git && read D < f && apt-get install -y $D", False),
    ('IFS=/ && D="a/b" && apt-get install -y $D', False),
    ("D=git && apt-get install -y ${D:-./x.deb}", False),
    ("D=git; for D in ./x.deb; do :; done; apt-get install -y $D", False),  # a loop header is no command
    ("D=git; f() { D=./x.deb; }; f; apt-get install -y $D", False),
    ("D=git; while read -r D; do :; done < f; apt-get install -y $D", False),
    ("D=git; export D=./x.deb; apt-get install -y $D", False),
    ("D=git; D=./x.deb; apt-get install -y $D", False),
    ("D=git; : $((D=0)); apt-get install -y $D", False),  # arithmetic assigns (dash too)
    ("D=git; N=$((D+=1)); apt-get install -y $D", False),
    ("D=git; wait -p D; apt-get install -y $D", False),  # bash's wait -p NAME
])
def test_script_values(script, known):
    assert (effect(script) is not None) == known


def test_script_value_in_a_path():
    assert ("/opt/x", False) in {(a.path, a.tree) for a in effect("D=/opt/x && mkdir -p $D").writes}
    # without the proof, the path below an unknown value is unknown
    assert effect("if true; then D=/opt/x; fi && mkdir -p $D").writes_anything


def test_a_loop_before_a_use_hides_the_value():
    """``for D in ...`` sets D in a header that is no command: read from the script text; without
    the text, no value is known after a compound command."""
    invs = invocations("for D in /app/src; do :; done; rm -rf $D")
    st = state("ENV D=/tmp/x\nWORKDIR /app")
    assert effects.run_effect(invs, st).writes_anything
    assert effects.run_effect(invs, st, script="for D in /app/src; do :; done; rm -rf $D").writes_anything
    # a loop over another name leaves D's ENV value known
    other = "for F in a; do :; done; rm -rf $D"
    assert ("/tmp/x", True) in {(a.path, a.tree) for a in effects.run_effect(invocations(other), st, script=other).writes}


@pytest.mark.parametrize("lines", ["ENV D=/opt\nWORKDIR '/a/$D'", "ENV D=/opt\nWORKDIR /a/\\$D"])
def test_a_protected_dollar_in_a_path_is_not_a_variable(lines):
    """BuildKit keeps a single-quoted or escaped ``$``: the directory is not /a/opt, nor known."""
    st = state(lines)
    assert st.workdir != "/a/opt" and analysis.symbolic_head(st.workdir) is not None


def test_a_protected_dollar_in_an_env_value_is_not_a_variable():
    assert state("ENV D=/opt\nENV P='$D'").vars["P"].value is None
    assert state('ENV D=/opt\nENV P="$D"').vars["P"].value == "/opt"


def test_pip_manifest_install_only_for_a_caller_that_resolved_the_manifests():
    script = "cd /app && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt -c /c.txt"
    invs = invocations(script)
    st = state()
    assert effects.run_effect(invs, st, "/root", script) is None  # -r: files the model does not follow
    found = effects.run_effects(invs, st, "/root", script, manifests=lambda inv: inv.tool == "pip")
    pip = found[-1][1]
    assert pip is not None
    assert {Access("/app/requirements.txt"), Access("/c.txt"), Access("/etc/pip.conf")} <= pip.reads
    assert pip.writes == {Access("/opt/venv", tree=True)}  # --no-cache-dir: no cache written
    # the options that name other files still have no model
    for other in ("-e .", "--src /s -r r.txt", "--group dev"):
        invs = invocations(f"pip install {other}")
        assert effects.run_effects(invs, st, "/root", None, manifests=lambda inv: True)[0][1] is None, other


@pytest.mark.parametrize("script, looked_up", [
    ("sleep 1", True), ("uname -a", True), ("id", True), ("whoami", True),  # programs
    ("echo x", False), ("test -d /x", False), ("cd /tmp", False), ("true", False),  # builtins of every shell
])
def test_a_program_is_looked_up_on_path(script, looked_up):
    # a COPY into a PATH folder that brings a file of that name changes what runs
    fake = Fake(script.split()[0])
    why = commute.meets_copy(effect(script), "/usr/local/bin", fake.copied, dest_exists=True, names=fake.names)
    assert (why is not None) == looked_up, why


@pytest.mark.parametrize("script", ["id -u", "whoami", "id app"])
def test_id_and_whoami_read_the_account_files(script):
    e = effect(script)
    assert {Access("/etc/passwd"), Access("/etc/group")} <= e.reads and not e.writes
