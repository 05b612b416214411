"""DF001 deps-first: copy the dependency manifests and install them before the application.

    COPY . .                                  COPY requirements.txt .
    RUN pip install -r requirements.txt  ->   RUN pip install -r requirements.txt
                                              COPY . .

The broad COPY of the build context moves down to just after the install, and the files the
install reads are copied right before it: requirements files and everything they include
(``pip install -r``, ``pip-sync``, ``uv pip install -r``, ``uv pip sync``), ``Pipfile`` and
``Pipfile.lock`` (``pipenv install``/``sync``), a conda environment file and the requirements
files of its ``pip:`` section (``conda``/``mamba``/``micromamba env create -f``, ``install -f``).
The move is made only when it provably yields the same image (design.md §5, ``dockfix.rules.reorder``);
otherwise the rule explains, with the line, why it left the file alone.
"""

from __future__ import annotations

from dataclasses import replace

from ..build.state import relative
from ..dockerfile.edits import (
    block,
    newline_at,
    rewrite_instruction,
    comment_block_start,
    expect_of,
    insert_after,
    insert_before,
    lines_text,
    remove_block,
)
from ..installers import expand, is_manifest_install, manifest_reads
from ..dockerfile.model import Edit, Expect, Fix, Instruction
from .reorder import (
    absolute_copy,
    first_dest_workdir,
    BroadCopy,
    Refuse,
    check_carry,
    check_move_down,
    check_install,
    config_manifests,
    each_install,
    install_cwd,
    install_effect,
    known_path,
    subshell_invocations,
    manifest_copy,
    preflight,
    to_context,
)
from ..shell.nodes import Invocation

CODE = "DF001"
NAME = "deps-first"
SUMMARY = "copy dependency manifests and install them before copying the application"


def check(facts) -> list:
    return each_install(
        facts, CODE, NAME,
        lambda invs: True if any(is_manifest_install(i) for i in invs) else None,
        lambda broad, k, inst, invs, _: _plan(facts, broad, k, inst, invs),
    )


def _plan(facts, broad: BroadCopy, k: int, install: Instruction, invs: list[Invocation]) -> Fix:
    try:
        return _plan_one(facts, broad, k, install, invs)
    except Refuse:
        cut = _split_point(facts, install, invs)
        if cut is None:
            raise
    m, rest = cut
    return _plan_one(facts, broad, k, install, invs[: m + 1], rest=rest)


def _split_point(facts, install: Instruction, invs: list[Invocation]) -> tuple[int, int] | None:
    """Where the script of an install RUN ``[P && ...] INSTALL && B && C`` may be cut: the index
    of the install and the offset in the script where B starts; None when it may not.

    ``RUN A && B`` fails when A fails and otherwise runs B; ``RUN A`` then ``RUN B`` does the
    same, and B runs in the same working directory and environment when nothing in A can ``cd``
    or set a variable: A is the install, maybe after pip installs of packages by name (``pip
    install -U pip``), all external programs without an assignment or a redirection. So: every
    separator is ``&&`` (``||`` or ``;`` would run the rest when the install fails), no command
    is part of a compound command (a subshell, a loop, a ``$(...)``). The commands before the
    install move before the broad COPY with it and are judged as the install RUN's other
    commands are (``reorder.check_install``: by their effects).
    """
    script = facts.script(install)
    if script is None or not script[2] or install.heredocs or len(invs) < 2:
        return None
    m = next((n for n, inv in enumerate(invs) if is_manifest_install(inv)), None)
    if m is None or m + 1 >= len(invs) or not all(_by_name_pip(i) for i in invs[:m]):
        return None
    if any(i.command.assignments or i.command.redirects for i in invs[: m + 1]):
        return None
    if any(i.command.compound for i in invs) or invs[0].command.op_before is not None:
        return None
    if any(i.command.op_after != "&&" for i in invs[:-1]) or invs[-1].command.op_after is not None:
        return None
    if any(is_manifest_install(i) for i in invs[m + 1 :]):
        return None
    return m, invs[m + 1].command.start


def _by_name_pip(inv: Invocation) -> bool:
    """``pip install`` of packages named by requirement specifiers only (``pip install -U pip``):
    no file, folder or URL of a file among its arguments, no option naming a file it reads."""
    from .reorder import local_word

    return (inv.tool == "pip" and inv.sub == "install" and not inv.unknown and bool(inv.args)
            and not any(local_word(w) for w in inv.args)
            and not any(n in ("--requirement", "--constraint", "--editable", "--src", "--group") for n, _, _ in inv.options))


def _plan_one(facts, broad: BroadCopy, k: int, install: Instruction, invs: list[Invocation], rest: int | None = None) -> Fix:
    df = facts.df
    c = broad.inst
    st_install = facts.states[k]
    invs = subshell_invocations(facts, install) or invs  # RUN (cd /app && pip install ...)
    preflight(facts, broad, install, invs, st_install)

    # Which files does the install read, and where does it expect them?
    manifests = _manifests(facts, broad, install, invs)

    # Can the broad COPY move down past everything up to and including the install?
    # a WORKDIR of the destination between would create it with another owner: the manifest COPY
    # goes above it and creates the folder as the broad COPY did (same flags)
    at = first_dest_workdir(facts, broad, k)
    # (a RUN between that uses the copied files moves down with it, after the install, if it may)
    carried = check_move_down(facts, broad, k, absolute_dest=True, created_at=at, carry=True)
    moved_line = absolute_copy(facts, broad, st_install)  # WORKDIR /app, COPY . ., WORKDIR /app/backend
    # the manifests land inside the destination before the install, so the folder exists then
    inside = any(relative(image_path, broad.dest) not in (None, ".") for _, image_path in manifests)
    check_install(facts, broad, install, invs, st_install, _reads_manifests, dest_exists=inside)
    if carried:
        check_carry(facts, broad, carried, k, lambda: install_effect(
            facts, install, invs, _reads_manifests, [image_path for _, image_path in manifests]))

    # Edits: remove the broad COPY (with its comments), copy the manifests right before the
    # install (above its comment block), put the broad COPY right after the install.
    copy_lines, expects = manifest_copy(facts, broad, manifests, k, at)
    if at is not None and not any(relative(image_path, broad.dest) not in (None, ".") for _, image_path in manifests):
        raise Refuse(f"WORKDIR at line {df.instructions[at].lineno} would create {broad.dest} before the COPY at line {c.lineno}, changing its owner", df.instructions[at].lineno)
    if at is not None and not copy_lines:
        at = None  # already copied above it
    c_start = comment_block_start(df, c)
    r_start = comment_block_start(df, df.instructions[at] if at is not None else install)
    moved, moved_expect = block(df, c_start, c.end + 1), expect_of(c)
    if moved_line is not None:
        moved = block(df, c_start, c.start) + lines_text(df, c.start, [moved_line])
        moved_expect = Expect(c.keyword, tuple(f.raw for f in c.flags), tuple(moved_line.split()[1 + len(c.flags):]))
    edits = [remove_block(df, c_start, c.end + 1)]
    moved_expects = (moved_expect,)
    for j, _ in carried:  # each with its comment block, after the moved COPY, in order
        step = df.instructions[j]
        s_start = comment_block_start(df, step)
        edits.append(remove_block(df, s_start, step.end + 1))
        moved += block(df, s_start, step.end + 1)
        moved_expects += (expect_of(step),)
    if copy_lines:
        edits.append(insert_before(df, r_start, lines_text(df, r_start, copy_lines), expects))
    if rest is None:
        edits.append(insert_after(df, install, moved, moved_expects))
    else:
        edits.append(_split_edit(facts, install, invs[-1], rest, moved, moved_expects))
    what = ", ".join(m[0] for m in manifests)
    if rest is not None:
        msg = (f"copy {what} and install before the COPY at line {c.lineno}, which moves below the install; the rest of "
               f"the RUN at line {install.lineno} (after '&&') stays after the COPY as a RUN of its own")
    elif copy_lines:
        msg = f"copy {what} and install before the COPY at line {c.lineno}, which moves below the install at line {install.lineno}"
    else:
        msg = f"move the COPY at line {c.lineno} below the install at line {install.lineno} ({what} already copied)"
    if carried:
        lines = ", ".join(str(df.instructions[j].lineno) for j, _ in carried)
        if len(carried) == 1:
            msg += f"; the RUN at line {lines}, which uses the copied files, moves down with it"
        else:
            msg += f"; the RUNs at lines {lines}, which use the copied files, move down with it"
    return Fix(CODE, NAME, msg, c.lineno, tuple(edits))


def _split_edit(facts, install: Instruction, first: Invocation, rest: int, moved: str, moved_expects: tuple) -> Edit:
    """The install RUN cut after the install (``first``), the moved COPY, then ``RUN <the rest>``."""
    df = facts.df
    script, offset, _ = facts.script(install)
    end = offset + len(script)
    flags = tuple(f.raw for f in install.flags)
    head = script[: first.command.end]
    tail = script[rest:].strip()
    cut = rewrite_instruction(df, install, Expect("RUN", flags, tuple(head.split())), spans=[(offset + first.command.end, end)])
    keyword = install.raw_keyword
    new_run = " ".join([keyword, *flags, tail])
    text = cut.text
    nl = newline_at(df, install.end)
    expect = cut.expect + moved_expects + (Expect("RUN", flags, tuple(tail.split())),)
    if not df.lines[install.end].endswith("\n"):  # the install ended the file without a newline: so does the new RUN
        # (the cut keeps the newline of a continued first line, or has none when the RUN was one line)
        return Edit(cut.start, cut.end, (text if text.endswith("\n") else text + nl) + moved + new_run, expect)
    return Edit(cut.start, cut.end, text + moved + new_run + nl, expect)


def _reads_manifests(inv: Invocation) -> bool:
    """A manifest install, or a ``pip download -r FILE --dest DIR`` in the same RUN: it reads the
    same kind of files (copied with the manifests) and writes only into ``DIR``, which
    ``reorder.check_install`` checks against the destination like an install's ``--target``."""
    return is_manifest_install(inv) or (
        inv.tool == "pip" and inv.sub == "download" and bool(inv.option_values("--requirement"))
        and bool(inv.option_values("--dest")))


def _manifests(facts, broad: BroadCopy, install: Instruction, invs: list[Invocation]) -> list[tuple[str, str]]:
    """(context path, image path) of every file the install reads, includes resolved."""
    found = []
    configs: list[tuple[str, str]] = []
    for n, (inv, cwd) in enumerate(install_cwd(facts, install, invs)):
        if not _reads_manifests(inv):
            continue
        configs += config_manifests(facts, broad, install, invs, n, [cwd])
        try:
            reads = manifest_reads(inv)
        except Refuse as r:
            raise Refuse(r.reason, install.lineno) from None
        for m in reads:
            path = known_path(facts, install, invs, n, m.path)
            m = replace(m, path=path) if path != m.path else m
            found.append((to_context(facts, broad, cwd, m.path, install, required=m.required), m))
    try:
        files = expand(facts.ctx, [(path, m) for path, m in found if path is not None])
    except Refuse as r:
        raise Refuse(r.reason, install.lineno) from None
    out = [(path, broad.image_path(path)) for path in files]
    return out + [c for c in dict.fromkeys(configs) if c[0] not in files]
