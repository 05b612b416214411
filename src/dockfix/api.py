"""The library API: what the CLI, the bulk runner and other programs call.

    from dockfix.api import fix_file
    result = fix_file("Dockerfile")          # FileResult: outcome, fixes, skips, patched bytes

Nothing here raises for a bad file: every file ends as changed, unchanged, skipped or failed.
"""

from __future__ import annotations

import os

from .dockerfile.model import FileResult, ParseError, Settings, Skip

MAX_SIZE = 4 * 1024 * 1024


def fix_bytes(
    data: bytes,
    path: str,
    context: str | os.PathLike | None = None,
    settings: Settings | None = None,
) -> FileResult:
    """Plan and apply every fix to one Dockerfile's bytes. ``context`` defaults to its folder."""
    from .build.context import BuildContext
    from .engine import EngineLimit, fix_dockerfile
    from .dockerfile.reader import check_instructions, read

    settings = settings or Settings()
    if context is None:
        context = os.path.dirname(os.path.abspath(path)) if path != "-" else os.getcwd()
    result = FileResult(path=path, outcome="unchanged", context=str(context), original=data, patched=data)
    if b"\0" in data:
        return _failed(result, f"{path}: not a Dockerfile (binary data)")
    if len(data) > MAX_SIZE:
        return _failed(result, f"{path}: file too large for a Dockerfile ({len(data)} bytes)")
    try:
        df = read(data, path)
        template = _template_line(df)
        if template is not None:
            mark, lineno = template
            result.outcome = "skipped"
            reason = f"a Jinja/cookiecutter template ('{mark}' on line {lineno}): render it, then run dockfix on the result"
            result.skips = [Skip("DF000", "template", reason, lineno)]
            return result
        try:
            check_instructions(df)
        except ParseError as e:
            frontend = df.directive("syntax")
            if frontend and not _standard_frontend(frontend):  # its own instructions, perhaps
                result.outcome = "skipped"
                reason = f"{e.message}, and the frontend {frontend} named by '# syntax=' may define it; dockfix reads the standard syntax only"
                result.skips = [Skip("DF000", "frontend", reason, e.lineno or 0)]
                return result
            raise
        _check_first_stage(df)
    except ParseError as e:
        if not _dockerfile_name(path):  # named explicitly, and its text says what its name did not
            return _failed(result, f"{path}: not a Dockerfile (line {e.lineno}: {e.message})")
        where = f"{path}:{e.lineno}" if e.lineno else path
        return _failed(result, f"{where}: {e.message}")
    try:
        ctx = BuildContext(context)
        ctx.set_dockerfile(path if path != "-" else None)
        outcome = fix_dockerfile(df, ctx, settings)
    except EngineLimit as e:
        return _failed(result, f"{path}: {e}")
    except RecursionError:
        return _failed(result, f"{path}: internal error: input nested too deeply")
    except Exception as e:  # a bug in a rule must not stop the other files
        first = str(e).splitlines()[0] if str(e) else ""
        return _failed(result, f"{path}: internal error: {type(e).__name__}: {first} (please report this)")
    result.fixes = outcome.applied
    result.skips = outcome.skips + [Skip("DF999", "internal", e, 0) for e in outcome.errors]
    result.unapplied = outcome.unapplied
    result.warnings, result.suppressed = outcome.warnings, outcome.suppressed
    result.unsafe_fixes_available = outcome.unsafe_fixes_available
    result.patched = outcome.df.encode(outcome.df.text) if outcome.applied else data
    if result.patched != data:
        result.outcome = "changed"
    elif result.skips:
        result.outcome = "skipped"
    return result


def fix_file(path: str, context: str | os.PathLike | None = None, settings: Settings | None = None) -> FileResult:
    """Read ``path`` and plan its fixes (nothing is written: see ``write_result``)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SIZE + 1)
    except OSError as e:
        return FileResult(path=path, outcome="failed", error=f"{path}: {e.strerror or e}")
    return fix_bytes(data, path, context, settings)


def write_result(result: FileResult) -> None:
    """Write a changed result back to its file, atomically, keeping the file's mode."""
    from .dockerfile.writer import write_atomic

    if result.outcome == "changed" and result.path != "-":
        write_atomic(result.path, result.patched)


TEMPLATE_MARKS = ("{%", "{{", "{#")


def _template_line(df) -> tuple[str, int] | None:
    """The first template mark in instruction position (``{% if %}``, ``{{ base }}``), if any."""
    for inst in df.instructions:
        if inst.raw_keyword.startswith(TEMPLATE_MARKS):
            return inst.raw_keyword[:2], inst.lineno
    return None


def _standard_frontend(ref: str) -> bool:
    """docker/dockerfile (any tag or digest, with or without docker.io/)."""
    name = ref.split("@")[0].split(":")[0].lower()
    return name in ("docker/dockerfile", "docker.io/docker/dockerfile", "docker.io/docker/dockerfile-upstream", "docker/dockerfile-upstream")


def _check_first_stage(df) -> None:
    """BuildKit refuses an instruction other than ARG before the first FROM."""
    for inst in df.instructions:
        if inst.keyword == "FROM":
            return
        if inst.keyword != "ARG":
            raise ParseError(f"{inst.keyword} before the first FROM (no build stage in current context)", inst.lineno)


def _dockerfile_name(path: str) -> bool:
    from .targets.discover import is_dockerfile_name

    return path == "-" or is_dockerfile_name(os.path.basename(path))


def _failed(result: FileResult, message: str) -> FileResult:
    result.outcome = "failed"
    result.error = message
    result.patched = result.original
    return result
