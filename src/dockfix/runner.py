"""Bulk runs: many Dockerfiles, in parallel, each ending as a picklable FileResult.

    from dockfix.runner import run_paths
    run = run_paths(["repos/"], write=True, jobs=8)
    for result in run.results: ...            # changed / unchanged / skipped / failed

Planning (discovery, configuration, build contexts) happens in the calling process; each file is
then fixed (and written, with ``write=True``) in a worker. Nothing raises past a file: an
exception in one file, or a worker that dies, makes that file ``failed`` and the others go on.

Few files are processed in the calling process (a pool costs more than it saves); many go to a
process pool in chunks, and come back as small results (no file texts unless ``keep_text``).
Ctrl-C (KeyboardInterrupt) stops the run: workers finish the file in hand and stop, a file is
either written whole or not at all, and ``Interrupted`` (a KeyboardInterrupt) says how far it got.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, NamedTuple

from .targets.config import ConfigError, Overrides, settings_for
from .dockerfile.model import FileResult, Settings, Skip

# A pool costs ~70 ms to start and ~25% more CPU per file (each worker warms its own caches);
# with ~2-3 ms a file it pays from about 60 files when two cores are free (bench/startup.py).
MIN_PARALLEL = 64  # below this many files one process is faster
FILES_PER_WORKER = 32  # each worker started must have at least this many files to pay for itself
MAX_CHUNK = 64  # files per task sent to a worker
STOP_GRACE = 3.0  # seconds the workers get to finish the file in hand after Ctrl-C


class Interrupted(KeyboardInterrupt):
    """The run was stopped (Ctrl-C): ``results`` so far, ``not_processed`` files never started."""

    def __init__(self, results: list[FileResult], not_processed: int):
        super().__init__(f"interrupted: {len(results)} files done, {not_processed} not processed")
        self.results = results
        self.not_processed = not_processed


# Plain classes, not dataclasses: each dataclass costs a few ms of every start (bench/startup.py).


class Target(NamedTuple):
    """One Dockerfile to process, with everything decided for it."""

    path: str
    settings: Settings | None
    contexts: tuple[str, ...] = ()  # empty: the Dockerfile's folder
    context_source: str = "folder"
    error: str | None = None  # the file cannot be processed (bad configuration)
    config: str | None = None  # the configuration file that applies, if any
    skip: str | None = None  # left alone without reading it (a template named explicitly): why


class Plan:
    """What planning decided: ``targets``; ``errors`` about the paths given (missing, not
    Dockerfiles); ``warnings`` (a directory without Dockerfiles); ``skipped``: (path, reason) for
    what discovery left out."""

    def __init__(self, targets=None, errors=None, warnings=None, skipped=None):
        self.targets: list[Target] = targets if targets is not None else []
        self.errors: list[str] = errors if errors is not None else []
        self.warnings: list[str] = warnings if warnings is not None else []
        self.skipped: list[tuple[str, str]] = skipped if skipped is not None else []


class Run(Plan):
    """The outcome of ``run_paths``: ``results`` in the order of the targets, and the plan's notes."""

    def __init__(self, results=None, errors=None, warnings=None, skipped=None):
        super().__init__(None, errors, warnings, skipped)
        self.results: list[FileResult] = results if results is not None else []

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
    p = plan_paths(paths, overrides, context=context, exclude=exclude, use_config=use_config, allow_empty=allow_empty)
    return p.targets, p.errors


def plan_paths(
    paths: Iterable[str],
    overrides: Overrides | None = None,
    *,
    context: str | None = None,
    exclude: Iterable[str] = (),
    use_config: bool = True,
    allow_empty: bool = False,
    force_exclude: bool = False,
) -> Plan:
    """Everything decided before any file is read: targets, errors, warnings, what was skipped.

    ``force_exclude`` applies the excludes to files named explicitly too.
    """
    from .targets.discover import expand_paths

    overrides = overrides or Overrides()
    found = expand_paths(list(paths), tuple(exclude), use_config=use_config, allow_empty=allow_empty, force_exclude=force_exclude)
    index = None
    targets, seen = [], set()
    for path, reason in found.templates:
        targets.append(Target(path, None, skip=reason))
    for path in found.files:
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        try:
            settings, error = settings_for(path, overrides, use_config), None
            config = config_path(path) if use_config else None
        except ConfigError as e:
            settings, error, config = None, str(e), None
        if context is not None:
            targets.append(Target(path, settings, (context,), "cli", error, config))
            continue
        if index is None:
            from .targets.compose import ComposeIndex

            index = ComposeIndex(found.compose_files)
        declared = index.contexts(path)
        if declared:
            ordered = sorted(declared)
            source = "compose:" + ",".join(sorted(set(declared.values())))
            targets.append(Target(path, settings, tuple(ordered), source, error, config))
        else:
            targets.append(Target(path, settings, (), "folder", error, config))
    return Plan(targets, found.errors, found.warnings, found.skipped)


def config_path(path: str) -> str | None:
    """The configuration file that governs the Dockerfile ``path`` (``-``: the working directory)."""
    from .targets.config import find_config

    directory = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
    cfg = find_config(directory)
    return cfg.path if cfg else None


def process(target: Target, write: bool = False) -> FileResult:
    """Fix (and with ``write``, write) one target. Never raises."""
    result = fix_target(target)
    if write:
        write_target(result)
    return result


def fix_target(target: Target) -> FileResult:
    """Plan the fixes of one target (nothing is written). Never raises."""
    if target.skip is not None:
        return FileResult(target.path, "skipped", skips=[Skip("DF000", "template", target.skip, 0)])
    if target.error is not None:
        return FileResult(target.path, "failed", context_source=target.context_source, error=target.error)
    try:
        return _fix(target)
    except Exception as e:  # noqa: BLE001 (a bug in one file must not stop the others)
        line = str(e).splitlines()[0] if str(e) else ""
        return FileResult(target.path, "failed", error=f"{target.path}: internal error: {type(e).__name__}: {line}")


def write_target(result: FileResult) -> None:
    """Write a changed result; a file that cannot be written makes the result ``failed``."""
    from .api import write_result

    if result.outcome != "changed":
        return
    try:
        write_result(result)
    except OSError as e:
        result.outcome, result.error = "failed", f"{result.path}: cannot write: {e.strerror or e}"
        result.patched = result.original
    except Exception as e:  # noqa: BLE001
        result.outcome, result.error = "failed", f"{result.path}: cannot write: {type(e).__name__}: {e}"
        result.patched = result.original


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


def default_jobs(files: int | None = None) -> int:
    """The processes that pay for ``files`` files: one below ``MIN_PARALLEL``, else one per core
    with at least ``FILES_PER_WORKER`` files each. (bench/startup.py on a near-idle 2-core machine:
    a pool of 2 breaks even with one process at 48 to 64 files and takes 0.87x its time at 128; on
    a busy machine the pool may lose, as the benchmark's notes explain.)"""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if files is None:
        return cores
    if files < MIN_PARALLEL:
        return 1
    return max(1, min(cores, files // FILES_PER_WORKER))


def run_targets(
    targets: list[Target],
    *,
    write: bool = False,
    jobs: int | None = None,
    on_result: Callable[[FileResult, int, int], None] | None = None,
    keep_text: bool = True,
) -> list[FileResult]:
    """Process targets, in parallel when it pays; results come back in the targets' order.

    ``jobs`` None picks what pays for the number of files (``default_jobs``). Without
    ``keep_text`` the results from workers carry no file texts and no edits (they are not needed
    to report or write). Ctrl-C raises ``Interrupted`` once the workers have stopped.
    """
    total = len(targets)
    jobs = default_jobs(total) if jobs is None else jobs
    results: list[FileResult] = []

    def done(result: FileResult, recorded: bool = False) -> None:
        if not recorded:
            results.append(result)
        if on_result is not None:
            on_result(result, len(results), total)

    if jobs <= 1 or total < MIN_PARALLEL:
        return _run_serial(targets, write, results, done)
    return _run_pool(targets, write, jobs, keep_text, results, done)


def _run_serial(targets, write, results, done) -> list[FileResult]:
    from .dockerfile.writer import signals_deferred

    try:
        for t in targets:
            result = fix_target(t)
            recorded = False
            if write and result.outcome == "changed":
                with signals_deferred():  # written and counted, or neither
                    write_target(result)
                    results.append(result)
                recorded = True
            done(result, recorded)
    except KeyboardInterrupt:
        raise Interrupted(results, len(targets) - len(results)) from None
    return results


# --- the process pool --------------------------------------------------------------------------

_STOP = None  # in a worker: the event the parent sets to stop the run


def _init_worker(stop) -> None:
    import signal

    global _STOP
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the whole group: the parent decides
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _work_chunk(chunk: list[Target], write: bool, keep_text: bool) -> list[FileResult | None]:
    """Process a chunk in a worker; None for files not started because the run was stopped."""
    out: list[FileResult | None] = []
    for t in chunk:
        if _STOP is not None and _STOP.is_set():
            out.append(None)
            continue
        result = process(t, write)
        out.append(result if keep_text else _slim(result))
    return out


def _slim(result: FileResult) -> FileResult:
    """The result without what reporting does not need (file texts, edits): cheap to send back."""
    from dataclasses import replace

    result.original = result.patched = b""
    result.fixes = [replace(f, edits=()) for f in result.fixes]
    result.unapplied = [replace(f, edits=()) for f in result.unapplied]
    return result


def _meets_setup_py(targets) -> bool:
    """True if a target's build context holds a ``setup.py`` at its root (a project read through libcst)."""
    folders = {c for t in targets for c in (t.contexts or (os.path.dirname(t.path) or ".",))}
    return any(os.path.isfile(os.path.join(folder, "setup.py")) for folder in folders)


def _run_pool(targets, write, jobs, keep_text, results, done) -> list[FileResult]:
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from . import api, engine, rules  # noqa: F401  (imported once here, inherited by forked workers)
    from .dockerfile.writer import signals_deferred

    if _meets_setup_py(targets):
        from .project import setup_py  # noqa: F401  (libcst: ~0.15-0.3 s to import, once rather than per worker)

    total = len(targets)
    size = max(1, min(MAX_CHUNK, total // (jobs * 4)))
    chunks = [targets[i : i + size] for i in range(0, total, size)]
    ctx = multiprocessing.get_context()
    stop = ctx.Event()
    workers = min(jobs, len(chunks))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(stop,))
    pending: dict = {}
    ready: list = []  # results received and not yet handed to ``done``
    submitted = collected = 0
    try:
        while collected < len(chunks):
            while submitted < len(chunks) and submitted - collected < 2 * workers:
                # Workers start with Ctrl-C blocked (they inherit the mask) until they ignore it.
                with signals_deferred((signal.SIGINT,)):
                    pending[submitted] = pool.submit(_work_chunk, chunks[submitted], write, keep_text)
                submitted += 1
            try:
                ready = list(pending[collected].result())
            except BrokenProcessPool:  # a worker died: this chunk and every later one fail
                ready = [_died(t) for chunk in chunks[collected:] for t in chunk]
                pending.clear()
                collected = len(chunks)
            else:
                del pending[collected]
                collected += 1
            while ready:
                done(ready[0])
                ready.pop(0)
        pool.shutdown(wait=True)
    except BaseException as exc:  # Ctrl-C, or the caller's callback failed (a closed stdout)
        stop.set()
        if ready and results and results[-1] is ready[0]:
            ready.pop(0)
        finished = ready + _stop_pool(pool, pending)
        results.extend(r for r in finished if r is not None)
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(results, total - len(results)) from None
        raise
    return results


def _died(t: Target) -> FileResult:
    return FileResult(t.path, "failed", error=f"{t.path}: the worker process died (out of memory?)")


def _stop_pool(pool, pending: dict) -> list:
    """Cancel what has not started, let the running chunks finish their file in hand (at most
    ``STOP_GRACE`` seconds, or until a second Ctrl-C), then end the workers. Returns the results
    the running chunks produced."""
    import time
    from concurrent.futures import CancelledError

    for f in pending.values():
        f.cancel()
    out: list = []
    deadline = time.monotonic() + STOP_GRACE
    try:
        for index in sorted(pending):
            f = pending[index]
            try:
                out.extend(f.result(timeout=max(0.0, deadline - time.monotonic())))
            except (CancelledError, Exception):  # cancelled, timed out, or the worker died
                continue
    except KeyboardInterrupt:  # a second Ctrl-C: do not wait
        pass
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        if p.is_alive():
            p.terminate()  # a worker writing a file ends after the write (signals are deferred there)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.join(timeout=STOP_GRACE)
        if p.is_alive():
            p.kill()
            p.join()
    return out


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
    force_exclude: bool = False,
) -> Run:
    """Find the Dockerfiles below ``paths`` and fix them (``write=True`` writes the changes).

    ``overrides`` are the settings given explicitly (they win over each file's configuration);
    ``context`` is the build context for every file (otherwise: Compose files, then the folder);
    ``on_result(result, done, total)`` is called in the calling process as results arrive.
    """
    p = plan_paths(paths, overrides, context=context, exclude=exclude, use_config=use_config, allow_empty=allow_empty,
                   force_exclude=force_exclude)
    return Run(run_targets(p.targets, write=write, jobs=jobs, on_result=on_result), p.errors, p.warnings, p.skipped)
