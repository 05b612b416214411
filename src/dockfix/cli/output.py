"""What the command line prints on stdout and the terminal: diffs (coloured or not), JSON, the
patched Dockerfile, the progress bar of long runs. A closed stdout raises ``StdoutClosed``."""

from __future__ import annotations

import os
import sys

PROGRESS_MIN = 100  # files: fewer finish before a bar would be worth drawing


class ProgressBar:
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


def tty(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def color(stream, flag: bool | None) -> bool:
    """--color/--no-color, else FORCE_COLOR (set and not 0), else NO_COLOR, else a terminal."""
    if flag is not None:
        return flag
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return tty(stream)


def colorize(diff: str) -> str:
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


class StdoutClosed(Exception):
    """The reader of stdout went away (``dockfix DIR | head -1``): the run ends quietly."""


class Output:
    """stdout. A closed pipe raises StdoutClosed, which stops the run without a message."""

    def __init__(self, color: bool = False):
        self.color = color

    def raw(self, data: bytes) -> None:
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise StdoutClosed() from None

    def diff(self, path: str, before: bytes, after: bytes) -> None:
        from ..dockerfile.writer import unified_diff

        text = unified_diff(path, before, after)
        if text:
            self.raw((colorize(text) if self.color else text).encode("utf-8", "surrogateescape"))

    def json(self, doc: dict) -> None:
        import json

        self.raw((json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape"))

    def write(self, text: str) -> None:  # a text stream for report.statistics
        self.raw(text.encode("utf-8", "surrogateescape"))
