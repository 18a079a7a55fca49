# The end-to-end tests (test/, a module of its own): every platform's binary under qemu-user,
# every image on every platform, the docs' links and make targets, the fork path, RFC 9112
# on the wire and the binary behind real reverse proxies. Pulled
# in by the root Makefile when this folder exists. The image tests also push, sign and
# release, so they need tools/ (crane, the test registry, cosign).

.PHONY: test-platforms
test-platforms: ## Run every platform's plain, UPX and floppy binary (qemu-user): /health, 404, SIGTERM; sizes within budgets.txt
	@$(call need,upx,$(UPX_HINT))
	@$(foreach q,$(QEMU_NEEDED),$(call need,$(q),install qemu-user-static (Debian) to run foreign binaries);)
	cd test && PLATFORMS="$(PLATFORMS)" UPX_FLAGS="$(UPX_FLAGS)" go test -tags platforms -count=1 -v -timeout 60m ./platforms/

.PHONY: test-docker
test-docker: $(if $(filter 1,$(OFFLINE)),offline-bases) ## Build every image for every platform, run hardened, push indexes, pull and run each platform
	@$(call need-docker)
	@$(call need,upx,$(UPX_HINT))
	@$(need-binfmt)
	cd test && OFFLINE=$(OFFLINE) UPX_FLAGS="$(UPX_FLAGS)" FLOPPY=$(FLOPPY) PLATFORMS="$(PLATFORMS)" DOCKER=$(DOCKER) \
	  go test -tags docker -count=1 -v -timeout 60m ./docker/

.PHONY: test-docs
test-docs: ## Check every Markdown file's relative links and anchors, the make targets the docs name, and the README's length
	cd test && go test -count=1 ./docs/

.PHONY: test-fork
test-fork: ## On copies of the tree: the product alone passes make build test; docs/making-it-yours.md followed as written passes make test
	cd test && go test -tags fork -count=1 -v -timeout 30m ./fork/

# The judge: Debian's python3-h11 (.ci/install pins it), run by this python.
CONFORMANCE_PYTHON ?= /usr/bin/python3

.PHONY: test-conformance
test-conformance: ## Hold the binary to RFC 9112 on the wire, every answer judged by h11 (Debian python3-h11)
	@$(CONFORMANCE_PYTHON) -c 'import h11' 2>/dev/null || { echo "make $@: $(CONFORMANCE_PYTHON) cannot import h11: apt-get install python3-h11" >&2; exit 1; }
	cd test/conformance && CONFORMANCE_PYTHON=$(CONFORMANCE_PYTHON) go test -tags conformance -count=1 -v -timeout 5m .

.PHONY: test-metrics
test-metrics: ## Read the binary's /metrics with Prometheus's own text parser and hold the counts to the traffic sent
	cd test && go test -tags metrics -count=1 -v -timeout 5m ./metrics/

# need-sbin PROGRAM,PACKAGE: like need, also where Debian installs daemons (/usr/sbin), which a
# user's PATH may lack.
need-sbin = command -v $(1) >/dev/null 2>&1 || [ -x /usr/sbin/$(1) ] || { echo "make $@: $(1) not found: apt-get install $(2) (Debian)" >&2; exit 1; }

.PHONY: test-proxies
test-proxies: ## Run the build with a body route behind Debian's nginx, HAProxy, Varnish and Apache: bodies, 413 on an idle pooled connection, request smuggling
	@$(call need-sbin,nginx,nginx-light)
	@$(call need-sbin,haproxy,haproxy)
	@$(call need-sbin,varnishd,varnish)
	@$(call need-sbin,apache2,apache2)
	cd test/proxies && go test -tags proxies -count=1 -v -timeout 10m .
