# syntax=docker/dockerfile:1
# tcr-promote image.
#   docker build -t tcr-promote .                  # default: FROM scratch, binary + CA bundle
#   docker build --target gitlab -t tcr-promote:gitlab .   # + busybox sh/grep for GitLab script:
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=${VERSION}" \
    -o /out/tcr-promote .

# GitLab CI runs `script:` with sh and needs grep: busybox has both. The
# binary stays the ENTRYPOINT, so a GitLab job sets `entrypoint: [""]`
# (the component in templates/ does).
FROM busybox:1.37-musl AS gitlab
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tcr-promote /usr/local/bin/tcr-promote
ENTRYPOINT ["/usr/local/bin/tcr-promote"]

# Default target: the static binary and a CA bundle, nothing else. No USER:
# GitHub runs Docker actions as root, or the step cannot write
# $GITHUB_OUTPUT; no WORKDIR, as GitHub recommends.
FROM scratch AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tcr-promote /tcr-promote
ENTRYPOINT ["/tcr-promote"]
