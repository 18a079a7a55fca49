# Building, packing, running and testing the binary for this machine: the path a newcomer
# takes (build, run, test, clean), kept to POSIX tools and make 3.81 (see the Makefile).

UPX_FLAGS  ?= --brute
RUN_ARGS   ?=
FUZZTIME   ?= 1m

.PHONY: build
build: ## Build the static, stripped, reproducible binary bin/getsmall (FLOPPY=1: bin/getsmall-floppy)
	@mkdir -p $(BIN_DIR)
	$(GO_BUILD) -o $(BIN).tmp ./cmd/getsmall
	@$(call replace-if-changed,$(BIN))

.PHONY: build-upx
build-upx: build ## Pack it with UPX into bin/getsmall-upx (UPX_FLAGS, default --brute; FLOPPY=1 too)
	@$(call need,upx,$(UPX_HINT))
	@$(call pack,$(BIN),$(BIN_UPX))
	@$(call floppy-verdict,$(BIN_UPX))

.PHONY: run
run: build ## Build and serve /health on :8080 in the foreground; Ctrl-C stops it gracefully
	exec $(if $(filter /%,$(BIN)),,./)$(BIN) $(RUN_ARGS)

# The race detector needs cgo, so a C compiler; without one the tests run without it. It also
# allocates on its own, so the allocation tests run again without it.
.PHONY: test
test: ## Run the product's tests: handlers, server, the real binary, reproducibility (-race with a C compiler)
	@if command -v "$$(go env CC)" >/dev/null 2>&1; then race=-race; else race=; \
	  echo "make test: no C compiler ($$(go env CC)) for the race detector: running without -race" >&2; fi && \
	  go test $$race -count=1 ./... && \
	  { [ -z "$$race" ] || go test -count=1 -run 'Allocs' ./router ./server; }

.PHONY: bench
bench: ## Run the benchmarks with allocation counts
	go test -run '^$$' -bench . -benchmem ./...

.PHONY: fuzz
fuzz: ## Fuzz the server with raw bytes for FUZZTIME (1m); a failing input is saved under server/testdata/fuzz
	go test -run '^$$' -fuzz '^FuzzServe$$' -fuzztime $(FUZZTIME) ./server

# The operating systems and architectures the product must compile for, tests included:
# where people build and fork it (macOS, Windows, FreeBSD) as well as where it ships.
CROSS_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64

# vet and the test builds use the binary's own flags (no cgo, -trimpath), so each platform's
# packages compile once, not twice: about 2 minutes less with a cold build cache.
.PHONY: test-cross
test-cross: ## go vet, compile every test and build the binary (as make build does) for each CROSS_PLATFORMS entry
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for p in $(CROSS_PLATFORMS); do \
	  os=$${p%/*} && arch=$${p#*/} && \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 go vet -trimpath ./... && \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 go test -trimpath -c -o "$$tmp/" ./... && \
	  GOOS=$$os GOARCH=$$arch $(GO_BUILD) -o "$$tmp/$(NAME_BASE)-$$os-$$arch" ./cmd/getsmall && \
	  echo "test-cross: $$p: vet, tests compiled, binary $$(wc -c <"$$tmp/$(NAME_BASE)-$$os-$$arch" | tr -d ' ') bytes" || exit 1; \
	done

.PHONY: clean
clean: ## Remove build outputs (bin/); sources and go.mod are never touched
	rm -rf $(BIN_DIR)
