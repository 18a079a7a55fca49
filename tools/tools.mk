# The project's tools (tools/, several modules): lint, the supply chain, publishing, the
# binary-size breakdown and the fork's rename. Pulled in by the root Makefile when this folder
# exists; tools/README.md says what each module pins and what goes if the folder is deleted.

XDG_CACHE_HOME ?=

include tools/lint.mk
include tools/trust.mk
include tools/release.mk

.PHONY: binsize
binsize: ## Where the binary's bytes go and why the linker kept them (BINSIZE_ARGS, e.g. -why 'regexp\.')
	@mkdir -p $(BIN_DIR)
	go -C tools build -o $(abspath $(BIN_DIR))/binsize ./cmd/binsize
	$(BIN_DIR)/binsize $(BINSIZE_ARGS)
BINSIZE_ARGS ?=

.PHONY: rename
rename: ## Make the template yours: MODULE=example.com/acme/beacon NAME=beacon renames module, binary, image and Kubernetes objects
	@[ -n "$(MODULE)" ] && [ -n "$(NAME)" ] || { echo "make $@: set both, e.g. make rename MODULE=example.com/acme/beacon NAME=beacon" >&2; exit 2; }
	go -C tools run ./cmd/rename -root $(CURDIR) -module '$(MODULE)' -name '$(NAME)'
MODULE ?=

.PHONY: test-tools
test-tools: ## Run the tools' own tests (binsize, rename, SBOM checks, platform listing, Dockerfile rules)
	go -C tools test -count=1 ./...
	go -C tools/trust test -count=1 ./...
	go -C tools/lint test -count=1 ./...
