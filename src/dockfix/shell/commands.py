"""The effect models of the shell commands ``effects`` knows, one function per command.

Each model reads the command's options with a table of the options the command takes (an
option missing from the table makes the model give up: the command is unknown) and records
on the ``Ctx`` what it reads and writes; ``effects.model(ctx)`` looks the command up and returns
the ``Effect``, or None.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from .effect_types import Ctx
from .nodes import Word

# Shell builtins and commands that touch no file (beyond redirections).
NOTHING = {
    "true", ":", "false", "set", "export", "unset", "readonly", "umask", "exit", "echo", "printf",
    "sleep", "uname", "pwd", "nproc", "arch", "shift", "wait",
}
# Commands every shell a RUN may use (dash, bash, busybox ash) runs itself: no PATH lookup. Any
# other name (sleep, id, uname; pushd, a bash builtin, in dash) is a program found on PATH.
BUILTINS = frozenset({
    ":", "true", "false", "echo", "printf", "test", "[", "cd", "pwd", "set", "export", "unset", "readonly",
    "umask", "exit", "shift", "wait", "command", "type", "hash",
})
# Programs that run code or scripts the model cannot see: they may read and write anything.
OPAQUE = {
    "sh", "bash", "dash", "zsh", "ash", "ksh", "source", ".", "eval", "exec", "make", "cmake", "npm",
    "npx", "yarn", "pnpm", "node", "bun", "deno", "ruby", "perl", "php", "java", "go", "cargo", "xargs",
    "sudo", "su", "gosu", "su-exec", "env", "nohup", "timeout", "time", "nice", "bundle", "gem", "composer",
    "pytest", "gunicorn", "uvicorn", "django-admin", "flask", "poetry", "pipenv", "pdm", "uv", "pip-sync",
    "pip-compile", "tox", "nox", "invoke", "R", "Rscript", "julia", "dotnet", "mvn", "gradle", "ant",
}


class Unknown(Exception):
    """An option or form the model does not know."""


def getopt(words, short: str = "", short_v: str = "", long: str = "", long_v: str = "", long_opt: str = "",
           stop_at_first: bool = False) -> tuple[list[tuple[str, Word | None]], list[Word]]:
    """GNU-style options. ``short``/``short_v``: letters without/with a value; ``long``/``long_v``/
    ``long_opt``: space-separated long names without/with/with an optional (``=``) value.
    Returns ``([(name, value word)], positionals)``; raises Unknown on any other option."""
    longs, longs_v, longs_opt = set(long.split()), set(long_v.split()), set(long_opt.split())
    opts: list[tuple[str, Word | None]] = []
    args: list[Word] = []
    i, ended = 0, False
    while i < len(words):
        w = words[i]
        v = w.value
        i += 1
        if ended or v == "-" or not v.startswith("-"):
            args.append(w)
            ended = ended or stop_at_first
            continue
        if v == "--":
            ended = True
            continue
        if w.has_expansion:
            raise Unknown(v)
        if v.startswith("--"):
            name, eq, val = v[2:].partition("=")
            if name in longs_v:
                if eq:
                    opts.append((name, replace(w, value=val)))
                elif i < len(words):
                    opts.append((name, words[i]))
                    i += 1
                else:
                    raise Unknown(v)
            elif name in longs_opt or (name in longs and not eq):
                opts.append((name, replace(w, value=val) if eq else None))
            else:
                raise Unknown(v)
            continue
        letters = v[1:]
        for k, c in enumerate(letters):
            if c in short_v:
                rest = letters[k + 1 :]
                if rest:
                    opts.append((c, replace(w, value=rest)))
                elif i < len(words):
                    opts.append((c, words[i]))
                    i += 1
                else:
                    raise Unknown(v)
                break
            if c not in short:
                raise Unknown(v)
            opts.append((c, None))
    return opts, args


def has(opts, *names: str) -> bool:
    return any(n in names for n, _ in opts)


def values(opts, *names: str) -> list[Word]:
    return [v for n, v in opts if n in names and v is not None]


def _output_used(ctx: Ctx) -> bool:
    cmd = ctx.inv.command
    return cmd.compound or cmd.op_after == "|" or any(">" in r and "/dev/null" not in r for r in cmd.redirects)


def ls(ctx: Ctx, words):
    opts, args = getopt(words, "aAbBcCdfFgGhHiklLmnNopqQrRsStuUvxXZ1", "IwT",
                        "all almost-anything human-readable recursive directory", "ignore width tabsize hide",
                        "color format sort time time-style quoting-style indicator-style block-size")
    used = _output_used(ctx) or has(opts, "R", "recursive")  # a recursive listing may fail on what it finds
    for a in args:
        ctx.read(a, tree=used)
    if not args and used:
        ctx.read(".", tree=True)
    return ctx.effect()


def read_files(short: str, short_v: str = "", long: str = "", long_v: str = "", first_is_data: bool = False):
    def fn(ctx: Ctx, words):
        opts, args = getopt(words, short, short_v, long, long_v)
        if first_is_data and not has(opts, "e", "f", "expression", "file", "regexp"):
            args = args[1:]
        for f in values(opts, "f", "file"):
            ctx.read(f)
        recursive = has(opts, "r", "R", "recursive", "dereference-recursive")
        for a in args:
            if a.value != "-":
                ctx.read(a, tree=recursive)
        if recursive and not args:
            ctx.read(".", tree=True)
        return ctx.effect()

    return fn


def test(ctx: Ctx, words):
    words = list(words)
    if ctx.inv.command.words[0].value == "[":
        if not words or words[-1].value != "]":
            raise Unknown("[")
        words = words[:-1]
    for k, w in enumerate(words):
        v = w.value
        if re.fullmatch(r"-[bcdefghkLprsSuwxOGN]", v) and k + 1 < len(words):
            ctx.read(words[k + 1])
        elif v in ("-nt", "-ot", "-ef") and 0 < k < len(words) - 1:
            ctx.read(words[k - 1]), ctx.read(words[k + 1])
    return ctx.effect()


def cd(ctx: Ctx, words):
    """``cd DIR`` reads DIR (its existence); ``run_effects`` moves the working directory."""
    for w in words:
        if not w.value.startswith("-"):
            ctx.read(w)
    return ctx.effect()


def date(ctx: Ctx, words):
    getopt(words, "uRI", "d", "utc universal rfc-email", "date", "iso-8601 rfc-3339")  # not -f/-r: files
    return ctx.effect()


def mkdir(ctx: Ctx, words):
    opts, args = getopt(words, "pvZ", "m", "parents verbose", "mode", "context")
    for a in args:
        ctx.write(a, mkdir=has(opts, "p", "parents"))
    return ctx.effect()


def touch(ctx: Ctx, words):
    opts, args = getopt(words, "acfhm", "drt", "no-create no-dereference", "date reference time")
    for r in values(opts, "r", "reference"):
        ctx.read(r)
    for a in args:
        ctx.write(a)
    return ctx.effect()


def rm(ctx: Ctx, words):
    opts, args = getopt(words, "rRfiIdv", "", "recursive force dir verbose preserve-root no-preserve-root one-file-system",
                        long_opt="interactive")
    for a in args:
        ctx.write(a, tree=has(opts, "r", "R", "recursive"))
    return ctx.effect()


def rmdir(ctx: Ctx, words):
    opts, args = getopt(words, "pv", "", "parents verbose ignore-fail-on-non-empty")
    for a in args:
        ctx.write(a)
        if has(opts, "p", "parents"):
            parent = posixpath.dirname(a.value.rstrip("/"))
            while parent and parent not in (".", "/"):
                ctx.write(replace(a, value=parent))
                parent = posixpath.dirname(parent)
    return ctx.effect()


_CP = dict(short="aRrfinpPLHdlsuvxbTZ", short_v="tS",
           long="archive recursive force no-clobber dereference no-dereference parents link symbolic-link "
                "verbose one-file-system no-target-directory remove-destination strip-trailing-slashes attributes-only",
           long_v="target-directory suffix no-preserve sparse", long_opt="preserve update backup reflink interactive")


def cp(ctx: Ctx, words, move: bool = False):
    opts, args = getopt(words, **_CP)
    targets = values(opts, "t", "target-directory")
    if not targets:
        if len(args) < 2:
            raise Unknown("cp without a destination")
        targets, args = [args[-1]], args[:-1]
    for a in args:
        ctx.read(a, tree=True)
        if move:
            ctx.write(a, tree=True)
    for t in targets:
        ctx.write(t, tree=True)
    return ctx.effect()


def ln(ctx: Ctx, words):
    opts, args = getopt(words, "sfnTvbrLPidF", "tS", "symbolic force no-dereference no-target-directory verbose "
                        "relative logical physical interactive directory", "target-directory suffix", "backup")
    symbolic = has(opts, "s", "symbolic")
    targets = values(opts, "t", "target-directory")
    if not targets:
        if len(args) == 1:
            targets = [replace(args[0], value=posixpath.basename(args[0].value.rstrip("/")) or "/")]
        elif len(args) < 2:
            raise Unknown("ln")
        else:
            targets, args = [args[-1]], args[:-1]
    for a in args:
        if not symbolic:
            ctx.read(a)
    for t in targets:
        ctx.write(t, tree=True)  # a directory gets the link inside it
    return ctx.effect()


def chmod_chown(letters: str):
    def fn(ctx: Ctx, words):
        words = list(words)
        if letters == "mode":  # chmod -x file: a mode, not an option
            words = [replace(w, value="\0" + w.value) if re.fullmatch(r"-[rwxXstugoa]+", w.value) else w for w in words]
        opts, args = getopt(words, "RcfvhHLP", "", "recursive changes silent quiet verbose dereference "
                            "no-dereference preserve-root no-preserve-root", "reference from")
        for r in values(opts, "reference"):
            ctx.read(r)
        if not values(opts, "reference"):
            if not args:
                raise Unknown(letters)
            args = args[1:]
        for a in args:
            ctx.write(a, tree=has(opts, "R", "recursive"))
        return ctx.effect()

    return fn


def sed(ctx: Ctx, words):
    opts, args = getopt(words, "nrEsuz", "efl", "quiet silent regexp-extended separate unbuffered null-data "
                        "posix debug sandbox follow-symlinks", "expression file line-length", "in-place")
    scripts = [v.value for v in values(opts, "e", "expression")]
    if values(opts, "f", "file"):
        raise Unknown("sed -f")
    if not scripts:
        if not args:
            raise Unknown("sed")
        scripts, args = [args[0].value], args[1:]
    if any(not _plain_substitutions(s) for s in scripts):
        raise Unknown("sed script")
    in_place = has(opts, "in-place")
    for a in args:
        ctx.read(a)
        if in_place:
            ctx.write(a)
            suffix = next((v.value for n, v in opts if n == "in-place" and v is not None), "")
            if suffix:
                ctx.write(replace(a, value=a.value + suffix) if "*" not in suffix else replace(a, value="\0"))
    return ctx.effect()


_SUBST_FLAGS = re.compile(r"[gpiImM0-9]*")


def _plain_substitutions(script: str) -> bool:
    """Only ``s/x/y/flags`` commands (separated by ``;``): no ``w``, ``r``, ``e`` that touch files."""
    i = 0
    while i < len(script):
        while i < len(script) and script[i] in " ;\n":
            i += 1
        if i >= len(script):
            return True
        if script[i] != "s" or i + 1 >= len(script):
            return False
        delim, i, parts = script[i + 1], i + 2, 0
        if delim in "\\\n ":
            return False
        while parts < 2:
            if i >= len(script):
                return False
            if script[i] == "\\":
                i += 2
                continue
            if script[i] == delim:
                parts += 1
            i += 1
        m = _SUBST_FLAGS.match(script, i)
        i = m.end()
        if i < len(script) and script[i] not in " ;\n}":
            return False
    return True


def sed_words(ctx: Ctx, words):
    # GNU sed's -i takes an optional attached suffix: -i, -i.bak, --in-place=.bak
    fixed = []
    for w in words:
        if re.fullmatch(r"-[nrEsuz]*i.*", w.value) and not w.value.startswith("--"):
            head, _, suffix = w.value.partition("i")
            if head != "-":
                fixed.append(replace(w, value=head))
            fixed.append(replace(w, value="--in-place" + ("=" + suffix if suffix else "")))
        else:
            fixed.append(w)
    return sed(ctx, fixed)


MODELS = {
    "ls": ls, "cat": read_files("AbeEnstTuv", "", "show-all number-nonblank show-ends number squeeze-blank show-tabs"),
    "head": read_files("qvz", "nc", "quiet silent verbose zero-terminated", "lines bytes"),
    "tail": read_files("qvz", "nc", "quiet silent verbose zero-terminated", "lines bytes"),
    "wc": read_files("clmwL", "", "bytes chars lines words max-line-length"),
    "grep": read_files("EFGPivwxyclLoqsbHhnTZrRaIUz", "efmABCd", "extended-regexp fixed-strings ignore-case "
                       "invert-match word-regexp line-regexp count files-with-matches files-without-match "
                       "only-matching quiet silent no-messages with-filename no-filename line-number recursive "
                       "dereference-recursive text null", "regexp file max-count after-context before-context "
                       "context include exclude exclude-dir color colour", first_is_data=True),
    "sha256sum": read_files("btz", "", "binary text zero tag"), "md5sum": read_files("btz", "", "binary text zero tag"),
    "stat": read_files("LftZ", "c", "dereference file-system terse", "format printf"),
    "file": read_files("bLhiz", "", "brief dereference no-dereference mime"),
    "cd": cd, "date": date, "test": test, "[": test, "mkdir": mkdir, "touch": touch, "rm": rm, "rmdir": rmdir, "cp": cp,
    "mv": lambda ctx, words: cp(ctx, words, move=True), "ln": ln,
    "chmod": chmod_chown("mode"), "chown": chmod_chown("owner"), "chgrp": chmod_chown("group"),
    "sed": sed_words,
}
