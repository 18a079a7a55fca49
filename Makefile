# getsmall: every step of building, testing, packing and measuring the service.
# `make help` lists the public targets; each carries a `## description` on its line. The
# targets live in mk/, one file per concern; this file holds what they all share.

SHELL := bash
.SHELLFLAGS := -o errexit -o pipefail -o nounset -c
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

# ---- Shared variables ----------------------------------------------------------------------

BIN_DIR    ?= bin
DOCKER     ?= docker
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


include mk/build.mk
include mk/images.mk
include mk/loadtest.mk
include mk/k8s.mk

.PHONY: help
help: ## Show this help message
	@printf '\342\234\223 usage: make [target]\n\n'
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort \
	  | awk 'BEGIN {FS = ":.*## "}; {printf "%-30s - %s\n", $$1, $$2}'

# print-VAR prints a variable as make computes it, for tests and scripts: make print-VERSION
print-%:
	@echo '$($*)'
