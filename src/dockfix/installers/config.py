"""Which configuration files an install may read: the profiles' search paths (``Reads``) for one RUN.

``command_env`` is the environment one command of a RUN sees: the build state before the RUN
(ENV, ARG, a well-known base image's ENV), then what the script itself sets before it (``export``,
plain assignments, ``unset``, ``source <venv>/bin/activate``) and its own ``VAR=value`` prefix.

``config_files`` answers, from that environment, the user and home (``users.who``) and the
directories the install runs in, with the files of its tool's search path as symbolic absolute
paths (``analysis``); a file whose folder is not known (an unknown HOME, a parent above a
variable) has ``path=None`` and keeps its known tail, so a caller can look for it in the context.
Problems raise ``reorder.Refuse`` (line 0: the caller knows the line).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ..build.state import join, relative, symbolic_head
from ..shell.nodes import Invocation
from .profile import Reads
from .refuse import Refuse

UNSET = None


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()  # set, to a value not known here


@dataclass(frozen=True)
class ConfigFile:
    path: str | None  # symbolic absolute path in the image; None: its folder is not known
    tail: str  # the known end of the path ("pip.conf", ".pip/pip.conf")
    origin: str  # how the search path names it, for messages: "$HOME/.pip/pip.conf"
    table: str | None = None  # "tool.uv": a pyproject.toml counts only when it has this table
    above: str | None = None  # path None: the file is in a parent of this symbolic folder (``symbolic_head``)


def reads_of(tool: str) -> Reads | None:
    from .registry import READS

    return READS.get(tool)


def command_env(facts, inst, invs: list[Invocation], n: int):
    """``get(name)`` -> str, None (unset) or UNKNOWN, as command ``invs[n]`` of the RUN sees it."""
    from ..build.users import UNKNOWN as STATE_UNKNOWN
    from ..build.users import env as state_env

    set_here: dict[str, object] = {}

    def assign(word, unknown: bool) -> None:
        name, eq, value = word.value.partition("=")
        if not name.isidentifier():
            return
        if not eq:  # export NAME: exports what it already holds
            return
        set_here[name] = UNKNOWN if (unknown or word.has_expansion) else value

    for inv in invs[:n]:
        cmd = inv.command
        words = [w.value for w in cmd.words]
        if not words:
            for w in cmd.assignments:
                assign(w, cmd.compound)
            continue
        head = posixpath.basename(words[0])
        if head in ("export", "declare", "typeset", "readonly", "local"):
            for w in cmd.words[1:]:
                if not w.value.startswith("-"):
                    assign(w, cmd.compound)
        elif head == "unset":
            for w in cmd.words[1:]:
                if not w.value.startswith("-"):
                    set_here[w.value] = UNKNOWN if cmd.compound else UNSET
        elif head in (".", "source"):
            script = cmd.words[1] if len(cmd.words) > 1 else None
            if script is None or script.has_expansion or not script.value.endswith("/bin/activate") or not script.value.startswith("/"):
                raise Refuse(f"the RUN runs '{' '.join(words)}', which may set variables the install reads", 0)
            venv = posixpath.dirname(posixpath.dirname(posixpath.normpath(script.value)))
            set_here["VIRTUAL_ENV"] = venv if not cmd.compound else UNKNOWN
            set_here["PATH"] = UNKNOWN
        elif head == "eval":
            raise Refuse(f"the RUN runs '{' '.join(words)}', which may set variables the install reads", 0)
    for w in invs[n].command.assignments:
        assign(w, False)

    def get(name: str):
        if name in set_here:
            return set_here[name]
        value = state_env(facts, inst, name)
        return UNKNOWN if value is STATE_UNKNOWN else value

    return get


def home_dir(facts, inst, get) -> str | None:
    """The home of the user that runs ``inst`` (``get``: the RUN's environment): $HOME, else the
    account's home; None when not one absolute path."""
    home = get("HOME")
    if home is None:
        from ..build.users import who

        account = who(facts, inst)
        home = account.home if not isinstance(account, str) else None
    if not isinstance(home, str) or not home.startswith("/"):
        return None
    return posixpath.normpath(home)


def _dir(value, cwd: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return join(cwd, value)


def _truthy(value) -> bool:
    return isinstance(value, str) and value.strip().lower() not in ("", "0", "false", "no", "off")


def config_files(facts, inst, inv: Invocation, get, starts: list[str]) -> list[ConfigFile]:
    """The configuration files ``inv`` may read; ``starts``: the directories it runs in (the
    working directory, the project directory), symbolic absolute paths."""
    reads = reads_of(inv.tool)
    if reads is None:
        return []
    out: list[ConfigFile] = []
    cwd = starts[0]
    for name in reads.file_env:
        value = get(name)
        if value is None:
            continue
        if value is UNKNOWN or (isinstance(value, str) and "$" in value):
            raise Refuse(f"{name} is set to a value dockfix does not know, so {inv.tool} may read any file", 0)
        if value in ("", "/dev/null"):
            continue
        out.append(ConfigFile(join(cwd, value), value.lstrip("./"), f"${name} ({value})"))
    if any(_truthy(get(name)) for name in reads.off_env):
        return out
    for start in starts:
        out += _project_files(reads, start)
    home = home_dir(facts, inst, get)
    for tail in reads.home:
        out.append(ConfigFile(posixpath.join(home, tail) if home else None, tail, f"$HOME/{tail}"))
    xdg = get("XDG_CONFIG_HOME")
    if xdg is UNKNOWN:
        xdg_dir = None
    elif isinstance(xdg, str) and xdg.startswith("/"):
        xdg_dir = posixpath.normpath(xdg)
    else:  # unset, empty or relative: the default (XDG base directory spec)
        xdg_dir = posixpath.join(home, ".config") if home else None
    for tail in reads.xdg:
        known_tail = tail if xdg is UNKNOWN or isinstance(xdg, str) and xdg.startswith("/") else ".config/" + tail
        out.append(ConfigFile(posixpath.join(xdg_dir, tail) if xdg_dir else None, known_tail, f"$XDG_CONFIG_HOME/{tail}"))
    prefixes = [(name, get(name)) for name in reads.prefix_env]
    if inv.command.words and inv.command.words[0].value.startswith("/"):
        program = posixpath.normpath(inv.command.words[0].value)
        prefixes.append(("the environment of " + program, posixpath.dirname(posixpath.dirname(program))))
    for name, value in prefixes:
        if value is None:
            continue
        where = _dir(value, cwd) if value is not UNKNOWN and "$" not in str(value) else None
        for tail in reads.prefix:
            out.append(ConfigFile(posixpath.join(where, tail) if where else None, tail, f"${name}/{tail}" if not name.startswith("the ") else f"{name}: {tail}"))
    dirs = get("XDG_CONFIG_DIRS")
    site = list(reads.site)
    if dirs is UNKNOWN:
        site += [None]
    elif isinstance(dirs, str) and dirs:
        site += [posixpath.join(d, t) for d in dirs.split(":") if d.startswith("/") for t in reads.xdg]
    for path in site:
        if path is None:
            out += [ConfigFile(None, t, f"$XDG_CONFIG_DIRS/{t}") for t in reads.xdg]
        else:
            out.append(ConfigFile(path, path.lstrip("/"), path))
    return out


def _project_files(reads: Reads, start: str) -> list[ConfigFile]:
    out = []
    here = start
    head = symbolic_head(start)
    while True:
        for entry in reads.project:
            name, _, table = entry.partition(":")
            out.append(ConfigFile(posixpath.join(here, name), name, f"{name} in {here}", table or None))
        if not reads.parents:
            break
        parent = posixpath.dirname(here) if here != "/" else None
        if head is not None and (parent is None or len(parent) < len(head)):
            # above a variable's value (or the base image's WORKDIR): folders dockfix does not know
            for entry in reads.project:
                name, _, table = entry.partition(":")
                out.append(ConfigFile(None, name, f"{name} in a parent of {here}", table or None, above=head))
            break
        if parent is None or parent == here:
            break
        here = parent
    return out


# --- the moved tree: copy every configuration file it holds, or refuse ----------------------------

# A value in a configuration file that names a local path (not a URL): the install would read
# (or write) a file that dockfix does not copy.
_LOCAL = re.compile(r"""(?:^|[\s="'\[,(])(?P<path>(?:\.\.?/|/|~/?|file:)[^\s"',\])]*)""")


def config_copies(facts, broad, inst, inv: Invocation, get, starts: list[str]) -> list[tuple[str, str]]:
    """(context path, image path) of the configuration files ``inv`` may read that the broad COPY
    (``reorder.BroadCopy``) puts into the image; they are copied with the manifests. Refuse when
    one cannot be copied (a folder, a value naming a local path, a place dockfix cannot map)."""
    from ..build.context_scan import files_named
    from ..build.context_scan import symlink_on

    ctx = facts.ctx
    out: list[tuple[str, str]] = []
    for cf in config_files(facts, inst, inv, get, starts):
        if cf.path is not None and symbolic_head(cf.path) == symbolic_head(broad.dest):
            rel = relative(cf.path, broad.dest)
            if rel is None:
                continue  # provably outside the copied tree: the move does not change it
            ctx_path = posixpath.normpath(posixpath.join(broad.source_dir, rel))
            if ctx_path.startswith(".."):
                continue
            kind = ctx.kind(ctx_path)
            if kind == "missing" or kind == "outside" or ctx.is_ignored(ctx_path):
                continue
            link = symlink_on(ctx, ctx_path)
            if link is not None:
                raise Refuse(f"{cf.origin} is {ctx_path} in the build context, which goes through the symlink {link}", 0)
            if kind != "file":
                raise Refuse(f"{cf.origin} is the folder {ctx_path} of the build context; dockfix does not copy it with the manifests", 0)
            if cf.table and not _has_table(ctx, ctx_path, cf.table):
                continue
            check_content(ctx, ctx_path, inv.tool, cf.table)
            out.append((ctx_path, cf.path))
            continue
        # The folder is not known, or it is not known whether it lies in the copied tree: any
        # file of the tree that could be this one refuses. Parents of a variable's folder lie
        # above every file a COPY into that same folder writes.
        if cf.above is not None and cf.above == symbolic_head(broad.dest):
            continue
        tail = cf.tail
        for ctx_path in files_named(ctx, {posixpath.basename(tail)}):
            rel = ctx_path if broad.source_dir == "." else relative(ctx_path, broad.source_dir)
            if rel is None:
                continue
            if rel == tail or tail.endswith("/" + rel) or (cf.path is None and rel.endswith("/" + tail)):
                if cf.table and ctx.is_file(ctx_path) and not _has_table(ctx, ctx_path, cf.table):
                    continue
                raise Refuse(f"{inv.tool} may read {cf.origin}, which may be {ctx_path} of the copied tree (dockfix cannot tell where it is)", 0)
    return out


def _has_table(ctx, path: str, table: str) -> bool:
    data, _ = ctx.toml(path)
    if data is None:
        return True  # unreadable: it may hold anything
    for key in table.split("."):
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


# Keys whose value is a local file or folder (pip.conf, uv.toml, poetry.toml, pdm.toml, .condarc),
# compared with "_" read as "-"; a relative name ("wheels") is as local as "./wheels".
_PATH_KEYS = frozenset({
    "find-links", "constraint", "requirement", "editable", "src", "target", "prefix", "root", "cache-dir",
    "log", "build", "report", "config-file", "path", "install-dir", "python-install-dir", "tool-dir",
    "pkgs-dirs", "envs-dirs", "venv-path", "virtualenvs-path", "cert", "client-cert",
})
# Variables a pipenv .env may set that change what pip reads or where it installs.
_ENV_PREFIXES = ("PIP_", "PIPENV_", "UV_", "VIRTUAL_ENV", "PYTHON", "HOME", "XDG_", "CONDA")


def check_content(ctx, path: str, tool: str, table: str | None = None) -> None:
    """Refuse a configuration file that names a local path, or that pip reads as ``user = true``
    (an install into the home), or a pipenv .env that sets pip's variables. TOML files are read
    as TOML (only ``table`` of a pyproject.toml); the others line by line."""
    text = ctx.read_text(path)
    if text is None:
        raise Refuse(f"{path}: dockfix cannot read this configuration file", 0)
    base = posixpath.basename(path)
    if base.endswith(".toml"):
        data, why = ctx.toml(path)
        if data is None:
            raise Refuse(f"{path}: invalid TOML ({why})", 0)
        for key in (table.split(".") if table else ()):
            data = data.get(key, {}) if isinstance(data, dict) else {}
        if table == "tool.uv" and isinstance(data, dict):
            # the project's sources and workspace: checked by ``manifests.deps_only`` (uv sync);
            # the pip interface does not read them
            data = {k: v for k, v in data.items() if k not in ("sources", "workspace")}
        for key, value in _leaves(data, ()):
            name = key[-1].lower().replace("_", "-") if key else ""
            shown = ".".join(key)
            if name in _PATH_KEYS or (isinstance(value, str) and (_LOCAL.search(value) or "file:" in value)):
                raise Refuse(f"{path}: {shown} = {value!r} names a local path, which may need the application files", 0)
        return
    if base == ".pdm-python":
        raise Refuse(f"{path}: names the interpreter PDM uses", 0)
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.strip()
        if not body or body.startswith(("#", ";")):
            continue
        key = re.split(r"[=:]", body, maxsplit=1)[0].strip().strip("\"'").removeprefix("export ").strip()
        if base == ".env":
            if key.upper().startswith(_ENV_PREFIXES):
                raise Refuse(f"{path}:{number}: sets {key} for the pip that pipenv runs", 0)
            continue
        name = key.lower().replace("_", "-")
        if name in _PATH_KEYS or _LOCAL.search(body) or "file:" in body:
            raise Refuse(f"{path}:{number}: `{body}` names a local path, which may need the application files", 0)
        if name == "user" and tool in ("pip", "pip-sync", "pipenv"):
            raise Refuse(f"{path}:{number}: sets `user`, so pip installs into the home folder", 0)


def _leaves(data, key: tuple[str, ...]):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, key + (str(k),))
    elif isinstance(data, list):
        for v in data:
            yield from _leaves(v, key)
    else:
        yield key, data
