# gce-ccm: build, image, push, test, e2e, bench, demo, lint.
SHELL := /bin/bash
GO ?= go
BIN := bin
PKGS := ./...

.PHONY: all build test unit lint e2e soak bench bench-readme demo clean tools ociimage image image-test push

all: build

# The version stamp, from git (tools/version.sh): the nearest v* tag or a
# pseudo-version of the commit, and the commit's time as the build date, so
# the same commit builds the same bytes. A command-line VERSION=... wins; the
# environment does not (a stray VERSION variable must not stamp the binaries).
VERSION := $(shell tools/version.sh version)
REVISION := $(shell tools/version.sh revision)
BUILD_DATE := $(shell tools/version.sh date)
TREE_STATE := $(shell tools/version.sh tree)
VERSION_PKG := k8s.io/component-base/version
LDFLAGS := -s -w -X $(VERSION_PKG).gitVersion=$(VERSION) -X $(VERSION_PKG).gitCommit=$(REVISION) \
	-X $(VERSION_PKG).gitTreeState=$(TREE_STATE) -X $(VERSION_PKG).buildDate=$(BUILD_DATE)
# One go build command line for `make build` and every image binary: static,
# no local paths, the version in the linker flags (-buildvcs=false: the
# stamp is the flags, not whatever GOFLAGS the caller has). The image's
# binary for the build machine's platform is byte-identical to bin/'s.
GO_BUILD = CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '$(LDFLAGS)'

## build: the binaries for this machine into bin/.
build:
	$(GO_BUILD) -o $(BIN)/ ./cmd/...

# Images (ociimage in tools/, its own go.mod: go-containerregistry stays out
# of the main module). PLATFORMS: each linux/ARCH; IMAGE_DIR gets one OCI
# layout per image (and LAYOUT.tar) plus the binaries per platform.
PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_DIR ?= $(BIN)/image
IMAGE_SOURCE ?= https://github.com/gce-ccm/gce-ccm
IMAGES := gce-cloud-controller-manager fakecompute
OCIIMAGE := $(CURDIR)/$(BIN)/ociimage
HOST_PLATFORM = $(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)

ociimage:
	@GOWORK=off GOFLAGS=-mod=readonly $(GO) build -C tools/ociimage -trimpath -o $(OCIIMAGE) .

## image: OCI images of gce-cloud-controller-manager and fakecompute for
## PLATFORMS, built without a container engine (README "Install on a cluster").
image: ociimage
	@platforms=$$($(OCIIMAGE) platforms $(PLATFORMS)) || exit 2; \
	for p in $$platforms; do \
		echo "go build $(IMAGES) for $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO_BUILD) -o $(IMAGE_DIR)/$${p/\//_}/ $(addprefix ./cmd/,$(IMAGES)) || exit 1; \
	done; \
	for name in $(IMAGES); do \
		bins=(); for p in $$platforms; do bins+=(--binary "$$p=$(IMAGE_DIR)/$${p/\//_}/$$name"); done; \
		$(OCIIMAGE) build --name $$name "$${bins[@]}" --source $(IMAGE_SOURCE) --revision $(REVISION) \
			--version $(VERSION) --created $(BUILD_DATE) --out $(IMAGE_DIR)/$$name || exit 1; \
	done

## push: make image, then push both images with the environment's registry
## credentials: IMAGE=REGISTRY/REPOSITORY:TAG for the CCM; fakecompute goes to
## FAKECOMPUTE_IMAGE (default: IMAGE's repository path ending in fakecompute,
## same tag). Every blob and manifest goes up before any tag is written.
push: ociimage
	@if [ -z "$(IMAGE)" ]; then echo "make push: IMAGE is not set; run make push IMAGE=REGISTRY/REPOSITORY:TAG" >&2; exit 2; fi; \
	fc="$(FAKECOMPUTE_IMAGE)"; if [ -z "$$fc" ]; then fc=$$($(OCIIMAGE) sibling "$(IMAGE)" fakecompute) || exit 2; fi; \
	$(MAKE) --no-print-directory image && \
	$(OCIIMAGE) push --push "$(IMAGE_DIR)/gce-cloud-controller-manager=$(IMAGE)" --push "$(IMAGE_DIR)/fakecompute=$$fc"

## image-test: the image builder's own tests (race detector), then `make image`
## (every platform) pushed to an in-process registry, pulled back and checked
## against `make build` (tools/ociimage/realimage_test.go; without -race: it
## gunzips ~60 MB of layers, which the race detector slows about tenfold).
image-test: build image
	cd tools/ociimage && out=$$(gofmt -l .) && { [ -z "$$out" ] || { echo "gofmt needed: $$out"; exit 1; }; } && \
	export GOWORK=off GOFLAGS=-mod=readonly && $(GO) vet ./... && $(GO) test -race -count=1 ./... && \
	OCIIMAGE_DIR=$(CURDIR)/$(IMAGE_DIR) OCIIMAGE_BUILD_BIN=$(CURDIR)/$(BIN) \
	OCIIMAGE_PLATFORMS="$(PLATFORMS)" OCIIMAGE_HOST_PLATFORM=$(HOST_PLATFORM) OCIIMAGE_VERSION=$(VERSION) \
	OCIIMAGE_REVISION=$(REVISION) OCIIMAGE_SOURCE=$(IMAGE_SOURCE) $(GO) test -count=1 -run TestMadeImages -v ./... | \
	grep -E '^(=== RUN|--- |PASS|FAIL|ok)|_test.go:'; exit $${PIPESTATUS[0]}

## lint: gofmt and go vet on the main module (vet in make build's configuration,
## CGO_ENABLED=0, so the packages it compiles are the ones the build reuses).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^tools/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	CGO_ENABLED=0 $(GO) vet $(PKGS)

## unit: every unit test of the main module under the race detector.
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## test: the command CI runs (README): lint, unit tests, the images, then e2e.
test: lint unit image-test e2e

## tools: build kube-apiserver, etcd and kubectl from Go modules (cached).
tools:
	@tools/build-k8s.sh >/dev/null

## e2e: the end-to-end suite on a real kube-apiserver + etcd + the emulator + the CCM binary,
## plus deploy/ (kustomize on the API server, terraform's google provider against the emulator)
## and the upstream GCE cloud provider against the emulator.
## The CCM binary taken out of an image of this machine's platform
## (GCE_CCM_IMAGE_BIN) runs in test/e2e/deploy_test.go. CGO_ENABLED=0: the
## suite needs no cgo, and so compiles the packages make build and lint did.
E2E_IMAGE_DIR := $(BIN)/e2e-image
e2e: build
	@if [ -d test/e2e ]; then \
		$(MAKE) --no-print-directory image PLATFORMS=$(HOST_PLATFORM) IMAGE_DIR=$(E2E_IMAGE_DIR) IMAGES=gce-cloud-controller-manager && \
		$(OCIIMAGE) extract --layout $(E2E_IMAGE_DIR)/gce-cloud-controller-manager --platform $(HOST_PLATFORM) \
			--file /gce-cloud-controller-manager --out $(BIN)/from-image/gce-cloud-controller-manager && \
		K8S_BIN=$$(tools/build-k8s.sh) && TF_PROVIDER_DIR=$$(tools/build-terraform-provider.sh) && \
		UPSTREAM_CCM_DIR=$$(tools/build-upstream-gce-ccm.sh) && \
		K8S_BIN=$$K8S_BIN TF_PROVIDER_DIR=$$TF_PROVIDER_DIR UPSTREAM_CCM_DIR=$$UPSTREAM_CCM_DIR GCE_CCM_BIN=$(CURDIR)/$(BIN) \
		GCE_CCM_IMAGE_BIN=$(CURDIR)/$(BIN)/from-image/gce-cloud-controller-manager CGO_ENABLED=0 $(GO) test -tags e2e -count=1 -timeout 40m -v ./test/e2e/ 2>&1 | tee $(BIN)/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|permissions:)|_test.go:'; exit $${PIPESTATUS[0]}; \
	else echo "e2e: no suite yet"; fi

## soak: the chaos soak on the real stack (test/e2e/soak_test.go): two leader-elected CCM
## replicas, GCE faults, leader SIGKILLs and cluster churn for SOAK_DURATION (default 30m;
## `make e2e` runs it for 3m), then the exact end state. SOAK_SEED replays a run;
## `make soak` changes GCE objects behind the CCM's back too (SOAK_DRIFT=1, its default
## here; SOAK_DRIFT=0 leaves them out; the 3-minute run in `make e2e` leaves them out).
## Services deleted with stripped finalizers are always in.
## The report goes to bin/soak-report.json.
soak: build
	@K8S_BIN=$$(tools/build-k8s.sh) && \
		SOAK_DURATION=$${SOAK_DURATION:-30m} SOAK_DRIFT=$${SOAK_DRIFT:-1} SOAK_REPORT=$(CURDIR)/$(BIN)/soak-report.json \
		K8S_BIN=$$K8S_BIN GCE_CCM_BIN=$(CURDIR)/$(BIN) $(GO) test -tags e2e -count=1 -timeout 3h -run '^TestSoak$$' -v ./test/e2e/ 2>&1 | \
		tee $(BIN)/soak.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|soak'; exit $${PIPESTATUS[0]}

## bench: micro-benchmarks (emulator, provider), then the scale scenarios on the
## full stack, each run for gce-ccm and then for the upstream GCE CCM
## (tools/build-upstream-gce-ccm.sh) on the same emulator settings
## (BENCH_QUICK=1 for a small smoke run). Results in bench-results/.
bench: build
	@command -v nft >/dev/null || { echo "make bench: nft is not installed (Debian package nftables; the dataplane benchmarks load their rules with it; .ci/run installs it)" >&2; exit 1; }
	$(GO) test -run '^$$' -bench . -benchtime 1x ./providers/...
	$(GO) test -run '^$$' -bench . -benchtime 2s ./test/fakecompute/
	$(GO) test -run '^$$' -bench . -benchtime 5x -timeout 10m ./test/dataplane/
	@K8S_BIN=$$(tools/build-k8s.sh) && UPSTREAM_CCM_DIR=$$(tools/build-upstream-gce-ccm.sh); \
		$(GO) run ./test/bench --k8s-bin "$$K8S_BIN" --ccm-bin $(BIN)/gce-cloud-controller-manager \
		--upstream-bin "$${UPSTREAM_CCM_DIR:+$$UPSTREAM_CCM_DIR/upstream-gce-ccm}" --out bench-results

## bench-readme: keep bench-results/ as the committed run (test/bench/results)
## and regenerate the README's benchmark table from it.
bench-readme:
	cp bench-results/results.md bench-results/results.json bench-results/routes.svg test/bench/results/
	$(GO) run ./test/bench --readme README.md --out test/bench/results

## demo: a local cluster on the emulator (see README).
demo: build
	@K8S_BIN=$$(tools/build-k8s.sh) && $(GO) run ./test/e2e/demo --k8s-bin "$$K8S_BIN" --ccm-bin $(BIN)/gce-cloud-controller-manager

clean:
	rm -rf $(BIN)
