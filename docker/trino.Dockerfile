# A Trino image for machines that cannot pull the official one (trinodb/trino): the same
# layout (/usr/lib/trino, configuration in /etc/trino, data in /data/trino, `run-trino`), built
# from the release tarball on Maven Central with only the Delta Lake connector the lake needs.
# docker/build-images.sh stages the unpacked release in the build context (`make images`);
# the chart and the container test mount their configuration into /etc/trino.
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}

ARG DEBIAN_FRONTEND=noninteractive
# Trino 476 needs Java 24+; trixie ships 25. The launcher is a Python script.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-25-jre-headless python3 tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 trino \
    && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /data/trino --shell /usr/sbin/nologin trino \
    && mkdir -p /etc/trino /data/trino \
    && chown 1000:1000 /data/trino

COPY trino-server/ /usr/lib/trino/
COPY run-trino.sh /usr/lib/trino/bin/run-trino

USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/usr/lib/trino/bin/run-trino"]
