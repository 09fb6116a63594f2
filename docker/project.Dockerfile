# The project image: ingest workers, the dashboard, the weekly report and `biolake views apply`
# (everything but Spark jobs). Build from the repository root (`make images`):
#   docker build -f docker/project.Dockerfile -t bio-lakehouse/project:dev .
# Runs as the non-root user 10001 and needs no writable root file system (HOME=/tmp).
ARG BASE_IMAGE=debian:trixie-slim

# -- the wheel, built in a stage of its own (the source tree stays out of the image) ------------
FROM ${BASE_IMAGE} AS wheel
ARG DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
COPY docker/certs/ /usr/local/share/ca-certificates/biolake/
RUN update-ca-certificates
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . /src
# package data (the gold views, the Trino configuration, templates) travels inside the wheel
RUN python3 -m venv /opt/build \
    && /opt/build/bin/pip wheel --no-deps --wheel-dir /dist /src

# -- the runtime -------------------------------------------------------------------------------
FROM ${BASE_IMAGE}

ARG DEBIAN_FRONTEND=noninteractive
# Chromium renders the weekly report's charts (kaleido); drop it with
# --build-arg EXTRA_APT_PACKAGES= for a smaller image without reports
ARG EXTRA_APT_PACKAGES="chromium fonts-dejavu-core"

# Debian packages follow the base image's release (pinning point versions breaks on every
# security update); the Python packages, jars and service images are pinned
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-venv tini ${EXTRA_APT_PACKAGES} \
    && rm -rf /var/lib/apt/lists/*

# Extra CA certificates for the build (empty for users; docker/build-images.sh fills it)
COPY docker/certs/ /usr/local/share/ca-certificates/biolake/
RUN update-ca-certificates \
    && groupadd --gid 10001 biolake \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin biolake

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    BIOLAKE_HOME=/tmp/biolake \
    BIOLAKE_CACHE_DIR=/tmp/biolake-cache \
    BROWSER_PATH=/usr/bin/chromium

# Dependency layer: only the pinned list, so a code change does not reinstall packages
WORKDIR /opt/biolake
COPY docker/requirements.txt docker/requirements.txt
RUN python3 -m venv /opt/venv \
    && pip install --no-deps -r docker/requirements.txt

# The distribution: the wheel built above, with its package data (no source checkout)
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && pip check \
    && biolake --help >/dev/null

USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["biolake", "--help"]
