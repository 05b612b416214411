"""DF003 deps-before-project: install the dependencies from the manifests, then the project.

    COPY . .                          COPY pyproject.toml poetry.lock ./
    RUN poetry install --only main -> RUN poetry install --only main --no-root
                                      COPY . .
                                      RUN poetry install --only main

An install of the project itself (``poetry install``, ``uv sync``, ``pdm install``/``sync``,
``pip install .``/``-e .``/``.[extra]``, ``python setup.py install|develop``) needs the whole
application, so it stays after the broad COPY. Right before that COPY the rule inserts a COPY of
the manifests and the same command asking for the dependencies only; the broad COPY moves down to
just before the install when other instructions stood between them, so the new step runs in the
same state as the install. Every check of DF001 applies (``dockfix.rules.reorder``).

For ``pip install .`` the dependencies come from ``project.project_deps`` (read statically):
requirements files the project reads are copied and installed with ``-r`` (safe); a literal list
written into the Dockerfile could go stale when the project changes, so that fix is unsafe.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from ..build.state import join, relative
from ..dockerfile.edits import (
    block,
    comment_block_start,
    expect_of,
    insert_before,
    lines_text,
    remove_block,
)
from ..installers import PROJECT_VENV, Manifest, deps_only, expand, project_install
from ..project.requirements import requirement_name
from ..dockerfile.model import Applicability, Edit, Expect, Fix, Instruction
from .reorder import (
    BroadCopy,
    Refuse,
    check_move_down,
    check_mounts,
    command_touches,
    config_manifests,
    each_install,
    install_cwd,
    local_word,
    manifest_copy,
    preflight,
    to_context,
)
from ..shell.nodes import Invocation

CODE = "DF003"
NAME = "deps-before-project"
SUMMARY = "install the dependencies from the manifests before copying the application, the project after"

_PROJECT_ARG = re.compile(r"(?P<path>(?:\.|\.\.|/)[^\[\]]*?)(?:\[(?P<extras>[A-Za-z0-9_.,\s-]*)\])?")


def check(facts) -> list:
    return each_install(
        facts, CODE, NAME,
        lambda invs: next((n for n, inv in enumerate(invs) if _kind(inv)), None),
        lambda broad, k, inst, invs, t: _plan(facts, broad, k, inst, invs, t),
    )


def _kind(inv: Invocation) -> str | None:
    """What kind of project install ``inv`` is: poetry, uv, pdm, pip, setup.py; None if none."""
    found = project_install(inv)
    if found:
        return found
    local = _pip_project_words(inv) or _pattern_project_words(inv)
    if inv.tool == "pip" and inv.sub == "install" and local and not inv.option_values("--only-deps"):
        return "pip"
    if inv.tool == "uv-pip" and inv.sub == "install" and local:
        return "uv-pip"
    if inv.tool == "setup.py" and inv.sub in ("install", "develop"):
        return "setup.py"
    return None


def _pip_project_words(inv: Invocation) -> list:
    """The words of a pip install that name a local project directory (``.``, ``-e .``, ``.[web]``)."""
    words = []
    for name, value, word in inv.options:
        if name == "--editable" and value is not None and _PROJECT_ARG.fullmatch(value):
            words.append((word, value))
    words += [(w, w.value) for w in inv.args if not w.has_expansion and _PROJECT_ARG.fullmatch(w.value)]
    return words


def _pattern_project_words(inv: Invocation) -> list:
    """Unquoted words that would name the project with extras but are shell patterns: ``.[web]``
    is a bracket expression, which the shell replaces by the names it matches (``.w``, ``.e``)
    when the working directory has one."""
    return [w for w in inv.args if w.has_expansion and w.raw == w.value and not any(c in w.raw for c in "$`*?{")
            and _PROJECT_ARG.fullmatch(w.value)]


def _plan(facts, broad: BroadCopy, k: int, install: Instruction, invs: list[Invocation], t: int) -> Fix | None:
    df = facts.df
    c = broad.inst
    st = facts.states[k]
    preflight(facts, broad, install, invs, st)
    script = facts.script(install)
    if script is None or not script[2]:
        raise Refuse(f"the RUN at line {install.lineno} is not a plain shell command dockfix can repeat", install.lineno)
    check_move_down(facts, broad, k)
    check_mounts(install, st, broad.dest)

    cwd = install_cwd(facts, install, invs)[t][1]
    prefix = [_repeatable(inv, st, broad.dest, install) for inv in invs[:t]]
    target = invs[t]
    if target.command.redirects or target.command.compound:
        raise Refuse(f"the install at line {install.lineno} is part of a larger shell construct", install.lineno)
    kind = _kind(target)
    if kind == "pip" and _already_split(facts, broad, kind, ()):
        return None  # a dependencies step (pip install --only-deps) is there: planning again would
        # meet it as a step that may change pip and report a refusal for a file already split
    if kind in ("pip", "uv-pip", "setup.py"):
        planned = _pip_plan(facts, broad, install, invs, t, k, cwd, kind)
        starts = [cwd]
    else:
        planned = _locked_plan(facts, broad, install, target, cwd)
        starts = [cwd] + [join(cwd, p) for p in _values(target, "--directory", "--project")[-1:]]
    if planned is None:
        return None
    manifests, words, applicability, how, marker = planned
    # The dependencies step reads the same configuration as the install: copy what the tree holds.
    configs = config_manifests(facts, broad, install, invs, t, starts)
    manifests = manifests + [c for c in dict.fromkeys(configs) if c[0] not in {m[0] for m in manifests}]

    flags = [f.raw for f in install.flags]
    run_script = " && ".join(prefix + [" ".join(words)])
    keyword = install.raw_keyword
    run_line = " ".join([keyword, *flags, run_script])
    if kind in ("pip", "uv-pip", "setup.py") and not planned[0]:  # the requirements written out
        earlier = _earlier_output(facts, broad, prefix, marker)
        if earlier is not None:  # a step this rule wrote before: keep it in sync with the manifest
            synced = _sync(facts, broad, install, earlier, words, marker, prefix, how)
            if synced != "other":
                return synced
    if _already_split(facts, broad, kind, marker):
        return None
    copy_lines, expects = manifest_copy(facts, broad, manifests, k)
    new_lines = copy_lines + [run_line]
    new_expects = expects + (Expect("RUN", tuple(flags), tuple(run_script.split())),)
    c_start = comment_block_start(df, c)
    if k == broad.index + 1:
        edits = (insert_before(df, c_start, lines_text(df, c_start, new_lines), new_expects),)
    else:  # the broad COPY moves down to the install, the new step goes right above it
        r_start = comment_block_start(df, install)
        text = lines_text(df, r_start, new_lines) + block(df, c_start, c.end + 1)
        edits = (remove_block(df, c_start, c.end + 1), insert_before(df, r_start, text, new_expects + (expect_of(c),)))
    source = f" from {', '.join(m[0] for m in manifests)}" if manifests else ""
    msg = f"install the dependencies ({how}){source} before the COPY at line {c.lineno}; the project install at line {install.lineno} stays after it"
    return Fix(CODE, NAME, msg, c.lineno, edits, applicability)


DEPS_ONLY_OPTIONS = {"--no-root", "--no-install-project", "--no-install-workspace", "--no-self", "--only-deps"}

def _already_split(facts, broad: BroadCopy, kind: str, marker: tuple[str, ...]) -> bool:
    """Is there a dependencies step already, between the stage's start and the broad COPY?

    poetry/uv/pdm: a run of the same tool with its dependencies-only option; pip: a RUN whose
    words hold ``marker`` (the ``-r`` options or requirements the dependencies step installs).
    """
    stage = facts.df.stage_of(broad.index)
    for inst in facts.df.instructions[stage.start + 1 : broad.index]:
        if inst.keyword != "RUN":
            continue
        if marker and f" {' '.join(marker)} " in f" {' '.join(inst.args.split())} ":
            return True
        for inv in facts.invocations(inst) or ():
            if _kind(inv) == kind and DEPS_ONLY_OPTIONS & {name for name, _, _ in inv.options}:
                return True
            if kind == "pip" and inv.tool == "pip" and inv.sub == "install" and inv.option_values("--only-deps"):
                return True  # pip install --only-deps . (not a project install, so _kind is None)
    return False


def _repeatable(inv: Invocation, st, dest: str, install: Instruction) -> str:
    """The text of a command that runs before the install in the same RUN, if the dependencies
    step may run it too (it runs again in the original RUN); otherwise Refuse."""
    cmd = inv.command
    text = " ".join(w.raw for w in cmd.assignments + cmd.words)
    if cmd.op_after != "&&" or cmd.compound or cmd.redirects:
        raise Refuse(f"the RUN at line {install.lineno} runs '{text}' before the install, not joined with &&", install.lineno)
    ok = (
        inv.tool == "cd"
        or (inv.tool == "poetry" and inv.sub == "config")
        or (inv.tool == "pip" and inv.sub == "install" and command_touches(inv, st, dest) is None)
        or (inv.tool == "other" and cmd.words and cmd.words[0].value in ("export", "set", "true", ":", "echo") and command_touches(inv, st, dest) is None)
    )
    if not ok:
        raise Refuse(f"the RUN at line {install.lineno} runs '{text}' before the install; dockfix cannot repeat it in the dependencies step", install.lineno)
    return text


def _locked_plan(facts, broad: BroadCopy, install: Instruction, inv: Invocation, cwd: str):
    """poetry / uv / pdm: the same command with its dependencies-only option."""
    ctx = facts.ctx
    try:
        d = deps_only(inv, ctx, lambda rel: _dir(facts, broad, cwd, rel, install))
    except Refuse as r:
        raise Refuse(r.reason, install.lineno) from None
    if d is None:
        return None
    proj = _dir(facts, broad, cwd, d.project, install)
    venv = posixpath.normpath(posixpath.join(proj, PROJECT_VENV))
    if ctx.exists(venv) and not ctx.is_ignored(venv):
        raise Refuse(f"the build context has {venv}, which the dependencies step would also create", install.lineno)
    files = _expand(facts, install, [(posixpath.normpath(posixpath.join(proj, m.path)), m) for m in d.manifests])
    added = d.words[len(inv.command.words):]
    words = [w.raw for w in inv.command.assignments] + list(d.words)
    return [(f, broad.image_path(f)) for f in files], words, Applicability.SAFE, " ".join(added), ()


def _quote(requirement: str) -> str:
    """A requirement as one shell word: bare when safe, else single- or double-quoted."""
    if "'" in requirement and not any(ch in requirement for ch in '"$`\\!'):
        return f'"{requirement}"'
    return shlex.quote(requirement)


def _dir(facts, broad: BroadCopy, cwd: str, rel: str, install: Instruction) -> str:
    path = to_context(facts, broad, cwd, rel, install)
    if not facts.ctx.is_dir(path):
        raise Refuse(f"the project directory {path} is not in the build context", install.lineno)
    return path


def _expand(facts, install: Instruction, manifests: list[tuple[str, Manifest]]) -> list[str]:
    try:
        return expand(facts.ctx, manifests)
    except Refuse as r:
        raise Refuse(r.reason, install.lineno) from None


def _pip_plan(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation], t: int, k: int, cwd: str, kind: str):
    """pip / uv pip install . / python setup.py install: pip's --only-deps where the pip is shown
    to have it, else the project's dependencies, read statically."""
    from ..project.pyproject import project_deps

    inv = invs[t]
    text = " ".join(w.raw for w in inv.command.words)
    if kind in ("pip", "uv-pip"):
        pattern = _pattern_project_words(inv)
        if pattern:
            raise Refuse(f"'{pattern[0].raw}' is an unquoted shell pattern: the shell replaces it by the names it "
                         f"matches in the working directory, which dockfix cannot tell (quote it: '{pattern[0].raw}')", install.lineno)
        found = _pip_project_words(inv)
        if len(found) != 1:
            raise Refuse(f"'{text}' installs several local projects", install.lineno)
        word, value = found[0]
        m = _PROJECT_ARG.fullmatch(value)
        path, extras = m.group("path"), [e.strip() for e in (m.group("extras") or "").split(",") if e.strip()]
        drop = set(inv.option_words(word)) if word not in inv.args else {word}
        if inv.unknown or any(local_word(w) for w in inv.args if w not in drop):
            raise Refuse(f"'{text}' installs other local files or has options dockfix does not know", install.lineno)
        if inv.option_values("--no-deps"):
            return None
        for name, value, _ in inv.options:
            if name in _LOCAL_FILE_OPTIONS and value and not value.startswith(("http://", "https://")):
                raise Refuse(f"'{text}' reads the local file {value} ({name}), which the dependencies step would not have", install.lineno)
        program = [w.raw for w in inv.command.assignments] + [w.raw for w in inv.command.words if w not in drop]
    else:
        if inv.options or inv.args:
            raise Refuse(f"'{text}' has options dockfix does not carry over to pip", install.lineno)
        path, extras = ".", []
        program = [w.raw for w in inv.command.assignments] + [inv.command.words[0].raw, "-m", "pip", "install"]
    proj = _dir(facts, broad, cwd, path, install)
    why_not = ""
    if kind == "pip":
        only, why_not = _only_deps_plan(facts, broad, install, invs, t, k, proj, program, path, extras)
        if only is not None:
            return only
        why_not = f"; --only-deps not used: {why_not}"
    deps = project_deps(facts.ctx, proj)
    if deps.dependencies is None:
        raise Refuse(f"the project's dependencies are not known statically: {deps.reason}{why_not}", install.lineno)
    unknown = [e for e in extras if e not in deps.optional]
    if extras and deps.optional_reason:
        raise Refuse(f"the extras are not known statically: {deps.optional_reason}", install.lineno)
    if unknown:
        raise Refuse(f"the project has no extra {unknown[0]!r}", install.lineno)
    wanted = list(deps.dependencies) + [r for e in extras for r in deps.optional[e]]
    if not wanted:
        return None
    if deps.dependency_files and not extras:
        files = _expand(facts, install, [(f, Manifest(f, "requirements")) for f in deps.dependency_files])
        images = [(f, broad.image_path(f)) for f in files]
        added = []
        for f, image in images:
            rel = relative(image, cwd)
            if rel is None:
                raise Refuse(f"{f} is not below the directory the install runs in", install.lineno)
            added += ["-r", rel]
        # Unsafe with pip: packages installed by name get a REQUESTED marker in their .dist-info
        # (and another RECORD), which they do not get as the project's dependencies, so the image
        # differs (pip list --not-required, autoremove tools). Seen in a real build. uv marks
        # every package it installs REQUESTED, dependencies too, so its split is the same image.
        safe = Applicability.SAFE if kind == "uv-pip" else Applicability.UNSAFE
        return images, program + added, safe, " ".join(added) + why_not, tuple(added)
    quoted = [_quote(r) for r in wanted]
    return [], program + quoted, Applicability.UNSAFE, f"{len(wanted)} requirement{'s' if len(wanted) > 1 else ''} written out from {deps.source}" + (f" and the extras {', '.join(extras)}" if extras else "") + why_not, tuple(quoted)


def _values(inv: Invocation, *names: str) -> list[str]:
    return [v for name, v, _ in inv.options if name in names and v is not None]


# pip options naming local files the install reads (the dependencies step would not have them).
_LOCAL_FILE_OPTIONS = {"--requirement", "--constraint", "--find-links", "--src", "--report", "--log"}
# pip options with which a second install may not reuse what the first installed.
_OWN_TARGET = {"--target", "--prefix", "--root", "--user", "--force-reinstall", "--ignore-installed", "--dry-run"}


def _only_deps_plan(facts, broad: BroadCopy, install: Instruction, invs, t: int, k: int, proj: str, program, path: str, extras):
    """``pip install --only-deps .[extras]`` fed by the files the build backend reads for the
    metadata, when the pip is shown to be 26.2 or newer and those files are known; else None."""
    from ..installers.pip_only_deps import metadata_files, pip_version_proof

    inv = invs[t]
    used = {name for name, _, _ in inv.options}
    if used & {"--group"}:
        return None, "pip does not take it with --group"
    if used & _OWN_TARGET:
        return None, f"the install uses {sorted(used & _OWN_TARGET)[0]}, with which the project install may not find the dependencies installed"
    where, why = pip_version_proof(facts, k, invs, t)
    if where is None:
        return None, why
    files, why = metadata_files(facts.ctx, proj)
    if files is None:
        return None, why
    target = path + (f"[{','.join(extras)}]" if extras else "")
    images = [(f, broad.image_path(f)) for f in files]
    return (images, program + ["--only-deps", _quote(target)], Applicability.SAFE, f"--only-deps, {where}", ("--only-deps",)), ""


def _req_name(requirement: str) -> str:
    """The normalized project name of a requirement (``Flask_Login>=1`` -> ``flask-login``)."""
    found = requirement_name(requirement)
    return found[0] if found else requirement


def _earlier_output(facts, broad: BroadCopy, prefix: list[str], marker: tuple[str, ...]):
    """The RUN right above the broad COPY when it is a dependencies step written out by this rule
    for the same install: the same commands before it, the same installer and options, and
    nothing but named requirements after them. None otherwise."""
    df = facts.df
    i = broad.index - 1
    if i < 0:
        return None
    prev = df.instructions[i]
    if prev.keyword != "RUN" or facts.script(prev) is None or not facts.script(prev)[2]:
        return None
    invs = facts.invocations(prev)
    if not invs:
        return None
    *before, last = invs
    if [" ".join(w.raw for w in inv.command.assignments + inv.command.words) for inv in before] != prefix:
        return None
    if last.tool not in ("pip", "uv-pip") or last.sub != "install" or last.unknown:
        return None
    if last.command.redirects or last.command.compound or last.command.op_after:
        return None
    if any(w.has_expansion or local_word(w) or w.value.startswith("-") for w in last.args):
        return None
    if any(name in ("--requirement", "--constraint", "--editable") for name, _, _ in last.options):
        return None
    return prev, last


def _sync(facts, broad: BroadCopy, install: Instruction, earlier, words: list[str], marker, prefix: list[str], how: str):
    """Keep a written-out dependencies step in sync with the project: nothing when it already
    installs these requirements, else replace its requirements (unsafe, as when written).

    Only the requirement words change: the step keeps its command, options and flags as they are
    (a cache mount, or ``--no-cache-dir`` removed, by another rule or by hand), so the rules settle.
    "other" when the step's command is not the install's (not a step written for it).
    """
    df = facts.df
    prev, last = earlier
    arg_ids = {id(w) for w in last.args}
    old_program = [w.raw for w in last.command.assignments] + [w.raw for w in last.command.words if id(w) not in arg_ids]
    program = words[: len(words) - len(marker)]

    def norm(ws):  # DF002 drops --no-cache-dir when it adds a cache mount
        return [w for w in " ".join(ws).split() if w != "--no-cache-dir"]

    if norm(old_program) != norm(program):
        return "other"
    if [w.raw for w in last.args] == list(marker):
        return None
    # A step that names none of the project's dependencies is the user's own; one that names a
    # package the project does not declare may be partly the user's: never drop a package.
    old_names = {_req_name(w.value) for w in last.args}
    new_names = {_req_name(shlex.split(q)[0]) for q in marker}
    if not old_names & new_names:
        return "other"
    if not old_names <= new_names:
        extra = sorted(old_names - new_names)[0]
        raise Refuse(
            f"the dependencies step at line {prev.lineno} installs {extra}, which the project does not declare (now); "
            "dockfix updates that step only by adding or changing requirements, never by dropping one: edit it by hand",
            prev.lineno,
        )
    run_script = " && ".join(prefix + [" ".join(old_program + list(marker))])
    kept = [f.raw for f in prev.flags]
    line = " ".join([prev.raw_keyword, *kept, run_script])
    edit = Edit(prev.start, prev.end + 1, lines_text(df, prev.start, [line]),
                (Expect("RUN", tuple(kept), tuple(run_script.split())),))
    msg = (f"update the dependencies step at line {prev.lineno} ({how}) to the project's current dependencies; "
           f"the project install at line {install.lineno} stays after the COPY at line {broad.inst.lineno}")
    return Fix(CODE, NAME, msg, prev.lineno, (edit,), Applicability.UNSAFE)
