# function-dataservice. `make help` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
BIN := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/function-dataservice/function-dataservice/internal/version.Version=$(VERSION)
export GOFLAGS ?= -mod=mod

.PHONY: help
help: ## Show the targets.
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: generate
generate: ## Regenerate deepcopy code, CRDs and the DataService XRD from the Go types, and the catalog pages of the examples.
	$(GO) tool controller-gen object paths=./apis/... paths=./input/...
	$(GO) tool controller-gen crd:crdVersions=v1 paths=./input/... output:crd:dir=package/input
	rm -rf _output/crds && mkdir -p _output/crds
	$(GO) tool controller-gen crd:crdVersions=v1 paths=./apis/... output:crd:dir=_output/crds
	$(GO) run ./internal/xrdgen -crd _output/crds/dataservice.klutch.io_dataservices.yaml -o apis/definition.yaml
	cp _output/crds/example-backend.klutch.anynines.com_apiserviceexporttemplates.yaml test/crds/
	$(GO) build -o _output/dataservice ./cmd/dataservice
	for d in klutch klutch-v2 a9s; do _output/dataservice docs -f examples/$$d -o docs/catalog/$$d || exit 1; done

.PHONY: check-generate
check-generate: generate ## Fail when generated files are not up to date.
	@git diff --exit-code -- apis input package test/crds docs/catalog && test -z "$$(git status --porcelain -- docs/catalog)" || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }

.PHONY: build
build: ## Build bin/dataservice and bin/function-dataservice.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/dataservice ./cmd/dataservice
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/function-dataservice ./cmd/function-dataservice

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: unit
unit: ## Fast inner loop: unit and fidelity tests, no external binaries (seconds); lists what it skipped and why.
	@set -o pipefail; $(GO) test -short -v ./... 2>&1 | awk -f test/tools/skips.awk

.PHONY: test
test: deps lint check-generate fuzz-short tools ## Everything: lint, generated files, unit, fidelity and end-to-end tests with real binaries (builds the tools first).
	$(GO) test -count=1 -timeout 40m ./...

# What make test needs besides Go: every tool is built from the Go module proxy, so only commands of
# Debian's base system. One line names what to run when one is missing.
.PHONY: deps
deps:
	@missing=; for c in git flock awk; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	  if [ -n "$$missing" ]; then pkgs=$$(echo "$$missing" | sed 's/ flock/ util-linux/; s/ awk/ mawk/'); \
	    echo "make test needs$$missing: run  $$( [ "$$(id -u)" -eq 0 ] || echo 'sudo ')apt-get install -y$$pkgs"; exit 1; fi

# The tools the tests run, built from the Go module proxy into $(DATASERVICE_CACHE) (default
# ~/.cache/function-dataservice), keyed by version; the versions are internal/testtools' constants.
# A test asks for each tool again and builds it itself when it is missing (test/tools/lib.sh lets one
# build and the others wait); building them here first keeps a cold build out of the test timeouts.
.PHONY: tools
tools: ## Build every tool the end-to-end tests run: crossplane CLIs and core, functions, etcd, kube-apiserver, kube-controller-manager, registry, klutch-bind, dex (cached).
	@test/tools/gobin.sh crossplane github.com/crossplane/crossplane/v2 v2.2.1 ./cmd/crank >/dev/null
	@test/tools/gobin.sh crossplane github.com/crossplane/crossplane v1.20.7 ./cmd/crank >/dev/null
	@test/tools/gobin.sh crossplane github.com/crossplane/crossplane v1.16.0 ./cmd/crank >/dev/null
	@test/tools/gobin.sh function-patch-and-transform github.com/crossplane-contrib/function-patch-and-transform v0.10.7 . >/dev/null
	@test/tools/gobin.sh etcd go.etcd.io/etcd/server/v3 v3.6.16 . >/dev/null
	@test/tools/registry.sh v3.0.0 >/dev/null
	@test/tools/kubebin.sh kube-apiserver v1.34.2 >/dev/null
	@test/tools/kubebin.sh kube-controller-manager v1.34.2 >/dev/null
	@test/tools/gobin.sh crossplane-core github.com/crossplane/crossplane/v2 v2.2.1 ./cmd/crossplane -X=github.com/crossplane/crossplane/v2/internal/version.version=v2.2.1 >/dev/null
	@test/tools/klutchbind.sh >/dev/null || [ $$? = 3 ] # 3: no klutch-bind source beside the project (the Klutch test skips)
	@test/tools/dex.sh v0.0.0-20260303133905-11d2eeb52b42 >/dev/null # dex v2.45.1, the web-bind tests' OIDC issuer

# Packages, built and pushed with the dataservice CLI: no Docker engine. The platform Configuration
# is crossplane.yaml with apis/ as its only content and the Klutch DataServices as examples.
XPKG := _output/xpkg
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: xpkg
xpkg: ## Build the platform Configuration and the Function packages (linux/amd64, linux/arm64) into _output/xpkg.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/dataservice ./cmd/dataservice
	rm -rf _output/platform && mkdir -p _output/platform/apis $(XPKG)
	cp crossplane.yaml _output/platform/ && cp apis/*.yaml _output/platform/apis/
	$(BIN)/dataservice build _output/platform -e $(CURDIR)/examples/klutch -o $(XPKG)/dataservice-platform.xpkg
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(BIN)/dataservice build function --package-root package --ldflags="$(LDFLAGS)" -o $(XPKG)

.PHONY: push
push: xpkg ## Push the packages: make push REGISTRY=ghcr.io/acme VERSION=v0.1.0
	@test -n "$(REGISTRY)" || { echo "usage: make push REGISTRY=registry.example.com/org VERSION=v0.1.0"; exit 2; }
	$(BIN)/dataservice push $(REGISTRY)/dataservice-platform:$(VERSION) -f $(XPKG)/dataservice-platform.xpkg
	$(BIN)/dataservice push $(REGISTRY)/function-dataservice:$(VERSION) -f $(XPKG)/function-dataservice-amd64.xpkg -f $(XPKG)/function-dataservice-arm64.xpkg

.PHONY: e2e
e2e: tools ## End-to-end tests on a real control plane on 127.0.0.1: etcd, kube-apiserver, Crossplane core, registry (binaries built once into ~/.cache).
	$(GO) test -count=1 -timeout 40m -v ./test/e2e/...

.PHONY: bench
bench: ## Benchmarks of issue 7 (about 15 min; ROUNDS=5): RunFunction, generator, build and push against the real tools; tables into bench/README.md.
	ROUNDS=$(or $(ROUNDS),5) bench/all.sh

# Fuzz targets, as package:Target. A plain `go test` runs each on its checked-in corpus
# (testdata/fuzz); fuzz-short (part of make test) also fuzzes each for FUZZ_SHORT as a regression,
# fuzz for FUZZTIME. Findings land in the package's testdata/fuzz: fix the bug, keep the input.
FUZZ_TARGETS := ./function:FuzzRunFunction ./internal/generator:FuzzResolveAndBuild ./internal/generator:FuzzGenerate ./internal/manifests:FuzzSplit
FUZZTIME ?= 10m
FUZZ_SHORT ?= 5s

.PHONY: fuzz
fuzz: ## Fuzz every target for FUZZTIME each (default 10m): make fuzz FUZZTIME=1h
	@for t in $(FUZZ_TARGETS); do echo "fuzzing $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 30s $${t%%:*} || exit 1; done

.PHONY: fuzz-short
fuzz-short: ## Fuzz every target for FUZZ_SHORT each (default 5s), as make test does.
	@for t in $(FUZZ_TARGETS); do echo "fuzzing $${t#*:} in $${t%%:*} for $(FUZZ_SHORT)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZ_SHORT) $${t%%:*} || exit 1; done
