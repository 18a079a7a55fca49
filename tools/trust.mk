# Supply chain: SBOMs (make sbom), the offline vulnerability gate (make vuln), signatures
# (make keys, sign, verify, attest). docs/trust.md says how to use each; the release files
# and docker-push are in release.mk, the Dockerfile and workflow checks in lint.mk.
#
# Tools are pinned in Go modules kept out of go.mod: tools/trust (cosign, crane, govulncheck
# and this project's helpers), tools/sbom (syft), tools/vulndb (the vulnerability data, as
# the golang.org/x/vulndb module version) and tools/lint (the Dockerfile linter,
# actionlint). The heavy ones are built once into a cache outside the clone, keyed by their
# go.mod and go.sum and the Go version, so a version bump builds afresh.

# ---- Knobs ----------------------------------------------------------------------------------
DIST_DIR         ?= dist
# Signing: a key (COSIGN_KEY, a file or a KMS URI; `make keys` makes a pair) or keyless
# (KEYLESS=1: OIDC, e.g. in GitHub Actions with `id-token: write`). A key signs offline,
# without the public transparency log; keyless signatures go to it.
COSIGN_KEY       ?=
COSIGN_PUB       ?= $(if $(filter %.key,$(COSIGN_KEY)),$(COSIGN_KEY:.key=.pub),$(COSIGN_KEY))
COSIGN_PASSWORD  ?=
KEYLESS          ?=
# Verifying keyless signatures: who may have signed (a regexp of the certificate identity,
# e.g. the workflow) and which OIDC issuer vouched for it.
COSIGN_IDENTITY  ?=
COSIGN_ISSUER    ?= https://token.actions.githubusercontent.com
# VULN_DB: empty for the database built from tools/vulndb (offline), `public` for
# govulncheck's default online database, or any file:// or https:// database.
VULN_DB          ?=
# Debian packages the distroless-style image must list in its SBOM.
SBOM_DEBIAN      ?= base-files,netbase,tzdata,ca-certificates

# ---- Tools ----------------------------------------------------------------------------------
# Paths below are computed when a recipe needs them (=, not :=): a make call that signs or
# scans nothing runs no command for them.
TRUST_CACHE    = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/$(NAME_BASE)
TRUST_KEY      = $(call once,TRUST_KEY,cat tools/trust/go.mod tools/trust/go.sum tools/sbom/go.mod tools/sbom/go.sum | $(SHA256) | cut -c1-16)
TRUST_BIN      = $(TRUST_CACHE)/trust-tools/$(GO_VERSION_NAME)-$(TRUST_KEY)
COSIGN         = $(TRUST_BIN)/cosign
SYFT           = $(TRUST_BIN)/syft
GOVULNCHECK    = $(TRUST_BIN)/govulncheck
CRANE          = $(TRUST_BIN)/crane
# This project's own helpers: small, rebuilt from source when they change.
SBOMCHECK      = go -C tools/trust run ./cmd/sbomcheck
IMAGE_PLATFORMS = go -C tools/trust run ./cmd/platforms
# Offline: syft checks for a newer version of itself unless told not to.
export SYFT_CHECK_FOR_APP_UPDATE := false

VULNDB_VERSION  = $(call once,VULNDB_VERSION,awk '$$1 == "golang.org/x/vulndb" {print $$2}' tools/vulndb/go.mod)
VULNDB_DIR      = $(TRUST_CACHE)/vulndb/$(VULNDB_VERSION)
VULN_DB_FLAG    = $(if $(VULN_DB),$(if $(filter public,$(VULN_DB)),,-db $(VULN_DB)),-db file://$(VULNDB_DIR))
# The canary: a module that calls a function with this known vulnerability.
VULN_CANARY    := tools/trust/testdata/vulnmod
VULN_CANARY_ID := GO-2021-0113

# docker-push records "<local tag> <pushed ref>@<digest>" here, one line per image.
PUSHED_LIST   := $(BIN_DIR)/pushed.txt

# Signing and verifying flags for cosign, by mode. With a key, cosign v3 prefers a signing
# config without a transparency log to --tlog-upload=false, but any signing config makes it
# fetch Sigstore's trust root over the network first: these flags keep key signing offline.
ifeq ($(KEYLESS),1)
COSIGN_SIGN   = --yes
COSIGN_VERIFY = --certificate-identity-regexp '$(COSIGN_IDENTITY)' --certificate-oidc-issuer '$(COSIGN_ISSUER)'
else
COSIGN_SIGN   = --key '$(COSIGN_KEY)' --use-signing-config=false --tlog-upload=false --yes
COSIGN_VERIFY = --key '$(COSIGN_PUB)' --insecure-ignore-tlog=true
endif
# cosign_run ARGS,WHAT: run cosign, quiet when it works; when it does not, its whole output
# and one line naming WHAT failed.
define cosign_run
out=$$($(COSIGN) $(1) 2>&1) || { echo "$$out" >&2; echo "make $@: $(2)" >&2; exit 1; }
endef
export COSIGN_PASSWORD

# need-signer: a key or keyless, said in one line otherwise.
define need-signer
[ "$(KEYLESS)" = 1 ] || [ -n "$(COSIGN_KEY)" ] || { echo "make $@: set COSIGN_KEY=cosign.key (make keys makes a pair) or KEYLESS=1 (docs/trust.md)" >&2; exit 1; }; \
[ "$(KEYLESS)" = 1 ] || $(if $(findstring ://,$(COSIGN_KEY)),true,[ -r "$(COSIGN_KEY)" ]) || { echo "make $@: COSIGN_KEY=$(COSIGN_KEY) is not readable" >&2; exit 1; }
endef
define need-verifier
[ "$(KEYLESS)" = 1 ] || [ -n "$(COSIGN_PUB)" ] || { echo "make $@: set COSIGN_PUB=cosign.pub, or KEYLESS=1 with COSIGN_IDENTITY (docs/trust.md)" >&2; exit 1; }; \
[ "$(KEYLESS)" != 1 ] || [ -n "$(COSIGN_IDENTITY)" ] || { echo "make $@: KEYLESS=1 needs COSIGN_IDENTITY, a regexp of the signer's identity" >&2; exit 1; }
endef

# trust-tools builds cosign, crane, govulncheck and syft at the versions tools/trust and
# tools/sbom pin, one after the other (each alone fills both cores), into a directory keyed by
# the Go version and those go.mod and go.sum files: a version bump builds afresh.
.PHONY: trust-tools
trust-tools: ## Build cosign, crane, govulncheck and syft as tools/trust and tools/sbom pin them, once, into ~/.cache/getsmall
	@[ ! -f $(TRUST_BIN)/.built ] || exit 0; \
	echo "trust-tools: building cosign, crane, govulncheck and syft into $(TRUST_BIN) (the first time takes many minutes)"; \
	mkdir -p $(TRUST_BIN); start=$$(date +%s); \
	go -C tools/trust build -o $(TRUST_BIN)/ github.com/sigstore/cosign/v3/cmd/cosign \
	  github.com/google/go-containerregistry/cmd/crane golang.org/x/vuln/cmd/govulncheck && \
	go -C tools/sbom build -o $(TRUST_BIN)/ github.com/anchore/syft/cmd/syft || \
	  { echo "make $@: cannot build the tools pinned in tools/trust and tools/sbom: is the Go module proxy reachable?" >&2; exit 1; }; \
	touch $(TRUST_BIN)/.built; echo "trust-tools: built in $$(( $$(date +%s) - start )) s"

# ---- Known vulnerabilities ------------------------------------------------------------------

.PHONY: vuln-db
vuln-db: ## Build the Go vulnerability database from the golang.org/x/vulndb version tools/vulndb pins (cached)
	@if [ -f $(VULNDB_DIR)/index/db.json ]; then echo "vuln-db: $(VULNDB_DIR) is up to date"; exit 0; fi; \
	start=$$(date +%s); \
	go -C tools/vulndb mod download golang.org/x/vulndb && \
	src=$$(go -C tools/vulndb list -m -f '{{.Dir}}' golang.org/x/vulndb) && \
	rm -rf $(VULNDB_DIR).tmp && mkdir -p $(dir $(VULNDB_DIR)) && \
	go -C tools/vulndb tool indexdb -vulns "$$src/data/osv" -out $(VULNDB_DIR).tmp || \
	  { rm -rf $(VULNDB_DIR).tmp; echo "make $@: cannot build the database from golang.org/x/vulndb $(VULNDB_VERSION)" >&2; exit 1; }; \
	mv $(VULNDB_DIR).tmp $(VULNDB_DIR); \
	echo "vuln-db: $$(ls $(VULNDB_DIR)/ID/*.json | wc -l) reports from golang.org/x/vulndb $(VULNDB_VERSION) in $$(( $$(date +%s) - start )) s"

.PHONY: vuln
vuln: trust-tools build build-all $(if $(VULN_DB),,vuln-db) ## Fail on a reachable known vulnerability: govulncheck on the source and the binaries (offline DB)
	@# The canary first: a gate that cannot see a known, reachable vulnerability proves nothing.
	@set +e; out=$$(cd $(VULN_CANARY) && $(GOVULNCHECK) $(VULN_DB_FLAG) ./... 2>&1); rc=$$?; set -e; \
	if [ $$rc -ne 3 ] || ! grep -q "$(VULN_CANARY_ID)" <<<"$$out"; then \
	  echo "$$out" >&2; echo "make $@: the gate did not report $(VULN_CANARY_ID) in $(VULN_CANARY) (exit $$rc): the database or govulncheck is broken" >&2; exit 1; \
	fi; echo "vuln: canary $(VULN_CANARY) fails the gate with $(VULN_CANARY_ID), as it must"
	$(GOVULNCHECK) $(VULN_DB_FLAG) ./...
	@# Binaries: every plain build in bin/ (a UPX-packed file hides its Go build information).
	@for bin in $(BIN) $(wildcard $(BIN_DIR)/$(NAME_BASE)-linux-*); do \
	  case $$bin in *.*|*-upx*) continue;; esac; \
	  echo "$(GOVULNCHECK) -mode=binary $$bin"; \
	  $(GOVULNCHECK) $(VULN_DB_FLAG) -mode=binary $$bin || exit 1; \
	done

# ---- SBOMs ----------------------------------------------------------------------------------
# One CycloneDX JSON per plain binary in bin/, next to it (before UPX: a packed file hides
# the Go build information), and one per image of this VERSION that Docker holds.
SBOM_CHECK = $(SBOMCHECK) -gomod $(CURDIR)/go.mod -go $(GO_VERSION_NAME)
IMAGE_SBOM = SYFT=$(SYFT) CRANE=$(CRANE) DOCKER=$(DOCKER) bash tools/trust/image-sbom.sh

# plain-binaries: the shell words for every plain (not UPX-packed) binary in bin/.
define plain-binaries
for bin in $(BIN) $(BIN_DIR)/$(NAME_BASE)-linux-*; do \
  [ -f "$$bin" ] || continue; case $$bin in *.*|*-upx*) continue;; esac;
endef

.PHONY: sbom-binaries
sbom-binaries: trust-tools build build-all ## Write a CycloneDX SBOM next to each plain binary in bin/ (bin/*.cdx.json) and check it
	@files=(); $(plain-binaries) \
	  $(SYFT) scan "file:$$bin" -q -o "cyclonedx-json=$$bin.cdx.json" --source-name $(IMAGE) --source-version $(VERSION); \
	  files+=("$(CURDIR)/$$bin.cdx.json"); \
	done; \
	$(SBOM_CHECK) "$${files[@]}"

.PHONY: sbom
sbom: sbom-binaries ## Write and check the SBOMs of the binaries and of the images this VERSION built (bin/*.cdx.json)
	@$(call need-docker)
	@found=0; for tag in $(TAG_PLAIN) $(TAG_UPX) $(TAG_ALPINE); do \
	  $(DOCKER) image inspect "$$tag" >/dev/null 2>&1 || { echo "sbom: skip $$tag: not built"; continue; }; \
	  out=$(BIN_DIR)/image-$${tag//[:\/]/_}.cdx.json; unpack=; debian=; \
	  case $$tag in *-upx) unpack=-unpack;; $(TAG_PLAIN)) debian="$(if $(SBOM_DEBIAN),-debian $(SBOM_DEBIAN))";; esac; \
	  $(IMAGE_SBOM) $$unpack "docker:$$tag" "$$out" $(IMAGE) "$${tag#*:}" || { echo "make $@: no SBOM for $$tag" >&2; exit 1; }; \
	  $(SBOM_CHECK) $$debian "$(CURDIR)/$$out" || exit 1; \
	  found=$$((found + 1)); \
	done; \
	[ $$found -gt 0 ] || echo "sbom: no image of $(VERSION) to describe (make docker-build first); binaries only"

# ---- Signing -------------------------------------------------------------------------------

# keys: where make keys writes the pair (KEY_PREFIX.key, KEY_PREFIX.pub).
KEY_PREFIX ?= cosign

.PHONY: keys
keys: trust-tools ## Make a cosign key pair cosign.key / cosign.pub (KEY_PREFIX; COSIGN_PASSWORD encrypts the key)
	@[ ! -e $(KEY_PREFIX).key ] || { echo "make $@: $(KEY_PREFIX).key exists: move it away first" >&2; exit 1; }
	@$(call cosign_run,generate-key-pair --output-key-prefix $(KEY_PREFIX),cannot write $(KEY_PREFIX).key)
	@echo "keys: wrote $(KEY_PREFIX).key and $(KEY_PREFIX).pub: sign with COSIGN_KEY=$(KEY_PREFIX).key, publish the .pub, never commit the .key"

.PHONY: attest
attest: trust-tools ## Attach a signed SBOM to each platform of each image in bin/pushed.txt (docker-push runs it)
	@$(call need-signer)
	@[ -s $(PUSHED_LIST) ] || { echo "make $@: $(PUSHED_LIST) is empty: run make docker-push REGISTRY=... first" >&2; exit 1; }
	@while read -r tag ref; do \
	  unpack=; debian=; \
	  case $$tag in *-upx) unpack=-unpack;; $(TAG_PLAIN)) debian="$(if $(SBOM_DEBIAN),-debian $(SBOM_DEBIAN))";; esac; \
	  lines=$$($(IMAGE_PLATFORMS) "$$ref") || exit 1; \
	  while read -r platform pref; do \
	    sbom=$(BIN_DIR)/image-$${tag//[:\/]/_}-$${platform//\//-}.cdx.json; \
	    $(IMAGE_SBOM) $$unpack "registry:$$pref" "$$sbom" "$${ref%@*}" "$${tag#*:}" || exit 1; \
	    $(SBOM_CHECK) $$debian "$(CURDIR)/$$sbom" >/dev/null || { $(SBOM_CHECK) $$debian "$(CURDIR)/$$sbom"; exit 1; }; \
	    for target in "$$pref" $$([ "$$pref" = "$$ref" ] || echo "$$ref"); do \
	      $(call cosign_run,attest $(COSIGN_SIGN) --type cyclonedx --predicate "$$sbom" "$$target",cannot attach $$sbom to $$target); \
	    done; \
	    echo "attested $$pref ($$platform): $$sbom"; \
	  done <<<"$$lines"; \
	done <$(PUSHED_LIST)

.PHONY: sign
sign: trust-tools ## Sign the pushed images by digest (bin/pushed.txt) and the release files in dist/ with cosign
	@$(call need-signer)
	@signed=0; \
	if [ -s $(PUSHED_LIST) ]; then while read -r tag ref; do \
	  $(call cosign_run,sign $(COSIGN_SIGN) --recursive "$$ref",cannot sign $$ref); \
	  echo "signed $$ref ($$tag)"; signed=$$((signed + 1)); \
	done <$(PUSHED_LIST); fi; \
	for f in $(DIST_DIR)/*.tar.gz $(DIST_DIR)/SHA256SUMS; do \
	  [ -f "$$f" ] || continue; \
	  $(call cosign_run,sign-blob $(COSIGN_SIGN) --bundle "$$f.sigstore.json" "$$f",cannot sign $$f); \
	  chmod 0644 "$$f.sigstore.json"; \
	  echo "signed $$f"; signed=$$((signed + 1)); \
	done; \
	[ $$signed -gt 0 ] || { echo "make $@: nothing to sign: run make docker-push REGISTRY=... or make dist first" >&2; exit 1; }

# VERIFY_IMAGES: references to verify; default: what docker-push pushed (bin/pushed.txt).
VERIFY_IMAGES ?= $(shell awk '{print $$2}' $(PUSHED_LIST) 2>/dev/null)

.PHONY: verify
verify: trust-tools ## Verify the images' signatures and SBOM attestations (VERIFY_IMAGES) and the signatures in dist/
	@$(call need-verifier)
	@checked=0; \
	for ref in $(VERIFY_IMAGES); do \
	  $(call cosign_run,verify $(COSIGN_VERIFY) "$$ref",$$ref: signature NOT verified); \
	  $(call cosign_run,verify-attestation $(COSIGN_VERIFY) --type cyclonedx "$$ref",$$ref: SBOM attestation NOT verified); \
	  echo "verified $$ref: signature and SBOM attestation"; checked=$$((checked + 1)); \
	done; \
	for f in $(DIST_DIR)/*.tar.gz $(DIST_DIR)/SHA256SUMS; do \
	  [ -f "$$f" ] || continue; \
	  $(call cosign_run,verify-blob $(COSIGN_VERIFY) --bundle "$$f.sigstore.json" "$$f",$$f: signature NOT verified); \
	  checked=$$((checked + 1)); \
	done; \
	if [ -f $(DIST_DIR)/SHA256SUMS ]; then (cd $(DIST_DIR) && sha256sum --quiet -c SHA256SUMS) && echo "verified $(DIST_DIR)/: signatures and SHA256SUMS"; fi; \
	[ $$checked -gt 0 ] || { echo "make $@: nothing to verify: set VERIFY_IMAGES=<ref> or run make dist" >&2; exit 1; }
