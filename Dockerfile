# syntax=docker/dockerfile:1
# patrol in a container image:
#   docker run --rm -v "$PWD:/src" ghcr.io/OWNER/patrol scan /src
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/src" ghcr.io/OWNER/patrol git /src
# The first stage builds a static (musl) binary; the image holds only that binary, the CA
# certificates for --verify/--revoke/logs --github, a writable /tmp and a non-root user.

# Pinned by digest (the multi-platform index of rust:1.95.0-alpine3.23, as Dependabot recorded it;
# no registry is reachable from where this was written, so the first release build verifies it).
FROM rust:1.95.0-alpine3.23@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2 AS build
# The C parts (vendored libgit2, ring, zlib) need a C compiler and the musl headers.
# hadolint ignore=DL3018
RUN apk add --no-cache gcc musl-dev ca-certificates
WORKDIR /build
COPY . .
# The release workflow passes the commit and the commit date (`patrol --version`; .git is not
# copied in, see .dockerignore).
ARG PATROL_BUILD_COMMIT
ARG SOURCE_DATE_EPOCH
RUN cargo build --release --locked --bin patrol \
 && mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/patrol /rootfs/src \
 && cp target/release/patrol /rootfs/usr/local/bin/patrol \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && chmod 1777 /rootfs/tmp \
 && echo 'patrol:x:65532:65532:patrol:/home/patrol:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'patrol:x:65532:' > /rootfs/etc/group \
 && chown 65532:65532 /rootfs/home/patrol

FROM scratch
COPY --from=build /rootfs /
ENV HOME=/home/patrol \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/bin
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["patrol"]
CMD ["--help"]
