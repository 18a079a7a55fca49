# getsmall: every step of building, testing, packing and measuring the service.
# `make help` lists the public targets; each carries a `## description` on its line.

SHELL := bash
.SHELLFLAGS := -o errexit -o pipefail -o nounset -c
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

# ---- Overridable variables ---------------------------------------------------------------

BIN_DIR    ?= bin
UPX_FLAGS  ?= --brute
RUN_ARGS   ?=
# Images: local tags $(IMAGE):$(VERSION), -upx, -alpine; docker-push adds $(REGISTRY)/.
IMAGE      ?= getsmall
REGISTRY   ?=
DOCKER     ?= docker
# No bridge network is needed for building: host networking works everywhere BuildKit runs.
DOCKER_BUILD_FLAGS ?= --network host
# docker-run: which tag, where it is published, and anything extra (e.g. -d --name x).
RUN_TAG            ?= $(VERSION)
DOCKER_RUN_PUBLISH ?= -p 127.0.0.1:8080:8080
DOCKER_RUN_FLAGS   ?=
# Load test (make loadtest; loadtest-quick overrides these with small values).
UPX_LEVELS          ?= --best --lzma
LT_REQUESTS         ?= 200000
LT_DURATION         ?=
LT_WARMUP           ?= 20000
LT_CONCURRENCY      ?= 50
LT_RUNS             ?= 3
LT_COLD_RUNS        ?= 30
LT_HEALTHCHECK_RUNS ?= 20
LT_WRK_DURATION     ?= 5s
LT_PIN              ?= 1
LT_PORT             ?= 18080
# Final stage of Dockerfile.upx: empty keeps scratch; with OFFLINE=1 use $(OFFLINE_STATIC)
# where you would use distroless.
RUNTIME_IMAGE      ?=
# OFFLINE=1 builds every image on the stand-in bases of `make offline-bases`.
OFFLINE            ?=
CA_BUNDLE          ?= /etc/ssl/certs/ca-certificates.crt
# Versions come from git; they are computed once (:=) so every recipe sees the same value.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse --verify --quiet HEAD 2>/dev/null || echo unknown)
# The commit's time, not the wall clock: a build date that changes would break reproducibility.
BUILD_DATE ?= $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
override VERSION    := $(VERSION)
override COMMIT     := $(COMMIT)
override BUILD_DATE := $(BUILD_DATE)

# ---- The one definition of how the binary is built ----------------------------------------
# The Dockerfiles receive GO_LDFLAGS as a build argument and run the same go build line, so
# the binary in every image has the bytes `make build` produces (test-docker checks this).
# -buildvcs=false: the image build sees no .git, and the commit is already set with -X.

BIN        := $(BIN_DIR)/getsmall
BIN_UPX    := $(BIN_DIR)/getsmall-upx
GO_LDFLAGS := -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(BUILD_DATE)
GO_BUILD   := CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$(GO_LDFLAGS)"
export TZ := UTC

# Tools pinned in tools/go.mod, kept out of go.mod so image builds do not download them.
GOLANGCI_LINT := go tool -modfile=tools/go.mod golangci-lint
SCRIPTS        = $(shell git ls-files '*.sh' '.ci/*' 2>/dev/null)

UPX_HINT := install UPX 4.x: Debian bookworm-backports package upx-ucl; Alpine upx; macOS is not supported by UPX 4.2+

# need fails with one line that says how to get the tool.
define need
command -v $(1) >/dev/null 2>&1 || { echo "make $@: $(1) not found: $(2)" >&2; exit 1; }
endef

# need-docker: the client exists and its engine answers.
define need-docker
$(call need,$(DOCKER),install Docker Engine (Debian: apt-get install docker.io)); \
$(DOCKER) info >/dev/null 2>&1 || { echo "make $@: the Docker engine is not running ($(DOCKER) info failed): start dockerd" >&2; exit 1; }
endef

# ---- Images --------------------------------------------------------------------------------
# Stand-in bases get local names only, never the public ones they replace.
GO_VERSION     := $(patsubst go%,%,$(shell go env GOVERSION 2>/dev/null))
OFFLINE_GO     := getsmall-offline/builder:go$(GO_VERSION)-bookworm
OFFLINE_STATIC := getsmall-offline/static:nonroot
TAG_PLAIN      := $(IMAGE):$(VERSION)
TAG_UPX        := $(IMAGE):$(VERSION)-upx
TAG_ALPINE     := $(IMAGE):$(VERSION)-alpine
DOCKER_BUILD    = DOCKER_BUILDKIT=1 $(DOCKER) build $(DOCKER_BUILD_FLAGS) \
  --build-arg GO_LDFLAGS="$(GO_LDFLAGS)" --build-arg VERSION=$(VERSION) \
  --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE)
ifeq ($(OFFLINE),1)
GO_IMAGE_ARG    := --build-arg GO_IMAGE=$(OFFLINE_GO)
DISTROLESS_ARG  := --build-arg RUNTIME_IMAGE=$(OFFLINE_STATIC)
else
GO_IMAGE_ARG    :=
DISTROLESS_ARG  :=
endif

# ---- Targets -------------------------------------------------------------------------------

.PHONY: help
help: ## Show this help message
	@printf '\342\234\223 usage: make [target]\n\n'
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort \
	  | awk 'BEGIN {FS = ":.*## "}; {printf "%-30s - %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the static, stripped, reproducible binary bin/getsmall
	@mkdir -p $(BIN_DIR)
	$(GO_BUILD) -o $(BIN).tmp ./cmd/getsmall
	@# Replace only when the bytes changed, so build-upx need not pack again.
	@if cmp -s $(BIN).tmp $(BIN); then rm $(BIN).tmp; else mv $(BIN).tmp $(BIN); fi
	@echo "$(BIN): $$(stat -c %s $(BIN)) bytes, version $(VERSION)"

.PHONY: build-upx
build-upx: build ## Pack bin/getsmall with UPX into bin/getsmall-upx (UPX_FLAGS, default --brute)
	@$(call need,upx,$(UPX_HINT))
	@stamp=$(BIN_UPX).flags; \
	if [ -f $(BIN_UPX) ] && [ $(BIN_UPX) -nt $(BIN) ] && [ "$$(cat $$stamp 2>/dev/null)" = "$(UPX_FLAGS)" ]; then \
	  echo "$(BIN_UPX) is up to date for UPX_FLAGS=$(UPX_FLAGS)"; \
	else \
	  rm -f $(BIN_UPX) $$stamp; start=$$(date +%s); \
	  upx -q $(UPX_FLAGS) -o $(BIN_UPX) $(BIN) >/dev/null; \
	  touch $(BIN_UPX); \
	  echo "$(UPX_FLAGS)" > $$stamp; \
	  echo "$(BIN_UPX): $$(stat -c %s $(BIN_UPX)) bytes, packed with $(UPX_FLAGS) in $$(( $$(date +%s) - start )) s"; \
	fi
	upx -q -t $(BIN_UPX) >/dev/null

.PHONY: run
run: build ## Build and serve /health on :8080 in the foreground; Ctrl-C stops it gracefully
	exec ./$(BIN) $(RUN_ARGS)

.PHONY: test
test: ## Run every test that needs only Go (with -race when a C compiler is present)
	@if command -v "$$(go env CC)" >/dev/null 2>&1; then \
	  go test -race -count=1 ./...; \
	else \
	  echo "make test: no C compiler ($$(go env CC)) for the race detector: running without -race" >&2; \
	  go test -count=1 ./...; \
	fi

.PHONY: bench
bench: ## Run the benchmarks with allocation counts
	go test -run '^$$' -bench . -benchmem ./...

.PHONY: lint
lint: ## Check formatting, go vet, golangci-lint (pinned) and shellcheck on every script
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  [ -z "$$unformatted" ] || { echo "make lint: gofmt would change: $$unformatted" >&2; exit 1; }
	go vet ./...
	$(GOLANGCI_LINT) run ./...
	@$(call need,shellcheck,apt-get install shellcheck)
	shellcheck $(SCRIPTS)

.PHONY: size
size: build build-upx ## Print the plain and UPX binary sizes in bytes
	@printf '%-32s %10s\n' binary bytes
	@printf '%-32s %10s\n' $(BIN) "$$(stat -c %s $(BIN))" "$(BIN_UPX) ($$(cat $(BIN_UPX).flags))" "$$(stat -c %s $(BIN_UPX))"

.PHONY: offline-bases
offline-bases: ## Build stand-in base images from Debian packages and this Go (air-gapped, OFFLINE=1)
	@$(call need-docker)
	DOCKER=$(DOCKER) CA_BUNDLE=$(CA_BUNDLE) bash docker/offline-bases.sh $(OFFLINE_GO) $(OFFLINE_STATIC)

.PHONY: docker-build
docker-build: ## Build the distroless image getsmall:VERSION from Dockerfile
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(DISTROLESS_ARG) -f Dockerfile -t $(TAG_PLAIN) .

.PHONY: docker-build-no-cache
docker-build-no-cache: ## Build the distroless image without the layer cache
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(DISTROLESS_ARG) --no-cache -f Dockerfile -t $(TAG_PLAIN) .

.PHONY: docker-build-upx
docker-build-upx: ## Build the UPX image getsmall:VERSION-upx on scratch (UPX_FLAGS, RUNTIME_IMAGE)
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(if $(RUNTIME_IMAGE),--build-arg RUNTIME_IMAGE=$(RUNTIME_IMAGE)) \
	  --build-arg UPX_FLAGS="$(UPX_FLAGS)" -f Dockerfile.upx -t $(TAG_UPX) .

.PHONY: docker-build-alpine
docker-build-alpine: ## Build the scratch image getsmall:VERSION-alpine from an Alpine builder
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) -f Dockerfile.alpine -t $(TAG_ALPINE) .

.PHONY: docker-run
docker-run: ## Run the image (RUN_TAG) read-only, no capabilities, on 127.0.0.1:8080 only
	@$(call need-docker)
	$(DOCKER) run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
	  --memory 16m --pids-limit 64 $(DOCKER_RUN_PUBLISH) $(DOCKER_RUN_FLAGS) $(IMAGE):$(RUN_TAG)

.PHONY: docker-push
docker-push: ## Push the images the build targets made to REGISTRY
	@$(call need-docker)
	@[ -n "$(REGISTRY)" ] || { echo "make $@: set REGISTRY, e.g. make docker-push REGISTRY=registry.example.com/team" >&2; exit 1; }
	@pushed=0; for tag in $(TAG_PLAIN) $(TAG_UPX) $(TAG_ALPINE); do \
	  $(DOCKER) image inspect $$tag >/dev/null 2>&1 || { echo "skip $$tag: not built"; continue; }; \
	  $(DOCKER) tag $$tag $(REGISTRY)/$$tag; \
	  $(DOCKER) push -q $(REGISTRY)/$$tag >/dev/null; \
	  digest=$$($(DOCKER) image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' $(REGISTRY)/$$tag | grep -F "$(REGISTRY)/$(IMAGE)@"); \
	  echo "pushed $$digest"; \
	  pushed=$$((pushed + 1)); \
	done; \
	[ $$pushed -gt 0 ] || { echo "make $@: no $(IMAGE):$(VERSION)* image to push: run make docker-build first" >&2; exit 1; }

.PHONY: ls
ls: ## List the images with their size and compressed (download) size
	@$(call need-docker)
	@printf '%-40s %12s %12s\n' IMAGE SIZE COMPRESSED
	@$(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}' $(IMAGE) | sort | while read -r ref; do \
	  size=$$($(DOCKER) image inspect -f '{{.Size}}' "$$ref"); \
	  gz=$$($(DOCKER) save "$$ref" | gzip -c | wc -c); \
	  printf '%-40s %12s %12s\n' "$$ref" "$$size" "$$gz"; \
	done

.PHONY: test-docker
test-docker: $(if $(filter 1,$(OFFLINE)),offline-bases) ## Build, run hardened, stop, push and pull all three images
	@$(call need-docker)
	@$(call need,upx,$(UPX_HINT))
	OFFLINE=$(OFFLINE) UPX_FLAGS="$(UPX_FLAGS)" DOCKER=$(DOCKER) \
	  go test -tags docker -count=1 -v -timeout 60m ./test/docker/

# The load test's own tools: hey at the version go.mod's tool line pins, and the net/http
# baseline built like getsmall.
.PHONY: loadtest-tools
loadtest-tools: build
	@go build -o $(BIN_DIR)/hey github.com/rakyll/hey || \
	  { echo "make $@: cannot build hey (go.mod pins github.com/rakyll/hey): is the Go module proxy reachable?" >&2; exit 1; }
	$(GO_BUILD) -o $(BIN_DIR)/nethttp ./loadtest/nethttp

LOADTEST = go run ./loadtest/cmd/loadtest -getsmall $(BIN) -nethttp $(BIN_DIR)/nethttp -hey $(BIN_DIR)/hey \
  -upx-levels "$(UPX_LEVELS)" -requests $(LT_REQUESTS) $(if $(LT_DURATION),-duration $(LT_DURATION)) \
  -warmup $(LT_WARMUP) -concurrency $(LT_CONCURRENCY) -runs $(LT_RUNS) -cold-runs $(LT_COLD_RUNS) \
  -healthcheck-runs $(LT_HEALTHCHECK_RUNS) -wrk-duration $(LT_WRK_DURATION) \
  -pin=$(if $(filter 1,$(LT_PIN)),true,false) -port $(LT_PORT) -out loadtest/results

.PHONY: loadtest
loadtest: loadtest-tools ## Measure size, cold start, RSS, healthcheck cost and throughput (hey, wrk, net/http, nginx)
	$(LOADTEST)

.PHONY: loadtest-quick
loadtest-quick: ## The same study, small and fast (about a minute)
	@$(MAKE) --no-print-directory loadtest UPX_LEVELS=--lzma LT_REQUESTS=20000 LT_DURATION= LT_WARMUP=2000 \
	  LT_COLD_RUNS=20 LT_HEALTHCHECK_RUNS=10 LT_WRK_DURATION=1s

.PHONY: loadtest-check
loadtest-check: ## Verify the latest results: every variant, no errors, plain starts faster than --lzma
	go run ./loadtest/cmd/loadtest check loadtest/results/latest

# print-VAR prints a variable as make computes it, for tests and scripts: make print-VERSION
print-%:
	@echo '$($*)'

.PHONY: clean
clean: ## Remove build outputs (bin/); sources and go.mod are never touched
	rm -rf $(BIN_DIR)
