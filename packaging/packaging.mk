# The OS packages (packaging/, a module of its own): make packages, test-packages, nfpm,
# apk-tools and apk-key.
# Pulled in by the root Makefile when this folder exists; it uses the product's platform
# builds (build-all, build-upx-all) and, when tools/ is there, its syft and cosign
# (trust.mk's SYFT, SBOM_CHECK, cosign_run, need-signer). packaging/README.md says more.

# Every go command of this module runs in packaging/ (go -C), so paths given to it are absolute.
PKG_GO := go -C packaging

# PACKAGE_BINARY: upx (the UPX-packed binaries, the default) or plain. FLOPPY=1 packages the
# floppy flavour. Each flavour but the default adds its suffix to the file names
# (-plain, -floppy, -floppy-plain); the package name stays $(NAME_BASE).
PACKAGE_BINARY     ?= upx
PACKAGE_FORMATS    ?= deb rpm apk ipk apk3
DIST_DIR           ?= dist
PACKAGE_DIR        ?= $(DIST_DIR)/packages
PACKAGE_SUMMARY    ?= A /health endpoint, served by fasthttp from a static binary
# Debian and OpenWrt require a maintainer with an address: set yours.
PACKAGE_MAINTAINER ?= The $(NAME_BASE) authors <$(NAME_BASE)@users.invalid>
PACKAGE_HOMEPAGE    = $(call once,PACKAGE_HOMEPAGE,awk '$$1 == "module" {print "https://" $$2; exit}' go.mod)
PACKAGE_LICENSE    ?= MIT
# PACKAGE_SBOM=0 skips the SBOMs (syft is built once with tools/'s trust-tools, minutes).
PACKAGE_SBOM       ?= 1
XDG_CACHE_HOME     ?=

ifeq ($(filter upx plain,$(PACKAGE_BINARY)),)
$(error PACKAGE_BINARY=$(PACKAGE_BINARY): want upx (the default) or plain)
endif
PKG_COMMA   := ,
PKG_UPX     := $(filter upx,$(PACKAGE_BINARY))
PKG_SUFFIX  := $(FLAVOR)$(if $(PKG_UPX),,-plain)
PKG_FLAVOR  := $(if $(FLAVOR),floppy$(PKG_COMMA) )$(if $(PKG_UPX),UPX-packed,plain)
# A platform's binary is this prefix and its platform name; the SBOM describes the plain
# binary of the same flavour, since a UPX-packed file hides Go's build information.
PKG_BIN_PREFIX   = $(abspath $(BIN_DIR))/$(NAME)$(if $(PKG_UPX),-upx)-
PKG_PLAIN_PREFIX = $(abspath $(BIN_DIR))/$(NAME)-

# nfpm at the version packaging/go.mod pins, built once into a cache outside the clone.
NFPM_VERSION = $(call once,NFPM_VERSION,awk '$$1 == "github.com/goreleaser/nfpm/v2" {print $$2; exit}' packaging/go.mod)
NFPM         = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/$(NAME_BASE)/nfpm/$(NFPM_VERSION)/nfpm

.PHONY: nfpm
nfpm: ## Build nfpm as packaging/go.mod pins it, once, into ~/.cache/getsmall/nfpm/<version>
	@[ ! -x $(NFPM) ] || exit 0; \
	echo "nfpm: building $(NFPM_VERSION) into $(dir $(NFPM)) (once; about 30 s on two cores)"; \
	mkdir -p $(dir $(NFPM)) && start=$$(date +%s) && \
	$(PKG_GO) build -o $(NFPM).tmp github.com/goreleaser/nfpm/v2/cmd/nfpm && mv $(NFPM).tmp $(NFPM) || \
	  { rm -f $(NFPM).tmp; echo "make $@: cannot build nfpm $(NFPM_VERSION) (packaging/go.mod): is the Go module proxy reachable?" >&2; exit 1; }; \
	echo "nfpm: built in $$(( $$(date +%s) - start )) s"

# apk-tools, built once from its release source into a cache outside the clone: its mkpkg
# writes the OpenWrt packages (apk3), its index and mkndx the repositories' indexes, and
# make test-packages-apk installs with it. Nothing is fetched: APK_TOOLS_SRC is the tarball
# (by default where the project's machines keep it: shared/third_party beside the clone, or
# under /work when the clone is elsewhere), checked against its SHA-256.
APK_TOOLS_VERSION := 3.0.6
APK_TOOLS_SHA256  := ebd16bd50eb23c678df7715cf8ccab4a7457c5201317bd7340b0db8dc1668104
APK_TOOLS_TARBALL := third_party/apk-tools-$(APK_TOOLS_VERSION).tar.gz
APK_TOOLS_SRC     ?= $(firstword $(wildcard $(abspath ../shared/$(APK_TOOLS_TARBALL)) /work/shared/$(APK_TOOLS_TARBALL)) $(abspath ../shared/$(APK_TOOLS_TARBALL)))
APK_TOOLS          = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/$(NAME_BASE)/apk-tools/$(APK_TOOLS_VERSION)/apk
# APK_KEY: the project's apk key (NAME.rsa, its public key NAME.rsa.pub beside it; make
# apk-key makes a pair). With it the apk packages are signed and their repositories written.
APK_KEY           ?=
PKG_NEED_APK       = $(or $(filter apk3,$(PACKAGE_FORMATS)),$(and $(APK_KEY),$(filter apk,$(PACKAGE_FORMATS))))

.PHONY: apk-tools
apk-tools: ## Build apk-tools 3.0.6 once from APK_TOOLS_SRC into ~/.cache/getsmall/apk-tools/<version> (about 15 s)
	@[ ! -x $(APK_TOOLS) ] || exit 0; \
	[ -f "$(APK_TOOLS_SRC)" ] || { echo "make $@: no $(APK_TOOLS_SRC): set APK_TOOLS_SRC to apk-tools' v$(APK_TOOLS_VERSION) source tarball" >&2; exit 1; }; \
	for tool in meson ninja pkg-config cc; do $(call need,$$tool,apt-get install meson ninja-build pkg-config gcc zlib1g-dev libssl-dev libzstd-dev); done; \
	[ "$$($(SHA256) <"$(APK_TOOLS_SRC)" | cut -d' ' -f1)" = $(APK_TOOLS_SHA256) ] || \
	  { echo "make $@: $(APK_TOOLS_SRC) is not apk-tools $(APK_TOOLS_VERSION): its SHA-256 is not $(APK_TOOLS_SHA256)" >&2; exit 1; }; \
	echo "apk-tools: building $(APK_TOOLS_VERSION) into $(dir $(APK_TOOLS)) (once)"; start=$$(date +%s); \
	src=$$(mktemp -d) && trap 'rm -rf "$$src"' EXIT && tar -xzf "$(APK_TOOLS_SRC)" -C "$$src" --strip-components=1 && \
	( cd "$$src" && VERSION=$(APK_TOOLS_VERSION) meson setup build -Dlua=disabled -Dpython=disabled -Ddocs=disabled \
	    -Dhelp=disabled -Dtests=disabled -Ddefault_library=static && ninja -C build ) >"$$src.log" 2>&1 || \
	  { tail -20 "$$src.log" >&2; rm -f "$$src.log"; echo "make $@: apk-tools $(APK_TOOLS_VERSION) did not build (its output is above)" >&2; exit 1; }; \
	rm -f "$$src.log"; mkdir -p $(dir $(APK_TOOLS)) && cp "$$src/build/src/apk" $(APK_TOOLS).tmp && mv $(APK_TOOLS).tmp $(APK_TOOLS) && \
	echo "apk-tools: $$($(APK_TOOLS) --version) built in $$(( $$(date +%s) - start )) s"

.PHONY: apk-key
apk-key: ## Make an apk key pair, APK_KEY (getsmall.rsa) and its .pub: it signs the apk packages and repositories
	@$(PKG_GO) run ./cmd/packages -keygen $(abspath $(or $(APK_KEY),$(NAME_BASE).rsa))

# The command that writes the packages; make passes everything it decides.
PACKAGES = $(PKG_GO) run ./cmd/packages -nfpm $(NFPM) -name $(NAME_BASE) -version '$(VERSION)' -date '$(BUILD_DATE)' \
  $(if $(PKG_NEED_APK),-apk $(APK_TOOLS)) $(if $(APK_KEY),-apk-key $(abspath $(APK_KEY))) \
  -platforms '$(PLATFORMS)' -formats '$(PACKAGE_FORMATS)' -bin-prefix $(PKG_BIN_PREFIX) $(if $(PKG_UPX),-packed) \
  -flavor '$(PKG_FLAVOR)' -suffix '$(PKG_SUFFIX)' -out $(abspath $(PACKAGE_DIR)) \
  -summary '$(PACKAGE_SUMMARY)' -maintainer '$(PACKAGE_MAINTAINER)' -homepage '$(PACKAGE_HOMEPAGE)' \
  -license '$(PACKAGE_LICENSE)' -license-file $(abspath LICENSE)

# tools/ brings syft and cosign; without it the packages are written all the same.
PKG_HAVE_TOOLS = $(if $(filter undefined,$(origin cosign_run)),,1)
PKG_SBOMS      = $(and $(PKG_HAVE_TOOLS),$(filter 1,$(PACKAGE_SBOM)))

# pkg-sboms DIR: an SBOM of each platform's plain binary into DIR/<platform>.cdx.json, as
# make sbom-binaries writes them, checked against go.mod (the default flavour: the floppy
# build leaves modules out on purpose).
define pkg-sboms
$(MAKE) --no-print-directory trust-tools && \
$(foreach p,$(PLATFORMS),$(SYFT) scan "file:$(PKG_PLAIN_PREFIX)$(call platform-name,$(p))" -q \
  -o "cyclonedx-json=$(1)/$(call platform-name,$(p)).cdx.json" --source-name $(NAME_BASE) --source-version '$(VERSION)' && )\
$(if $(FLAVOR),true,$(SBOM_CHECK) $(1)/*.cdx.json >/dev/null)
endef

# pkg-sign: sign each package and SHA256SUMS with cosign (a key or keyless), as make dist
# signs its files; one line when there is no signer or no tools/.
define pkg-sign
$(if $(PKG_HAVE_TOOLS),\
if [ "$(KEYLESS)" = 1 ] || [ -n "$(COSIGN_KEY)" ]; then \
  $(call need-signer); \
  $(MAKE) --no-print-directory trust-tools && \
  for f in $$(cd $(PACKAGE_DIR) && ls | grep -E '\.(deb|rpm|apk|ipk)$$') SHA256SUMS; do \
    f=$(PACKAGE_DIR)/$$f; \
    $(call cosign_run,sign-blob $(COSIGN_SIGN) --bundle "$$f.sigstore.json" "$$f",cannot sign $$f); \
    chmod 0644 "$$f.sigstore.json"; \
  done; \
  echo "packages: signed every package and SHA256SUMS ($(PACKAGE_DIR)/*.sigstore.json)"; \
else \
  echo "packages: not signed (set COSIGN_KEY=cosign.key or KEYLESS=1 to sign them: docs/trust.md)"; \
fi,\
echo "packages: not signed: tools/ is absent (cosign)")
endef

# A signer that cannot sign says so before minutes of building, not after.
.PHONY: packages-signer
packages-signer:
	@$(if $(PKG_HAVE_TOOLS),if [ "$(KEYLESS)" = 1 ] || [ -n "$(COSIGN_KEY)" ]; then $(call need-signer); fi,:)

.PHONY: packages
packages: packages-signer nfpm $(if $(PKG_NEED_APK),apk-tools) $(if $(PKG_UPX),build-upx-all,build-all) ## deb, rpm, apk, ipk and OpenWrt's apk per platform in dist/packages, apk repositories, SHA256SUMS, SBOMs, signatures
	@sboms=$$(mktemp -d) && trap 'rm -rf "$$sboms"' EXIT && \
	$(if $(PKG_SBOMS),$(call pkg-sboms,$$sboms) && ,echo "packages: no SBOMs: $(if $(PKG_HAVE_TOOLS),PACKAGE_SBOM=$(PACKAGE_SBOM),tools/ is absent (syft))" && )\
	$(PACKAGES) $(if $(PKG_SBOMS),-sbom-dir $$sboms)
	@cd $(PACKAGE_DIR) && rm -f SHA256SUMS.sigstore.json && files=$$(ls | grep -E '\.(deb|rpm|apk|ipk)(\.cdx\.json)?$$' | LC_ALL=C sort) && \
	  $(SHA256) $$files >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS && \
	  echo "packages: $(PACKAGE_DIR)/SHA256SUMS: $$(wc -l <SHA256SUMS | tr -d ' ') files"
	@$(pkg-sign)

# cosign for the signed packages' test, when tools/ is there (its own test fails without it).
.PHONY: test-packages
test-packages: $(if $(PKG_HAVE_TOOLS),trust-tools) apk-tools ## Build the packages twice (same bytes?), sign them, unpack and check each, run every script against stand-ins
	@$(call need,dpkg-deb,apt-get install dpkg)
	@$(call need,rpm,apt-get install rpm)
	@$(call need,shellcheck,apt-get install shellcheck)
	@$(call need,upx,$(UPX_HINT))
	cd packaging && PLATFORMS='$(PLATFORMS)' UPX_FLAGS='$(UPX_FLAGS)' BIN_DIR='$(abspath $(BIN_DIR))' APK_TOOLS='$(APK_TOOLS)' go test -count=1 -timeout 30m ./...

# The .deb under systemd as PID 1 (packaging/systemd/, its own .mk), when that folder exists.
-include $(wildcard packaging/systemd/systemd.mk)

# Alpine's and OpenWrt's apk packages under apk-tools itself (packaging/apk/, its own .mk).
-include $(wildcard packaging/apk/apk.mk)
