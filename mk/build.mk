# Building, packing, running, testing and linting the binary for this machine.

UPX_FLAGS  ?= --brute
RUN_ARGS   ?=

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

.PHONY: clean
clean: ## Remove build outputs (bin/); sources and go.mod are never touched
	rm -rf $(BIN_DIR)
