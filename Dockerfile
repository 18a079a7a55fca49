# getsmall on distroless: the static binary, CA certificates, tzdata, passwd with nonroot,
# and nothing else (no shell, no package manager).
#
#   make docker-build                 # pulls the public bases below; one image per PLATFORMS
#   make docker-build OFFLINE=1       # stand-in bases from `make offline-bases`
#   docker buildx build --platform linux/amd64,linux/arm64 ...   # also works: make docker-buildx
#
# The build arguments come from the Makefile, so the binary here has the exact bytes of
# `make build-all` for the same platform (test-docker compares them).
ARG GO_IMAGE=golang:1.27.3-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The builder runs on the build machine's platform and cross-compiles for the target one: no
# emulation during the build, whatever --platform asks for.
FROM --platform=${BUILDPLATFORM} ${GO_IMAGE} AS build
ARG TARGETOS TARGETARCH TARGETVARIANT
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG GO_LDFLAGS="-s -w -buildid="
ARG GO_BUILD_FLAGS=""
# TARGETARCH/TARGETVARIANT map to Go's settings as the Makefile's go-env does (arm/v7 ->
# GOARM=7; mips and mipsle are softfloat), so the binary has the bytes of `make build-all`.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    case "${TARGETARCH}" in \
      arm) export GOARM="${TARGETVARIANT#v}" ;; \
      mips|mipsle) export GOMIPS=softfloat ;; \
    esac; \
    CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
      go build -trimpath -buildvcs=false ${GO_BUILD_FLAGS} -ldflags "${GO_LDFLAGS}" -o /out/getsmall ./cmd/getsmall

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
ARG SOURCE=https://github.com/getsmall/getsmall
LABEL org.opencontainers.image.title="getsmall" \
      org.opencontainers.image.description="fasthttp /health service, static, nonroot, on distroless" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/getsmall /getsmall
USER 65532:65532
EXPOSE 8080
# Exec form: there is no shell. The probe has its own 2 s timeout; docs/images.md says why
# 30 s is the interval.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["/getsmall", "healthcheck"]
ENTRYPOINT ["/getsmall"]
