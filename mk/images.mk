# The three images: build, run hardened, push, list, and their end-to-end test.

# Images: local tags $(IMAGE):$(VERSION), -upx, -alpine; docker-push adds $(REGISTRY)/.
IMAGE      ?= getsmall
REGISTRY   ?=
# No bridge network is needed for building: host networking works everywhere BuildKit runs.
DOCKER_BUILD_FLAGS ?= --network host
# docker-run: which tag, where it is published, and anything extra (e.g. -d --name x).
RUN_TAG            ?= $(VERSION)
DOCKER_RUN_PUBLISH ?= -p 127.0.0.1:8080:8080
DOCKER_RUN_FLAGS   ?=
# Final stage of Dockerfile.upx: empty keeps scratch; with OFFLINE=1 use $(OFFLINE_STATIC)
# where you would use distroless.
RUNTIME_IMAGE      ?=
# OFFLINE=1 builds every image on the stand-in bases of `make offline-bases`.
OFFLINE            ?=
CA_BUNDLE          ?= /etc/ssl/certs/ca-certificates.crt

# ---- Images --------------------------------------------------------------------------------
# Stand-in bases get local names only, never the public ones they replace.
GO_VERSION     := $(patsubst go%,%,$(shell go env GOVERSION 2>/dev/null))
OFFLINE_GO     := getsmall-offline/builder:go$(GO_VERSION)-bookworm
OFFLINE_STATIC := getsmall-offline/static:nonroot
TAG_PLAIN      := $(IMAGE):$(VERSION)
TAG_UPX        := $(IMAGE):$(VERSION)-upx
TAG_ALPINE     := $(IMAGE):$(VERSION)-alpine
DOCKER_BUILD    = DOCKER_BUILDKIT=1 $(DOCKER) build $(DOCKER_BUILD_FLAGS) \
  --build-arg GO_LDFLAGS="$(GO_LDFLAGS)" --build-arg VERSION=$(VERSION) \
  --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE)
ifeq ($(OFFLINE),1)
GO_IMAGE_ARG    := --build-arg GO_IMAGE=$(OFFLINE_GO)
DISTROLESS_ARG  := --build-arg RUNTIME_IMAGE=$(OFFLINE_STATIC)
else
GO_IMAGE_ARG    :=
DISTROLESS_ARG  :=
endif

.PHONY: offline-bases
offline-bases: ## Build stand-in base images from Debian packages and this Go (air-gapped, OFFLINE=1)
	@$(call need-docker)
	DOCKER=$(DOCKER) CA_BUNDLE=$(CA_BUNDLE) bash docker/offline-bases.sh $(OFFLINE_GO) $(OFFLINE_STATIC)

.PHONY: docker-build
docker-build: ## Build the distroless image getsmall:VERSION from Dockerfile
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(DISTROLESS_ARG) -f Dockerfile -t $(TAG_PLAIN) .

.PHONY: docker-build-no-cache
docker-build-no-cache: ## Build the distroless image without the layer cache
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(DISTROLESS_ARG) --no-cache -f Dockerfile -t $(TAG_PLAIN) .

.PHONY: docker-build-upx
docker-build-upx: ## Build the UPX image getsmall:VERSION-upx on scratch (UPX_FLAGS, RUNTIME_IMAGE)
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) $(if $(RUNTIME_IMAGE),--build-arg RUNTIME_IMAGE=$(RUNTIME_IMAGE)) \
	  --build-arg UPX_FLAGS="$(UPX_FLAGS)" -f Dockerfile.upx -t $(TAG_UPX) .

.PHONY: docker-build-alpine
docker-build-alpine: ## Build the scratch image getsmall:VERSION-alpine from an Alpine builder
	@$(call need-docker)
	$(DOCKER_BUILD) $(GO_IMAGE_ARG) -f Dockerfile.alpine -t $(TAG_ALPINE) .

.PHONY: docker-run
docker-run: ## Run the image (RUN_TAG) read-only, no capabilities, on 127.0.0.1:8080 only
	@$(call need-docker)
	$(DOCKER) run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
	  --memory 16m --pids-limit 64 $(DOCKER_RUN_PUBLISH) $(DOCKER_RUN_FLAGS) $(IMAGE):$(RUN_TAG)

.PHONY: docker-push
docker-push: ## Push the images the build targets made to REGISTRY; with COSIGN_KEY or KEYLESS=1, attach signed SBOMs
	@$(call need-docker)
	@[ -n "$(REGISTRY)" ] || { echo "make $@: set REGISTRY, e.g. make docker-push REGISTRY=registry.example.com/team" >&2; exit 1; }
	@pushed=0; mkdir -p $(BIN_DIR); : >$(PUSHED_LIST); for tag in $(TAG_PLAIN) $(TAG_UPX) $(TAG_ALPINE); do \
	  $(DOCKER) image inspect $$tag >/dev/null 2>&1 || { echo "skip $$tag: not built"; continue; }; \
	  $(DOCKER) tag $$tag $(REGISTRY)/$$tag; \
	  $(DOCKER) push -q $(REGISTRY)/$$tag >/dev/null; \
	  digest=$$($(DOCKER) image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' $(REGISTRY)/$$tag | grep -F "$(REGISTRY)/$(IMAGE)@"); \
	  echo "pushed $$digest"; \
	  echo "$$tag $$digest" >>$(PUSHED_LIST); \
	  pushed=$$((pushed + 1)); \
	done; \
	[ $$pushed -gt 0 ] || { echo "make $@: no $(IMAGE):$(VERSION)* image to push: run make docker-build first" >&2; exit 1; }
	@$(MAKE) --no-print-directory docker-push-attest

.PHONY: ls
ls: ## List the images with their size and compressed (download) size
	@$(call need-docker)
	@printf '%-40s %12s %12s\n' IMAGE SIZE COMPRESSED
	@$(DOCKER) image ls --format '{{.Repository}}:{{.Tag}}' $(IMAGE) | sort | while read -r ref; do \
	  size=$$($(DOCKER) image inspect -f '{{.Size}}' "$$ref"); \
	  gz=$$($(DOCKER) save "$$ref" | gzip -c | wc -c); \
	  printf '%-40s %12s %12s\n' "$$ref" "$$size" "$$gz"; \
	done

.PHONY: test-docker
test-docker: $(if $(filter 1,$(OFFLINE)),offline-bases) ## Build, run hardened, stop, push and pull all three images
	@$(call need-docker)
	@$(call need,upx,$(UPX_HINT))
	OFFLINE=$(OFFLINE) UPX_FLAGS="$(UPX_FLAGS)" DOCKER=$(DOCKER) \
	  go test -tags docker -count=1 -v -timeout 60m ./test/docker/

# The load test's own tools: hey at the version go.mod's tool line pins, and the net/http
# baseline built like getsmall.
