# Building, running, testing and linting the host binary.

UPX_FLAGS  ?= --brute
RUN_ARGS   ?=

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

.PHONY: clean
clean: ## Remove build outputs (bin/); sources and go.mod are never touched
	rm -rf $(BIN_DIR)
