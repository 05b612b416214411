"""Who runs each instruction: user name, uid, gid and home, and what the base image provides.

Accounts come from the Dockerfile itself: ``useradd``/``adduser``/``groupadd``/``addgroup``/``usermod``
commands in the RUN instructions of the stage and of the stages it is built ``FROM``, numeric
``USER uid:gid``, ARG defaults used as ``useradd -u $UID``. A few well-known base images add their own
accounts, default user and environment (``KNOWN_IMAGES``). Anything that is not certain stays None: a
``useradd`` without ``-u`` gets a uid that depends on the image, so its uid is None.

``who(facts, inst)`` answers with an ``Account`` or, when the user itself is not known, the reason.
``env(facts, inst, name)`` reads a variable as a RUN sees it (ENV, ARG defaults, the known image's ENV).
"""

from __future__ import annotations

import functools
import itertools
import posixpath
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .state import _VAR, NON_ROOT_BASES, State
from ..dockerfile.model import Dockerfile, Instruction


@dataclass(frozen=True)
class Account:
    """A user as a RUN runs it: name, uid, gid and home, each None when not certain."""

    name: str | None
    uid: int | None  # None: not certain
    gid: int | None
    home: str | None
    home_made: bool = False  # the home exists and belongs to the user (created with the account)


ROOT = Account("root", 0, 0, "/root", True)


@dataclass(frozen=True)
class Image:
    """What a well-known base image provides (documented by the image's own Dockerfile)."""

    user: Account  # the image's default USER
    env: Mapping[str, str] = field(default_factory=dict)
    conda_root: str | None = None  # the conda root prefix (package cache: <root>/pkgs)
    owned: tuple[str, ...] = ()  # folders that exist and belong to the image's default user
    # Every known image leaves its installers' cache folders empty (pip installed with
    # --no-cache-dir, conda/mamba clean --all after installing): nothing below a RUN's own layer
    # is in a cache folder unless the Dockerfile put it there.


_MAMBAUSER = Account("mambauser", 57439, 57439, "/home/mambauser", True)
_JOVYAN = Account("jovyan", 1000, 100, "/home/jovyan", True)
_JUPYTER = Image(
    _JOVYAN,
    {"NB_USER": "jovyan", "NB_UID": "1000", "NB_GID": "100", "HOME": "/home/jovyan", "CONDA_DIR": "/opt/conda"},
    "/opt/conda",
    ("/home/jovyan", "/opt/conda"),  # fix-permissions gives CONDA_DIR to NB_USER
)
_CONDA = Image(ROOT, {}, "/opt/conda")
# Prefix match on the image reference (lower case). Sources: mamba-org/micromamba-docker's Dockerfile
# (mambauser 57439:57439, MAMBA_ROOT_PREFIX=/opt/conda), jupyter/docker-stacks' docker-stacks-foundation
# (jovyan uid 1000 in group users (100), ENV HOME=/home/jovyan, CONDA_DIR=/opt/conda), and the conda
# distributions' images, which install into /opt/conda as root.
KNOWN_IMAGES: dict[str, Image] = {
    "mambaorg/micromamba": Image(
        _MAMBAUSER,
        {"MAMBA_USER": "mambauser", "MAMBA_USER_ID": "57439", "MAMBA_USER_GID": "57439", "MAMBA_ROOT_PREFIX": "/opt/conda"},
        "/opt/conda",
        ("/home/mambauser", "/opt/conda"),  # the root prefix is made and chowned to MAMBA_USER
    ),
    "jupyter/": _JUPYTER,
    "quay.io/jupyter/": _JUPYTER,
    "continuumio/miniconda3": _CONDA,
    "continuumio/anaconda3": _CONDA,
    "condaforge/miniforge3": _CONDA,
    "condaforge/mambaforge": _CONDA,
}

# Images whose Dockerfiles set no USER, no HOME and none of the installers' cache variables: they
# run as root with HOME=/root. Docker Official Images (``library/``; repository names without a
# namespace) of the distributions and language runtimes Python projects build on, and vendor images
# documented to run as root. Any other image may set USER and ENV HOME (Red Hat UBI/s2i images run as
# uid 1001 with HOME=/opt/app-root/src): dockfix does not assume root for it.
ROOT_IMAGES = frozenset({
    "python", "pypy", "debian", "ubuntu", "buildpack-deps", "alpine", "busybox", "node", "golang", "rust",
    "fedora", "centos", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "archlinux", "ghcr.io/astral-sh/uv",
    "nvidia/cuda",
})
_ROOT_IMAGE = Image(ROOT)
_MIRRORS = ("docker.io/library/", "docker.io/", "library/", "public.ecr.aws/docker/library/", "mirror.gcr.io/library/")

# Images known to be Debian or Ubuntu unless the tag says otherwise (alpine, windows).
_DEBIAN_REPOSITORIES = ("python", "debian", "ubuntu", "buildpack-deps")
# Debian and Ubuntu codenames (and the distribution names) in a tag: node:20-bookworm-slim,
# nvidia/cuda:12.4.1-runtime-ubuntu22.04, ghcr.io/astral-sh/uv:python3.12-trixie-slim.
_DEBIAN_CODENAME = re.compile(
    r"(?<![a-z])(jessie|stretch|buster|bullseye|bookworm|trixie|forky|debian|"
    r"xenial|bionic|focal|jammy|noble|oracular|plucky|questing|ubuntu)(?![a-z])"
)
_NOT_DEBIAN_TAG = re.compile(r"alpine|windows|nanoserver|servercore")


@functools.lru_cache(maxsize=1024)
def _repository_and_tag(base: str) -> tuple[str, str]:
    ref = base.lower().split("@", 1)[0]
    repository, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    for prefix in _MIRRORS:
        repository = repository.removeprefix(prefix)
    return repository, tag


def _declared(base: str, prefixes) -> bool:
    ref = base.lower()
    return any(ref.startswith(p.lower()) for p in prefixes)


def known_image(base: str, declared_root=()) -> Image | None:
    """What dockfix knows the external base image provides; None for an image it does not know.

    ``declared_root``: image-reference prefixes the user declares to run as root with no HOME or
    cache variable set (a hook for configuration; the built-in list is ``ROOT_IMAGES``).
    """
    return _known_image(base, tuple(declared_root))


@functools.lru_cache(maxsize=1024)  # a pure function of strings, asked for every RUN and variable
def _known_image(base: str, declared_root: tuple[str, ...]) -> Image | None:
    ref = base.lower()
    image = next((img for prefix, img in KNOWN_IMAGES.items() if ref.startswith(prefix)), None)
    if image is not None:
        return image
    repository, _ = _repository_and_tag(base)
    if "$" not in repository and (repository in ROOT_IMAGES or _declared(base, declared_root)):
        return _ROOT_IMAGE
    return None


def is_debian(base: str, declared=()) -> bool:
    """Is the external base image known to be Debian or Ubuntu?

    Known repositories (python, debian, ubuntu, buildpack-deps), or a Debian or Ubuntu codename in
    the tag of any image, unless the tag names another system (alpine, windows). ``declared``:
    image-reference prefixes the user declares Debian or Ubuntu (a hook for configuration).
    """
    repository, tag = _repository_and_tag(base)
    if "$" in repository:
        return False
    if _declared(base, declared):
        return True
    if _NOT_DEBIAN_TAG.search(tag):
        return False
    # python:${VERSION}-slim-bookworm: a build argument may change the version, but the literal
    # Debian codename (or python's Debian-only "-slim" variant) stays.
    literal = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "", tag)
    if _DEBIAN_CODENAME.search(literal):
        return True
    if "$" in tag:
        return repository == "python" and literal.endswith("-slim")
    return repository in _DEBIAN_REPOSITORIES


# --- the stage chain ------------------------------------------------------------------------------


def chain(df: Dockerfile, idx: int) -> list[int]:
    """Indexes of the instructions that build the state before instruction ``idx``, in order:
    those of the stages it is built FROM (recursively), then its own stage's up to ``idx``."""
    stage = df.stage_of(idx)
    if stage is None:
        return []
    parents = df.stage_parents
    parts = [range(stage.start, idx)]
    parent = parents[stage.index]
    while parent is not None:  # a loop, not recursion: a chain of a thousand stages is a valid file
        parts.append(range(parent.start, parent.end))
        parent = parents[parent.index]
    return list(itertools.chain.from_iterable(reversed(parts)))


def _last_user(df: Dockerfile, idx: int) -> int | None:
    """The index of the last USER in ``chain(df, idx)``, without building the chain (a RUN in the
    last of a thousand chained stages asks in constant time, not in the length of the chain)."""
    stage = df.stage_of(idx)
    if stage is None:
        return None
    for k in range(idx - 1, stage.start - 1, -1):
        if df.instructions[k].keyword == "USER":
            return k
    parent = df.stage_parents[stage.index]
    return None if parent is None else _stage_users(df)[parent.index]


def _stage_users(df: Dockerfile) -> list[int | None]:
    """For each stage, the index of the last USER of the stage or, without one, of the stages it is
    built FROM: the USER in force at its end. Once per file (a parent is always an earlier stage)."""
    hit = _USERS.get(id(df))
    if hit is not None and hit[0]() is df:
        return hit[1]
    parents = df.stage_parents
    last: list[int | None] = []
    for st in df.stages:
        own = next((k for k in range(st.end - 1, st.start - 1, -1) if df.instructions[k].keyword == "USER"), None)
        parent = parents[st.index]
        last.append(own if own is not None or parent is None else last[parent.index])
    key = id(df)
    _USERS[key] = (weakref.ref(df, lambda _, key=key: _USERS.pop(key, None)), last)
    return last


_USERS: dict[int, tuple[weakref.ref, list]] = {}


# --- variables as a RUN sees them -------------------------------------------------------------------


UNKNOWN = object()  # a variable that is set, to a value not known here


def env(facts, inst: Instruction, name: str):
    """The value of ``name`` in the environment of ``inst``: a string, None when unset, UNKNOWN."""
    return _lookup(facts.state(inst), name)


def _lookup(state: State, name: str):
    var = state.vars.get(name)
    if var is not None:
        return UNKNOWN if var.value is None else var.value
    image = known_image(state.base)
    if image is not None and name in image.env:
        return image.env[name]
    return None


def expand(state: State, text: str) -> str | None:
    """``text`` with its variables replaced (ARG defaults count); None when any is not known."""
    failed = False

    def sub(m: re.Match) -> str:
        nonlocal failed
        value = _lookup(state, m.group(1) or m.group(4))
        if m.group(2) or not isinstance(value, str):
            failed = True
            return ""
        return value

    out = _VAR.sub(sub, text)
    return None if failed else out


# --- accounts made by RUN commands ----------------------------------------------------------------


@dataclass
class _Accounts:
    """The users and groups the instructions of a stage chain create."""

    users: dict[str, Account] = field(default_factory=dict)
    groups: dict[str, int | None] = field(default_factory=lambda: {"root": 0, "users": 100})

    def gid_of(self, group: str | None) -> int | None:
        if group is None:
            return None
        if group.isdigit():
            return int(group)
        return self.groups.get(group)


# option tables: spelling -> (canonical, takes a value)
def _options(*entries: str) -> dict[str, tuple[str, bool]]:
    table = {}
    for entry in entries:
        names = entry.rstrip("=").split()
        for n in names:
            table[n] = (names[0], entry.endswith("="))
    return table


_USERADD = _options(
    "-u --uid=", "-g --gid=", "-d --home-dir --home=", "-b --base-dir=", "-s --shell=", "-c --comment=",
    "-G --groups=", "-k --skel=", "-K --key=", "-e --expiredate=", "-f --inactive=", "-p --password=",
    "-R --root=", "-P --prefix=", "-Z --selinux-user=", "-m --create-home", "-M --no-create-home",
    "-r --system", "-U --user-group", "-N --no-user-group", "-o --non-unique", "-l --no-log-init",
    "-F --add-subids-for-system",
)
_USERMOD = _options(
    "-u --uid=", "-g --gid=", "-d --home=", "-l --login=", "-s --shell=", "-c --comment=", "-G --groups=",
    "-e --expiredate=", "-f --inactive=", "-p --password=", "-R --root=", "-P --prefix=", "-a --append",
    "-m --move-home", "-o --non-unique", "-L --lock", "-U --unlock",
)
_GROUPADD = _options("-g --gid=", "-K --key=", "-p --password=", "-R --root=", "-P --prefix=", "-r --system",
                     "-f --force", "-o --non-unique", "-U --users=")
_DEBIAN_ADDUSER = _options(
    "--uid=", "--gid=", "--ingroup=", "--home=", "--shell=", "--gecos=", "--comment=", "--firstuid=",
    "--lastuid=", "--firstgid=", "--lastgid=", "--add-extra-groups", "--add_extra_groups", "--system",
    "--group", "--disabled-password", "--disabled-login", "--no-create-home", "--quiet -q", "--debug",
    "--force-badname", "--allow-badname", "--allow-all-names", "--conf=", "--encrypt-home", "--verbose",
)
_BUSYBOX_ADDUSER = _options("-h=", "-g=", "-s=", "-G=", "-k=", "-u=", "-S", "-D", "-H")
_BUSYBOX_ADDGROUP = _options("-g=", "-S")


def _getopt(words: list[str], table: Mapping[str, tuple[str, bool]]) -> tuple[dict[str, str | None], list[str]] | None:
    """Options (canonical -> value) and operands; None when a word is not understood."""
    opts: dict[str, str | None] = {}
    operands: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w.startswith("--"):
            name, eq, value = w.partition("=")
            if name not in table:
                return None
            canonical, takes = table[name]
            if takes and not eq:
                if i >= len(words):
                    return None
                value, i = words[i], i + 1
            opts[canonical] = value if takes else None
        elif w.startswith("-") and len(w) > 1:
            for k, letter in enumerate(w[1:]):
                found = table.get("-" + letter)
                if found is None:
                    return None
                canonical, takes = found
                if not takes:
                    opts[canonical] = None
                    continue
                rest = w[k + 2 :]
                if not rest:
                    if i >= len(words):
                        return None
                    rest, i = words[i], i + 1
                opts[canonical] = rest
                break
        else:
            operands.append(w)
    return opts, operands


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _record(accounts: _Accounts, program: str, words: list[str]) -> None:
    """Apply one account-management command (its words already expanded) to ``accounts``."""
    if program in ("groupadd", "addgroup"):
        debian = program == "addgroup" and any(w.startswith("--") for w in words)
        table = _GROUPADD if program == "groupadd" or debian else _BUSYBOX_ADDGROUP
        parsed = _getopt(words, _DEBIAN_ADDUSER if debian else table)
        if parsed is None:
            return
        opts, operands = parsed
        if len(operands) == 1:
            accounts.groups[operands[0]] = _int(opts.get("--gid") if debian else opts.get("-g"))
        return
    if program == "usermod":
        parsed = _getopt(words, _USERMOD)
        if parsed is None or len(parsed[1]) != 1 or parsed[1][0] not in accounts.users:
            return
        opts, (name,) = parsed
        old = accounts.users.pop(name)
        if "-l" in opts:  # renamed: the old facts may no longer hold under the new name
            return
        accounts.users[name] = replace(
            old,
            uid=_int(opts["-u"]) if "-u" in opts else old.uid,
            gid=accounts.gid_of(opts["-g"]) if "-g" in opts else old.gid,
            home=opts.get("-d", old.home),
            home_made=old.home_made and ("-d" not in opts or "-m" in opts),
        )
        return
    account = _new_account(accounts, program, words)
    if account is not None:
        accounts.users[account.name] = account


def _new_account(accounts: _Accounts, program: str, words: list[str]) -> Account | None:
    if program == "useradd":
        parsed = _getopt(words, _USERADD)
        if parsed is None or len(parsed[1]) != 1:
            return None
        opts, (name,) = parsed
        home = opts.get("-d") or posixpath.join(opts.get("-b") or "/home", name)
        # Without -m the home is made only where login.defs says CREATE_HOME (not on Debian).
        return Account(name, _int(opts.get("-u")), accounts.gid_of(opts.get("-g")), home, "-m" in opts)
    if any(w.startswith("--") for w in words) or not any(w.startswith("-") for w in words):
        parsed = _getopt(words, _DEBIAN_ADDUSER)  # Debian's adduser
        if parsed is None or len(parsed[1]) != 1:
            return None
        opts, (name,) = parsed
        # A system user's default home changed between adduser versions (/home/NAME, /nonexistent).
        home = opts.get("--home") or (None if "--system" in opts else "/home/" + name)
        gid = _int(opts.get("--gid")) if "--gid" in opts else accounts.gid_of(opts.get("--ingroup"))
        # A system user's home is made only when --home names it.
        made = "--no-create-home" not in opts and ("--system" not in opts or "--home" in opts)
        return Account(name, _int(opts.get("--uid")), gid, home, made)
    parsed = _getopt(words, _BUSYBOX_ADDUSER)  # BusyBox (Alpine): adduser -D -u 1000 -G app -h /home/app app
    if parsed is None or len(parsed[1]) != 1:
        return None
    opts, (name,) = parsed
    home = opts.get("-h") or "/home/" + name
    return Account(name, _int(opts.get("-u")), accounts.gid_of(opts.get("-G")), home, "-H" not in opts)


_ACCOUNT_PROGRAMS = ("useradd", "adduser", "groupadd", "addgroup", "usermod")


def _accounts(facts, indexes: list[int], image: Image | None) -> _Accounts:
    accounts = _Accounts()
    if image is not None:
        accounts.users[image.user.name] = image.user
    for k in indexes:
        inst = facts.df.instructions[k]
        if inst.keyword != "RUN":
            continue
        state = facts.states[k]
        for inv in facts.invocations(inst) or ():
            words = inv.command.words
            if not words or words[0].value.rpartition("/")[2] not in _ACCOUNT_PROGRAMS:
                continue
            expanded = [expand(state, w.value) for w in words[1:]]
            if None not in expanded:
                _record(accounts, words[0].value.rpartition("/")[2], expanded)
    return accounts


# --- who runs an instruction ----------------------------------------------------------------------


def who(facts, inst: Instruction, declared_root=None) -> Account | str:
    """The account that runs ``inst``; a string says why it is not known.

    With no USER in the stage chain, only a base image dockfix knows (``known_image``; the user's
    ``declared_root`` prefixes, by default the ``root-images`` setting) tells the user: any other
    image may set a non-root USER.
    """
    if declared_root is None:
        declared_root = facts.settings.root_images
    df = facts.df
    idx = facts.index(inst)
    state = facts.state(inst)
    image = known_image(state.base, declared_root)
    user_idx = _last_user(df, idx)
    if user_idx is None:
        if image is not None:
            return image.user
        if state.is_root() is None:
            return "the base image is a variable, so the user that runs the RUN is not known"
        known = next((u for p, u in NON_ROOT_BASES.items() if state.base.lower().startswith(p)), None)
        if known is not None or not state.is_root():
            return f"the base image runs as the non-root user {known or '(unnamed)'}, whose uid and home are not known"
        return (
            f"the base image {state.base} is not one dockfix knows, so the user that runs the RUN (the image's "
            "USER) and its home are not known"
        )
    raw = df.instructions[user_idx].args.strip()
    spec = expand(facts.states[user_idx], raw)
    if not spec:
        return f"USER {raw} names a variable whose value is not known"
    name, _, group = spec.partition(":")
    accounts = _accounts(facts, chain(df, idx), image)
    if name in ("root", "0"):
        account = ROOT
    elif name.isdigit():
        uid = int(name)
        account = next((a for a in accounts.users.values() if a.uid == uid), Account(None, uid, None, None))
    elif name in accounts.users:
        account = accounts.users[name]
    else:
        return f"USER {raw}: the user {name} is not created in this Dockerfile, so its uid and home are not known"
    if group:
        account = replace(account, gid=accounts.gid_of(group))
    return account


def describe(account: Account) -> str:
    return account.name or f"uid {account.uid}"
