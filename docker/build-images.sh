#!/usr/bin/env bash
# Builds the project and Spark images with the local Docker engine (`make images`).
#
#   docker/build-images.sh     tags bio-lakehouse/project:<v> and bio-lakehouse/spark:<v>, where <v>
#                              is the chart's appVersion (the image tag the chart uses by default)
#   IMAGE_PREFIX=registry.example/me IMAGE_TAG=dev docker/build-images.sh
#
# The same Dockerfiles serve users and machines without a container registry:
# - the base image (BASE_IMAGE, default debian:trixie-slim) is pulled when a registry answers;
#   otherwise it is made with debootstrap (minbase) and imported under the same tag, the
#   rootfs tarball cached in $BIOLAKE_CACHE_DIR/images so a warm machine skips it;
# - docker/certs/ receives the host's locally added CA certificates, so HTTPS inside the build
#   (pip, Maven) trusts what the host trusts (e.g. a TLS-inspecting proxy);
# - with no Docker engine running, dockerd is started (root only) and left running.
# Trino and SeaweedFS use their official images (see charts/bio-lakehouse/values.yaml).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
IMAGE_PREFIX=${IMAGE_PREFIX:-bio-lakehouse}
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/bio-lakehouse/Chart.yaml)
IMAGE_TAG=${IMAGE_TAG:-$app_version}
CACHE=${BIOLAKE_CACHE_DIR:-$HOME/.cache/biolake}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[images] %s\n' "$*" >&2; }

ensure_engine() {
  if docker info >/dev/null 2>&1; then return; fi
  if ! command -v dockerd >/dev/null; then
    log "no Docker engine: install one (Debian: apt-get install docker.io) and run this again"
    exit 1
  fi
  [[ $(id -u) == 0 ]] || { log "the Docker engine is not running and only root can start it"; exit 1; }
  log "starting dockerd (log: $CACHE/dockerd.log)"
  mkdir -p "$CACHE"
  nohup dockerd >"$CACHE/dockerd.log" 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  log "dockerd did not answer within 60 s; see $CACHE/dockerd.log"
  exit 1
}

ensure_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return; fi
  if docker pull "$BASE_IMAGE" >/dev/null 2>&1; then return; fi
  # debian:<suite>-slim or debian:<suite>
  local suite=${BASE_IMAGE#*:}
  suite=${suite%-slim}
  local tarball="$CACHE/images/debian-$suite-minbase.tar"
  if [[ ! -s $tarball ]]; then
    command -v debootstrap >/dev/null || {
      log "$BASE_IMAGE cannot be pulled and debootstrap is missing (apt-get install debootstrap)"
      exit 1
    }
    log "no registry: building $BASE_IMAGE with debootstrap ($suite, minbase)"
    local rootfs
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase "$suite" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { log "debootstrap failed; see $CACHE/debootstrap.log"; exit 1; }
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    mkdir -p "$(dirname "$tarball")"
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  log "importing $tarball as $BASE_IMAGE"
  docker import "$tarball" "$BASE_IMAGE" >/dev/null
}

collect_certs() {
  # only certificates added on this host; the images have Debian's own CA bundle
  find docker/certs -name '*.crt' -delete
  if [[ -d /usr/local/share/ca-certificates ]]; then
    find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} docker/certs/ \;
  fi
}

build() {  # $1 = image name, $2 = Dockerfile
  log "building $IMAGE_PREFIX/$1:$IMAGE_TAG"
  DOCKER_BUILDKIT=0 docker build -f "$2" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$IMAGE_PREFIX/$1:$IMAGE_TAG" .
}

ensure_engine
ensure_base_image
collect_certs
build project docker/project.Dockerfile
build spark docker/spark.Dockerfile
log "done: $IMAGE_PREFIX/project:$IMAGE_TAG $IMAGE_PREFIX/spark:$IMAGE_TAG"
