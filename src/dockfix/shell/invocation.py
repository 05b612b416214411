"""Reading a command as a tool invocation: which tool it runs (pip, uv, poetry, conda, apt-get, rm, ...)
and its subcommand, options and arguments, with one option table per tool."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .nodes import Command, Invocation, Word
from .script import split_commands


def parse_invocation(cmd: Command) -> Invocation:
    """Which tool ``cmd`` runs, and its subcommand, options and arguments."""
    words = cmd.words
    if not words:
        return _other(cmd)
    head = words[0].value
    name = head.rpartition("/")[2]
    grammar = _PIP if _PIP_NAME.fullmatch(name) else _PROGRAMS.get(name)
    if grammar is not None:
        return _invocation(cmd, grammar, head, 1)
    if _PYTHON_NAME.fullmatch(name):
        return _python(cmd)
    return _other(cmd)


def invocations(script: str) -> list[Invocation] | None:
    """``parse_invocation`` of every command of ``script``; None if it cannot be read reliably."""
    commands = split_commands(script)
    return None if commands is None else [parse_invocation(c) for c in commands]


_Table = Mapping[str, tuple[str, bool]]  # option as written -> (canonical name, takes a value)


def _table(*entries: str) -> dict[str, tuple[str, bool]]:
    """An option table. Each entry lists the spellings of one option ('-r --requirement='); a trailing
    '=' means it takes a value; the first long spelling is the canonical name."""
    table = {}
    for entry in entries:
        names = entry.rstrip("=").split()
        canonical = next((n for n in names if n.startswith("--")), names[0])
        for name in names:
            table[name] = (canonical, entry.endswith("="))
    return table


@dataclass(frozen=True)
class _Grammar:
    """How a tool's command line is read: its options, subcommands and their options."""

    tool: str
    options: _Table
    sub_options: Mapping[str, _Table] = field(default_factory=dict)  # by the subcommand's first word
    groups: frozenset[str] = frozenset()  # subcommands that take a second word: 'cache' -> 'cache purge'
    passthrough: frozenset[str] = frozenset()  # subcommands that end option parsing at their first argument
    has_sub: bool = True
    abbreviations: bool = False  # unambiguous prefixes of long options are accepted (optparse)


class _Arguments:
    """Sorts the words after a program into subcommand, options, option values and arguments."""

    def __init__(self, grammar: _Grammar, words: tuple[Word, ...]) -> None:
        self.grammar = grammar
        self.words = words
        self.i = 0
        self.sub: list[str] = []
        self.options: list[tuple[str, str | None, Word]] = []
        self.value_words: list[Word] = []
        self.args: list[Word] = []
        self.unknown: list[Word] = []
        self._read()

    def _read(self) -> None:
        grammar = self.grammar
        table = grammar.options
        options_ended = False
        while self.i < len(self.words):
            word = self.words[self.i]
            self.i += 1
            value = word.value
            if not options_ended and value == "--":
                options_ended = True
            elif not options_ended and value.startswith("-") and value != "-":
                (self._long if value.startswith("--") else self._short)(word, table)
            elif grammar.has_sub and (not self.sub or (len(self.sub) == 1 and self.sub[0] in grammar.groups)):
                self.sub.append(value)
                table = grammar.sub_options.get(self.sub[0], grammar.options)
            else:
                self.args.append(word)
                options_ended = options_ended or " ".join(self.sub) in grammar.passthrough

    def _add(self, name: str, value: str | None, word: Word, known: bool = True) -> None:
        self.options.append((name, value, word))
        if not known and word not in self.unknown:
            self.unknown.append(word)

    def _take_value(self, name: str, word: Word) -> None:
        if self.i < len(self.words):
            value_word = self.words[self.i]
            self.i += 1
            self.value_words.append(value_word)
            self._add(name, value_word.value, word)
        else:
            self._add(name, None, word, known=False)

    def _long(self, word: Word, table: _Table) -> None:
        name, eq, inline = word.value.partition("=")
        found = table.get(name)
        if found is None and self.grammar.abbreviations:
            matches = {table[option] for option in table if option.startswith(name)}
            found = matches.pop() if len(matches) == 1 else None
        if found is None:
            self._add(name, inline if eq else None, word, known=False)
            return
        canonical, takes_value = found
        if eq:
            self._add(canonical, inline, word, known=takes_value)
        elif takes_value:
            self._take_value(canonical, word)
        else:
            self._add(canonical, None, word)

    def _short(self, word: Word, table: _Table) -> None:
        """A cluster of short options: '-q', '-qq', '-rfile', '-yn name'."""
        letters = word.value[1:]
        for k, letter in enumerate(letters):
            found = table.get("-" + letter)
            if found is None:
                self._add("-" + letters[k:], None, word, known=False)
                return
            canonical, takes_value = found
            if not takes_value:
                self._add(canonical, None, word)
                continue
            attached = letters[k + 1 :]
            if attached:  # '-r=x' means '=x' to some parsers and 'x' to others
                self._add(canonical, attached, word, known=not attached.startswith("="))
            else:
                self._take_value(canonical, word)
            return


def _invocation(cmd: Command, grammar: _Grammar, program: str, first_argument: int) -> Invocation:
    a = _Arguments(grammar, cmd.words[first_argument:])
    tool, sub = grammar.tool, " ".join(a.sub) or None
    if grammar is _UV and sub is not None and sub.startswith("pip "):
        tool, sub, program = "uv-pip", sub.removeprefix("pip "), f"{program} pip"
    return Invocation(
        cmd, tool, sub, program, tuple(a.options), tuple(a.args), tuple(a.value_words), tuple(a.unknown)
    )


def _other(cmd: Command) -> Invocation:
    program = cmd.words[0].value if cmd.words else ""
    return Invocation(cmd, "other", None, program, (), cmd.words[1:])


def _python(cmd: Command) -> Invocation:
    """``python -m <tool> ...`` and ``python setup.py <command> ...``; anything else is 'other'."""
    words = cmd.words
    k = 1
    while k < len(words) and _PYTHON_FLAG.fullmatch(words[k].value):
        k += 2 if words[k].value in ("-W", "-X") else 1
    if k >= len(words):
        return _other(cmd)
    value = words[k].value
    if value == "-m" and k + 1 < len(words):
        grammar, first_argument = _MODULES.get(words[k + 1].value), k + 2
    elif value.startswith("-m") and len(value) > 2:
        grammar, first_argument = _MODULES.get(value[2:]), k + 1
    elif value.rpartition("/")[2] == "setup.py":
        grammar, first_argument = _SETUP_PY, k + 1
    else:
        return _other(cmd)
    if grammar is None:
        return _other(cmd)
    program = " ".join(w.value for w in words[:first_argument])
    return _invocation(cmd, grammar, program, first_argument)


_PIP_NAME = re.compile(r"pip(?:\d+(?:\.\d+)*)?")
_PYTHON_NAME = re.compile(r"python(?:\d+(?:\.\d+)*)?")
_PYTHON_FLAG = re.compile(r"-[bBdEIOPqRsSuv]+|-[WX].*")  # interpreter options before -m or a script

_PIP = _Grammar(
    "pip",
    _table(
        # general options
        "-h --help", "--debug", "--isolated", "--require-virtualenv", "--python=", "-v --verbose",
        "-V --version", "-q --quiet", "--log=", "--no-input", "--keyring-provider=", "--proxy=",
        "--retries=", "--timeout=", "--exists-action=", "--trusted-host=", "--cert=", "--client-cert=",
        "--cache-dir=", "--no-cache-dir", "--disable-pip-version-check", "--no-color",
        "--no-python-version-warning", "--use-feature=", "--use-deprecated=", "--resume-retries=",
        # install, download, wheel, uninstall
        "-r --requirement=", "-c --constraint=", "-e --editable=", "-t --target=", "--prefix=", "--root=",
        "--src=", "--upgrade-strategy=", "--platform=", "--python-version=", "--implementation=", "--abi=",
        "--only-binary=", "--no-binary=", "--progress-bar=", "--global-option=", "--build-option=",
        "-C --config-settings=", "--report=", "--root-user-action=", "--group=", "-d --dest=",
        "-w --wheel-dir=", "-i --index-url=", "--extra-index-url=", "--no-index", "-f --find-links=",
        "-U --upgrade", "--user", "--no-deps", "--pre", "--dry-run", "--force-reinstall",
        "-I --ignore-installed", "--ignore-requires-python", "--no-build-isolation", "--use-pep517",
        "--no-use-pep517", "--check-build-dependencies", "--break-system-packages", "--compile",
        "--no-compile", "--no-warn-script-location", "--no-warn-conflicts", "--prefer-binary",
        "--require-hashes", "--no-clean", "-y --yes", "--only-deps --only-dependencies",
    ),
    groups=frozenset({"cache", "config"}),
    abbreviations=True,
)

_UV_GLOBAL = (
    "-q --quiet", "-v --verbose", "--color=", "--native-tls", "--offline", "--no-progress", "--directory=",
    "--project=", "--config-file=", "--no-config", "-n --no-cache --no-cache-dir", "--cache-dir=", "--python-preference=",
    "--no-python-downloads", "--managed-python", "--no-managed-python", "--allow-insecure-host=",
    "--preview", "--no-preview", "-h --help", "-V --version",
    # resolver and installer options shared by the project and pip interfaces
    "--index=", "--default-index=", "-i --index-url=", "--extra-index-url=", "-f --find-links=",
    "--no-index", "--index-strategy=", "--keyring-provider=", "--resolution=", "--prerelease=",
    "--exclude-newer=", "-U --upgrade", "-P --upgrade-package=", "--reinstall", "--reinstall-package=",
    "--refresh", "--refresh-package=", "--no-build-isolation", "--no-build-isolation-package=",
    "--no-build", "--link-mode=", "--compile-bytecode --compile", "--no-compile-bytecode",
    "-C --config-setting=", "--no-sources", "-p --python=", "--dry-run",
)
_UV = _Grammar(
    "uv",
    _table(
        *_UV_GLOBAL,
        "--locked", "--frozen", "--no-install-project", "--no-install-workspace", "--no-install-package=",
        "--no-dev", "--dev", "--only-dev", "--extra=", "--all-extras", "--no-extra=", "--group=",
        "--only-group=", "--no-group=", "--all-groups", "--no-default-groups", "--package=",
        "--all-packages", "--no-editable", "-e --editable", "--inexact", "--exact", "--active", "--no-sync",
        "--no-binary", "--no-build-package=", "--no-binary-package=", "--check", "--script=", "--with=",
        "--with-requirements=", "--with-editable=", "--isolated", "--env-file=", "--no-env-file",
        "-m --module", "--force", "--seed", "--prompt=", "--system-site-packages", "--relocatable",
        "--allow-existing", "-o --output-file=", "--format=", "--no-hashes",
    ),
    sub_options={
        "pip": _table(
            *_UV_GLOBAL,
            "-r --requirement --requirements=", "-c --constraint --constraints=", "--override --overrides=",
            "-b --build-constraint --build-constraints=", "-e --editable=", "--extra=", "--all-extras",
            "--group=", "--no-deps", "--system", "--break-system-packages", "--target=", "--prefix=",
            "--no-binary=", "--only-binary=", "--strict", "--exact", "--require-hashes",
            "--no-verify-hashes", "--python-version=", "--python-platform=", "-o --output-file=",
            "--generate-hashes", "--universal", "--no-header", "--no-annotate", "--no-strip-extras",
            "--emit-index-url",
        ),
    },
    groups=frozenset({"pip", "tool", "python", "cache", "self"}),
    passthrough=frozenset({"run", "tool run"}),
)

_POETRY = _Grammar(
    "poetry",
    _table(
        "-q --quiet", "-v --verbose", "-n --no-interaction", "--ansi", "--no-ansi", "--no-plugins",
        "--no-cache", "-C --directory=", "-P --project=", "-h --help", "-V --version",
        "--with=", "--without=", "--only=", "--only-root", "--sync", "--no-root", "--no-directory",
        "--dry-run", "-E --extras=", "--all-extras", "--all-groups", "--compile", "--no-dev",
        "--remove-untracked", "--no-update", "--regenerate", "--check", "--lock", "-f --format=",
        "-o --output=", "--without-hashes", "--without-urls", "--with-credentials", "--unset", "--local",
        "--list", "-G --group=", "-D --dev", "-e --editable", "--optional", "--python=", "--platform=",
        "--source=", "--allow-prereleases",
    ),
    groups=frozenset({"cache", "env", "self", "source", "debug"}),
    passthrough=frozenset({"run"}),
)

_PIPENV = _Grammar(
    "pipenv",
    _table(
        "--deploy", "--system", "-d --dev", "--ignore-pipfile", "--skip-lock", "--python=",
        "--pypi-mirror=", "--clear", "-v --verbose", "-q --quiet", "--site-packages", "--no-site-packages",
        "--categories=", "--extra-pip-args=", "-r --requirements=", "--pre", "--keep-outdated",
        "--selective-upgrade", "-i --index=", "-e --editable=", "--rm", "--venv", "--where", "--py",
        "-h --help", "--version",
    ),
    passthrough=frozenset({"run"}),
)

_PDM = _Grammar(
    "pdm",
    _table(
        "-G --group=", "--no-default", "-d --dev", "--prod --production", "--no-self", "--no-editable",
        "--no-lock", "--frozen-lockfile", "--check", "--no-isolation", "-L --lockfile=", "-p --project=",
        "-g --global", "-x --fail-fast", "--clean", "--only-keep", "--dry-run", "-k --skip=", "--venv=",
        "-v --verbose", "-q --quiet", "-c --config=", "-I --ignore-python", "-C --config-setting=",
        "--override=", "-h --help", "-V --version",
    ),
    groups=frozenset({"cache", "self", "venv"}),
    passthrough=frozenset({"run"}),
)

_PIP_TOOLS = (
    "-v --verbose", "-q --quiet", "-n --dry-run", "-f --find-links=", "-i --index-url=",
    "--extra-index-url=", "--trusted-host=", "--no-index", "--cert=", "--client-cert=", "--pip-args=",
    "--config=", "--no-config", "-h --help", "--version",
)
_PIP_SYNC = _Grammar(
    "pip-sync", _table(*_PIP_TOOLS, "--python-executable=", "--user", "-a --ask", "--force"), has_sub=False
)
_PIP_COMPILE = _Grammar(
    "pip-compile",
    _table(
        *_PIP_TOOLS,
        "-o --output-file=", "--generate-hashes", "--resolver=", "--extra=", "--all-extras", "-U --upgrade",
        "-P --upgrade-package=", "--strip-extras", "--no-strip-extras", "--allow-unsafe",
        "-c --constraint=", "--no-header", "--no-annotate", "--cache-dir=", "--rebuild", "--pre",
        "--build-isolation", "--no-build-isolation", "--emit-index-url", "--no-emit-index-url",
        "--max-rounds=",
    ),
    has_sub=False,
)

_CONDA = _Grammar(
    "conda",
    _table(
        "-n --name=", "-p --prefix=", "-c --channel=", "-f --file=", "-y --yes", "-q --quiet", "-v --verbose",
        "-d --dry-run", "--json", "--override-channels", "--strict-channel-priority",
        "--no-channel-priority", "--no-deps", "--only-deps", "--no-pin", "--freeze-installed",
        "--update-deps", "--update-all --all", "--force-reinstall", "--copy", "--offline", "--use-local",
        "-k --insecure", "--clone=", "--no-default-packages", "--solver=", "--prune", "--platform=",
        "--subdir=", "-S --satisfied-skip-solve", "--mkdir", "-C --use-index-cache", "--download-only",
        "-r --root-prefix=", "--channel-priority=", "--no-rc", "--rc-file=", "--no-env", "-h --help",
        "-V --version",
    ),
    sub_options={
        "clean": _table(
            "-a --all", "-i --index-cache", "-p --packages", "-t --tarballs", "-f --force-pkgs-dirs",
            "-c --tempfiles=", "-l --logfiles", "--locks", "--trash", "-y --yes", "-q --quiet",
            "-v --verbose", "-d --dry-run", "--json", "-r --root-prefix=", "-h --help",
        ),
    },
    groups=frozenset({"env"}),
    passthrough=frozenset({"run"}),
)

_APT = _Grammar(
    "apt",
    _table(
        "-y --yes --assume-yes", "--assume-no", "-q --quiet", "-o --option=", "-c --config-file=",
        "-t --target-release --default-release=", "-a --host-architecture=", "-f --fix-broken",
        "-m --ignore-missing --fix-missing", "-s --simulate --just-print --dry-run --recon --no-act",
        "-d --download-only", "-V --verbose-versions", "-u --show-upgraded", "--no-install-recommends",
        "--install-recommends", "--no-install-suggests", "--install-suggests", "--no-upgrade",
        "--only-upgrade", "--reinstall", "--purge", "--allow-unauthenticated", "--allow-downgrades",
        "--allow-remove-essential", "--allow-change-held-packages", "--auto-remove --autoremove",
        "--no-remove", "--force-yes", "--no-download", "--print-uris", "--ignore-hold",
        "--allow-releaseinfo-change", "-h --help", "-v --version",
    ),
)

_APK = _Grammar(
    "apk",
    _table(
        "--no-cache", "-U --update-cache --update", "-t --virtual=", "-X --repository=", "-q --quiet",
        "-v --verbose", "-i --interactive", "--allow-untrusted", "--purge", "--no-progress", "--progress",
        "--force-overwrite", "--force-broken-world", "--force-non-repository", "--no-scripts", "--initdb",
        "-l --latest", "-u --upgrade", "-a --available", "--clean-protected", "--no-network",
        "--cache-dir=", "-s --simulate", "-p --root=", "--arch=", "--keys-dir=", "--repositories-file=",
        "--wait=", "--no-check-certificate", "-h --help", "-V --version",
    ),
    groups=frozenset({"cache"}),
)

_YUM = _Grammar(
    "yum",
    _table(
        "-y --assumeyes", "--assumeno", "-q --quiet", "-v --verbose", "--nodocs", "--setopt=",
        "--enablerepo=", "--disablerepo=", "--installroot=", "--releasever=", "--best", "--nobest",
        "--allowerasing", "--skip-broken", "--refresh", "-C --cacheonly", "--noplugins",
        "--disableplugin=", "--enableplugin=", "--nogpgcheck", "-x --exclude=", "-c --config=",
        "--downloadonly", "--downloaddir=", "--noautoremove", "--disableexcludes=", "--repo --repoid=",
        "--forcearch=", "-h --help", "--version",
    ),
)

_RM = _Grammar(
    "rm",
    _table(
        "-r -R --recursive", "-f --force", "-i", "-I", "-d --dir", "-v --verbose", "--preserve-root",
        "--no-preserve-root", "--one-file-system", "--help", "--version",
    ),
    has_sub=False,
)

_CD = _Grammar("cd", _table("-L", "-P", "-e", "-@"), has_sub=False)

_SETUP_PY = _Grammar(
    "setup.py",
    _table(
        "-q --quiet", "-v --verbose", "-n --dry-run", "-h --help", "--user", "--prefix=", "--root=",
        "--home=", "--install-lib=", "--install-scripts=", "--install-data=", "--install-headers=",
        "--single-version-externally-managed", "--record=", "-f --force", "-O --optimize=",
        "-c --compile", "--no-compile", "-N --no-deps", "-d --install-dir=", "-b --build-dir=",
    ),
)

_PROGRAMS = {
    "uv": _UV,
    "poetry": _POETRY,
    "pipenv": _PIPENV,
    "pdm": _PDM,
    "pip-sync": _PIP_SYNC,
    "pip-compile": _PIP_COMPILE,
    "conda": _CONDA,
    "mamba": _CONDA,
    "micromamba": _CONDA,
    "apt-get": _APT,
    "apt": _APT,
    "apk": _APK,
    "yum": _YUM,
    "dnf": _YUM,
    "microdnf": _YUM,
    "rm": _RM,
    "cd": _CD,
}
_MODULES = {"pip": _PIP, "uv": _UV, "pipenv": _PIPENV, "poetry": _POETRY, "pdm": _PDM}


# pip's archive extensions (pip/_internal/utils/filetypes.py, ARCHIVE_EXTENSIONS): a requirement
# ending so is taken as a local file when one exists
ARCHIVE = re.compile(r"\.(whl|zip|tar|tgz|tbz|txz|tlz|tar\.gz|tar\.bz2|tar\.xz|tar\.lz|tar\.lzma)$", re.I)


def local_value(v: str) -> bool:
    """Does an installer argument's value name something on the local filesystem?"""
    if v.startswith((".", "/", "~", "file:")) or ("/" in v and "://" not in v):
        return True
    if ARCHIVE.search(v) and "://" not in v:  # pip reads an archive name as a file when it exists
        return True
    return "@" in v and "file:" in v


def local_word(w) -> bool:
    """Does a positional installer argument name something on the local filesystem (or may it)?"""
    return w.has_expansion or local_value(w.value)
