# The three images, one per platform: build, run hardened, list. Publishing them (docker-push,
# signatures) is in tools/release.mk; their end-to-end test in test/test.mk.

# Images: local tags $(IMAGE):$(VERSION)[-upx|-alpine]-<platform name> per platform, plus the
# same tag without the platform for this machine's own platform (what docker-run and a local
# `docker run` use). docker-push publishes $(REGISTRY)/$(IMAGE):$(VERSION)[-upx|-alpine] as
# one image index naming every platform.
IMAGE      ?= $(NAME_BASE)
REGISTRY   ?=
# No bridge network is needed for building: host networking works everywhere BuildKit runs.
DOCKER_BUILD_FLAGS ?= --network host
# docker-run: which tag, where it is published, and anything extra (e.g. -d --name x).
RUN_TAG            ?= $(VERSION)$(FLAVOR)
DOCKER_RUN_PUBLISH ?= -p 127.0.0.1:8080:8080
DOCKER_RUN_FLAGS   ?=
# The server derives its connection cap from this limit (docs/memory.md): 16 MiB gives the
# plain images hundreds of connections. The UPX image gets 24 MiB: it and each HEALTHCHECK
# probe hold an unpacked copy of the program, which peak above 16 MiB together.
DOCKER_RUN_MEMORY  ?= $(if $(findstring -upx,$(RUN_TAG)),24m,16m)
# Final stage of Dockerfile.upx: empty keeps scratch; with OFFLINE=1 use $(OFFLINE_STATIC)
# where you would use distroless.
RUNTIME_IMAGE      ?=
# OFFLINE=1 builds every image on the stand-in bases of `make offline-bases`.
OFFLINE            ?=
CA_BUNDLE          ?= /etc/ssl/certs/ca-certificates.crt

# ---- Images --------------------------------------------------------------------------------
# Stand-in bases get local names only, never the public ones they replace.
GO_VERSION      = $(patsubst go%,%,$(GO_VERSION_NAME))
OFFLINE_GO      = $(NAME_BASE)-offline/builder:go$(GO_VERSION)-bookworm
OFFLINE_STATIC := $(NAME_BASE)-offline/static:nonroot
TAG_PLAIN       = $(IMAGE):$(VERSION)$(FLAVOR)
TAG_UPX         = $(IMAGE):$(VERSION)$(FLAVOR)-upx
TAG_ALPINE      = $(IMAGE):$(VERSION)$(FLAVOR)-alpine
BUILD_ARGS      = --build-arg GO_LDFLAGS="$(GO_LDFLAGS)" --build-arg GO_BUILD_FLAGS="$(GO_BUILD_FLAGS)" \
  --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE)
DOCKER_BUILD    = DOCKER_BUILDKIT=1 $(DOCKER) build $(DOCKER_BUILD_FLAGS) $(BUILD_ARGS)
ifeq ($(OFFLINE),1)
GO_IMAGE_ARG     = --build-arg GO_IMAGE=$(OFFLINE_GO)
DISTROLESS_BASE := $(OFFLINE_STATIC)
else
GO_IMAGE_ARG    :=
DISTROLESS_BASE :=
endif
# The platform Docker runs natively here: its images also get the tag without a platform.
HOST_PLATFORM   = linux/$(HOST_GOARCH)$(if $(filter arm,$(HOST_GOARCH)),/v$(call once,HOST_GOARM,go env GOARM | cut -c1))
# Every platform with its tag suffix, for the scripts: linux/arm/v7=linux-armv7 ...
PLATFORM_PAIRS  = $(foreach p,$(PLATFORMS),$(p)=$(call platform-name,$(p)))

# runtime-arg BASE PLATFORM: --build-arg RUNTIME_IMAGE for a final stage on BASE. The
# stand-in static base exists once per platform (its config must name the target's
# architecture), so it gets the platform suffix; a real base is a multi-platform index already.
runtime-arg = $(if $(1),--build-arg RUNTIME_IMAGE=$(if $(filter $(OFFLINE_STATIC),$(1)),$(1)-$(call platform-name,$(2)),$(1)))

# image-build DOCKERFILE TAG BASE [ARGS]: one build per platform, tagged TAG-<platform name>;
# the host's platform is tagged TAG as well.
define image-build
$(foreach p,$(PLATFORMS),$(DOCKER_BUILD) $(GO_IMAGE_ARG) --platform $(p) $(call runtime-arg,$(3),$(p)) $(4) \
  -f $(1) -t $(2)-$(call platform-name,$(p)) .
)$(if $(filter $(HOST_PLATFORM),$(PLATFORMS)),$(DOCKER) tag $(2)-$(call platform-name,$(HOST_PLATFORM)) $(2),\
  @echo "$(2): $(HOST_PLATFORM) is not in PLATFORMS: no image without a platform suffix")
endef

# need-binfmt: every foreign platform of PLATFORMS can run here, through qemu registered
# with the kernel's binfmt_misc (the F flag: containers need no qemu inside).
define need-binfmt
$(foreach a,$(FOREIGN_ARCHS),\
grep -qs '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-$(call QEMU_ARCH,$(a)) || { echo "make $@: qemu-$(call QEMU_ARCH,$(a)) is not registered with binfmt_misc: apt-get install qemu-user-static binfmt-support; mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable" >&2; exit 1; };)
endef

.PHONY: offline-bases
offline-bases: ## Build stand-in base images from Debian packages and this Go, for every platform (OFFLINE=1)
	@$(call need-docker)
	DOCKER=$(DOCKER) CA_BUNDLE=$(CA_BUNDLE) PLATFORMS="$(PLATFORM_PAIRS)" HOST_PLATFORM=$(HOST_PLATFORM) \
	  bash mk/offline-bases.sh $(OFFLINE_GO) $(OFFLINE_STATIC)

.PHONY: docker-build
docker-build: ## Build the distroless image getsmall:VERSION for every platform (PLATFORMS) from Dockerfile
	@$(call need-docker)
	$(call image-build,Dockerfile,$(TAG_PLAIN),$(DISTROLESS_BASE),)

.PHONY: docker-build-no-cache
docker-build-no-cache: ## Build the distroless images without the layer cache
	@$(call need-docker)
	$(call image-build,Dockerfile,$(TAG_PLAIN),$(DISTROLESS_BASE),--no-cache)

.PHONY: docker-build-upx
docker-build-upx: ## Build the UPX image getsmall:VERSION-upx on scratch for every platform (UPX_FLAGS, RUNTIME_IMAGE, FLOPPY)
	@$(call need-docker)
	$(call image-build,Dockerfile.upx,$(TAG_UPX),$(RUNTIME_IMAGE),--build-arg UPX_FLAGS="$(UPX_FLAGS)")

.PHONY: docker-build-alpine
docker-build-alpine: ## Build the scratch image getsmall:VERSION-alpine from an Alpine builder, every platform
	@$(call need-docker)
	$(call image-build,Dockerfile.alpine,$(TAG_ALPINE),,)

.PHONY: docker-run
docker-run: ## Run the image (RUN_TAG) read-only, no capabilities, on 127.0.0.1:8080 only
	@$(call need-docker)
	$(DOCKER) run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
	  --memory $(DOCKER_RUN_MEMORY) --pids-limit 64 $(DOCKER_RUN_PUBLISH) $(DOCKER_RUN_FLAGS) $(IMAGE):$(RUN_TAG)

# docker buildx builds every platform in one go and pushes one index itself. These machines
# have no buildx (docker-build + docker-push are what test-docker runs here); the GitHub
# Actions workflow of a fork uses this. The stand-in bases are local images a buildx builder
# cannot see, so OFFLINE=1 is refused.
comma := ,
space := $(subst ,, )
BUILDX = $(DOCKER) buildx build --platform $(subst $(space),$(comma),$(strip $(PLATFORMS))) $(BUILD_ARGS) --push

.PHONY: docker-buildx
docker-buildx: ## With docker buildx: build all three variants for every platform and push them to REGISTRY
	@$(call need-docker)
	@$(DOCKER) buildx version >/dev/null 2>&1 || { echo "make $@: docker buildx not found: install the buildx plugin, or run make docker-build docker-build-upx docker-build-alpine docker-push (the same indexes)" >&2; exit 1; }
	@[ -n "$(REGISTRY)" ] || { echo "make $@: set REGISTRY: buildx pushes multi-platform images directly" >&2; exit 1; }
	@[ "$(OFFLINE)" != 1 ] || { echo "make $@: OFFLINE=1 needs the local stand-in bases, which a buildx builder cannot see: use make docker-build docker-push" >&2; exit 1; }
	$(BUILDX) -f Dockerfile -t $(REGISTRY)/$(TAG_PLAIN) .
	$(BUILDX) --build-arg UPX_FLAGS="$(UPX_FLAGS)" $(if $(RUNTIME_IMAGE),--build-arg RUNTIME_IMAGE=$(RUNTIME_IMAGE)) -f Dockerfile.upx -t $(REGISTRY)/$(TAG_UPX) .
	$(BUILDX) -f Dockerfile.alpine -t $(REGISTRY)/$(TAG_ALPINE) .

.PHONY: ls
ls: ## List the images with their size and compressed (download) size
	@$(call need-docker)
	@printf '%-40s %12s %12s\n' IMAGE SIZE COMPRESSED
	@$(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}' $(IMAGE) | sort | while read -r ref; do \
	  size=$$($(DOCKER) image inspect -f '{{.Size}}' "$$ref"); \
	  gz=$$($(DOCKER) save "$$ref" | gzip -c | wc -c); \
	  printf '%-40s %12s %12s\n' "$$ref" "$$size" "$$gz"; \
	done

