# The Spark image: Java, pyspark, the Delta Lake and S3 jars (baked in at build time through
# spark_jobs/jars/fetch.sh, so a job never downloads anything), and the distribution
# (spark_jobs and what it imports). The ETL CronJob's driver runs `biolake etl` in it (client
# mode) and Spark starts executors as pods from the same image (docker/spark-entrypoint.sh
# handles their `executor` argument). Build from the repository root (`make images`):
#   docker build -f docker/spark.Dockerfile -t bio-lakehouse/spark:dev .
#
# Java: Spark 4.2 runs on Java 17 and 21. Debian trixie ships 21 (it has no openjdk-17);
# for Java 17 build with --build-arg BASE_IMAGE=debian:bookworm-slim
# --build-arg JAVA_PACKAGE=openjdk-17-jre-headless.
ARG BASE_IMAGE=debian:trixie-slim

# -- the jars, resolved by Maven in a stage of their own (Maven stays out of the image) --------
FROM ${BASE_IMAGE} AS jars
ARG DEBIAN_FRONTEND=noninteractive
# Debian packages follow the base image's release; the jars themselves are pinned in pom.xml
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates maven \
    && rm -rf /var/lib/apt/lists/*
COPY docker/certs/ /usr/local/share/ca-certificates/biolake/
# also refreshes Java's trust store (ca-certificates-java), which Maven uses
RUN update-ca-certificates
COPY spark_jobs/jars/ /src/jars/
RUN /src/jars/fetch.sh /opt/biolake/jars && rm -rf /root/.m2

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
ARG JAVA_PACKAGE=openjdk-21-jre-headless

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates ${JAVA_PACKAGE} python3 python3-venv procps tini \
    && rm -rf /var/lib/apt/lists/*
COPY docker/certs/ /usr/local/share/ca-certificates/biolake/
RUN update-ca-certificates \
    && groupadd --gid 10001 biolake \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin biolake \
    && ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /opt/java

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    JAVA_HOME=/opt/java \
    SPARK_HOME=/opt/spark \
    PYSPARK_PYTHON=/opt/venv/bin/python \
    HADOOP_USER_NAME=biolake \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    BIOLAKE_HOME=/tmp/biolake \
    BIOLAKE_JARS_DIR=/opt/biolake/jars

# Dependency layer: the pinned list (pyspark, delta-spark ...), then the jars
WORKDIR /opt/biolake
COPY docker/requirements.txt docker/requirements.txt
RUN python3 -m venv /opt/venv \
    && pip install --no-deps -r docker/requirements.txt \
    && ln -s "$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/spark
COPY --from=jars /opt/biolake/jars /opt/biolake/jars

# The distribution: the wheel built above (no source checkout), and the executor entrypoint
COPY --from=wheel /dist/ /tmp/dist/
COPY docker/spark-entrypoint.sh /opt/biolake/docker/spark-entrypoint.sh
RUN pip install --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && pip check \
    && biolake --help >/dev/null

USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/biolake/docker/spark-entrypoint.sh"]
CMD ["biolake", "--help"]
