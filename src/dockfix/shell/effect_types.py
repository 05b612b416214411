"""The data of the effect model: ``Access`` (one path a command reads or writes), ``Effect`` (what
one command does) and ``Ctx`` (what a command model is given and records its accesses on). The
command models (``commands*.py``) and ``effects`` (which runs them over a RUN) both build on it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..build.state import State, join
from .nodes import Invocation, Word

STANDARD_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
SHELL_SET = {"PWD", "OLDPWD", "IFS", "RANDOM", "LINENO", "SECONDS", "UID", "EUID", "PPID", "OPTIND", "OPTARG"}
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_UNKNOWN = re.compile(r"[$`*?\[{]")


@dataclass(frozen=True)
class Access:
    path: str  # symbolic absolute
    tree: bool = False  # the whole subtree, else the entry itself (its content, existence, metadata)
    mkdir: bool = False  # ``mkdir -p``: creates the directory and its parents, no-op when it exists


@dataclass(frozen=True)
class Effect:
    text: str  # the command as written
    reads: frozenset[Access] = frozenset()
    writes: frozenset[Access] = frozenset()
    reads_anything: bool = False  # may read files it was not told about
    writes_anything: bool = False  # may write files it was not told about
    system: bool = False  # installs OS packages (writes below commute.PACKAGE_ROOTS)
    imports: frozenset[str] = frozenset()  # directories Python imports from first (sys.path[0])
    # configuration files of an installer's search path whose folder is not known (below an
    # unknown home), as the search path names them ('~/.pip/pip.conf'); a caller that has checked
    # the installer's whole search path against the copied tree (``reorder.install``) may accept
    # them, any other caller reads them as ``reads_anything``
    configs: frozenset[str] = frozenset()

    def __or__(self, other: Effect) -> Effect:
        return Effect(
            self.text or other.text, self.reads | other.reads, self.writes | other.writes,
            self.reads_anything or other.reads_anything, self.writes_anything or other.writes_anything,
            self.system or other.system, self.imports | other.imports, self.configs | other.configs,
        )


@dataclass
class Ctx:
    """What a command model needs: where it runs and what the words mean."""

    inv: Invocation
    cwd: str | None  # None: a ``cd`` went somewhere unknown
    state: State
    home: str | None
    shell_vars: frozenset[str] = frozenset()  # names the script itself assigns (values unknown)
    script_values: dict[str, str] = field(default_factory=dict)  # ... but these provably hold this value here
    blind: bool = False  # a loop before this command may have set any name: no value is known
    manifests_read: bool = False  # the caller resolved the manifests this install reads (``-r``, ``-c``)
    reads: set[Access] = field(default_factory=set)
    writes: set[Access] = field(default_factory=set)
    anything: set[str] = field(default_factory=set)  # 'read', 'write'
    system: bool = False
    imports: set[str] = field(default_factory=set)
    configs: set[str] = field(default_factory=set)

    def var(self, name: str) -> str | None:
        if name in self.script_values:
            return self.script_values[name]
        if self.blind:
            return None
        if name in self.shell_vars or name in SHELL_SET or self.inv.command.compound:
            return None  # set by the script or the shell, or maybe by a for loop around this command
        if name == "HOME" and "HOME" not in self.state.vars:
            return self.home
        v = self.state.vars.get(name)
        return v.value if v is not None and not v.is_arg and v.value is not None else None

    def words(self, word: Word) -> list[str] | None:
        """The words an argument becomes: its value when it expands nothing; for ``$NAME`` /
        ``${NAME}`` of a variable with a known value, that value split on blanks (unquoted, the
        default IFS) or whole (in double quotes); None when not known, or when a piece holds a
        glob character (the shell would match it against file names)."""
        if not word.has_expansion:
            return [word.value]
        m = re.fullmatch(r'(")?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(")?', word.raw)
        if m is None or bool(m.group(1)) != bool(m.group(4)):
            return None
        value = self.var(m.group(2) or m.group(3))
        if value is None or "$" in value or "`" in value:
            return None
        if m.group(1):
            return [value]
        if "IFS" in self.shell_vars or "IFS" in self.state.vars or re.search(r"[*?\[]", value):
            return None
        return value.split()

    def path(self, word: Word | str, base: str | None = None) -> tuple[str, bool] | None:
        """The symbolic absolute path a word names, relative to ``base`` (default: the cwd).

        ``(path, exact)``: exact False means only a prefix is known (the access covers its
        subtree); None: nothing is known (not even an absolute prefix).
        """
        if isinstance(word, str):  # a path the model names itself; '~' is the home directory
            if word == "~" or word.startswith("~/"):
                if self.home is None:
                    return None
                word = self.home + word[1:]
            text, expands = word, False
        else:
            text, expands = word.value, word.has_expansion and "'" not in word.raw
            if word.has_expansion and "'" in word.raw:
                return None  # quoted and unquoted parts mixed: the value does not say which is which
        if expands:
            if text == "~" or text.startswith("~/"):
                if self.home is None:
                    return None
                text = self.home + text[1:]

            def sub(m: re.Match) -> str:
                value = self.var(m.group(1) or m.group(2))
                unsafe = value is None or _UNKNOWN.search(value) or re.search(r"\s", value)
                return "\1" if unsafe else value  # a space would split an unquoted word

            text = _VAR.sub(sub, text)
            text = re.sub(r"\$.*", "\1", text)  # $(...), ${X:-y}, $1 ...: unknown from here on
            text = _UNKNOWN.sub("\0", text)  # glob and brace characters
            if text.startswith("~"):
                text = "\1"
        if "\0" in text or "\1" in text:
            return self._prefix(text, base)
        return self._join(text, base), True

    def _join(self, text: str, base: str | None) -> str | None:
        if text.startswith("/"):
            return join("/", text)
        base = self.cwd if base is None else base
        return None if base is None else join(base, text)

    def _prefix(self, text: str, base: str | None) -> tuple[str, bool] | None:
        """The known directory before the first unknown part (\\1: a variable, \\0: a pattern)."""
        if text.startswith("\1"):
            return None  # $X/foo: $X may be absolute
        head = re.split("[\0\1]", text, maxsplit=1)[0]
        known = head.rsplit("/", 1)[0] if "/" in head else ""
        if not known and not text.startswith("/"):
            known = "."
        full = self._join(known or "/", base)
        return None if full is None else (full, False)

    def read(self, word: Word | str, tree: bool = False, base: str | None = None) -> None:
        self._add(self.reads, "read", word, tree, False, base)

    def read_config(self, path: str, tree: bool = False) -> None:
        """A file (or ``tree``) an installer reads from a fixed place of the home (``~``): its
        configuration, the user's site-packages; a read, or an entry of ``configs`` when the home
        is not known."""
        if (path == "~" or path.startswith("~/")) and self.home is None:
            self.configs.add(path)
        else:
            self.read(path, tree=tree)

    def write(self, word: Word | str, tree: bool = False, mkdir: bool = False, base: str | None = None) -> None:
        self._add(self.writes, "write", word, tree, mkdir, base)

    def _add(self, into: set, kind: str, word, tree: bool, mkdir: bool, base: str | None) -> None:
        found = self.path(word, base)
        if found is None or found[0] is None:
            self.anything.add(kind)
        else:
            path, exact = found
            into.add(Access(path, tree or not exact, mkdir and exact))

    def opaque(self) -> Effect:
        self.anything.update(("read", "write"))
        return self.effect()

    def effect(self) -> Effect:
        text = " ".join(w.raw for w in self.inv.command.words)
        return Effect(
            text, frozenset(self.reads), frozenset(self.writes), "read" in self.anything,
            "write" in self.anything, self.system, frozenset(self.imports), frozenset(self.configs),
        )

    def path_dirs(self) -> list[str] | None:
        """The directories a command name is looked up in, None when unknown."""
        if "PATH" in self.shell_vars:
            return None
        v = self.state.vars.get("PATH")
        if v is None:
            return list(STANDARD_PATH)
        text = v.value if v.value is not None else v.symbolic
        if text is None or v.is_arg:
            return None
        out: list[str] = []
        for entry in text.split(":"):
            if not entry or entry == "${PATH#0}":  # the base image's PATH (analysis: ${NAME#0})
                out.extend(d for d in STANDARD_PATH if d not in out)
            elif not entry.startswith("/") or "${" in entry or "@base" in entry:
                return None
            else:
                out.append(join("/", entry))
        return out
