"""The command line: a thin typer layer over dockfix.api.

stdout carries diffs (or the patched Dockerfile for ``-``); stderr carries explanations, the
summary and errors. Exit codes: 0 done or nothing to do, 1 ``--check`` found files that would
change, 2 bad input, usage or internal error.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import List, Optional

import typer

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
    return _tty(stream)


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
    context: Optional[str] = typer.Option(None, "--context", help="The build context (default: from compose files, else each Dockerfile's folder)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes (comma separated)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes (comma separated)."),
    unsafe_fixes: Optional[bool] = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes", help="Also apply fixes marked unsafe."),
    add_syntax: Optional[bool] = typer.Option(None, "--add-syntax/--no-add-syntax", help="Add '# syntax=docker/dockerfile:1' where a cache mount is added."),
    builder: Optional[str] = typer.Option(None, "--builder", metavar="NAME", help="The builder that builds the images: auto, buildkit, legacy, kaniko or buildah (auto, the default: buildkit unless the repository's CI files show another)."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", help="Skip paths matching this gitignore-style pattern (repeatable)."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="A directory without Dockerfiles is not an error (bulk runs)."),
    no_config: bool = typer.Option(False, "--no-config", help="Ignore .dockfix.toml and [tool.dockfix] in pyproject.toml."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Parallel processes (default: all cores)."),
    output_format: str = typer.Option("text", "--format", help="stdout: text (diffs), json, sarif or github (workflow annotations)."),
    statistics: bool = typer.Option(False, "--statistics", help="Print only counts per rule code and refusals per reason (text or json)."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the settings each path would use, and from which configuration file, and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only diffs and errors."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour the diff (default: on a terminal)."),
    explain: Optional[str] = typer.Option(None, "--explain", help="Print the documentation of a rule code and exit (no code: list them, as `dockfix rules`)."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Rewrite Dockerfiles of Python projects: dependency manifests first, BuildKit cache mounts."""
    if version:
        from importlib.metadata import version as v

        typer.echo(f"dockfix {v('dockfix')}")
        raise typer.Exit(EXIT_OK)
    if explain:
        raise typer.Exit(_explain(explain))
    if not paths and not show_settings:
        _error("no paths given (try: dockfix Dockerfile, or dockfix --help)")
        raise typer.Exit(EXIT_ERROR)
    if write and check:
        _error("--write and --check cannot be used together")
        raise typer.Exit(EXIT_ERROR)
    if output_format not in FORMATS:
        _error(f"unknown format {output_format} (known: {', '.join(FORMATS)})")
        raise typer.Exit(EXIT_ERROR)
    if statistics and output_format not in ("text", "json"):
        _error(f"--statistics prints text or json, not {output_format}")
        raise typer.Exit(EXIT_ERROR)
    from .config import ConfigError, Overrides, builder_name, unknown_codes

    if builder is not None:
        try:
            builder = builder_name(builder, "--builder")
        except ConfigError as e:
            _error(str(e))
            raise typer.Exit(EXIT_ERROR) from None

    sel, ign = _codes(select), _codes(ignore) or frozenset()
    unknown = unknown_codes((sel or frozenset()) | ign)
    if unknown:
        from .rules import BY_CODE

        _error(f"unknown rule code {unknown[0]} (known: {', '.join(BY_CODE)})")
        raise typer.Exit(EXIT_ERROR)
    overrides = Overrides(select=sel, ignore=ign, unsafe_fixes=unsafe_fixes, add_syntax=add_syntax, builder=builder)
    if show_settings:
        raise typer.Exit(_show_settings(paths or ["."], overrides, not no_config, tuple(exclude or ()), output_format))
    options = Options(write=write, check=check, diff=diff, context=context, quiet=quiet, color=color, exclude=tuple(exclude or ()),
                      use_config=not no_config, allow_empty=allow_empty, jobs=jobs, format=output_format, statistics=statistics)
    raise typer.Exit(run(paths, overrides, options))


FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class Options:
    write: bool = False
    check: bool = False
    diff: bool = False
    context: Optional[str] = None
    quiet: bool = False
    color: Optional[bool] = None
    exclude: tuple = ()
    use_config: bool = True
    allow_empty: bool = False
    jobs: Optional[int] = None
    format: str = "text"
    statistics: bool = False

    @property
    def mode(self) -> str:
        return "write" if self.write else "check" if self.check else "diff"

    @property
    def prints_diffs(self) -> bool:
        return self.format == "text" and not self.statistics and ((not self.write and not self.check) or self.diff)


def run(paths, overrides, options: Options) -> int:
    from . import report

    if "-" in paths and len(paths) > 1:
        _error("- (stdin) cannot be combined with other paths")
        return EXIT_ERROR
    if options.context is not None and not os.path.isdir(options.context):
        _error(f"{options.context}: build context is not a directory")
        return EXIT_ERROR
    try:
        if paths == ["-"]:
            results, errors = [_run_stdin(overrides, options)], []
        else:
            results, errors = _run_files(paths, overrides, options)
    except Exception as e:  # a configuration error for stdin, or a bug outside any one file
        _error(str(e).splitlines()[0] if str(e) else type(e).__name__)
        return EXIT_ERROR
    for r in results:
        if r.outcome == "failed":
            _error(r.error or f"{r.path}: failed")
    if options.statistics:  # only its table (text or json), on stdout
        if options.format == "json":
            _out_json(report.statistics_doc(results))
        else:
            report.statistics(results, sys.stdout)
    elif options.format == "json":
        _out_json(report.to_json(results, errors, mode=options.mode))
    elif options.format == "sarif":
        _out_json(report.to_sarif(results, errors))
    elif options.format == "github":
        sys.stdout.write(report.to_github(results, errors, write=options.write))
        sys.stdout.flush()
    if not options.quiet and not options.statistics:
        if options.format == "text" and paths == ["-"]:  # files were explained with their diffs
            report.explain(results, sys.stderr, write=options.write)
        report.summary(results, sys.stderr, write=options.write)
    if errors or any(r.outcome == "failed" for r in results):
        return EXIT_ERROR
    if options.check and any(r.outcome == "changed" for r in results):
        return EXIT_CHANGES
    return EXIT_OK


def _run_stdin(overrides, options: Options):
    from .api import fix_bytes
    from .config import settings_for
    from .writer import unified_diff

    settings = settings_for("-", overrides, options.use_config)
    data = sys.stdin.buffer.read()
    result = fix_bytes(data, "-", options.context or os.getcwd(), settings)
    result.context_source = "cli" if options.context else "folder"
    if result.outcome != "failed" and not options.check and options.format == "text" and not options.statistics:
        if options.diff:
            _out(unified_diff("-", result.original, result.patched), options.color)
        else:
            sys.stdout.buffer.write(result.patched)
            sys.stdout.buffer.flush()
    return result


def _run_files(paths, overrides, options: Options):
    from .runner import plan, run_targets
    from .writer import unified_diff

    targets, errors = plan(paths, overrides, context=options.context, exclude=options.exclude, use_config=options.use_config,
                           allow_empty=options.allow_empty)
    for e in errors:
        _error(e)
    show_progress = not options.quiet and len(targets) >= PROGRESS_MIN and _tty(sys.stderr) and not (options.prints_diffs and _tty(sys.stdout))
    bar = _ProgressBar(len(targets)) if show_progress else None

    from .report import explain_file

    def on_result(result, done, total):
        if options.prints_diffs and result.outcome == "changed":
            _out(unified_diff(result.path, result.original, result.patched), options.color)
        if options.format == "text" and not options.statistics and not options.quiet:
            explain_file(result, sys.stderr, write=options.write)  # with its diff, not at the end
        if bar is not None:
            bar.advance()

    try:
        results = run_targets(targets, write=options.write, jobs=options.jobs, on_result=on_result)
    finally:
        if bar is not None:
            bar.close()
    return results, errors


PROGRESS_MIN = 100  # files: fewer finish before a bar would be worth drawing


class _ProgressBar:
    """rich's progress bar on stderr (imported only here, on a terminal, for long runs)."""

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.task = self.progress.add_task("dockfix", total=total)
        self.progress.start()

    def advance(self) -> None:
        self.progress.advance(self.task)

    def close(self) -> None:
        self.progress.stop()


def _tty(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _out_json(doc: dict) -> None:
    import json

    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _out(text: str, color: Optional[bool]) -> None:
    if not text:
        return
    if _color(sys.stdout, color):
        text = _colorize(text)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def _show_settings(paths, overrides, use_config: bool, exclude: tuple, output_format: str) -> int:
    from .config import ConfigError, format_resolved, resolved

    try:
        docs = [resolved(p, overrides, use_config, exclude) for p in paths]
    except ConfigError as e:
        _error(str(e))
        return EXIT_ERROR
    if output_format == "json":
        _out_json({"paths": docs})
    else:
        sys.stdout.write("".join(format_resolved(d) for d in docs))
    return EXIT_OK


def _explain(code: str) -> int:
    from .report import PSEUDO_RULES
    from .rules import BY_CODE, page

    code = code.upper()
    if code not in BY_CODE and code not in PSEUDO_RULES:
        _error(f"unknown rule code {code} (known: {', '.join([*BY_CODE, *PSEUDO_RULES])}; dockfix rules lists them)")
        return EXIT_ERROR
    sys.stdout.write(page(code))
    return EXIT_OK


def main() -> None:
    """Console entry point: ``dockfix verify ...`` or ``dockfix [OPTIONS] PATHS``."""
    argv = sys.argv[1:]
    if argv[:1] == ["rules"] or argv[-1:] == ["--explain"]:  # --explain without a code lists the codes
        from .report import rules_cli

        sys.exit(rules_cli(argv[1:] if argv[:1] == ["rules"] else []))
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
