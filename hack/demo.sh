#!/usr/bin/env bash
# runlet's demo on a local control plane and the host's Docker daemon.
#   hack/demo.sh run    set up, run the samples, print what they did, tear everything down
#   hack/demo.sh up     set up and leave the control plane and the manager running
#   hack/demo.sh down   stop what `up` started and remove its files and containers
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.demo"
cd "$root"

say() { echo "demo: $*" >&2; }

setup() {
  say "making a Docker daemon available"
  hack/docker.sh
  say "building the local images (a few minutes the first time)"
  hack/images.sh >/dev/null
  say "building kube-apiserver and etcd (about 10 minutes the first time)"
  assets=$(hack/control-plane.sh)
  say "building the manager"
  go build -o bin/manager .
  go build -o bin/localcluster ./hack/localcluster
}

up() {
  if [[ -f "$state/cluster.pid" ]] && kill -0 "$(cat "$state/cluster.pid")" 2>/dev/null; then
    say "already up; KUBECONFIG=$state/kubeconfig"
    return
  fi
  setup
  mkdir -p "$state/workspaces"

  say "starting kube-apiserver and etcd"
  KUBEBUILDER_ASSETS="$assets" setsid bin/localcluster --dir "$state" \
    >"$state/cluster.log" 2>&1 </dev/null &
  echo $! >"$state/cluster.pid"
  for _ in $(seq 1 120); do
    grep -q "localcluster: ready" "$state/cluster.log" 2>/dev/null && break
    kill -0 "$(cat "$state/cluster.pid")" 2>/dev/null || { cat "$state/cluster.log" >&2; exit 1; }
    sleep 0.5
  done
  grep -q "localcluster: ready" "$state/cluster.log" || { say "control plane did not start"; exit 1; }

  # The manager looks after the default namespace only: the daemon may be shared with other
  # runlet control planes (a test run, say), whose containers it must leave alone.
  say "starting the manager for namespace default (logs in $state/manager.log)"
  KUBECONFIG="$state/kubeconfig" setsid bin/manager --languages "$state/languages.yaml" \
    --namespaces default \
    --workspace-root "$state/workspaces" --log-format console \
    --metrics-bind-address 127.0.0.1:18080 --health-probe-bind-address 127.0.0.1:18081 \
    >"$state/manager.log" 2>&1 </dev/null &
  echo $! >"$state/manager.pid"
  local ready=""
  for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:18081/readyz >/dev/null 2>&1 && { ready=yes; break; }
    kill -0 "$(cat "$state/manager.pid")" 2>/dev/null || { cat "$state/manager.log" >&2; exit 1; }
    sleep 0.5
  done
  [[ -n $ready ]] || { tail -n 20 "$state/manager.log" >&2; say "the manager did not get ready"; exit 1; }
  say "up. Use it with:"
  echo "export KUBECONFIG=$state/kubeconfig"
}

stop_pid() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  [[ -d "$state" ]] || { say "nothing to stop"; return; }
  if [[ -f "$state/manager.pid" ]] && kill -0 "$(cat "$state/manager.pid")" 2>/dev/null; then
    say "deleting the Executions (the manager removes their containers and files)"
    KUBECONFIG="$state/kubeconfig" kubectl delete executions --all --all-namespaces \
      --wait --timeout=60s >/dev/null 2>&1 || true
  fi
  say "stopping the manager and the control plane"
  stop_pid "$state/manager.pid"
  stop_pid "$state/cluster.pid"
  # Anything the manager could not remove (it was killed, say) goes here.
  local left
  left=$(docker ps -aq --filter label=app.kubernetes.io/managed-by=runlet \
    --filter "label=runlet.dev/namespace=default" 2>/dev/null || true)
  [[ -n "$left" ]] && docker rm -f $left >/dev/null
  rm -rf "$state"
  say "down"
}

samples() {
  export KUBECONFIG="$state/kubeconfig"
  local files=(config/samples/runlet_v1alpha1_execution_*.yaml)
  say "applying ${#files[@]} samples from config/samples"
  for f in "${files[@]}"; do kubectl apply -f "$f" >/dev/null; done

  say "waiting for them to finish"
  local deadline=$((SECONDS + 180))
  while (( SECONDS < deadline )); do
    local pending
    pending=$(kubectl get executions -l runlet.dev/sample=true \
      -o jsonpath='{range .items[?(@.status.completionTime)]}x{end}' | wc -c)
    (( pending == ${#files[@]} )) && break
    sleep 1
  done
  echo
  kubectl get executions
  echo

  local failures=0
  for name in $(kubectl get executions -l runlet.dev/sample=true -o name); do
    local want got
    want=$(kubectl get "$name" -o jsonpath='{.metadata.annotations.runlet\.dev/expect}')
    got=$(kubectl get "$name" -o jsonpath='{.status.phase}/{.status.reason}')
    local mark="ok"
    if [[ "$got" != "$want" ]]; then mark="UNEXPECTED (wanted $want)"; failures=$((failures + 1)); fi
    echo "── ${name#*/}: $got $mark"
    kubectl get "$name" -o jsonpath='{.status.stdout}' | sed 's/^/   stdout│ /'
    local stderr
    stderr=$(kubectl get "$name" -o jsonpath='{.status.stderr}')
    [[ -n "$stderr" ]] && printf '%s\n' "$stderr" | tail -n 3 | sed 's/^/   stderr│ /'
    echo
  done
  return "$failures"
}

case "${1:-run}" in
  up) up ;;
  down) down ;;
  run)
    # The trap comes first, so that a set-up that fails half-way stops what it started.
    trap down EXIT
    up >/dev/null
    if samples; then say "every sample ended as expected"; else say "some samples ended unexpectedly"; exit 1; fi
    ;;
  *) echo "usage: $0 run|up|down" >&2; exit 2 ;;
esac
