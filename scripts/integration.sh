#!/bin/bash
# The integration tier from a clean checkout: start the build lab (Docker daemon with BuildKit,
# python:3.11-slim-like base image, counting package index), run the tests marked
# `integration`, stop the lab again if this script started it.  Extra arguments go to pytest.
# Needs root, the Debian mirror and PyPI; about 4-5 minutes on a fresh 2-core machine.
#   PYTHON   interpreter with dockfix and its test extras (default: .venv/bin/python, else python3)
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${BUILDLAB_DIR:-/tmp/dockfix-buildlab}
PY=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}

"$PY" -c 'import dockfix, pytest' 2>/dev/null || { echo "integration.sh: $PY lacks dockfix or pytest: pip install -e '.[test]'" >&2; exit 2; }
was_up=no
[ -f "$DIR/run/dockerd.pid" ] && kill -0 "$(cat "$DIR/run/dockerd.pid")" 2>/dev/null && was_up=yes
[ $was_up = yes ] || trap 'scripts/buildlab/stop.sh' EXIT

scripts/buildlab/setup.sh || exit 1
. "$DIR/env.sh"
"$PY" -m pytest -m integration tests/integration -v "$@"
