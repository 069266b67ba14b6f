#!/usr/bin/env bash
# Checks the manager image that `make docker-build` made: it runs as the non-root user the
# deployment expects, and its --help lists every flag that config/manager/manager.yaml and
# the Helm chart pass to it.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${1:?usage: hack/check-image.sh IMAGE}
fail() { echo "check-image: $*" >&2; exit 1; }

user=$(docker image inspect -f '{{.Config.User}}' "$image")
[[ $user == 65532:65532 ]] || fail "$image runs as '$user', not 65532:65532"

help=$(docker run --rm --network none "$image" --help 2>&1) ||
  fail "$image --help failed: $help"

# The manager container's args run from its name to its ports.
manifest=config/manager/manager.yaml
flags=$(awk '/- name: manager$/ { on = 1 } on && /ports:/ { on = 0 } on' "$manifest" |
  grep -oE -- '^ +- --[a-z-]+' | sed 's/.*--//' | sort -u)
[[ -n $flags ]] || fail "found no manager flags in $manifest"
count=0
for flag in $flags; do
  grep -qE -- "^ +-$flag( |$)" <<<"$help" || fail "$image --help does not list -$flag"
  count=$((count + 1))
done
echo "check-image: $image runs as $user; its --help lists all $count flags the manifests pass"
