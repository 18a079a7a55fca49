# Every platform at once: the edge builds (Raspberry Pi, ARM servers, MIPS routers), their UPX
# packs, sizes and checksums (test/ runs each of them under qemu-user: make test-platforms).

PLATFORMS ?= linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6 linux/mipsle

# platform-name: linux/arm/v7 -> linux-armv7, the suffix of every per-platform output name.
platform-name = $(subst /,-,$(subst /v,v,$(1)))
platform-word = $(word $(2),$(subst /, ,$(1)))
# go-env: linux/arm/v7 -> GOOS=linux GOARCH=arm GOARM=7. mips and mipsle get GOMIPS=softfloat:
# most OpenWrt routers have no FPU, and a hardfloat binary dies there on its first float
# instruction. The Dockerfiles map TARGETOS/TARGETARCH/TARGETVARIANT the same way, and
# test-docker checks that both produce the same bytes.
go-env = GOOS=$(call platform-word,$(1),1) GOARCH=$(call platform-word,$(1),2) $(strip \
  $(if $(and $(filter arm,$(call platform-word,$(1),2)),$(call platform-word,$(1),3)),GOARM=$(patsubst v%,%,$(call platform-word,$(1),3))) \
  $(if $(filter mips mipsle,$(call platform-word,$(1),2)),GOMIPS=softfloat))

$(foreach p,$(PLATFORMS),$(if $(and $(call platform-word,$(p),2),$(if $(call platform-word,$(p),4),,ok)),,\
  $(error PLATFORMS: "$(p)" is not os/arch or os/arch/variant, e.g. linux/arm64 or linux/arm/v7)))
$(foreach p,$(PLATFORMS),$(if $(filter arm,$(call platform-word,$(p),2)),$(if $(filter v5 v6 v7,$(call platform-word,$(p),3)),,\
  $(error PLATFORMS: "$(p)": an arm platform needs a variant v5, v6 or v7 (GOARM), e.g. linux/arm/v7))))

# All per-platform outputs of both flavours, for SHA256SUMS.
PLATFORM_OUTPUTS = $(foreach n,$(NAME_BASE) $(NAME_BASE)-upx $(NAME_BASE)-floppy $(NAME_BASE)-floppy-upx,\
  $(foreach p,$(PLATFORMS),$(n)-$(call platform-name,$(p))))

# build-one PLATFORM: one cross-compiled binary, replaced only when its bytes changed.
define build-one
$(call go-env,$(1)) $(GO_BUILD) -o $(BIN_DIR)/$(NAME)-$(call platform-name,$(1)).tmp ./cmd/getsmall
@$(call replace-if-changed,$(BIN_DIR)/$(NAME)-$(call platform-name,$(1)))

endef

# pack-one PLATFORM: pack that platform's binary.
define pack-one
@$(call pack,$(BIN_DIR)/$(NAME)-$(call platform-name,$(1)),$(BIN_DIR)/$(NAME)-upx-$(call platform-name,$(1)))
@$(call floppy-verdict,$(BIN_DIR)/$(NAME)-upx-$(call platform-name,$(1)))

endef

# SHA256 writes "hash  name" lines: coreutils' sha256sum, or shasum on macOS and BSDs.
SHA256 = $(call once,SHA256,command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo 'shasum -a 256')

# checksums: SHA256SUMS over every per-platform binary present in BIN_DIR, sorted by name.
define checksums
@cd $(BIN_DIR) && files= && for f in $(sort $(PLATFORM_OUTPUTS)); do [ ! -f "$$f" ] || files="$$files $$f"; done && \
  { [ -z "$$files" ] || $(SHA256) $$files; } >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS
@echo "$(BIN_DIR)/SHA256SUMS: $$(wc -l <$(BIN_DIR)/SHA256SUMS | tr -d ' ') binaries"
endef

.PHONY: build-all
build-all: ## Cross-compile bin/getsmall-<os>-<arch><variant> for every PLATFORMS entry, and SHA256SUMS
	@mkdir -p $(BIN_DIR)
	$(foreach p,$(PLATFORMS),$(call build-one,$(p)))
	$(checksums)

.PHONY: build-upx-all
build-upx-all: build-all ## Pack every platform's binary with UPX into bin/getsmall-upx-<platform>, and SHA256SUMS
	@$(call need,upx,$(UPX_HINT))
	$(foreach p,$(PLATFORMS),$(call pack-one,$(p)))
	$(checksums)

.PHONY: size
size: build-upx-all ## Print plain and UPX bytes for every platform (FLOPPY=1: the floppy flavour)
	@printf '%-16s %12s %12s %7s  %s\n' platform plain "upx $$(cat $(BIN_DIR)/$(NAME)-upx-$(call platform-name,$(firstword $(PLATFORMS))).flags)" ratio "$(if $(FLAVOR),floppy ($(FLOPPY_BYTES) bytes))"
	@$(foreach p,$(PLATFORMS),plain=$(call file-size,$(BIN_DIR)/$(NAME)-$(call platform-name,$(p))); \
	  upx=$(call file-size,$(BIN_DIR)/$(NAME)-upx-$(call platform-name,$(p))); \
	  fit=$(if $(FLAVOR),$$( [ $$upx -le $(FLOPPY_BYTES) ] && echo "fits, $$(( $(FLOPPY_BYTES) - upx )) to spare" || echo "over by $$(( upx - $(FLOPPY_BYTES) ))")); \
	  printf '%-16s %12s %12s %6s%%  %s\n' $(p) $$plain $$upx $$(( upx * 100 / plain )) "$$fit";)

# qemu-user's name for a Go architecture, and the foreign ones of PLATFORMS: what running
# another platform's binary or image here needs (test-platforms, test-docker).
QEMU_ARCH = $(patsubst amd64,x86_64,$(patsubst arm64,aarch64,$(patsubst mipsle,mipsel,$(patsubst mips64le,mips64el,$(1)))))
FOREIGN_ARCHS = $(sort $(filter-out $(HOST_GOARCH),$(foreach p,$(PLATFORMS),$(call platform-word,$(p),2))))
QEMU_NEEDED = $(foreach a,$(FOREIGN_ARCHS),qemu-$(call QEMU_ARCH,$(a))-static)
