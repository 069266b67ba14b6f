#!/usr/bin/env bash
# Makes a Docker daemon answer for runlet's tests, images and demo. A daemon named by
# DOCKER_HOST, or one already answering on the default socket, is used as it is. Otherwise, on
# Debian as root, Debian's docker.io is installed when dockerd is missing, and dockerd is
# started in the background, detached from the caller. Quiet and quick when a daemon already
# answers; progress and errors go to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
socket=/var/run/docker.sock
log_file=${RUNLET_DOCKERD_LOG:-/var/log/runlet-dockerd.log}
wait_seconds=${RUNLET_DOCKERD_WAIT:-60}

log() { echo "docker: $*" >&2; }
die() { log "$*"; exit 1; }

can_install() { [[ -r /etc/debian_version && $(id -u) -eq 0 ]]; }

# answers reports whether the daemon the docker CLI would use responds. The bound keeps a
# wedged daemon from hanging the caller.
answers() { timeout 20 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# dockerd_running reads /proc rather than calling pgrep, which minimal systems lack.
dockerd_running() { grep -qx dockerd /proc/[0-9]*/comm 2>/dev/null; }

show_log() {
  [[ -s $log_file ]] || return 0
  log "last lines of $log_file:"
  tail -n 15 "$log_file" >&2
}

start_dockerd() {
  log "starting dockerd (log: $log_file)"
  mkdir -p "$(dirname "$log_file")"

  # The daemon gets its own session and holds no descriptor of the caller's: stdin is
  # /dev/null, output goes to the log, and inherited descriptors above 2 are closed. A make
  # run or a $(...) around this script can then finish while dockerd keeps running.
  (
    for fd in "/proc/$BASHPID/fd"/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec setsid -f dockerd </dev/null >>"$log_file" 2>&1
  )
}

wait_for_daemon() {
  local deadline=$((SECONDS + wait_seconds))
  until answers; do
    if ! dockerd_running; then
      show_log
      die "dockerd exited before it answered on $socket"
    fi
    if ((SECONDS >= deadline)); then
      show_log
      die "dockerd runs but did not answer on $socket within ${wait_seconds}s"
    fi
    sleep 0.5
  done
}

# The CLI comes first: the other hack scripts drive the daemon through it.
if ! command -v docker >/dev/null; then
  can_install || die "no docker CLI: install Docker Engine (on Debian: apt-get install docker.io)"
  log "installing Debian's docker.io for the docker CLI"
  "$here/apt-install.sh" docker.io
fi

answers && exit 0

if [[ -n ${DOCKER_HOST:-} ]]; then
  die "no Docker daemon answers at DOCKER_HOST=$DOCKER_HOST: start it there, or unset DOCKER_HOST"
fi
if ! can_install; then
  if [[ -S $socket ]]; then
    die "$socket does not answer for $(id -un): is dockerd running, and may this user use it?"
  fi
  die "no Docker daemon answers at $socket: install and start Docker Engine, or set DOCKER_HOST"
fi

if ! dockerd_running; then
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io for dockerd"
    "$here/apt-install.sh" docker.io
    command -v dockerd >/dev/null || die "docker.io is installed but dockerd is not on PATH"
  fi
  # Installing docker.io may have started the daemon through its init script already.
  if ! answers && ! dockerd_running; then
    # Under systemd the packaged unit owns the daemon; elsewhere it is started by hand.
    if [[ -d /run/systemd/system ]] && systemctl cat docker.service >/dev/null 2>&1; then
      log "starting docker.service"
      systemctl start docker.service || die "systemctl start docker.service failed"
    else
      start_dockerd
    fi
  fi
fi

wait_for_daemon
log "dockerd answers on $socket"
