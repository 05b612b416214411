#!/bin/bash
# Start the build lab: a Docker daemon with BuildKit, a Python base image tagged like the
# official python:3.11-slim, and a local package index that counts downloads.  Offline apart
# from the Debian mirror (apt sources of this machine) and PyPI (this machine's pip config).
# Idempotent: each step is skipped when its result is already there.  Run as root.
#
#   scripts/buildlab/setup.sh          then:   . $BUILDLAB_DIR/env.sh
#
# Settings (environment):
#   BUILDLAB_DIR         state folder                         (/tmp/dockfix-buildlab)
#   BUILDLAB_INDEX_PORT  index port on 127.0.0.1              (3141; fixtures assume it)
#   BUILDLAB_EXTRA_TAGS  more names for the base image, e.g. "python:3.12-slim" (still 3.11)
#   BUILDLAB_EXTRA_PACKAGES  more requirements to serve, downloaded with their dependencies
#                        (to verify your own projects in the lab; the tests need none)
#
# The daemon listens on its own socket ($BUILDLAB_DIR/docker.sock), has no bridge network and
# leaves iptables alone: builds must use --network=host (dockfix verify does this by itself
# when there is no bridge network).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${BUILDLAB_DIR:-/tmp/dockfix-buildlab}
PORT=${BUILDLAB_INDEX_PORT:-3141}
SOCK=$DIR/docker.sock
DOCKER=/usr/bin/docker   # Debian's client: BuildKit built in (newer clients need buildx)
RUN=$DIR/run LOGS=$DIR/logs WHEELS=$DIR/wheels
T0=$SECONDS
log() { printf '[buildlab %3ss] %s\n' $((SECONDS - T0)) "$*"; }
die() { echo "buildlab: $*" >&2; exit 1; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
docker_ok() { [ -x $DOCKER ] && $DOCKER -H "unix://$SOCK" info >/dev/null 2>&1; }

[ "$(id -u)" = 0 ] || die "run as root"
mkdir -p "$RUN" "$LOGS" "$WHEELS"

# -- 1. Debian packages --------------------------------------------------------------------
need=()
for p in docker.io mmdebstrap curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -q >"$LOGS/apt.log" 2>&1 || die "apt-get update failed, see $LOGS/apt.log"
  # Keep the package scripts from starting a dockerd with a bridge and iptables rules.
  made_policy=
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >>"$LOGS/apt.log" 2>&1 \
    || { [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d; die "apt-get install failed, see $LOGS/apt.log"; }
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

# -- 2. wheels for the index (in the background while the daemon and image are made) -------
want=$(grep -v '^#' "$HERE/packages.txt" | sha256sum | cut -c1-16)
fetch() {  # wheels for the image's Python (Debian bookworm: CPython 3.11, glibc 2.36)
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any -d "$WHEELS" "$@"
}
wheels_pid=
if [ "$(cat "$WHEELS/.done" 2>/dev/null)" != "$want" ]; then
  log "pip download of $(grep -vc '^#' "$HERE/packages.txt") pinned wheels (cp311, manylinux)"
  { fetch --no-deps -r "$HERE/packages.txt" >"$LOGS/pip-download.log" 2>&1 && echo "$want" >"$WHEELS/.done"; } &
  wheels_pid=$!
fi
extra=${BUILDLAB_EXTRA_PACKAGES:-}
if [ -n "$extra" ] && [ "$(cat "$WHEELS/.extra" 2>/dev/null)" != "$extra" ]; then
  if [ -n "$wheels_pid" ]; then  # one pip at a time in the folder
    wait "$wheels_pid" || die "pip download failed, see $LOGS/pip-download.log"; wheels_pid=
  fi
  log "pip download $extra (with dependencies)"
  # shellcheck disable=SC2086
  fetch $extra >"$LOGS/pip-download-extra.log" 2>&1 || die "pip download failed, see $LOGS/pip-download-extra.log"
  echo "$extra" >"$WHEELS/.extra"
fi

# -- 3. dockerd ------------------------------------------------------------------------------
if alive "$RUN/dockerd.pid"; then   # ours, maybe still starting
  for _ in $(seq 30); do docker_ok && break; sleep 1; done
fi
if docker_ok; then
  log "dockerd already running on $SOCK"
else
  rm -f "$RUN/dockerd.pid" "$SOCK"
  driver=vfs t=$DIR/ovl-test
  mkdir -p "$t"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m"; driver=overlay2
  fi
  rm -rf "$t"
  echo '{ "features": { "buildkit": true } }' >"$DIR/daemon.json"
  log "starting dockerd (storage $driver, no bridge, no iptables)"
  setsid /usr/sbin/dockerd --config-file="$DIR/daemon.json" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --storage-driver="$driver" --data-root="$DIR/docker-root" --exec-root="$DIR/docker-exec" \
    --pidfile="$RUN/dockerd.pid" -H "unix://$SOCK" >>"$LOGS/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 60); do docker_ok && break; sleep 1; done
  docker_ok || die "dockerd did not come up, see $LOGS/dockerd.log"
fi
export DOCKER_HOST=unix://$SOCK DOCKER_BUILDKIT=1

# -- 4. base image ---------------------------------------------------------------------------
# Debian's python3 with a venv at /usr/local (with system site packages, so that
# `pip install --user` works): /usr/local/bin/python and pip like the official image,
# no "externally managed" refusal, and `pip install -U pip` works.
# Like the official image it has /etc/apt/apt.conf.d/docker-clean (rewrites may delete it).
ROOTFS=dockfix-buildlab/rootfs:bookworm-2   # bump the suffix when the recipe below changes
label() { $DOCKER image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
if [ "$(label dockfix-buildlab/python:3.11 lab)" != "$ROOTFS $PORT" ]; then
  if ! $DOCKER image inspect $ROOTFS >/dev/null 2>&1; then
    suite=$(. /etc/os-release; echo "$VERSION_CODENAME")
    # The mirror(s) of this machine's own apt configuration, as "deb URI SUITE main" lines.
    mapfile -t mirrors < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' \
      | awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security" { print "deb " $1 " " $2 " main" }' | sort -u)
    [ ${#mirrors[@]} -gt 0 ] || die "no Debian $suite entries in the apt configuration"
    log "mmdebstrap $suite (python3, venv at /usr/local)"
    mmdebstrap --variant=minbase --mode=root \
      --include=python3,python3-venv,python-is-python3,ca-certificates,netbase,tzdata,passwd,adduser \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      --customize-hook='chroot "$1" python3 -m venv --system-site-packages /usr/local' \
      --customize-hook='rm -f "$1"/usr/local/bin/[Aa]ctivate* && rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      --customize-hook='printf "Dir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n" >"$1"/etc/apt/apt.conf.d/docker-clean' \
      "$suite" "$DIR/rootfs.tar" "${mirrors[@]}" >"$LOGS/mmdebstrap.log" 2>&1 \
      || die "mmdebstrap failed, see $LOGS/mmdebstrap.log"
    $DOCKER import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
      "$DIR/rootfs.tar" $ROOTFS >/dev/null
    rm -f "$DIR/rootfs.tar"
  fi
  mkdir -p "$DIR/base"
  cat >"$DIR/base/pip.conf" <<EOF
[global]
index-url = http://127.0.0.1:$PORT/simple/
# pip reuses its HTTP cache (and so a cache mount) only for https or trusted hosts
trusted-host = 127.0.0.1
disable-pip-version-check = true
EOF
  cat >"$DIR/base/Dockerfile" <<EOF
FROM $ROOTFS
ENV PIP_BREAK_SYSTEM_PACKAGES=1
COPY pip.conf /etc/pip.conf
LABEL lab="$ROOTFS $PORT"
EOF
  $DOCKER build --network=none -q -t dockfix-buildlab/python:3.11 "$DIR/base" >"$LOGS/base.log" 2>&1 \
    || die "base image build failed, see $LOGS/base.log"
  log "built dockfix-buildlab/python:3.11"
fi
# python:3.12-slim only for examples/flask-app (the README example): the interpreter is 3.11.
for t in python:3.11 python:3.11-slim python:3.11-bookworm python:3.11-slim-bookworm python:3.12-slim \
  ${BUILDLAB_EXTRA_TAGS:-}; do
  $DOCKER tag dockfix-buildlab/python:3.11 "$t"
done

# -- 5. index --------------------------------------------------------------------------------
if [ -n "$wheels_pid" ]; then
  wait "$wheels_pid" || die "pip download failed, see $LOGS/pip-download.log"
  log "wheels: $(ls "$WHEELS" | grep -c '\.whl$') files, $(du -sh "$WHEELS" | cut -f1)"
fi
python3 "$HERE/shadow_wheel.py" "$WHEELS" || die "could not write the test wheel dockfix-lab-shadow"
if alive "$RUN/index.pid" && curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null; then
  log "index already running on port $PORT"
else
  ! curl -s -o /dev/null "http://127.0.0.1:$PORT/" || die "port $PORT is taken by something else"
  setsid python3 "$HERE/indexserver.py" --dir "$WHEELS" --port "$PORT" --log "$LOGS/index-requests.log" \
    >>"$LOGS/index.log" 2>&1 </dev/null &
  echo $! >"$RUN/index.pid"
  for _ in $(seq 40); do curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null && break; sleep 0.25; done
  curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null || die "index did not start, see $LOGS/index.log"
  log "index up on port $PORT"
fi

cat >"$DIR/env.sh" <<EOF
# . this file: the lab's daemon, a BuildKit-capable client, the counting index
export DOCKER_HOST=unix://$SOCK DOCKER_BUILDKIT=1
export DOCKFIX_DOCKER=$DOCKER
export DOCKFIX_INDEX_URL=http://127.0.0.1:$PORT
EOF
log "ready: . $DIR/env.sh   (index http://127.0.0.1:$PORT/simple/, stats /stats, reset /reset)"
