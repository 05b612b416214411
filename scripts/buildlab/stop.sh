#!/bin/bash
# Stop what setup.sh started, by its PID files only (the index, then dockerd, which stops the
# containerd it launched).  Images, build cache and wheels stay, so the next setup.sh is fast.
#   --purge   also delete $BUILDLAB_DIR
set -uo pipefail
DIR=${BUILDLAB_DIR:-/tmp/dockfix-buildlab}

stop() {  # name pidfile expected-command seconds
  local pid
  [ -f "$2" ] || { echo "$1: not started"; return 0; }
  pid=$(cat "$2")
  if ! kill -0 "$pid" 2>/dev/null; then echo "$1: not running"; rm -f "$2"; return 0; fi
  case $(ps -o comm= -p "$pid") in
    $3*) ;;
    *) echo "$1: pid $pid is $(ps -o comm= -p "$pid"), not $3; left alone"; return 1 ;;
  esac
  kill -TERM "$pid"
  for _ in $(seq $(($4 * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then echo "$1: still running after $4 s, killing"; kill -KILL "$pid"; fi
  rm -f "$2"
  echo "$1: stopped"
}

stop index "$DIR/run/index.pid" python 5
stop dockerd "$DIR/run/dockerd.pid" dockerd 30

if [ "${1:-}" = --purge ]; then
  # dockerd leaves its netns mount behind; unmount what is left under $DIR, deepest first
  awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount "$m"; done
  if grep -q " $DIR/" /proc/mounts; then
    echo "not purging: still mounted under $DIR"; exit 1
  fi
  rm -rf "$DIR" && echo "purged $DIR"
fi
