# syntax=docker/dockerfile:1
# tcr-promote image.
#   docker build -t tcr-promote .                          # default: FROM scratch, binary + CA bundle
#   docker build --target gitlab -t tcr-promote:gitlab .   # + busybox sh/grep for GitLab script:
# The release builds every stage. Without a Go toolchain or a registry,
# the stages `build` and `busybox` can be given as named build contexts —
# a directory holding out/tcr-promote and etc/ssl/certs/ca-certificates.crt,
# and one holding bin/busybox — and nothing is pulled (scripts/image.sh).
# The base images, pinned by the digest of their multi-platform index, with
# their tags beside for people and for Dependabot, which keeps both current.
# The release checks every pin still resolves before it builds; Go's patch
# is the one go.mod's toolchain line names (a test holds them together).
ARG GO_IMAGE=golang:1.26.8-bookworm@sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81
ARG BUSYBOX_IMAGE=busybox:1.37.0-musl@sha256:5b9c2e4df019f56a2cbb0d7b748208c44cc77c03f793ae1d4bdbdf3e41b044cd

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=${VERSION}" \
    -o /out/tcr-promote . && \
    mkdir -p /out/tmp && chmod 1777 /out/tmp

# The official image's static busybox, for the GitLab variant.
FROM ${BUSYBOX_IMAGE} AS busybox

# GitLab CI runs `script:` with sh (and greps): busybox has both. The
# binary stays the ENTRYPOINT, so a GitLab job sets `entrypoint: [""]`
# (the component in templates/ does).
FROM scratch AS gitlab
ARG VERSION=dev
COPY --from=busybox /bin/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tcr-promote /usr/local/bin/tcr-promote
# A /tmp anyone may write to, as every Unix has: `demo` and anything else
# that asks os.TempDir for room finds it.
COPY --from=build --chmod=1777 /out/tmp /tmp
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
# A /tmp anyone may write to, as every Unix has: `demo` needs one.
COPY --from=build --chmod=1777 /out/tmp /tmp
LABEL org.opencontainers.image.title="tcr-promote" \
      org.opencontainers.image.description="Promote an image tag in Tencent Cloud Container Registry with one server-side copy, verified by digest" \
      org.opencontainers.image.source="https://github.com/tcr-promote/tcr-promote" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENTRYPOINT ["/tcr-promote"]
