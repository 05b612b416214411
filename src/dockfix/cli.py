"""The command line: a thin typer layer over dockfix.api.

stdout carries diffs (or the patched Dockerfile for ``-``); stderr carries explanations, the
summary and errors. Exit codes: 0 done or nothing to do, 1 ``--check`` found files that would
change, 2 bad input, usage or internal error.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from .model import Settings

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def _codes(values: Optional[List[str]]) -> frozenset[str] | None:
    if not values:
        return None
    return frozenset(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def _color(stream, flag: Optional[bool]) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _colorize(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append("\x1b[1m" + line.rstrip("\n") + "\x1b[0m\n")
        elif line.startswith("+"):
            out.append("\x1b[32m" + line.rstrip("\n") + "\x1b[0m\n")
        elif line.startswith("-"):
            out.append("\x1b[31m" + line.rstrip("\n") + "\x1b[0m\n")
        elif line.startswith("@@"):
            out.append("\x1b[36m" + line.rstrip("\n") + "\x1b[0m\n")
        else:
            out.append(line)
    return "".join(out)


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def main_command(
    paths: Optional[List[str]] = typer.Argument(None, help="Dockerfiles or directories; - reads stdin."),
    write: bool = typer.Option(False, "--write", "-w", help="Apply the changes to the files."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if any file would change; write nothing."),
    diff: bool = typer.Option(False, "--diff", help="Print the diff (the default unless --write, --check or stdin)."),
    context: Optional[str] = typer.Option(None, "--context", help="The build context (default: each Dockerfile's folder)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes (comma separated)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes (comma separated)."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="Also apply fixes marked unsafe."),
    add_syntax: bool = typer.Option(False, "--add-syntax", help="Add '# syntax=docker/dockerfile:1' where a cache mount is added."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only diffs and errors."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour the diff (default: on a terminal)."),
    explain: Optional[str] = typer.Option(None, "--explain", help="Print the documentation of a rule code and exit."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Rewrite Dockerfiles of Python projects: dependency manifests first, BuildKit cache mounts."""
    if version:
        from importlib.metadata import version as v

        typer.echo(f"dockfix {v('dockfix')}")
        raise typer.Exit(EXIT_OK)
    if explain:
        raise typer.Exit(_explain(explain))
    if not paths:
        _error("no paths given (try: dockfix Dockerfile, or dockfix --help)")
        raise typer.Exit(EXIT_ERROR)
    if write and check:
        _error("--write and --check cannot be used together")
        raise typer.Exit(EXIT_ERROR)
    from .rules import BY_CODE

    sel, ign = _codes(select), _codes(ignore) or frozenset()
    unknown = sorted(c for c in (sel or frozenset()) | ign if c not in BY_CODE)
    if unknown:
        _error(f"unknown rule code {unknown[0]} (known: {', '.join(BY_CODE)})")
        raise typer.Exit(EXIT_ERROR)
    settings = Settings(select=sel, ignore=ign, unsafe_fixes=unsafe_fixes, add_syntax=add_syntax)
    raise typer.Exit(run(paths, settings, write=write, check=check, diff=diff, context=context, quiet=quiet, color=color))


def run(paths, settings, *, write, check, diff, context, quiet, color) -> int:
    from . import report
    from .api import fix_bytes, fix_file, write_result
    from .discover import expand_paths
    from .writer import unified_diff

    if "-" in paths and len(paths) > 1:
        _error("- (stdin) cannot be combined with other paths")
        return EXIT_ERROR
    if context is not None and not os.path.isdir(context):
        _error(f"{context}: build context is not a directory")
        return EXIT_ERROR
    if paths == ["-"]:
        data = sys.stdin.buffer.read()
        result = fix_bytes(data, "-", context or os.getcwd(), settings)
        results = [result]
        if result.outcome != "failed" and not check:
            if diff:
                _out(unified_diff("-", result.original, result.patched), color)
            else:
                sys.stdout.buffer.write(result.patched)
                sys.stdout.buffer.flush()
    else:
        files, errors = expand_paths(paths)
        for e in errors:
            _error(e)
        results = []
        for path in files:
            result = fix_file(path, context, settings)
            results.append(result)
            if result.outcome == "changed":
                if write:
                    try:
                        write_result(result)
                    except OSError as e:
                        result.outcome, result.error = "failed", f"{path}: cannot write: {e.strerror or e}"
                if (not write and not check) or diff:
                    _out(unified_diff(path, result.original, result.patched), color)
        if errors and not files:
            return EXIT_ERROR
        if errors:
            results.append(None)
    real = [r for r in results if r is not None]
    for r in real:
        if r.outcome == "failed":
            _error(r.error or f"{r.path}: failed")
    if not quiet:
        report.explain(real, sys.stderr, write=write)
        report.summary(real, sys.stderr, write=write)
    if any(r is None or r.outcome == "failed" for r in results):
        return EXIT_ERROR
    if check and any(r.outcome == "changed" for r in real):
        return EXIT_CHANGES
    return EXIT_OK


def _out(text: str, color: Optional[bool]) -> None:
    if not text:
        return
    if _color(sys.stdout, color):
        text = _colorize(text)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def _explain(code: str) -> int:
    from .rules import BY_CODE, page

    code = code.upper()
    if code not in BY_CODE:
        _error(f"unknown rule code {code} (known: {', '.join(BY_CODE)})")
        return EXIT_ERROR
    sys.stdout.write(page(code))
    return EXIT_OK


def main() -> None:
    """Console entry point: ``dockfix verify ...`` or ``dockfix [OPTIONS] PATHS``."""
    argv = sys.argv[1:]
    if argv[:1] == ["verify"]:
        from .verify import cli as verify_cli

        sys.exit(verify_cli(argv[1:]))
    try:
        app(args=argv, prog_name="dockfix")
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
