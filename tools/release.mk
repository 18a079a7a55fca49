# Publishing (tools/, with trust.mk's signing): docker-push, the multi-platform indexes and
# their signed SBOMs, and the release files in dist/. The images themselves are built by the
# product's mk/images.mk; docs/trust.md says how to publish and verify.

# crane writes the image indexes: light, pinned in tools/go.mod beside the test registry.
INDEX_CRANE := go tool -modfile=tools/go.mod crane

# ---- Images --------------------------------------------------------------------------------

.PHONY: docker-push
docker-push: ## Push each variant to REGISTRY as one multi-platform image index; with COSIGN_KEY or KEYLESS=1, attach signed SBOMs
	@$(call need-docker)
	@[ -n "$(REGISTRY)" ] || { echo "make $@: set REGISTRY, e.g. make docker-push REGISTRY=registry.example.com/team" >&2; exit 1; }
	@mkdir -p $(BIN_DIR)
	@DOCKER=$(DOCKER) PLATFORMS="$(PLATFORM_PAIRS)" CRANE="$(INDEX_CRANE)" PUSHED_LIST=$(PUSHED_LIST) \
	  bash tools/release/push.sh $(REGISTRY) $(TAG_PLAIN) $(TAG_UPX) $(TAG_ALPINE)
	@$(MAKE) --no-print-directory docker-push-attest

# docker-push runs this last: signed SBOMs when a signer is set, one line saying so otherwise.
.PHONY: docker-push-attest
docker-push-attest:
	@if [ "$(KEYLESS)" = 1 ] || [ -n "$(COSIGN_KEY)" ]; then \
	  $(MAKE) --no-print-directory attest; \
	else \
	  echo "docker-push: no SBOMs attached (set COSIGN_KEY or KEYLESS=1 to attach signed ones; docs/trust.md)"; \
	fi

# ---- Release files ---------------------------------------------------------------------------
# dist/: one archive per platform (the binary as getsmall, LICENSE, README.md), the same for
# each UPX-packed binary, one SBOM per platform (the packed archive holds the same program),
# SHA256SUMS over all of them, and a cosign signature bundle for each archive and the sums.
# Archives are reproducible: sorted, owned by 0:0, dated BUILD_DATE, gzip without a name.
DIST_UPX ?= 1

# Before minutes of building, not after.
.PHONY: dist-signer
dist-signer:
	@$(call need-signer)

.PHONY: dist
dist: dist-signer build-all $(if $(filter 1,$(DIST_UPX)),build-upx-all) sbom-binaries ## Release files in dist/: archives per platform (plain and UPX), SBOMs, SHA256SUMS, signatures
	@rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR); \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	for bin in $(BIN_DIR)/$(NAME_BASE)-linux-* $(if $(filter 1,$(DIST_UPX)),$(BIN_DIR)/$(NAME_BASE)-upx-linux-*); do \
	  [ -f "$$bin" ] || continue; case $$bin in *.*) continue;; esac; \
	  base=$${bin##*/}; platform=$${base##*-linux-}; flavour=$${base%-linux-*}; \
	  name=$$flavour-$(VERSION)-linux-$$platform; \
	  mkdir -p "$$work/$$name"; \
	  cp "$$bin" "$$work/$$name/$(NAME_BASE)"; cp LICENSE README.md "$$work/$$name/"; \
	  chmod 0755 "$$work/$$name/$(NAME_BASE)"; chmod 0644 "$$work/$$name/LICENSE" "$$work/$$name/README.md"; \
	  tar --sort=name --mtime='$(BUILD_DATE)' --owner=0 --group=0 --numeric-owner -C "$$work" -cf - "$$name" \
	    | gzip -n -9 >$(DIST_DIR)/$$name.tar.gz; \
	  if [ "$$flavour" = $(NAME_BASE) ]; then cp "$$bin.cdx.json" "$(DIST_DIR)/$$name.cdx.json"; fi; \
	  echo "dist: $(DIST_DIR)/$$name.tar.gz"; \
	done; \
	ls $(DIST_DIR)/*.tar.gz >/dev/null 2>&1 || { echo "make $@: no bin/getsmall-linux-* binaries (make build-all)" >&2; exit 1; }; \
	cd $(DIST_DIR) && $(SHA256) -- *.tar.gz *.cdx.json >SHA256SUMS
	@$(MAKE) --no-print-directory sign PUSHED_LIST=/dev/null
