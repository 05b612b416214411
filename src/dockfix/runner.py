"""Bulk runs: many Dockerfiles, in parallel, each ending as a picklable FileResult.

    from dockfix.runner import run_paths
    run = run_paths(["repos/"], write=True, jobs=8)
    for result in run.results: ...            # changed / unchanged / skipped / failed

Planning (discovery, configuration, build contexts) happens in the calling process; each file is
then fixed (and written, with ``write=True``) in a worker. Nothing raises past a file: an
exception in one file, or a worker that dies, makes that file ``failed`` and the others go on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .config import ConfigError, Overrides, settings_for
from .model import FileResult, Settings, Skip

MIN_PARALLEL = 24  # below this many files a process pool costs more than it saves


@dataclass(frozen=True)
class Target:
    """One Dockerfile to process, with everything decided for it."""

    path: str
    settings: Settings | None
    contexts: tuple[str, ...] = ()  # empty: the Dockerfile's folder
    context_source: str = "folder"
    error: str | None = None  # the file cannot be processed (bad configuration)


@dataclass
class Run:
    results: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the paths given (missing, no Dockerfiles)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(r.outcome == "failed" for r in self.results)

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.outcome == "changed"]


def plan(
    paths: Iterable[str],
    overrides: Overrides | None = None,
    *,
    context: str | None = None,
    exclude: Iterable[str] = (),
    use_config: bool = True,
    allow_empty: bool = False,
) -> tuple[list[Target], list[str]]:
    """The targets below ``paths`` and the errors about the paths themselves."""
    from .discover import expand_paths

    overrides = overrides or Overrides()
    found = expand_paths(list(paths), tuple(exclude), use_config=use_config, allow_empty=allow_empty)
    index = None
    targets, seen = [], set()
    for path in found.files:
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        try:
            settings, error = settings_for(path, overrides, use_config), None
        except ConfigError as e:
            settings, error = None, str(e)
        if context is not None:
            targets.append(Target(path, settings, (context,), "cli", error))
            continue
        if index is None:
            from .compose import ComposeIndex

            index = ComposeIndex(found.compose_files)
        declared = index.contexts(path)
        if declared:
            ordered = sorted(declared)
            source = "compose:" + ",".join(sorted(set(declared.values())))
            targets.append(Target(path, settings, tuple(ordered), source, error))
        else:
            targets.append(Target(path, settings, (), "folder", error))
    return targets, found.errors


def process(target: Target, write: bool = False) -> FileResult:
    """Fix (and with ``write``, write) one target. Never raises."""
    from .api import write_result

    if target.error is not None:
        return FileResult(target.path, "failed", context_source=target.context_source, error=target.error)
    try:
        result = _fix(target)
        if write and result.outcome == "changed":
            try:
                write_result(result)
            except OSError as e:
                result.outcome, result.error = "failed", f"{target.path}: cannot write: {e.strerror or e}"
        return result
    except Exception as e:  # noqa: BLE001 (a bug in one file must not stop the others)
        line = str(e).splitlines()[0] if str(e) else ""
        return FileResult(target.path, "failed", error=f"{target.path}: internal error: {type(e).__name__}: {line}")


def _fix(target: Target) -> FileResult:
    from .api import fix_file

    contexts = target.contexts or (None,)
    results = [fix_file(target.path, c, target.settings) for c in contexts]
    result = results[0]
    result.context_source = target.context_source
    if len({(r.outcome, r.patched) for r in results}) > 1:
        listed = ", ".join(contexts)
        result.outcome, result.patched, result.fixes = "skipped", result.original, []
        result.skips = [Skip("DF000", "ambiguous", f"built with several contexts ({listed}) that call for different rewrites: pass --context", 0)]
    return result


def _process_write(target: Target) -> FileResult:
    return process(target, True)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_targets(
    targets: list[Target],
    *,
    write: bool = False,
    jobs: int | None = None,
    on_result: Callable[[FileResult, int, int], None] | None = None,
) -> list[FileResult]:
    """Process targets, in parallel when it pays; results come back in the targets' order."""
    jobs = jobs or default_jobs()
    total = len(targets)
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result, len(results), total)

    if jobs <= 1 or total < MIN_PARALLEL:
        for t in targets:
            done(process(t, write))
        return results
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from . import api, engine, rules  # noqa: F401  (imported once here, inherited by forked workers)

    fn = _process_write if write else process
    chunksize = max(1, min(64, total // (jobs * 8)))
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, total)) as pool:
            for result in pool.map(fn, targets, chunksize=chunksize):
                done(result)
    except BrokenProcessPool:
        for t in targets[len(results) :]:
            done(FileResult(t.path, "failed", error=f"{t.path}: the worker process died (out of memory?)"))
    return results


def run_paths(
    paths: Iterable[str],
    overrides: Overrides | None = None,
    *,
    context: str | None = None,
    exclude: Iterable[str] = (),
    use_config: bool = True,
    allow_empty: bool = False,
    write: bool = False,
    jobs: int | None = None,
    on_result: Callable[[FileResult, int, int], None] | None = None,
) -> Run:
    """Find the Dockerfiles below ``paths`` and fix them (``write=True`` writes the changes).

    ``overrides`` are the settings given explicitly (they win over each file's configuration);
    ``context`` is the build context for every file (otherwise: Compose files, then the folder);
    ``on_result(result, done, total)`` is called in the calling process as results arrive.
    """
    targets, errors = plan(paths, overrides, context=context, exclude=exclude, use_config=use_config, allow_empty=allow_empty)
    return Run(run_targets(targets, write=write, jobs=jobs, on_result=on_result), errors)
