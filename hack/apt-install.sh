#!/usr/bin/env bash
# Installs Debian packages for runlet's hack scripts: apt-get update runs only when apt knows
# no candidate for one of them, as on a fresh machine or container with no package lists.
# apt's chatter is kept out of the way and shown only when a step fails.
set -euo pipefail

log() { echo "apt-install: $*" >&2; }

(($# > 0)) || { log "usage: $0 PACKAGE..."; exit 2; }
if [[ ! -r /etc/debian_version || $(id -u) -ne 0 ]]; then
  log "needs root on Debian to install $*"
  exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run shows a command's output only when it fails, so that progress stays one line a step.
run() {
  if ! "$@" >"$out" 2>&1; then
    tail -n 20 "$out" >&2
    log "failed: $*"
    exit 1
  fi
}

# The policy is read whole before matching: grep -q in a pipe would stop apt-cache early, and
# pipefail would take that for a missing candidate.
for pkg in "$@"; do
  policy=$(apt-cache policy "$pkg" 2>/dev/null || true)
  if ! grep -q 'Candidate: [^(]' <<<"$policy"; then
    log "apt-get update (no candidate for $pkg yet)"
    run apt-get update
    break
  fi
done

run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
