# runlet's build. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GO_TEST_FLAGS ?= -count=1 -timeout 40m

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } \
		/^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=runlet-manager crd paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@$(MAKE) --no-print-directory chart-manifests

.PHONY: generate
generate: controller-gen ## Generate the deepcopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-generated
verify-generated: controller-gen ## Fail when generated files differ from what the sources give.
	hack/verify-generated.sh

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -l -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: docker
docker: ## Make a Docker daemon available (installs and starts one on Debian as root).
	hack/docker.sh

.PHONY: images
images: ## Build the local images the tests and the demo run (reused when present).
	hack/images.sh

.PHONY: control-plane
control-plane: ## Build kube-apiserver and etcd into bin/k8s (reused when present).
	hack/control-plane.sh >/dev/null

.PHONY: test-deps
test-deps: ## Install the Python Kubernetes client the Python example's test runs (Debian, root).
	hack/test-deps.sh

.PHONY: test
test: verify-generated vet images control-plane test-deps helm test-image ## Run every test on a real API server and Docker.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); \
		echo "gofmt would change the files above"; exit 1; }
	set -a && source hack/images.env && set +a && KUBEBUILDER_ASSETS=$(LOCALBIN)/k8s go test $(GO_TEST_FLAGS) -v ./... \
		| hack/test-summary.sh

BENCH_FLAGS ?=

.PHONY: bench
bench: build images control-plane ## Measure runlet against raw Docker; writes docs/benchmarks.md (BENCH_FLAGS).
	set -a && source hack/images.env && set +a && KUBEBUILDER_ASSETS=$(LOCALBIN)/k8s \
		go run ./bench --manager $(LOCALBIN)/manager $(BENCH_FLAGS)

##@ Demo

.PHONY: demo
demo: ## Run the samples end to end on a local control plane and Docker, then tear down.
	hack/demo.sh run

.PHONY: demo-up
demo-up: ## Start the local control plane and the manager, and leave them running.
	hack/demo.sh up

.PHONY: demo-down
demo-down: ## Stop what demo-up started and remove its files and containers.
	hack/demo.sh down

##@ Build

.PHONY: build
build: ## Build the manager into bin/manager.
	go build -o $(LOCALBIN)/manager .

.PHONY: plugin
plugin: ## Build the kubectl plugin into bin/kubectl-runlet (put bin/ on PATH: kubectl runlet).
	go build -o $(LOCALBIN)/kubectl-runlet ./cmd/kubectl-runlet

.PHONY: run
run: ## Run the manager against the current kubeconfig.
	go run . --log-format=console

##@ Deployment

# VERSION is the chart's appVersion, so that the image the chart runs by default is the one
# docker-build makes.
VERSION ?= $(shell awk '/^appVersion:/ {gsub(/"/, "", $$2); print $$2}' charts/runlet/Chart.yaml)
IMG ?= runlet.local/manager:$(VERSION)
HELM ?= $(LOCALBIN)/helm
HELM_VERSION ?= v3.21.4
# Helm's own release build stamps its version and the Kubernetes minor version of the
# client-go it is built with (v0.36 for v3.21.4); `helm template` and `helm lint` assume a
# cluster of that version, where a plain go install would assume 1.20.
HELM_KUBE_MINOR ?= 36
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_KUBE_MINOR) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_KUBE_MINOR)

.PHONY: chart-manifests
chart-manifests: ## Copy the generated CRD and ClusterRole into charts/runlet (manifests runs it).
	mkdir -p charts/runlet/crds charts/runlet/files
	rm -f charts/runlet/crds/*.yaml
	cp config/crd/bases/*.yaml charts/runlet/crds/
	cp config/rbac/role.yaml charts/runlet/files/manager-role.yaml

.PHONY: docker-build
docker-build: ## Build the manager image IMG (runlet.local/manager:VERSION), FROM scratch.
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o $(LOCALBIN)/image/manager .
	@# The image a rebuild replaces is removed, so that rebuilds leave no untagged images.
	old=$$(docker image inspect -f '{{.Id}}' $(IMG) 2>/dev/null || true); \
		docker build -t $(IMG) . && new=$$(docker image inspect -f '{{.Id}}' $(IMG)) && \
		if [[ -n "$$old" && "$$old" != "$$new" ]]; then docker rmi "$$old" >/dev/null || true; fi

.PHONY: test-image
test-image: docker-build ## Check that IMG runs as non-root and takes the manifests' flags.
	hack/check-image.sh $(IMG)

.PHONY: helm
helm: ## Install Helm (HELM_VERSION) into bin/ from the Go module proxy, once.
	@[[ "$$($(HELM) version --template '{{.Version}}' 2>/dev/null)" == $(HELM_VERSION) ]] || \
		GOBIN=$(LOCALBIN) go install -ldflags "$(HELM_LDFLAGS)" helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
