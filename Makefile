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

.PHONY: test
test: verify-generated vet images control-plane ## Run every test on a real API server and Docker.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); \
		echo "gofmt would change the files above"; exit 1; }
	set -a && source hack/images.env && set +a && KUBEBUILDER_ASSETS=$(LOCALBIN)/k8s go test $(GO_TEST_FLAGS) -v ./... \
		| hack/test-summary.sh

##@ Build

.PHONY: build
build: ## Build the manager into bin/manager.
	go build -o $(LOCALBIN)/manager .

.PHONY: run
run: ## Run the manager against the current kubeconfig.
	go run . --log-format=console

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
