"""Docker and BuildKit for ``dockfix verify`` and the benchmark: finding a client that builds
with BuildKit, building with plain progress (time, steps, cache hits, index downloads),
reading a ``# syntax=`` directive. Comparing two images is ``imagediff``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BUILD_TIMEOUT = 1800.0  # seconds, per docker build

INSTALL_RE = re.compile(
    r"\b(pip3?(\.\d+)?|poetry|pipenv|pdm|conda|mamba|micromamba)\b[^;&|]*\b(install|sync)\b"
    r"|\buv\b[^;&|]*\b(sync|install)\b"
)


class VerifyError(Exception):
    """The environment cannot run the verification (exit code 2). One line, no traceback."""


# --- the package index counter -------------------------------------------------------------


class Index:
    """Client of the build lab's index (scripts/buildlab/indexserver.py): /stats, /throttle."""

    def __init__(self, url: str):
        self.url = re.sub(r"/simple/?$", "", url.rstrip("/"))

    def _get(self, path: str) -> dict:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return json.load(r)
        except (OSError, ValueError) as e:
            raise VerifyError(f"package index {self.url} does not answer {path}: {e}") from None

    def downloads(self) -> list[str]:
        """Every package file downloaded (full GET) since the index started or was reset."""
        return list(self._get("/stats")["downloads"])

    def throttle(self, kbps: float = 0, latency_ms: float = 0) -> None:
        self._get(f"/throttle?kbps={kbps:g}&latency_ms={latency_ms:g}")


# --- docker --------------------------------------------------------------------------------


@dataclass
class Docker:
    exe: str
    network: str | None = None  # --network for builds; "host" when the daemon has no bridge
    env: dict = field(default_factory=dict, repr=False)

    note: str | None = field(default=None, repr=False)  # which client, when others were passed over

    @classmethod
    def detect(cls) -> Docker:
        """Find a client that builds with BuildKit, check the daemon; raise VerifyError (one line,
        saying what to do) if there is none.

        ``$DOCKFIX_DOCKER`` names the client; otherwise every ``docker`` on the ``PATH`` is tried in
        order, then the usual places (``/usr/bin/docker``, ...): a Docker 23+ client without the
        buildx plugin cannot build with BuildKit, while an older one (20.10) has it built in."""
        chosen = os.environ.get("DOCKFIX_DOCKER")
        candidates = [shutil.which(chosen) or chosen] if chosen else _clients()
        if chosen and not shutil.which(chosen):
            raise VerifyError(f"DOCKFIX_DOCKER={chosen}: no such program; point it at a Docker client, or unset it")
        if not candidates:
            raise VerifyError("docker not found: install Docker (with the buildx plugin), or set DOCKFIX_DOCKER to its client")
        passed: list[tuple[str, str]] = []  # (client, why not)
        for exe in candidates:
            d = cls(exe, env=dict(os.environ, DOCKER_BUILDKIT="1"))
            p = d.run("version", "--format", "{{.Server.Version}}", timeout=30)
            if p.returncode != 0:
                why = _first_line(p.stdout)
                low = why.lower()
                if "cannot connect" in low or "daemon running" in low or "permission denied" in low:
                    raise VerifyError(f"the Docker daemon is not reachable: {why}; start it, or set DOCKER_HOST")
                passed.append((exe, why))
                continue
            why = d._buildkit_problem()
            if why:
                passed.append((exe, why))
                continue
            if passed:
                d.note = f"using {exe}; " + "; ".join(f"{e} passed over: {w}" for e, w in passed)
            d.network = os.environ.get("DOCKFIX_BUILD_NETWORK") or (
                None if d.run("network", "inspect", "bridge", timeout=30).returncode == 0 else "host"
            )
            return d
        exe, why = passed[0]
        tried = f" (also tried: {', '.join(e for e, _ in passed[1:])})" if len(passed) > 1 else ""
        if "buildx" in why:
            todo = ("install the buildx plugin for it (from Docker's apt repository: apt-get install "
                    "docker-buildx-plugin; or the buildx binary at ~/.docker/cli-plugins/docker-buildx), or set "
                    "DOCKFIX_DOCKER to a client that builds with BuildKit")
        else:
            todo = "install Docker 23 or later with the buildx plugin, or set DOCKFIX_DOCKER to a client that builds with BuildKit"
        raise VerifyError(f"BuildKit is not available with {exe} ({why}){tried}: {todo}")

    def _buildkit_problem(self) -> str | None:
        """None when this client builds with BuildKit (a tiny build to nowhere), else why not."""
        probe = self.run(
            "build", "--progress=plain", "-o", f"type=tar,dest={os.devnull}", "-",
            input="FROM scratch\nLABEL dockfix.verify.probe=1\n", timeout=60,
        )
        if probe.returncode == 0 and "load build definition" in probe.stdout:
            return None
        m = re.search(r"Successfully built ([0-9a-f]+)", probe.stdout)
        if m:  # the legacy builder ran and left an image
            self.run("rmi", m.group(1), timeout=60)
        return _first_line(probe.stdout) if probe.returncode else "the legacy builder answered"

    def run(self, *args: str, input: str | None = None, timeout: float | None = None):
        try:
            return subprocess.run(
                [self.exe, *args], input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, errors="replace", env=self.env or None, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 124, f"timed out after {timeout:g} s: docker {args[0]}")
        except OSError as e:
            raise VerifyError(f"cannot run {self.exe}: {e}") from None

    def remove_images(self, *refs: str) -> None:
        refs = tuple(r for r in refs if r)
        if refs:
            self.run("rmi", *refs, timeout=120)

    def prune_build_cache(self) -> None:
        """Drop the whole build cache, cache mounts included (the lab's daemon only!)."""
        self.run("builder", "prune", "-af", timeout=300)


WELL_KNOWN = ("/usr/bin/docker", "/usr/local/bin/docker", "/bin/docker", "/snap/bin/docker")


def _clients() -> list[str]:
    """Every ``docker`` on the PATH, in order, then the usual places; each program once."""
    found: list[str] = []
    seen: set[str] = set()
    dirs = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d]
    for path in [os.path.join(d, "docker") for d in dirs] + list(WELL_KNOWN):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                found.append(path)
    return found


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith(("error", "failed"))]
    return (errors or lines or ["no output"])[0][:300]


# --- building ------------------------------------------------------------------------------


@dataclass
class Step:
    name: str  # as BuildKit prints it: "[stage-1 3/5] RUN pip install ..."
    cached: bool = False
    seconds: float | None = None
    failed: bool = False

    @property
    def install(self) -> bool:
        instruction = self.name.split("] ", 1)[-1]
        return instruction.startswith("RUN") and bool(INSTALL_RE.search(instruction))


@dataclass
class Build:
    ok: bool
    seconds: float
    image: str | None  # image id
    steps: list[Step]
    downloads: list[str] | None  # package files fetched from the index, if one is watched
    error: str | None = None
    log: str = field(default="", repr=False)

    @property
    def install_steps(self) -> list[Step]:
        return [s for s in self.steps if s.install]

    def summary(self) -> str:
        if not self.ok:
            return f"FAILED after {self.seconds:.1f} s: {self.error}"
        inst = self.install_steps
        ran = [s for s in inst if not s.cached]
        text = f"{self.seconds:.1f} s"
        if inst:
            text += f", install steps: {len(inst) - len(ran)} cached, {len(ran)} ran"
            if ran:
                text += " (%.1f s)" % sum(s.seconds or 0 for s in ran)
        if self.downloads is not None:
            text += f", {len(self.downloads)} package downloads"
        return text


_VERTEX = re.compile(r"^#(\d+) (.*)$")
_STEP = re.compile(r"^\[(?:[^\]]* )?\d+/\d+\] ")


def parse_progress(log: str) -> list[Step]:
    """Steps of a ``--progress=plain`` BuildKit log, in order of appearance."""
    steps: dict[str, Step] = {}
    for line in log.splitlines():
        m = _VERTEX.match(line)
        if not m:
            continue
        num, rest = m.groups()
        if num not in steps:
            if _STEP.match(rest):
                steps[num] = Step(rest)
            continue
        st = steps[num]
        if rest == "CACHED":
            st.cached = True
        elif rest.startswith("DONE "):
            st.seconds = float(rest[5:].rstrip("s") or 0)
        elif rest.startswith("ERROR"):
            st.failed = True
    return list(steps.values())


def build(
    docker: Docker, context: Path, dockerfile: Path, tag: str, index: Index | None = None,
    timeout: float = BUILD_TIMEOUT,
) -> Build:
    """``docker build`` with BuildKit's plain progress; time, steps and index downloads."""
    iidfile = dockerfile.with_name(dockerfile.name + ".iid")
    iidfile.unlink(missing_ok=True)
    args = ["build", "--progress=plain", "-f", str(dockerfile), "-t", tag, "--iidfile", str(iidfile)]
    if docker.network:
        args.append(f"--network={docker.network}")
    before = len(index.downloads()) if index else 0
    t0 = time.monotonic()
    p = docker.run(*args, str(context), timeout=timeout)
    seconds = time.monotonic() - t0
    downloads = index.downloads()[before:] if index else None
    image = iidfile.read_text().strip() if p.returncode == 0 and iidfile.exists() else None
    error = None if p.returncode == 0 else build_error(p.stdout)
    return Build(p.returncode == 0, seconds, image, parse_progress(p.stdout), downloads, error, p.stdout)


def build_error(log: str) -> str:
    """One line for a failed build: the failing step and the last error its output printed."""
    lines = log.splitlines()
    failed = [m for m in (re.match(r"#(\d+) ERROR:? ?(.*)", ln) for ln in lines) if m]
    if not failed:
        return _first_line("\n".join(lines[-3:]))
    num, message = failed[-1].groups()
    name = next((ln.split(" ", 1)[1] for ln in lines if ln.startswith(f"#{num} [")), f"#{num}")
    output = [ln.split(" ", 2)[2] for ln in lines if re.match(rf"#{num} \d+\.\d+ ", ln)]
    errors = [ln for ln in output if re.search(r"error|not found|denied", ln, re.I)]
    return f"{name}: {(errors or [message])[-1]}"[:400]


def strip_syntax(data: bytes) -> tuple[bytes, str | None]:
    """Drop a ``# syntax=`` parser directive: BuildKit would pull that frontend image."""
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = re.match(rb"^(?:\xef\xbb\xbf)?[ \t]*#[ \t]*([A-Za-z]+)[ \t]*=[ \t]*(\S.*?)\s*$", line)
        if not m:
            break
        if m.group(1).lower() == b"syntax":
            bom = b"\xef\xbb\xbf" if i == 0 and line.startswith(b"\xef\xbb\xbf") else b""
            return bom + b"".join(lines[:i] + lines[i + 1 :]), line[len(bom) :].strip().decode("utf-8", "replace")
    return data, None
