#!/usr/bin/env bash
# Installs what runlet's tests need beyond Go, Docker, the local images and the control
# plane: the official Kubernetes client for Python (Debian's python3-kubernetes), which the
# Python example backend uses. Nothing is installed when Debian's python3 imports it already.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

log() { echo "test-deps: $*" >&2; }

if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then
  exit 0
fi
log "installing python3-kubernetes for examples/python"
"$here/apt-install.sh" python3-kubernetes
/usr/bin/python3 -c 'import kubernetes' ||
  { log "python3-kubernetes is installed but /usr/bin/python3 cannot import it"; exit 1; }
