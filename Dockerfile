# The ferrybridge container image: one static binary in an otherwise empty (scratch) image.
#
#   docker build -t ferrybridge .
#       compiles the binary in a Rust builder stage (x86_64, glibc linked statically);
#   scripts/dist binary && docker build --build-arg BINARY_FROM=prebuilt -t ferrybridge .
#       takes the static binary scripts/dist built on the host (dist/ferrybridge) instead.
#
# Inside the container it listens on 0.0.0.0:4566 as an unprivileged user (65532), answers its
# own HEALTHCHECK (`ferrybridge health`: no curl needed) and takes every flag of the binary as
# an argument or FERRYBRIDGE_* environment variable. Mount a start-up config or an init
# directory read-only and name it with FERRYBRIDGE_CONFIG / FERRYBRIDGE_INIT_DIR (README, Install).
ARG BINARY_FROM=builder

# (the flags as in scripts/dist, which says why)
FROM docker.io/library/rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' \
    CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked \
        --target x86_64-unknown-linux-gnu -p ferrybridge-server \
    && mkdir -p /out \
    && cp target/x86_64-unknown-linux-gnu/release/ferrybridge /out/ferrybridge \
    && cp /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch AS prebuilt
COPY dist/ferrybridge /out/ferrybridge
COPY dist/ca-certificates.crt /out/ca-certificates.crt

FROM ${BINARY_FROM} AS binary

FROM scratch
COPY --from=binary /out/ferrybridge /ferrybridge
# CA certificates for https:// SNS subscriptions and API destinations (scratch has none).
COPY --from=binary /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV FERRYBRIDGE_HOST=0.0.0.0 \
    FERRYBRIDGE_PORT=4566 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 4566
USER 65532:65532
HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=3 \
    CMD ["/ferrybridge", "health", "--quiet"]
ENTRYPOINT ["/ferrybridge"]
