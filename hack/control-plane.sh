#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into bin/k8s/, the directory that
# controller-runtime's envtest reads through KUBEBUILDER_ASSETS. Each binary is built once
# and reused on later runs. Prints the directory on stdout; progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
assets="$root/bin/k8s"
kube_version=v1.37.2
mkdir -p "$assets"

log() { echo "control-plane: $*" >&2; }

build_kube_apiserver() {
  local out="$assets/kube-apiserver"
  if [[ -x "$out" ]] && "$out" --version 2>/dev/null | grep -q "$kube_version"; then
    return
  fi
  log "building kube-apiserver $kube_version (about 9 minutes the first time on 2 cores)"
  local pkg=k8s.io/component-base/version
  local minor=${kube_version#v1.}; minor=${minor%%.*}
  (cd "$root/hack/tools/kube-apiserver" && go build -o "$out.tmp" -ldflags "-s -w \
    -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor \
    -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z" \
    k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$assets/etcd"
  [[ -x "$out" ]] && return
  log "building etcd (about a minute the first time)"
  (cd "$root/hack/tools/etcd" && go build -o "$out.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3)
  mv "$out.tmp" "$out"
}

build_etcd
build_kube_apiserver
# envtest looks for kubectl beside the other two; link the machine's one where there is one.
if [[ ! -e "$assets/kubectl" ]] && command -v kubectl >/dev/null; then
  ln -s "$(command -v kubectl)" "$assets/kubectl"
fi
echo "$assets"
