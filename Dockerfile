# syntax=docker/dockerfile:1

# The runtime image of function-dataservice: a static binary on distroless, run as non-root.
#   docker build --build-arg VERSION=v0.1.0 -t function-dataservice-runtime .

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
