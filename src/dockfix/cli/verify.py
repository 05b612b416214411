"""``dockfix verify``: prove a rewrite by real BuildKit builds.

For each Dockerfile: rewrite it with dockfix, build the original and the rewritten file, each from
its own temporary copy of the build context (the user's files are never touched), compare the two
final images (file tree with contents, owners and modes; image config), then make a code-only
change in both copies, rebuild, and report the time saved and whether the install step was reused.

The pieces are public so that the integration tests and the benchmark use the same code:
``Docker.detect``, ``build``, ``compare_images``, ``Index`` (the download counter of
scripts/buildlab/indexserver.py), in ``dockfix.cli.buildkit`` and ``dockfix.cli.imagediff``, importable from here too, and
``simulate_code_change`` and ``verify_file``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .buildkit import (  # noqa: F401  (public here too: the integration tests and the benchmark)
    BUILD_TIMEOUT,
    INSTALL_RE,
    Build,
    Docker,
    Index,
    Step,
    VerifyError,
    build,
    build_error,
    parse_progress,
    strip_syntax,
)
from .imagediff import (  # noqa: F401  (public here too)
    _IGNORED_RE,
    CACHE_FOLDERS,
    CONFIG_KEYS,
    IGNORED,
    Comparison,
    Entry,
    compare_images,
    compare_trees,
    image_config,
    image_tree,
    is_ignored,
)

# Files a rewrite may copy before the install step: never the target of a simulated code change.
MANIFEST_RE = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|requirements/[^/]+|pyproject\.toml|"
    r"setup\.(py|cfg)|MANIFEST\.in|poetry\.lock|uv\.lock|uv\.toml|pdm\.lock|Pipfile(\.lock)?|"
    r"\.python-version|environment\.ya?ml|[^/]*Dockerfile[^/]*|\.dockerignore)$",
    re.I,
)
# --- the code-only change ------------------------------------------------------------------


def simulate_code_change(context: Path, dockerfile: Path | None = None) -> str:
    """Append a comment to one source file of the context that the build sees (not a manifest,
    not .dockerignored; ``dockerfile`` for its own ``<name>.dockerignore``); say which.

    The comment is unique, so the changed file never matches a layer cached by an earlier run.
    """
    from ..build.context import BuildContext

    mark = f"# dockfix verify: simulated code change {uuid.uuid4().hex}\n"
    facts = BuildContext(context)
    facts.set_dockerfile(dockerfile)
    candidates = []
    for top, dirs, names in os.walk(context):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .git, .venv, ...
        for name in names:
            rel = (Path(top) / name).relative_to(context).as_posix()
            if name.endswith(".py") and not os.path.islink(Path(top) / name):
                if not MANIFEST_RE.search(rel) and not facts.is_ignored(rel):
                    candidates.append((rel.count("/"), rel))
    if candidates:
        rel = min(candidates)[1]
        with open(context / rel, "a") as f:
            f.write("\n" + mark)
        return f"appended a comment to {rel}"
    rel = "dockfix_verify_change.py"
    (context / rel).write_text(mark)
    return f"added {rel}"


# --- one Dockerfile, end to end ------------------------------------------------------------


@dataclass
class Report:
    path: str
    context: str
    status: str  # verified | differs | unchanged | skipped | original-fails | rewritten-fails | error
    outcome: str | None = None  # dockfix's: changed | unchanged | skipped | failed
    notes: list[str] = field(default_factory=list)
    original: Build | None = None
    rewritten: Build | None = None
    comparison: Comparison | None = None
    change: str | None = None
    original_rebuild: Build | None = None
    rewritten_rebuild: Build | None = None
    workdir: str | None = None  # kept (keep=True or a caller's): {original,rewritten}[.Dockerfile]
    tags: tuple[str, str] | None = None  # original, rewritten
    images: list[str] = field(default_factory=list)  # ids of every image built

    @property
    def time_saved(self) -> float | None:
        if self.original_rebuild and self.rewritten_rebuild:
            return self.original_rebuild.seconds - self.rewritten_rebuild.seconds
        return None

    @property
    def install_reused(self) -> bool | None:
        """After the code change, the rewritten build took its install step(s) from the cache."""
        r = self.rewritten_rebuild
        if not r or not r.ok:
            return None
        return any(s.cached for s in r.install_steps) and not r.downloads

    def to_dict(self) -> dict:
        def clean(obj):
            if isinstance(obj, Build):
                d = {f.name: clean(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name != "log"}
                return d
            if dataclasses.is_dataclass(obj):
                return {f.name: clean(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            if isinstance(obj, (list, tuple)):
                return [clean(x) for x in obj]
            return obj

        d = clean(self)
        d.update(time_saved=self.time_saved, install_reused=self.install_reused)
        return d

    def format(self) -> str:
        out = [f"{self.path} (context {self.context}): {self.status}"]
        out += [f"  note: {n}" for n in self.notes]
        for k, b in (("build original", self.original), ("build rewritten", self.rewritten)):
            if b:
                out.append(f"  {k:<18} {b.summary()}")
        if self.comparison:
            c = self.comparison
            verdict = f"equal ({c.paths} paths compared)" if c.equal else f"DIFFER ({len(c.differences)} differences)"
            out.append(f"  {'images':<18} {verdict}")
            out += [f"    {d}" for d in c.differences[:20]]
            if len(c.differences) > 20:
                out.append(f"    ... {len(c.differences) - 20} more")
        if self.change:
            out.append(f"  {'code change':<18} {self.change}")
        for k, b in (("rebuild original", self.original_rebuild), ("rebuild rewritten", self.rewritten_rebuild)):
            if b:
                out.append(f"  {k:<18} {b.summary()}")
        if self.time_saved is not None:
            reused = {True: "yes", False: "NO", None: "unknown"}[self.install_reused]
            out.append(f"  {'per code change':<18} {self.time_saved:.1f} s saved; install step reused: {reused}")
        if self.workdir and self.tags:
            out.append(f"  {'kept':<18} {self.workdir} (context copies, Dockerfiles); images {', '.join(self.tags)}")
        return "\n".join(out)


def rewrite(data: bytes, path: Path, context: Path, settings=None):
    """dockfix's rewrite through its library API (a FileResult)."""
    from ..api import fix_bytes

    return fix_bytes(data, str(path), str(context), settings)


def verify_file(
    docker: Docker,
    dockerfile: Path,
    context: Path | None = None,
    *,
    rewritten: bytes | None = None,
    index: Index | None = None,
    workdir: Path | None = None,
    keep: bool = False,
    settings=None,
    say=lambda line: None,
) -> Report:
    """Build, compare, change code, rebuild. ``rewritten`` overrides dockfix's output (tests).

    With ``workdir`` (or ``keep``) the context copy, the two Dockerfiles and the images are left
    for the caller (``report.workdir``, ``report.tags``); otherwise everything is removed.
    """
    report = Report(str(dockerfile), str(context or Path(dockerfile).parent), "error")
    dockerfile = Path(dockerfile).resolve()
    context = Path(context).resolve() if context else dockerfile.parent
    data = dockerfile.read_bytes()
    if rewritten is None:
        result = rewrite(data, dockerfile, context, settings)
        report.outcome = result.outcome
        if result.outcome != "changed":
            report.status = {"unchanged": "unchanged", "skipped": "skipped"}.get(result.outcome, "error")
            reasons = [f"line {s.lineno}: {s.reason}" for s in result.skips] + ([result.error] if result.error else [])
            report.notes += [f"dockfix: {result.outcome}"] + reasons
            return report
        rewritten = result.patched
    else:
        report.outcome = "changed" if rewritten != data else "unchanged"

    own_workdir = workdir is None
    work = Path(tempfile.mkdtemp(prefix="dockfix-verify-")) if own_workdir else Path(workdir)
    tag = "dockfix-verify:" + hashlib.sha256(str(dockerfile).encode()).hexdigest()[:10]
    report.tags = (tag + "-original", tag + "-rewritten")
    try:
        files = {}
        for name, text in (("original", data), ("rewritten", rewritten)):
            # One context copy per file: each rebuild sees a change no earlier build has seen.
            shutil.copytree(context, work / name, symlinks=True)
            stripped, directive = strip_syntax(text)
            if directive:
                report.notes.append(f"{name}: built without its '{directive}' line (BuildKit would pull the frontend image)")
            files[name] = work / f"{name}.Dockerfile"
            files[name].write_bytes(stripped)
            own_ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
            if own_ignore.is_file():
                shutil.copy(own_ignore, work / f"{name}.Dockerfile.dockerignore")

        def run(name: str, tag: str) -> Build:
            say(f"  building {name} ...")
            which = name.split()[0]
            b = build(docker, work / which, files[which], tag, index)
            if b.image:
                report.images.append(b.image)
            return b

        report.original = run("original", report.tags[0])
        if not report.original.ok:
            report.status = "original-fails"
            return report
        report.rewritten = run("rewritten", report.tags[1])
        if not report.rewritten.ok:
            report.status = "rewritten-fails"
            return report
        say("  comparing images ...")
        report.comparison = compare_images(docker, report.original.image, report.rewritten.image)
        report.change = simulate_code_change(work / "original", files["original"])
        simulate_code_change(work / "rewritten", files["rewritten"])
        report.original_rebuild = run("original after the code change", report.tags[0])
        report.rewritten_rebuild = run("rewritten after the code change", report.tags[1])
        if not report.rewritten_rebuild.ok:
            report.status = "rewritten-fails"
        elif not report.comparison.equal:
            report.status = "differs"
        else:
            report.status = "verified"
        if report.original_rebuild.ok and not any(not s.cached for s in report.original_rebuild.steps):
            report.notes.append("the code change did not reach the build (every step of the original was cached)")
        return report
    except (OSError, VerifyError) as e:
        report.status = "error"
        report.notes.append(str(e))
        return report
    finally:
        if keep or not own_workdir:
            report.workdir = str(work)
            if keep:  # only the images the tags name now
                finals = (report.original_rebuild or report.original, report.rewritten_rebuild or report.rewritten)
                last = {b.image for b in finals if b}
                docker.remove_images(*(i for i in report.images if i not in last))
        else:
            docker.remove_images(*report.tags, *report.images)
            shutil.rmtree(work, ignore_errors=True)


def verify_main(
    paths: list[Path],
    context: Path | None,
    keep: bool = False,
    json_out: bool = False,
    index_url: str | None = None,
    settings=None,
) -> int:
    """``dockfix verify PATH... [--context DIR]``. Exit 0: every file verified (or left unchanged
    by dockfix); 1: a rewritten file failed to build or its image differs; 2: no usable Docker,
    bad usage.

    The report goes to stdout (text, or JSON with ``json_out``); progress and errors to stderr.
    ``index_url`` (default: $DOCKFIX_INDEX_URL) is a build-lab index whose /stats counts downloads;
    ``settings`` (dockfix.dockerfile.model.Settings) select the rules as for a rewrite.
    """

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    files = [Path(p) / "Dockerfile" if Path(p).is_dir() else Path(p) for p in paths]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _error(f"no such Dockerfile: {missing[0]}")
        return 2
    if context is not None and not Path(context).is_dir():
        _error(f"{context}: build context is not a directory")
        return 2
    try:
        docker = Docker.detect()
        if docker.note:
            say(f"dockfix verify: {docker.note}")
        index_url = index_url or os.environ.get("DOCKFIX_INDEX_URL")
        index = Index(index_url) if index_url else None
        if index:
            index.downloads()
        reports = []
        for f in files:
            say(f"{f}: verifying")
            report = verify_file(docker, f, context, index=index, keep=keep, settings=settings, say=say)
            reports.append(report)
            if not json_out:
                print(report.format(), flush=True)
    except VerifyError as e:
        _error(str(e))
        return 2
    if json_out:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    return 0 if all(r.status in ("verified", "unchanged", "skipped") for r in reports) else 1


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def cli(argv: list[str]) -> int:
    """``dockfix verify`` on the command line (``argv`` after the word ``verify``)."""
    import argparse

    from ..targets.config import option_codes as _codes
    from ..targets.config import unknown_codes
    from ..dockerfile.model import Settings
    from .report import argument_parser

    ap = argument_parser(
        prog="dockfix verify",
        description="Build each Dockerfile and dockfix's rewrite of it with BuildKit, compare the images, "
        "and measure a rebuild after a code-only change. Needs Docker with BuildKit. The report goes to "
        "stdout, progress to stderr. Exit 0: verified (or nothing to rewrite); 1: the rewrite failed to "
        "build or its image differs; 2: no usable Docker, bad usage.",
    )
    ap.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="Dockerfiles or folders holding one")
    ap.add_argument("--context", type=Path, metavar="DIR", help="the build context (default: each Dockerfile's folder)")
    ap.add_argument("--keep", action="store_true", help="keep the images and the context copies")
    ap.add_argument("--format", default="text", type=str.lower, choices=("text", "json"), help="stdout: text (default) or json")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the spelling before --format json
    ap.add_argument("--index", metavar="URL", help="a build-lab index that counts downloads (default: $DOCKFIX_INDEX_URL)")
    ap.add_argument("--select", action="append", metavar="CODES", help="only these rule codes (comma separated)")
    ap.add_argument("--ignore", action="append", metavar="CODES", help="skip these rule codes (comma separated)")
    ap.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes marked unsafe")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, already printed)
        return int(e.code or 0)
    select, ignore = _codes(a.select), _codes(a.ignore) or frozenset()
    unknown = unknown_codes((select or frozenset()) | ignore)
    if unknown:
        from ..rules import BY_CODE

        _error(f"unknown rule code {unknown[0]} (known: {', '.join(BY_CODE)})")
        return 2
    settings = Settings(select=select, ignore=ignore, unsafe_fixes=a.unsafe_fixes)
    try:
        return verify_main(a.paths, a.context, a.keep, a.json or a.format == "json", index_url=a.index, settings=settings)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130

