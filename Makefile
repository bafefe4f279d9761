# gce-ccm: build, test, e2e, bench, demo, lint.
SHELL := /bin/bash
GO ?= go
BIN := bin
PKGS := ./...

.PHONY: all build test unit lint e2e soak bench demo clean tools

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

## lint: gofmt and go vet on the main module.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^tools/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## unit: every unit test of the main module under the race detector.
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## test: the command CI runs (README): lint, unit tests, then e2e.
test: lint unit e2e

## tools: build kube-apiserver, etcd and kubectl from Go modules (cached).
tools:
	@tools/build-k8s.sh >/dev/null

## e2e: the end-to-end suite on a real kube-apiserver + etcd + the emulator + the CCM binary,
## plus deploy/ (kustomize on the API server, terraform's google provider against the emulator)
## and the upstream GCE cloud provider against the emulator.
e2e:
	@if [ -d test/e2e ]; then \
		K8S_BIN=$$(tools/build-k8s.sh) && TF_PROVIDER_DIR=$$(tools/build-terraform-provider.sh) && \
		UPSTREAM_CCM_DIR=$$(tools/build-upstream-gce-ccm.sh) && $(GO) build -o $(BIN)/ ./cmd/... && \
		K8S_BIN=$$K8S_BIN TF_PROVIDER_DIR=$$TF_PROVIDER_DIR UPSTREAM_CCM_DIR=$$UPSTREAM_CCM_DIR GCE_CCM_BIN=$(CURDIR)/$(BIN) $(GO) test -tags e2e -count=1 -timeout 40m -v ./test/e2e/ 2>&1 | tee $(BIN)/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:'; exit $${PIPESTATUS[0]}; \
	else echo "e2e: no suite yet"; fi

## soak: the chaos soak on the real stack (test/e2e/soak_test.go): two leader-elected CCM
## replicas, GCE faults, leader SIGKILLs and cluster churn for SOAK_DURATION (default 30m;
## `make e2e` runs it for 3m), then the exact end state. SOAK_SEED replays a run;
## SOAK_DRIFT=1 adds stripped finalizers and GCE changes behind the CCM's back.
## The report goes to bin/soak-report.json.
soak: build
	@K8S_BIN=$$(tools/build-k8s.sh) && \
		SOAK_DURATION=$${SOAK_DURATION:-30m} SOAK_REPORT=$(CURDIR)/$(BIN)/soak-report.json \
		K8S_BIN=$$K8S_BIN GCE_CCM_BIN=$(CURDIR)/$(BIN) $(GO) test -tags e2e -count=1 -timeout 3h -run '^TestSoak$$' -v ./test/e2e/ 2>&1 | \
		tee $(BIN)/soak.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|soak'; exit $${PIPESTATUS[0]}

## bench: micro-benchmarks (emulator, provider), then the scale scenarios on the
## full stack (BENCH_QUICK=1 for a small smoke run). Results in bench-results/.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x ./providers/...
	$(GO) test -run '^$$' -bench . -benchtime 2s ./test/fakecompute/
	$(GO) test -run '^$$' -bench . -benchtime 5x -timeout 10m ./test/dataplane/
	@K8S_BIN=$$(tools/build-k8s.sh) && $(GO) run ./test/bench --k8s-bin "$$K8S_BIN" --ccm-bin $(BIN)/gce-cloud-controller-manager --out bench-results

## demo: a local cluster on the emulator (see README).
demo: build
	@K8S_BIN=$$(tools/build-k8s.sh) && $(GO) run ./test/e2e/demo --k8s-bin "$$K8S_BIN" --ccm-bin $(BIN)/gce-cloud-controller-manager

clean:
	rm -rf $(BIN)
