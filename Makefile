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

# need-TOOL checks fail with one line that says how to get the tool.
define need
command -v $(1) >/dev/null 2>&1 || { echo "make $@: $(1) not found: $(2)" >&2; exit 1; }
endef

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
	@$(call need,upx,install UPX 4.x: Debian bookworm-backports package upx-ucl; Alpine upx; macOS is not supported by UPX 4.2+)
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

.PHONY: clean
clean: ## Remove build outputs (bin/); sources and go.mod are never touched
	rm -rf $(BIN_DIR)
