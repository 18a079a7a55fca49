# A Dockerfile that breaks every rule of tools/lint/dockerfile on purpose, and several of
# BuildKit's own checks. lint_test.go expects each rule to fire; never build this.
ARG RUNTIME_IMAGE=alpine:latest
ARG TOOLS_IMAGE=busybox

# BaseImageArg: a literal base image. BuildKit: FromAsCasing, StageNameCasing.
FROM golang:1.26-bookworm as Build
MAINTAINER someone@example.com
WORKDIR src
ENV CGO_ENABLED 0
# CopyNotAdd
ADD https://example.com/source.tar.gz /src/
RUN go build -o /out/getsmall ./cmd/getsmall

# BaseImagePinned: no tag at all.
FROM ${TOOLS_IMAGE} AS tools

# BaseImagePinned: latest.
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=Build /out/getsmall /getsmall
# NoShellInFinalStage: a shell copied in, RUN, a shell-form CMD, and SHELL (at the end).
COPY --from=tools /bin/busybox /bin/sh
RUN chmod 0755 /getsmall
CMD /getsmall serve
# NumericNonRootUser: a name, which scratch cannot resolve.
USER nonroot
# BuildKit: ExposeProtoCasing, UndefinedVar.
EXPOSE 8080/TCP
ENV PATH=/bin:$UNDEFINED_PATH
# ExecFormHealthcheck and ExecFormEntrypoint: shell forms. BuildKit: JSONArgsRecommended.
HEALTHCHECK CMD /getsmall healthcheck
ENTRYPOINT /getsmall
# Last: BuildKit stops recommending the JSON form once SHELL is set.
SHELL ["/bin/sh", "-c"]
