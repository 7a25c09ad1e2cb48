# syntax=docker/dockerfile:1
# tcr-promote image.
#   docker build -t tcr-promote .                          # default: FROM scratch, binary + CA bundle
#   docker build --target gitlab -t tcr-promote:gitlab .   # + busybox sh/grep for GitLab script:
# The release builds every stage. Without a Go toolchain or a registry,
# the stages `build` and `busybox` can be given as named build contexts —
# a directory holding out/tcr-promote and etc/ssl/certs/ca-certificates.crt,
# and one holding bin/busybox — and nothing is pulled (scripts/image.sh).
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

# The official image's static busybox, for the GitLab variant.
FROM busybox:1.37-musl AS busybox

# GitLab CI runs `script:` with sh (and greps): busybox has both. The
# binary stays the ENTRYPOINT, so a GitLab job sets `entrypoint: [""]`
# (the component in templates/ does).
FROM scratch AS gitlab
ARG VERSION=dev
COPY --from=busybox /bin/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tcr-promote /usr/local/bin/tcr-promote
ENV PATH=/usr/local/bin:/bin
LABEL org.opencontainers.image.title="tcr-promote (GitLab)" \
      org.opencontainers.image.description="Promote an image tag in Tencent Cloud Container Registry with one server-side copy; with busybox for GitLab's script:" \
      org.opencontainers.image.source="https://github.com/tcr-promote/tcr-promote" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENTRYPOINT ["/usr/local/bin/tcr-promote"]

# Default target: the static binary and a CA bundle, nothing else. No USER:
# GitHub runs Docker actions as root, or the step cannot write
# $GITHUB_OUTPUT; no WORKDIR, as GitHub recommends.
FROM scratch AS runtime
ARG VERSION=dev
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tcr-promote /tcr-promote
LABEL org.opencontainers.image.title="tcr-promote" \
      org.opencontainers.image.description="Promote an image tag in Tencent Cloud Container Registry with one server-side copy, verified by digest" \
      org.opencontainers.image.source="https://github.com/tcr-promote/tcr-promote" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENTRYPOINT ["/tcr-promote"]
