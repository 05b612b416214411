#!/usr/bin/env python3
"""A small PEP 503 package index over a folder of wheels, that counts downloads.

Standard library only, so it runs with any python3 >= 3.8.

    indexserver.py --dir WHEELS [--host 127.0.0.1] [--port 3141] [--log FILE]
                   [--kbps N] [--latency-ms N]

Endpoints
    /simple/                project list
    /simple/<project>/      links to the project's files, with #sha256= fragments
    /packages/<file>        the file (Range requests get 206 and are not counted)
    /stats                  JSON: {"package_downloads": n, "downloads": [file names],
                            "partial": n, "pages": n, "requests": n, "throttle": {...}}
    /reset                  zero the counters (any method); answers like /stats
    /throttle?kbps=N&latency_ms=M
                            imitate a real network from now on (0 = off): every /simple/
                            and /packages/ answer waits M ms, package files are sent at
                            N KiB/s.  Without a query it only shows the settings.

Package files carry PyPI's "Cache-Control: max-age=365000000, immutable" header: pip reuses
its HTTP cache (and so a cache mount) only with that header, and only for https or
trusted-host indexes (the lab's pip.conf sets trusted-host).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

EXTS = (".whl", ".tar.gz", ".zip")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return normalize(filename.split("-", 1)[0])
    for ext in EXTS:
        if filename.endswith(ext):
            return normalize(filename[: -len(ext)].rsplit("-", 1)[0])
    return None


class State:
    def __init__(self, folder: str, log: str | None, kbps: float, latency_ms: float):
        self.folder = folder
        self.log = log
        self.lock = threading.Lock()
        self.hashes: dict[tuple, str] = {}
        self.throttle = {"kbps": kbps, "latency_ms": latency_ms}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.counters = {"requests": 0, "pages": 0, "package_downloads": 0, "partial": 0}
            self.downloads: list[str] = []

    def stats(self) -> dict:
        with self.lock:
            return dict(self.counters, downloads=list(self.downloads), throttle=dict(self.throttle))

    def projects(self) -> dict[str, list[str]]:
        # Read the folder on every request: wheels added later are served without a restart.
        out: dict[str, list[str]] = {}
        for fn in sorted(os.listdir(self.folder)):
            p = project_of(fn)
            if p:
                out.setdefault(p, []).append(fn)
        return out

    def sha256(self, fn: str) -> str:
        path = os.path.join(self.folder, fn)
        st = os.stat(path)
        key = (fn, st.st_size, st.st_mtime_ns)
        if key not in self.hashes:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            self.hashes[key] = h.hexdigest()
        return self.hashes[key]


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the request log below replaces stderr logging
        pass

    def send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=None, rate=0.0):
        if self.path.startswith(("/simple", "/packages")) and self.state.throttle["latency_ms"]:
            time.sleep(self.state.throttle["latency_ms"] / 1000.0)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            step = 64 * 1024
            for i in range(0, len(body), step):
                self.wfile.write(body[i : i + step])
                if rate:
                    time.sleep(min(step, len(body) - i) / (rate * 1024.0))
        with self.state.lock:
            self.state.counters["requests"] += 1
            if self.state.log:
                with open(self.state.log, "a") as f:
                    f.write("%.3f %s %s %d %d\n" % (time.time(), self.command, self.path, status, len(body)))

    def send_json(self, obj):
        self.send(200, (json.dumps(obj, indent=1) + "\n").encode(), "application/json")

    def do_POST(self):
        self.do_GET()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        path = unquote(url.path)
        st = self.state
        if path == "/stats":
            return self.send_json(st.stats())
        if path == "/reset":
            st.reset()
            return self.send_json(st.stats())
        if path == "/throttle":
            for key, vals in parse_qs(url.query).items():
                if key in st.throttle:
                    st.throttle[key] = float(vals[0])
            return self.send_json(st.throttle)
        if path in ("/", "/simple"):
            return self.send(301, headers={"Location": "/simple/"})
        if path == "/simple/":
            links = "".join('<a href="/simple/%s/">%s</a>\n' % (p, p) for p in st.projects())
            return self.send(200, ("<!DOCTYPE html><html><body>\n%s</body></html>\n" % links).encode())
        m = re.fullmatch(r"/simple/([^/]+)/?", path)
        if m:
            want = normalize(m.group(1))
            if m.group(1) != want or not path.endswith("/"):
                return self.send(301, headers={"Location": "/simple/%s/" % want})
            files = st.projects().get(want)
            if not files:
                return self.send(404, b"not found\n", "text/plain")
            with st.lock:
                st.counters["pages"] += 1
            links = "".join(
                '<a href="/packages/%s#sha256=%s">%s</a><br/>\n' % (quote(fn), st.sha256(fn), html.escape(fn))
                for fn in files
            )
            body = "<!DOCTYPE html><html><body>\n%s</body></html>\n" % links
            return self.send(200, body.encode(), headers={"Cache-Control": "max-age=600, public"})
        m = re.fullmatch(r"/packages/([^/]+)", path)
        if m and project_of(m.group(1)) and os.path.isfile(os.path.join(st.folder, m.group(1))):
            with open(os.path.join(st.folder, m.group(1)), "rb") as f:
                data = f.read()
            headers = {"Cache-Control": "max-age=365000000, immutable, public", "Accept-Ranges": "bytes"}
            rng = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
            if rng and rng.group(1) + rng.group(2):
                # Metadata peeks (pip/uv/poetry "lazy wheel"): served, counted apart.
                a, b = rng.groups()
                start = len(data) - int(b) if not a else int(a)
                end = len(data) - 1 if (not a or not b) else min(int(b), len(data) - 1)
                start = max(start, 0)
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
                with st.lock:
                    st.counters["partial"] += 1
                return self.send(206, data[start : end + 1], "application/octet-stream", headers)
            if self.command == "GET":
                with st.lock:
                    st.counters["package_downloads"] += 1
                    st.downloads.append(m.group(1))
            return self.send(200, data, "application/octet-stream", headers, rate=st.throttle["kbps"])
        return self.send(404, b"not found\n", "text/plain")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="folder of wheels")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3141)
    ap.add_argument("--log", help="append one line per request to this file")
    ap.add_argument("--kbps", type=float, default=0, help="package file bandwidth, KiB/s (0 = unlimited)")
    ap.add_argument("--latency-ms", type=float, default=0, help="delay before each answer")
    a = ap.parse_args()
    Handler.state = State(os.path.abspath(a.dir), a.log, a.kbps, a.latency_ms)
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    print("serving %s on http://%s:%d/simple/" % (a.dir, a.host, a.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
