#!/usr/bin/env bash
# The local Docker engine for `make images` and the container test.
#
#   docker/engine.sh install   Debian's docker.io and debootstrap, when missing (root only)
#   docker/engine.sh start     start dockerd unless an engine answers; prints "started" or "running"
#   docker/engine.sh stop      stop the dockerd this script started (nothing else)
#
# `make test` starts the engine before the tests and stops it afterwards, so a CI machine is
# left as it was found; an engine that was already running is left alone.
set -euo pipefail
CACHE=${BIOLAKE_CACHE_DIR:-$HOME/.cache/biolake}
PIDFILE="$CACHE/dockerd.pid"
log() { printf '[docker] %s\n' "$*" >&2; }

case ${1:-} in
  install)
    if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then exit 0; fi
    [[ $(id -u) == 0 ]] || { log "install docker.io and debootstrap (Debian packages) as root"; exit 1; }
    log "installing docker.io and debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
    ;;
  start)
    if docker info >/dev/null 2>&1; then echo running; exit 0; fi
    [[ $(id -u) == 0 ]] || { log "no Docker engine answers and only root can start one"; exit 1; }
    mkdir -p "$CACHE"
    log "starting dockerd (log: $CACHE/dockerd.log)"
    nohup dockerd >"$CACHE/dockerd.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 60); do
      if docker info >/dev/null 2>&1; then echo started; exit 0; fi
      sleep 1
    done
    log "dockerd did not answer within 60 s; see $CACHE/dockerd.log"
    exit 1
    ;;
  stop)
    [[ -s $PIDFILE ]] || exit 0
    pid=$(cat "$PIDFILE")
    rm -f "$PIDFILE"
    # containers the tests left behind go with the engine's own shutdown
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 1; done
    log "dockerd did not stop within 30 s"
    ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
