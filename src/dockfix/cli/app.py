"""The command line: a thin layer over dockfix.runner and dockfix.api.

stdout carries diffs (or the patched Dockerfile for ``-``); stderr carries explanations, the
summary and errors. Exit codes: 0 done or nothing to do, 1 ``--check`` found files that would
change, 2 bad input, usage or internal error, 130 interrupted.

The options are declared in ``parser()`` (argparse: part of Python, so a run pays no import for
its command line); each becomes an attribute of ``Options`` (same name) or of ``Overrides`` (the
rule settings). Adding an option is a line in ``parser()``, an attribute of ``Options``, and its use.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_CHANGES, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("text", "json", "sarif", "github")

DESCRIPTION = "Rewrite Dockerfiles of Python projects: dependency manifests first, BuildKit cache mounts."
EPILOG = """\
commands:
  dockfix verify PATH ...  build each Dockerfile and its rewrite with BuildKit and compare the
                           images (dockfix verify --help)
  dockfix rules            list every rule code (dockfix --explain CODE for one)

exit codes: 0 done or nothing to do, 1 --check (or --exit-non-zero-on-fix) found files that
would change, 2 bad input, usage or internal error, 130 interrupted.
"""


def parser():
    """The options of ``dockfix [OPTIONS] [PATH ...]``."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):  # usage errors: one line, exit 2
            _error(f"{message} (try: dockfix --help)")
            raise _Exit(EXIT_ERROR)

    class Formatter(argparse.RawDescriptionHelpFormatter):
        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
            # argparse would import shutil (and its compression modules) just to ask for the width
            super().__init__(prog, indent_increment, max_help_position, width or _columns() - 2)

    p = Parser(prog="dockfix", usage="dockfix [OPTIONS] [PATH ...]\n       dockfix verify [OPTIONS] PATH ...",
               description=DESCRIPTION, epilog=EPILOG, formatter_class=Formatter, allow_abbrev=False, add_help=False)
    add = p.add_argument
    add("paths", nargs="*", metavar="PATH", help="Dockerfiles or directories; - reads stdin")
    add("-h", "--help", action="help", help="show this help and exit")
    add("-V", "--version", action="store_true", help="print the version and exit")
    add("-w", "--write", action="store_true", help="apply the changes to the files")
    add("--check", action="store_true", help="exit 1 if any file would change; write nothing")
    add("--diff", action="store_true", help="print the diff and write nothing (the default unless --write, --check or stdin)")
    add("--context", metavar="DIR", help="the build context (default: from compose files, else each Dockerfile's folder)")
    add("--select", metavar="CODES", action="append", help="only these rule codes (comma separated)")
    add("--ignore", metavar="CODES", action="append", help="skip these rule codes (comma separated)")
    add("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None, help="also apply fixes marked unsafe")
    add("--add-syntax", action=argparse.BooleanOptionalAction, default=None,
        help="add '# syntax=docker/dockerfile:1' where a cache mount is added")
    add("--exclude", metavar="PATTERN", action="append", help="skip paths matching this gitignore-style pattern (repeatable)")
    add("--force-exclude", action="store_true", help="apply the excludes to files named explicitly too (pre-commit)")
    add("--allow-empty", action="store_true", help="no warning for a directory without Dockerfiles")
    add("--no-config", action="store_true", help="ignore .dockfix.toml and [tool.dockfix] in pyproject.toml")
    add("--stdin-filename", metavar="PATH", help="the path of the Dockerfile read from stdin (its context and configuration)")
    add("-j", "--jobs", metavar="N", type=_positive, help="parallel processes (default: what pays for the number of files)")
    add("--format", metavar="FORMAT", default="text", type=str.lower,
        help="stdout: text (diffs), json, sarif or github (workflow annotations)")
    add("--statistics", action="store_true", help="print only counts per rule code and refusals per reason (text or json)")
    add("--show-settings", action="store_true", help="print the settings each path would use, and from which configuration file, and exit")
    add("--builder", metavar="NAME", type=str.lower,
        help="the builder that builds the images: auto (default: buildkit unless the repository's CI files show another), "
             "buildkit, legacy, kaniko or buildah")
    add("--exit-zero", action="store_true", help="exit 0 even if files would change (errors still exit 2)")
    add("--exit-non-zero-on-fix", action="store_true", help="exit 1 if any file changed or would change, also with --write")
    add("-q", "--quiet", action="store_true", help="print only diffs and errors")
    add("-v", "--verbose", action="store_true", help="also say which build context and configuration each file used, and what discovery skipped")
    add("--color", action=argparse.BooleanOptionalAction, default=None,
        help="colour the diff (default: on a terminal; FORCE_COLOR and NO_COLOR are honoured)")
    add("--explain", metavar="CODE", help="print the documentation of a rule code and exit (no code: list them, as dockfix rules)")
    return p


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80


def _positive(value: str) -> int:
    import argparse

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


class _Exit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def main_command(argv: list[str]) -> int:
    """``dockfix [OPTIONS] [PATH ...]``: parse, check the options, run. Returns the exit code."""
    try:
        a = parser().parse_intermixed_args(argv)
    except _Exit as e:
        return e.code
    if a.version:
        from .. import __version__  # importlib.metadata would cost more than the rest of a run

        sys.stdout.write(f"dockfix {__version__}\n")
        return EXIT_OK
    if a.explain:
        return _explain(a.explain)
    paths = a.paths
    if not paths and a.stdin_filename:
        paths = ["-"]
    if not paths and not a.show_settings:
        _error("no paths given (try: dockfix Dockerfile, or dockfix --help)")
        return EXIT_ERROR
    for problem in _conflicts(a, paths):
        _error(problem)
        return EXIT_ERROR
    from ..targets.config import ConfigError, Overrides, builder_name, unknown_codes
    from ..targets.config import option_codes as _codes

    try:
        builder = builder_name(a.builder, "--builder") if a.builder is not None else None
    except ConfigError as e:
        _error(str(e))
        return EXIT_ERROR
    if a.select is not None and not _codes(a.select):
        _error("--select needs at least one rule code (to run no rule, do not run dockfix)")
        return EXIT_ERROR
    sel, ign = _codes(a.select), _codes(a.ignore) or frozenset()
    unknown = unknown_codes((sel or frozenset()) | ign)
    if unknown:
        from ..rules import BY_CODE

        _error(f"unknown rule code {unknown[0]} (known: {', '.join(BY_CODE)})")
        return EXIT_ERROR
    overrides = Overrides(select=sel, ignore=ign, unsafe_fixes=a.unsafe_fixes, add_syntax=a.add_syntax, builder=builder)
    if a.show_settings:
        return _show_settings(paths or ["."], overrides, not a.no_config, tuple(a.exclude or ()), a.format)
    # Options of the same name are taken as parsed; the others are spelled out here.
    same = {name: getattr(a, name) for name in Options.__annotations__ if hasattr(a, name)}
    options = Options(**{**same, "exclude": tuple(a.exclude or ()), "use_config": not a.no_config})
    return run(paths, overrides, options)


def _conflicts(a, paths) -> list[str]:
    out = []
    if a.write and a.check:
        out.append("--write and --check cannot be used together")
    if a.format not in FORMATS:
        out.append(f"unknown format {a.format} (known: {', '.join(FORMATS)})")
    elif a.statistics and a.format not in ("text", "json"):
        out.append(f"--statistics prints text or json, not {a.format}")
    if a.stdin_filename and paths != ["-"]:
        out.append("--stdin-filename is for a Dockerfile read from stdin (give - or no path)")
    if a.quiet and a.verbose:
        out.append("--quiet and --verbose cannot be used together")
    return out


class Options:
    """How to run and print. Each class attribute is an option and its default; construct with
    keywords (``Options(write=True)``). A plain class: a dataclass costs a few ms of every start."""

    write: bool = False
    check: bool = False
    diff: bool = False  # show, never write (also with --write, as in black and ruff)
    context: str | None = None
    quiet: bool = False
    color: bool | None = None
    exclude: tuple = ()
    use_config: bool = True
    allow_empty: bool = False
    jobs: int | None = None
    format: str = "text"
    statistics: bool = False
    verbose: bool = False
    force_exclude: bool = False
    stdin_filename: str | None = None
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False

    def __init__(self, **values):
        for name, value in values.items():
            if name.startswith("_") or name not in Options.__annotations__:
                raise TypeError(f"Options has no option {name!r}")
            setattr(self, name, value)

    def __repr__(self) -> str:
        return "Options(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in Options.__annotations__) + ")"

    @property
    def writes(self) -> bool:
        return self.write and not self.diff

    @property
    def mode(self) -> str:
        return "write" if self.writes else "check" if self.check else "diff"

    @property
    def prints_diffs(self) -> bool:
        return self.format == "text" and not self.statistics and (not self.writes and not self.check or self.diff)


def run(paths, overrides, options: Options) -> int:
    """Run over ``paths`` (or ``["-"]``) and print; returns the exit code."""
    from . import report
    from .output import Output, StdoutClosed, color

    if "-" in paths and len(paths) > 1:
        _error("- (stdin) cannot be combined with other paths")
        return EXIT_ERROR
    if options.context is not None and not os.path.isdir(options.context):
        _error(f"{options.context}: build context is not a directory")
        return EXIT_ERROR
    out = Output(color(sys.stdout, options.color))
    try:
        if paths == ["-"]:
            results, errors = [_run_stdin(overrides, options, out)], []
        else:
            results, errors = _run_files(paths, overrides, options, out)
    except StdoutClosed:
        return _stdout_closed()
    except KeyboardInterrupt as e:
        return _interrupted(e, options)
    except Exception as e:  # a configuration error for stdin, or a bug outside any one file
        _error(str(e).splitlines()[0] if str(e) else type(e).__name__)
        return EXIT_ERROR
    for r in results:
        if r.outcome == "failed":
            _error(r.error or f"{r.path}: failed")
    written = options.writes and paths != ["-"]
    try:
        if options.statistics:  # only its table (text or json), on stdout
            if options.format == "json":
                out.json(report.statistics_doc(results))
            else:
                report.statistics(results, out)
        elif options.format == "json":
            out.json(report.to_json(results, errors, mode=options.mode))
        elif options.format == "sarif":
            out.json(report.to_sarif(results, errors))
        elif options.format == "github":
            out.write(report.to_github(results, errors, write=written))
    except StdoutClosed:
        return _stdout_closed()
    if not options.quiet and not options.statistics:
        if options.format == "text":
            _contexts(results, options)
            if paths == ["-"]:  # files were explained with their diffs
                report.explain(results, sys.stderr, write=written)
        report.summary(results, sys.stderr, write=written)
    return _exit_code(results, errors, options)


def _exit_code(results, errors, options: Options) -> int:
    if errors or any(r.outcome == "failed" for r in results):
        return EXIT_ERROR
    changed = any(r.outcome == "changed" for r in results)
    if options.exit_non_zero_on_fix and changed:
        return EXIT_CHANGES
    if options.check and changed and not options.exit_zero:
        return EXIT_CHANGES
    return EXIT_OK


def _interrupted(e: BaseException, options: Options) -> int:
    from ..runner import Interrupted

    if isinstance(e, Interrupted):
        written = sum(1 for r in e.results if r.outcome == "changed") if options.writes else 0
        _say(f"interrupted: {written} {'file' if written == 1 else 'files'} written, {e.not_processed} not processed")
    else:
        _say("interrupted: 0 files written")
    return EXIT_INTERRUPTED


def _contexts(results, options: Options) -> None:
    """The build context of each file where it is not the Dockerfile's own folder (--verbose has
    said it for every file already)."""
    if options.verbose:
        return
    for r in results:
        if r.outcome == "failed" or r.context is None:
            continue
        source = r.context_source or "folder"
        if source == "folder":
            continue
        _say(f"{r.path}: build context {_display(r.context)} ({_source(source)})")


def _source(source: str) -> str:
    if source == "cli":
        return "--context"
    if source.startswith("compose:"):
        return "from " + ", ".join(_display(p) for p in source[len("compose:"):].split(","))
    return "the Dockerfile's folder"


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") and os.path.isabs(path) else rel


def _run_stdin(overrides, options: Options, out):
    from ..api import fix_bytes
    from ..targets.config import settings_for
    from ..dockerfile.model import FileResult

    name = options.stdin_filename or "-"
    data = sys.stdin.buffer.read()
    if options.stdin_filename:
        from ..targets.discover import excluded_reason, template_reason

        why = (excluded_reason(name, options.exclude, options.use_config) if options.force_exclude else None) or template_reason(name)
        if why:  # as ruff does: the input passes through unchanged
            if options.verbose:
                _say(f"{name}: skipped: {why}")
            if options.format == "text" and not options.check and not options.statistics and not options.diff:
                out.raw(data)
            return FileResult(name, "unchanged", original=data, patched=data)
    settings = settings_for(name, overrides, options.use_config)
    if options.context:
        context, source = options.context, "cli"
    elif options.stdin_filename:
        context, source = os.path.dirname(os.path.abspath(name)), "folder"
    else:
        context, source = os.getcwd(), "folder"  # the working directory stands for the folder
    if options.verbose:
        from ..runner import config_path

        config = config_path(name) if options.use_config else None
        how = "the working directory" if name == "-" and source == "folder" else _source(source)
        _say(f"{name}: build context {_display(context)} ({how}); configuration {config or 'none'}")
    result = fix_bytes(data, name, context, settings)
    result.context_source = source
    if result.outcome != "failed" and not options.check and options.format == "text" and not options.statistics:
        if options.diff:
            out.diff(name, result.original, result.patched)
        else:
            out.raw(result.patched)
    return result


def _run_files(paths, overrides, options: Options, out):
    from .output import PROGRESS_MIN, ProgressBar, tty
    from ..runner import plan_paths, run_targets

    p = plan_paths(paths, overrides, context=options.context, exclude=options.exclude, use_config=options.use_config,
                   allow_empty=options.allow_empty, force_exclude=options.force_exclude)
    for e in p.errors:
        _error(e)
    if not options.quiet:
        for w in p.warnings:
            _say(f"warning: {w}")
    if options.verbose:
        for path, why in p.skipped:
            _say(f"{path}: skipped: {why}")
        for t in p.targets:
            if t.skip is None and t.error is None:
                context = ", ".join(_display(c) for c in t.contexts) or _display(os.path.dirname(os.path.abspath(t.path)))
                _say(f"{t.path}: build context {context} ({_source(t.context_source)}); configuration {t.config or 'none'}")
    show_progress = not options.quiet and len(p.targets) >= PROGRESS_MIN and tty(sys.stderr) and not (options.prints_diffs and tty(sys.stdout))
    bar = ProgressBar(len(p.targets)) if show_progress else None

    from .report import explain_file

    def on_result(result, done, total):
        if options.prints_diffs and result.outcome == "changed":
            out.diff(result.path, result.original, result.patched)
        if options.format == "text" and not options.statistics and not options.quiet:
            explain_file(result, sys.stderr, write=options.writes)  # with its diff, not at the end
        if bar is not None:
            bar.advance()

    try:
        results = run_targets(p.targets, write=options.writes, jobs=options.jobs, on_result=on_result,
                              keep_text=options.prints_diffs)
    finally:
        if bar is not None:
            bar.close()
    return results, p.errors


def _stdout_closed() -> int:
    """Like a Unix tool killed by SIGPIPE: no message; 141 is what a shell reports for one."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe
    except OSError:
        pass
    return 128 + 13


def _error(message: str) -> None:
    _say(f"error: {message}")


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
    except (BrokenPipeError, ValueError):
        pass


def _show_settings(paths, overrides, use_config: bool, exclude: tuple, output_format: str) -> int:
    from ..targets.config import ConfigError, format_resolved, resolved
    from .output import Output

    try:
        docs = [resolved(p, overrides, use_config, exclude) for p in paths]
    except ConfigError as e:
        _error(str(e))
        return EXIT_ERROR
    if output_format == "json":
        Output().json({"paths": docs})
    else:
        sys.stdout.write("".join(format_resolved(d) for d in docs))
    return EXIT_OK


def _explain(code: str) -> int:
    from .report import PSEUDO_RULES
    from ..rules import BY_CODE, page

    code = code.upper()
    if code not in BY_CODE and code not in PSEUDO_RULES:
        _error(f"unknown rule code {code} (known: {', '.join([*BY_CODE, *PSEUDO_RULES])}; dockfix rules lists them)")
        return EXIT_ERROR
    sys.stdout.write(page(code))
    return EXIT_OK


def main() -> None:
    """Console entry point: ``dockfix verify ...`` or ``dockfix [OPTIONS] PATHS``.

    It ends the process (``os._exit``, see ``_exit``): to run the command line inside a program
    or a test, call ``main_command(argv)``, which returns the exit code.
    """
    argv = sys.argv[1:]
    try:
        if argv[:1] == ["rules"] or argv[-1:] == ["--explain"]:  # --explain without a code lists the codes
            from .report import rules_cli

            code = rules_cli(argv[1:] if argv[:1] == ["rules"] else [])
        elif argv[:1] == ["verify"]:
            from .verify import cli as verify_cli

            code = verify_cli(argv[1:])
        else:
            code = main_command(argv)
    except KeyboardInterrupt:
        _say("interrupted")
        code = EXIT_INTERRUPTED
    except SystemExit as e:  # argparse's --help
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_ERROR)
    except Exception as e:  # noqa: BLE001 (a bug outside any one file: one line, not a traceback)
        first = str(e).splitlines()[0] if str(e) else ""
        _error(f"internal error: {type(e).__name__}: {first} (please report this)")
        code = EXIT_ERROR
    _exit(code)


def _exit(code: int) -> None:
    """Flush the output, then end the process without the interpreter's teardown (tens of ms
    with the rules loaded, and nothing in it is needed: files are closed, workers joined)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            if stream is sys.stdout:
                code = code or 128 + 13
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
