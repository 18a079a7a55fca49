# getsmall: build, test, run, pack and containerize the service.
# `make help` lists the public targets; each carries a `## description` on its line. The
# product's targets live in mk/; each satellite folder (loadtest/, deploy/, tools/, test/)
# brings its own from its own .mk file, so deleting the folder deletes its targets and
# nothing else.
#
# Portable: the build/test/run path (build, test, run, clean, help) needs only make 3.81 or
# later, Go, and POSIX tools, as macOS ships them. Each of its recipe lines is one command or
# an && chain, so it stops on the first failure even where make ignores .SHELLFLAGS (3.81).

SHELL := bash
.SHELLFLAGS := -o errexit -o pipefail -o nounset -c
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

# ---- Shared variables ----------------------------------------------------------------------

# The Go toolchain every target builds with, for reproducible bytes and because older ones
# carry standard-library vulnerabilities the shipped server reaches (make vuln). A go
# command older than this fetches it from the module proxy once (about 76 MB) and caches
# it. GOTOOLCHAIN=local in the environment builds with the Go on PATH instead.
export GOTOOLCHAIN ?= go1.27.3

# once NAME,COMMAND: the variable NAME, computed by COMMAND the first time a recipe reads it
# and never again, so `make help` and other targets that do not need it run no command.
# Use it as NAME = $(call once,NAME,COMMAND); a value given on the command line still wins.
once = $(eval $(1) := $(subst $$,$$$$,$(shell $(2))))$($(1))

# The product's name: the binary, the image, the Kubernetes objects. `make rename` changes it.
NAME_BASE  := getsmall
BIN_DIR    ?= bin
DOCKER     ?= docker
# Versions come from git, once per make run, when a recipe needs them.
VERSION    ?= $(call once,VERSION,git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(call once,COMMIT,git rev-parse --verify --quiet HEAD 2>/dev/null || echo unknown)
# The commit's time, not the wall clock: a build date that changes would break reproducibility.
BUILD_DATE ?= $(call once,BUILD_DATE,TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
# What the recipes' go reports, for targets that key a cache or an image by it: the pinned
# toolchain's name needs no command; GOTOOLCHAIN=local asks the go on PATH.
GO_VERSION_NAME = $(if $(filter go1.%,$(GOTOOLCHAIN)),$(firstword $(subst +, ,$(GOTOOLCHAIN))),$(call once,GO_VERSION_NAME,go env GOVERSION))
HOST_GOARCH     = $(call once,HOST_GOARCH,go env GOARCH)

# ---- The one definition of how the binary is built ----------------------------------------
# The Dockerfiles receive GO_LDFLAGS as a build argument and run the same go build line, so
# the binary in every image has the bytes `make build` produces (test-docker checks this).
# -buildvcs=false: the image build sees no .git, and the commit is already set with -X.

# FLOPPY=1 selects the floppy flavour: size-first build flags (FLOPPY_FLAGS: inlining off, the
# router without fasthttp/router, net/http without its HTTP/2 bundle; docs/floppy.md measures
# what each saves and costs), and every output name gains -floppy so the two flavours never
# overwrite each other: bin/getsmall-floppy, bin/getsmall-floppy-upx, getsmall:VERSION-floppy-upx.
FLOPPY       ?=
FLOPPY_FLAGS := -gcflags=all=-l -tags=floppy,nethttpomithttp2
ifneq ($(filter-out 0 1,$(FLOPPY)),)
$(error FLOPPY=$(FLOPPY): want 1 (the floppy flavour) or empty)
endif
FLAVOR         := $(if $(filter 1,$(FLOPPY)),-floppy)
GO_BUILD_FLAGS := $(if $(filter 1,$(FLOPPY)),$(FLOPPY_FLAGS))

NAME       := $(NAME_BASE)$(FLAVOR)
BIN        := $(BIN_DIR)/$(NAME)
BIN_UPX    := $(BIN_DIR)/$(NAME)-upx
GO_LDFLAGS  = -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(BUILD_DATE)
GO_BUILD    = CGO_ENABLED=0 go build -trimpath -buildvcs=false $(GO_BUILD_FLAGS) -ldflags "$(GO_LDFLAGS)"
export TZ := UTC

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

# file-size FILE: its size in bytes, with POSIX tools only (BSD wc pads with spaces).
file-size = $$(wc -c <$(1) | tr -d ' ')

# replace-if-changed FILE: move FILE.tmp over FILE only when the bytes differ, so a rebuild
# that changes nothing keeps FILE's time and UPX need not pack it again. One && chain: it
# stops on a failure without errexit.
define replace-if-changed
{ cmp -s $(1).tmp $(1) && rm $(1).tmp || mv $(1).tmp $(1); } && \
echo "$(1): $(call file-size,$(1)) bytes, version $(VERSION)"
endef

# pack IN OUT: UPX-pack IN into OUT with UPX_FLAGS, unless OUT is newer than IN and was packed
# with the same flags (OUT.flags records them); then let upx -t decompress and check it.
define pack
if [ -f $(2) ] && [ $(2) -nt $(1) ] && [ "$$(cat $(2).flags 2>/dev/null)" = "$(UPX_FLAGS)" ]; then \
  echo "$(2) is up to date for UPX_FLAGS=$(UPX_FLAGS)"; \
else \
  rm -f $(2) $(2).flags; start=$$(date +%s); \
  upx -q $(UPX_FLAGS) -o $(2) $(1) >/dev/null; \
  touch $(2); echo "$(UPX_FLAGS)" >$(2).flags; \
  echo "$(2): $(call file-size,$(2)) bytes, packed with $(UPX_FLAGS) in $$(( $$(date +%s) - start )) s"; \
fi; \
upx -q -t $(2) >/dev/null
endef

# A 3.5" high-density floppy: 80 tracks x 2 sides x 18 sectors x 512 bytes.
FLOPPY_BYTES := 1474560

# floppy-verdict FILE: in the floppy flavour, say whether FILE fits (information only: the
# platform tests are what fail when an edge platform's floppy build stops fitting).
floppy-verdict = $(if $(FLAVOR),$(call floppy-fits,$(1)),:)
define floppy-fits
size=$(call file-size,$(1)); \
if [ $$size -le $(FLOPPY_BYTES) ]; then echo "$(1): fits a floppy with $$(( $(FLOPPY_BYTES) - size )) bytes to spare"; \
else echo "$(1): does not fit a floppy: $$(( size - $(FLOPPY_BYTES) )) bytes over $(FLOPPY_BYTES)"; fi
endef

# The product.
include mk/build.mk
include mk/platforms.mk
include mk/images.mk

# The satellites: each folder brings its targets; a deleted folder takes them with it.
-include $(wildcard loadtest/loadtest.mk deploy/deploy.mk tools/tools.mk test/test.mk packaging/packaging.mk)

.PHONY: help
help: ## Show this help message
	@printf '\342\234\223 usage: make [target]\n\n'
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort \
	  | awk 'BEGIN {FS = ":.*## "}; {printf "%-30s - %s\n", $$1, $$2}'

# print-VAR prints a variable as make computes it, for tests and scripts: make print-VERSION.
# A variable make does not know is an error, not an empty line.
print-%:
	@$(if $(filter undefined,$(origin $*)),echo "make print-$*: no variable $* in the Makefile" >&2; exit 2,echo '$($*)')
