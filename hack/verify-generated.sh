#!/usr/bin/env bash
# Regenerates the CRD, RBAC and deepcopy files and fails when that changed any of them:
# a change to the API types or markers must come with its generated files.
set -euo pipefail
cd "$(dirname "$0")/.."

generated=(config/crd/bases config/rbac/role.yaml api/v1alpha1/zz_generated.deepcopy.go
  charts/runlet/crds charts/runlet/files/manager-role.yaml)
saved=$(mktemp -d)
trap 'rm -rf "$saved"' EXIT
for f in "${generated[@]}"; do
  mkdir -p "$saved/$(dirname "$f")"
  cp -r "$f" "$saved/$f"
done

make --no-print-directory -s manifests generate

stale=0
for f in "${generated[@]}"; do
  if ! diff -r "$saved/$f" "$f" >/dev/null; then
    echo "verify-generated: $f is stale; run 'make manifests generate' and commit the result" >&2
    stale=1
  fi
done
exit "$stale"
