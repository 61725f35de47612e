# syntax=docker/dockerfile:1

# A runtime image of function-dataservice for those who build with Docker: the static binary at
# /function on distroless static:nonroot, serving on 9443. `make xpkg` does not use this file: it
# builds the equivalent image in-process on a minimal base (internal/runtimeimage). To package this
# one instead, build and save it per platform and embed the tarballs:
#   docker buildx build --platform linux/amd64 --build-arg VERSION=v0.1.0 -o type=docker,dest=runtime-amd64.tar .
#   docker buildx build --platform linux/arm64 --build-arg VERSION=v0.1.0 -o type=docker,dest=runtime-arm64.tar .
#   dataservice build function --embed-runtime-image-tarball runtime-amd64.tar --embed-runtime-image-tarball runtime-arm64.tar

ARG GO_VERSION=1.26

# Modules first, so that a code change does not download them again.
FROM --platform=${BUILDPLATFORM} golang:${GO_VERSION} AS base
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
# go.mod replaces a package of P&T's input types with this module (see its go.mod).
COPY internal/xpcommon internal/xpcommon
RUN --mount=type=cache,target=/go/pkg/mod go mod download

# Cross-compiled on the build platform for the target platform.
FROM base AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/function-dataservice/function-dataservice/internal/version.Version=${VERSION}" \
      -o /function ./cmd/function-dataservice

FROM gcr.io/distroless/static-debian12:nonroot AS image
WORKDIR /
COPY --from=build /function /function
EXPOSE 9443
USER nonroot:nonroot
ENTRYPOINT ["/function"]
