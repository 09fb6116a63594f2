#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, for tests that `helm install` the chart on a
# real API server (`make cluster-up`, `make cluster-down`; tests/system/cluster/README.md).
#
#   cluster.sh build       Debian's packages (etcd, containernetworking-plugins, conntrack) when
#                          missing, and the binaries from the Go module proxy into the cache, once
#   cluster.sh up          start the cluster (idempotent); the last line is `export KUBECONFIG=...`
#   cluster.sh down        stop it and remove everything it made (processes, pods, mounts, cgroups,
#                          bridges, network namespaces, iptables chains, sysctls it changed)
#   cluster.sh purge       down, then also the imported images ($KDIR/containerd) and the logs
#   cluster.sh status      print what runs; exit 0 when the cluster is up
#   cluster.sh images [IMAGE...]
#                          import the images docker/build-images.sh builds (and any IMAGE named)
#                          from the Docker engine into the cluster's containerd
#   cluster.sh kubeconfig  print the admin kubeconfig's path
#
# Everything stays on this machine: the node's address and the pods' live on two bridges this
# script creates, the Services' are kube-proxy's rules on this host, nothing from the pods'
# bridge is forwarded off the machine, and CoreDNS answers cluster.local names and NXDOMAIN for
# everything else (no upstream).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${BIOLAKE_CACHE_DIR:-$HOME/.cache/biolake}
KUBE_VERSION=${KUBE_VERSION:-v1.34.4}
COREDNS_VERSION=${COREDNS_VERSION:-v1.14.7}
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

KDIR=$CACHE/kube                             # the cache: binaries, images, containerd's store
BIN=$KDIR/$KUBE_VERSION/bin                  # kube-* and kubectl
TOOLS=$KDIR/tools                            # coredns-<v>, crictl-<v>, kube-tools-<hash>
IMAGES=$KDIR/images                          # the harness's own image tarballs
CTR_ROOT=$KDIR/containerd                    # containerd's content store: imported images stay
STATE=$KDIR/state                            # one cluster's PKI, configs, etcd data, pid files
LOGS=$KDIR/logs                              # one log per process (kept after `down`)
KUBECONFIG_PATH=$KDIR/admin.kubeconfig       # what `up` prints and tests use
RUN=/run/biolake-kube                        # containerd's state and socket, sandboxes' netns
VAR=/var/lib/biolake-kube                    # kubelet's root, pod logs, IPAM
SOCK=$RUN/containerd/containerd.sock

NODE_NAME=biolake-node
NODE_IP=10.200.0.1                           # on the bridge blk-node (no ports)
POD_CIDR=10.200.1.0/24                       # the bridge blk-cni0 (gateway 10.200.1.1)
SERVICE_CIDR=10.201.0.0/24
API_SERVICE_IP=10.201.0.1
DNS_SERVICE_IP=10.201.0.10
NODE_BRIDGE=blk-node
POD_BRIDGE=blk-cni0
API_PORT=6443
ETCD_PORT=23790
ETCD_PEER_PORT=23800
FW_CHAIN=BIOLAKE-KUBE-FWD
TOOLS_IMAGE=biolake.local/kube-tools:v1      # pause (the sandbox image) and probe
PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns)
KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
# what kubelet, kube-proxy and the CNI bridge plugin may change; `down` puts them back
SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.netfilter.nf_conntrack_max)

COREDNS=$TOOLS/coredns-$COREDNS_VERSION
CRICTL=$TOOLS/crictl-$CRICTL_VERSION

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
kubectl() { "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }
ctr_() { ctr --address "$SOCK" -n k8s.io "$@"; }
crictl_() { "$CRICTL" --runtime-endpoint "unix://$SOCK" --image-endpoint "unix://$SOCK" --timeout 20s "$@"; }
need_root() { [[ $(id -u) == 0 ]] || die "the cluster needs root (containerd, kubelet, bridges, iptables)"; }
wait_for() {  # $1 = seconds, $2 = what, rest = command
  local seconds=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  log "$what ($((seconds - (deadline - SECONDS))) s)"
}

# -- build --------------------------------------------------------------------------------------
ensure_packages() {
  local missing=()
  command -v etcd >/dev/null || missing+=(etcd-server)
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap && -x /usr/lib/cni/loopback ]] \
    || missing+=(containernetworking-plugins)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v containerd >/dev/null || missing+=(containerd)
  command -v containerd-shim-runc-v2 >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v ip >/dev/null || missing+=(iproute2)
  [[ ${#missing[@]} -eq 0 ]] && return
  need_root
  log "installing Debian packages: ${missing[*]}"
  # no service is started: policy-rc.d or no init system; the harness starts what it needs
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  }
}

go_env() { env GOFLAGS="-mod=mod ${GOFLAGS:-}" CGO_ENABLED=0 "$@"; }

build_kube() {
  local missing=() b
  for b in "${KUBE_BINARIES[@]}"; do [[ -x $BIN/$b ]] || missing+=("$b"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ -x $GO ]] || die "Go is needed to build Kubernetes (no go at $GO)"
  local mod=$KDIR/$KUBE_VERSION/build staging=${KUBE_VERSION/#v1./v0.}
  mkdir -p "$mod" "$BIN"
  log "building Kubernetes $KUBE_VERSION (${missing[*]}) from the Go module proxy (~11 min on 2 cores; log: $mod/build.log)"
  local gomod
  gomod=$(cd "$mod" && go_env "$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" \
    | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  [[ -s $gomod ]] || die "k8s.io/kubernetes@$KUBE_VERSION is not on the Go module proxy"
  # k8s.io/kubernetes replaces its staging modules with local folders the module zip lacks:
  # the same modules at v0.<minor>.<patch> from the proxy instead
  {
    echo "module biolake.local/kube-build"
    echo
    echo "go $(sed -n 's/^go //p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } >"$mod/go.mod"
  local major=${KUBE_VERSION#v} minor ld="-s -w" p
  major=${major%%.*}
  minor=${KUBE_VERSION#v*.}
  minor=${minor%%.*}
  # without the version stamped, the API server says v0.0.0 and helm's kubeVersion checks fail
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  local targets=() started=$SECONDS
  for b in "${missing[@]}"; do targets+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$mod" && go_env "$GO" build -trimpath -ldflags "$ld" -o "$mod/out/" "${targets[@]}") \
    >"$mod/build.log" 2>&1 || { tail -n 30 "$mod/build.log" >&2; die "building Kubernetes failed; see $mod/build.log"; }
  for b in "${missing[@]}"; do mv "$mod/out/$b" "$BIN/$b"; done
  log "built ${missing[*]} in $((SECONDS - started)) s"
}

build_coredns() {
  [[ -x $COREDNS ]] && return
  local mod=$KDIR/coredns-build/$COREDNS_VERSION started=$SECONDS
  mkdir -p "$mod" "$TOOLS"
  log "building CoreDNS $COREDNS_VERSION with the plugins the cluster uses (log: $mod/build.log)"
  cat >"$mod/go.mod" <<EOF
module biolake.local/coredns-build

go 1.25.0

require github.com/coredns/coredns $COREDNS_VERSION
EOF
  # CoreDNS with only what the Corefile uses: the full plugin set needs minutes more
  cat >"$mod/main.go" <<'EOF'
package main

import (
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/template"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
EOF
  (cd "$mod" && go_env "$GO" build -trimpath -ldflags "-s -w" -o "$COREDNS.tmp" .) >"$mod/build.log" 2>&1 \
    || { tail -n 30 "$mod/build.log" >&2; die "building CoreDNS failed; see $mod/build.log"; }
  mv "$COREDNS.tmp" "$COREDNS"
  log "built CoreDNS in $((SECONDS - started)) s"
}

build_crictl() {
  [[ -x $CRICTL ]] && return
  local started=$SECONDS gobin
  mkdir -p "$TOOLS"
  gobin=$(mktemp -d)
  log "building crictl $CRICTL_VERSION (stops the pods through CRI on \`down\`)"
  go_env GOBIN="$gobin" "$GO" install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" \
    >"$KDIR/crictl-build.log" 2>&1 || { tail -n 30 "$KDIR/crictl-build.log" >&2; rm -rf "$gobin"; die "building crictl failed"; }
  mv "$gobin/crictl" "$CRICTL"
  rm -rf "$gobin"
  log "built crictl in $((SECONDS - started)) s"
}

# The harness's own image: one static binary (tests/system/cluster/kube-tools) in a scratch image,
# /pause the pod sandbox (containerd's sandbox_image) and /probe the in-pod DNS and API check.
# Written by hand as a docker-archive tarball, as `docker save` would: no engine, no registry.
tools_image() {
  local hash
  hash=$(cat "$HERE/kube-tools/go.mod" "$HERE/kube-tools/main.go" | sha256sum | cut -c1-12)
  local tarball=$IMAGES/kube-tools-$hash.tar
  if [[ ! -s $tarball ]]; then
    local work started=$SECONDS
    work=$(mktemp -d)
    mkdir -p "$IMAGES" "$work/rootfs" "$work/image"
    (cd "$HERE/kube-tools" && go_env "$GO" build -trimpath -ldflags "-s -w" \
      -o "$work/rootfs/kube-tools" .) || die "building kube-tools failed"
    ln -s kube-tools "$work/rootfs/pause"
    ln -s kube-tools "$work/rootfs/probe"
    ln -s kube-tools "$work/rootfs/serve"
    tar -C "$work/rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
      -cf "$work/layer.tar" kube-tools pause probe serve
    local diff_id config_digest
    diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
    mkdir -p "$work/image/$diff_id"
    mv "$work/layer.tar" "$work/image/$diff_id/layer.tar"
    printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"User":"65532:65532","Entrypoint":["/pause"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"tests/system/cluster/cluster.sh"}]}' \
      "$diff_id" >"$work/config.json"
    config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
    mv "$work/config.json" "$work/image/$config_digest.json"
    printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
      "$config_digest" "$TOOLS_IMAGE" "$diff_id" >"$work/image/manifest.json"
    tar -C "$work/image" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    find "$IMAGES" -maxdepth 1 -name 'kube-tools-*.tar' ! -name "${tarball##*/}" -delete
    log "packed $TOOLS_IMAGE into $tarball in $((SECONDS - started)) s"
  fi
  echo "$tarball"
}

cmd_build() {
  ensure_packages
  build_kube
  build_coredns
  build_crictl
  tools_image >/dev/null
  log "binaries cached: $BIN, $COREDNS, $CRICTL"
}

# -- certificates and kubeconfigs ---------------------------------------------------------------
pki() {
  local dir=$STATE/pki
  mkdir -p "$dir"
  chmod 700 "$dir"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=biolake-kube-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$dir/ca.crt" 2>/dev/null
  # the service account token signing pair
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/sa.key" 2>/dev/null
  openssl ec -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  local api_sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  api_sans+=",DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$NODE_NAME"
  api_sans+=",IP:127.0.0.1,IP:$NODE_IP,IP:$API_SERVICE_IP"
  cert apiserver "/CN=kube-apiserver" serverAuth "$api_sans"
  cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
  cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client" clientAuth
  cert etcd "/CN=etcd" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1"
  cert admin "/O=system:masters/CN=biolake-admin" clientAuth
  cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  cert scheduler "/CN=system:kube-scheduler" clientAuth
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  cert kubelet-serving "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$NODE_IP"
  cert kube-proxy "/CN=system:kube-proxy" clientAuth
  cert coredns "/CN=biolake:coredns" clientAuth
  chmod 600 "$dir"/*.key
}

cert() {  # $1 = name, $2 = subject, $3 = extended key usages, $4 = subject alternative names
  local dir=$STATE/pki ext
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [[ -n ${4:-} ]] && echo "subjectAltName=$4"
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$1.key" 2>/dev/null
  openssl req -new -key "$dir/$1.key" -subj "$2" 2>/dev/null \
    | openssl x509 -req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 825 -sha256 -extfile "$ext" -out "$dir/$1.crt" 2>/dev/null
  rm -f "$ext"
}

kubeconfig() {  # $1 = file, $2 = certificate name
  local dir=$STATE/pki
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: biolake
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority-data: $(base64 -w0 "$dir/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$dir/$2.crt")
    client-key-data: $(base64 -w0 "$dir/$2.key")
contexts:
- name: biolake
  context:
    cluster: biolake
    user: $2
current-context: biolake
EOF
  chmod 600 "$1"
}

# -- configuration files ------------------------------------------------------------------------
write_configs() {
  local pki=$STATE/pki
  for name in admin controller-manager scheduler kubelet kube-proxy coredns; do
    kubeconfig "$STATE/$name.kubeconfig" "$name"
  done
  mkdir -p "$STATE/cni"
  cat >"$STATE/cni/10-biolake.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "biolake-kube",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$VAR/cni-ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$CTR_ROOT"
state = "$RUN/containerd"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$RUN/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTR_ROOT/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$TOOLS_IMAGE"
  # this machine cannot raise oom_score_adj (no CAP_SYS_RESOURCE)
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  # the sandboxes' network namespaces under the state dir, not /var/run/netns
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
EOF
  # the pods' host resolv.conf: no nameserver, so nothing is asked off the machine
  # (ClusterFirst pods get CoreDNS; dnsPolicy Default pods get no DNS at all)
  echo "# biolake-kube: no upstream DNS" >"$STATE/resolv.conf"
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
oomScoreAdj: 0
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
podLogsDir: $VAR/pod-logs
volumePluginDir: $VAR/volume-plugins
failSwapOn: false
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
# no registry can give an image back: never collect them, never evict for a full-ish disk
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
EOF
  cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
mode: iptables
clusterCIDR: $POD_CIDR
oomScoreAdj: 0
# NodePorts on the node's address only (not 127.0.0.1: route_localnet stays as it is)
nodePortAddresses: ["$NODE_IP/32"]
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  cat >"$STATE/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    cache 30
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $STATE/coredns.kubeconfig biolake
        pods insecure
        ttl 30
    }
}
.:53 {
    bind $NODE_IP
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  cat >"$STATE/bootstrap.yaml" <<EOF
# the API server's calls to kubelet (logs, exec, port-forward) are authorized by the kubelet's webhook
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "biolake:kube-apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "biolake:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "biolake:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "biolake:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "biolake:coredns"}]
---
# CoreDNS runs on the node ($NODE_IP:53); the usual Service points at it
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: biolake-cluster-harness
addressType: IPv4
endpoints:
- addresses: ["$NODE_IP"]
  conditions: {ready: true}
  nodeName: $NODE_NAME
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
EOF
}

# -- processes ----------------------------------------------------------------------------------
pid_of() { [[ -s $STATE/$1.pid ]] && cat "$STATE/$1.pid"; }
# a process that exited stays a zombie until whoever adopted it reaps it: not running
running() { local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) && [[ ${stat##*) } != Z* ]]; }
start_time() { local stat fields; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; read -ra fields <<<"${stat##*) }"; echo "${fields[19]}"; }
# the recorded process itself, not another one that got its pid after a reboot
alive() {
  local pid
  pid=$(pid_of "$1") && running "$pid" && [[ $(start_time "$pid") == "$(cat "$STATE/$1.started" 2>/dev/null)" ]]
}

start() {  # $1 = name, rest = command; detached, its own session, pid recorded
  local name=$1
  shift
  setsid "$@" </dev/null >"$LOGS/$name.log" 2>&1 9>&- &
  echo $! >"$STATE/$name.pid"
  start_time $! >"$STATE/$name.started" || true
  log "started $name (pid $!, log $LOGS/$name.log)"
}

stop() {  # names: SIGTERM to each, then SIGKILL to what still runs after 15 s
  local name pid pids=() names=()
  for name in "$@"; do
    alive "$name" || continue
    pid=$(pid_of "$name")
    kill "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$name")
  done
  [[ ${#pids[@]} -eq 0 ]] && return
  local i deadline=$((SECONDS + 15)) left
  while :; do
    left=0
    for pid in "${pids[@]}"; do running "$pid" && left=1; done
    [[ $left == 0 ]] && break
    if ((SECONDS >= deadline)); then
      for i in "${!pids[@]}"; do
        running "${pids[i]}" && { log "${names[i]} (pid ${pids[i]}) ignored SIGTERM for 15 s: SIGKILL"; kill -9 "${pids[i]}" 2>/dev/null || true; }
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  for i in "${!pids[@]}"; do log "stopped ${names[i]} (pid ${pids[i]})"; done
}

check_running() {  # $1 = name: still alive after starting, or its log's tail
  alive "$1" || { tail -n 25 "$LOGS/$1.log" >&2; die "$1 exited; see $LOGS/$1.log"; }
}

wait_or_die() {  # $1 = seconds, $2 = what, $3 = process, rest = command
  local seconds=$1 what=$2 name=$3
  shift 3
  wait_for "$seconds" "$what" "$@" && return
  tail -n 25 "$LOGS/$name.log" >&2
  die "timed out after $seconds s waiting for: $what (log: $LOGS/$name.log)"
}

port_free() {  # $1 = address, $2 = port (TCP)
  ! ss -Hltn "src $1:$2" 2>/dev/null | grep -q .
}

# DNS from the node through the kube-dns Service (kube-proxy's rules, then CoreDNS), by python3
dns_answers() {  # $1 = name; succeeds when it has an A record
  python3 - "$1" "$DNS_SERVICE_IP" <<'EOF'
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
query = struct.pack(">HHHHHH", 0x4b31, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
query += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(query, (server, 53))
reply = s.recv(512)
rcode, answers = reply[3] & 0x0F, struct.unpack(">H", reply[6:8])[0]
sys.exit(0 if rcode == 0 and answers > 0 else 1)
EOF
}

node_ready() {
  [[ $(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

cluster_up() {  # every process alive and the API server answering
  local name
  for name in "${PROCESSES[@]}"; do alive "$name" || return 1; done
  kubectl get --raw /readyz >/dev/null 2>&1
}

snapshot_machine() {  # what `down` restores or must not remove
  local key
  : >"$STATE/sysctl.orig"
  for key in "${SYSCTLS[@]}"; do
    [[ -e /proc/sys/${key//.//} ]] && echo "$key=$(cat "/proc/sys/${key//.//}")" >>"$STATE/sysctl.orig"
  done
  : >"$STATE/existed"
  for path in /var/lib/cni /var/log/containers /run/containerd /run/containerd/s /run/containerd/runc; do
    [[ -e $path ]] && echo "$path" >>"$STATE/existed"
  done
  nft_chains >"$STATE/nft.orig" 2>/dev/null || true
}

existed() { grep -qxF "$1" "$STATE/existed" 2>/dev/null; }

network_up() {
  if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
    ip link add "$NODE_BRIDGE" type bridge
  fi
  ip addr replace "$NODE_IP/32" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  echo 1 >/proc/sys/net/ipv4/ip_forward
  # pods talk to pods (also after a Service's DNAT) and to the node; nothing is forwarded off
  # the machine from the pods' bridge, nor into it from elsewhere
  iptables -N "$FW_CHAIN" 2>/dev/null || iptables -F "$FW_CHAIN"
  iptables -A "$FW_CHAIN" -i "$POD_BRIDGE" -o "$POD_BRIDGE" -j ACCEPT
  iptables -A "$FW_CHAIN" -i "$POD_BRIDGE" -j DROP
  iptables -A "$FW_CHAIN" -o "$POD_BRIDGE" -j DROP
  iptables -C FORWARD -j "$FW_CHAIN" 2>/dev/null || iptables -I FORWARD 1 -j "$FW_CHAIN"
  log "node address $NODE_IP on bridge $NODE_BRIDGE; pods $POD_CIDR on $POD_BRIDGE; Services $SERVICE_CIDR"
}

cmd_up() {
  need_root
  cmd_build
  if cluster_up; then
    log "the cluster is already up"
    import_tarball "$(tools_image)"  # kube-tools may have changed since it started
    echo "export KUBECONFIG=$KUBECONFIG_PATH"
    return
  fi
  local started=$SECONDS name
  for name in "${PROCESSES[@]}"; do
    if alive "$name"; then log "a partial cluster is left: taking it down first"; cmd_down; break; fi
  done
  [[ -d $STATE ]] && { log "removing the last cluster's state"; cleanup_leftovers; rm -rf "$STATE"; }
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && die "bridge $NODE_BRIDGE exists but no cluster state: run \`$0 down\`"
  for spec in "127.0.0.1:$ETCD_PORT" "127.0.0.1:$ETCD_PEER_PORT" "127.0.0.1:10257" "127.0.0.1:10259" \
    "127.0.0.1:10248" "127.0.0.1:10249" "127.0.0.1:10256"; do
    port_free "${spec%:*}" "${spec#*:}" || die "port $spec is taken: another cluster or service runs here"
  done
  mkdir -p "$STATE" "$LOGS" "$RUN" "$VAR" "$CTR_ROOT"
  chmod 700 "$STATE"
  rm -f "$LOGS"/*.log
  snapshot_machine
  network_up
  pki
  write_configs
  local pki=$STATE/pki

  start etcd etcd --name biolake --data-dir "$STATE/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "biolake=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --cert-file "$pki/etcd.crt" --key-file "$pki/etcd.key" --client-cert-auth --trusted-ca-file "$pki/ca.crt" \
    --experimental-watch-progress-notify-interval 5s --unsafe-no-fsync --logger zap
  wait_or_die 30 "etcd is healthy" etcd curl -sf --cacert "$pki/ca.crt" --cert "$pki/apiserver-etcd-client.crt" \
    --key "$pki/apiserver-etcd-client.key" "https://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port "$API_PORT" \
    --etcd-servers "https://127.0.0.1:$ETCD_PORT" --etcd-cafile "$pki/ca.crt" \
    --etcd-certfile "$pki/apiserver-etcd-client.crt" --etcd-keyfile "$pki/apiserver-etcd-client.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --api-audiences https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false --event-ttl 1h
  wait_or_die 90 "the API server is ready" kube-apiserver kubectl get --raw /readyz

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-cidr "$POD_CIDR" --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
  kubectl apply -f "$STATE/bootstrap.yaml" >/dev/null

  start containerd containerd --config "$STATE/containerd.toml"
  wait_or_die 30 "containerd answers on $SOCK" containerd ctr_ version
  import_tarball "$(tools_image)"

  start kubelet "$BIN/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
    --root-dir "$VAR/kubelet" --cert-dir "$VAR/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  start kube-proxy "$BIN/kube-proxy" --config "$STATE/kube-proxy.yaml"
  start coredns "$COREDNS" -conf "$STATE/Corefile"
  wait_or_die 90 "node $NODE_NAME is Ready" kubelet node_ready
  for name in kube-controller-manager kube-scheduler kube-proxy coredns; do check_running "$name"; done
  wait_or_die 60 "CoreDNS answers kubernetes.default.svc.cluster.local through $DNS_SERVICE_IP" coredns \
    dns_answers kubernetes.default.svc.cluster.local
  wait_or_die 60 "the default ServiceAccount exists" kube-controller-manager kubectl -n default get serviceaccount default
  install -m 600 "$STATE/admin.kubeconfig" "$KUBECONFIG_PATH"
  log "cluster up in $((SECONDS - started)) s: Kubernetes $KUBE_VERSION, node $NODE_NAME ($NODE_IP), API https://$NODE_IP:$API_PORT"
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
}

# -- images -------------------------------------------------------------------------------------
import_tarball() {  # $1 = docker-archive tarball
  ctr_ images import --platform linux/amd64 "$1" >/dev/null \
    || die "importing $1 into the cluster's containerd failed"
}

image_id() { crictl_ inspecti -o go-template --template '{{.status.id}}' "$1" 2>/dev/null; }

cmd_images() {
  need_root
  cluster_up || die "the cluster is not up: run \`$0 up\` (make cluster-up) first"
  local prefix=${IMAGE_PREFIX:-bio-lakehouse} tag app_version trino_version
  app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$REPO/charts/bio-lakehouse/Chart.yaml")
  tag=${IMAGE_TAG:-$app_version}
  trino_version=${TRINO_VERSION:-$(sed -n 's/^TRINO_VERSION = "\(.*\)"$/\1/p' "$REPO/app/serving/local_trino.py")}
  local required=("$prefix/project:$tag" "$prefix/spark:$tag") optional=("$prefix/trino:$trino_version") extra=("$@")
  local engine=running
  if ! docker info >/dev/null 2>&1; then engine=$("$REPO/docker/engine.sh" start); fi
  # the SeaweedFS image's tag is the weed binary's version: whatever tags docker has
  while read -r ref; do optional+=("$ref"); done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' "$prefix/seaweedfs" 2>/dev/null)
  local ref imported=() missing=()
  for ref in "${required[@]}" "${extra[@]}"; do
    docker image inspect "$ref" >/dev/null 2>&1 || missing+=("$ref")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $engine == started ]] && "$REPO/docker/engine.sh" stop
    die "not in the Docker engine: ${missing[*]} (make images builds the project's)"
  fi
  for ref in "${required[@]}" "${optional[@]}" "${extra[@]}"; do
    docker image inspect "$ref" >/dev/null 2>&1 || { log "skipped $ref (not built; docker/build-images.sh trino seaweedfs)"; continue; }
    local want have started=$SECONDS
    want=$(docker image inspect -f '{{.Id}}' "$ref")
    have=$(image_id "$ref" || true)
    if [[ $want == "$have" ]]; then log "$ref is already in the cluster"; imported+=("$ref"); continue; fi
    docker save "$ref" | ctr_ images import --platform linux/amd64 - >/dev/null \
      || die "importing $ref failed"
    log "imported $ref in $((SECONDS - started)) s"
    imported+=("$ref")
  done
  [[ $engine == started ]] && "$REPO/docker/engine.sh" stop
  log "in the cluster: ${imported[*]} (use imagePullPolicy IfNotPresent or Never)"
}

# -- down ---------------------------------------------------------------------------------------
nft_chains() {  # "family table chain rules" for every chain nftables holds
  nft list ruleset 2>/dev/null | awk '
    $1 == "table" { fam = $2; tab = $3 }
    $1 == "chain" { ch = $2; n[fam " " tab " " ch] = 0; next }
    $1 == "}" || $1 == "type" || NF == 0 { next }
    ch != "" && $1 != "table" { n[fam " " tab " " ch]++ }
    END { for (k in n) print k, n[k] }'
}

iptables_cleanup() {  # every KUBE-*, CNI-* and BIOLAKE-* chain, and the rules jumping to them
  local tool table line chain
  for tool in iptables ip6tables; do
    command -v "$tool" >/dev/null || continue
    for table in filter nat mangle raw; do
      "$tool" -t "$table" -S >/dev/null 2>&1 || continue
      while read -r line; do
        # the rule as iptables -S quotes it (comments hold spaces)
        eval "\"\$tool\" -t \"\$table\" -D ${line#-A }" 2>/dev/null || true
      done < <("$tool" -t "$table" -S 2>/dev/null | grep -E '^-A ' | grep -E -- '-j (KUBE-|CNI-|BIOLAKE-)' | grep -vE '^-A (KUBE-|CNI-|BIOLAKE-)')
      local chains=()
      while read -r chain; do chains+=("$chain"); done \
        < <("$tool" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-|BIOLAKE-)/ { print $2 }')
      for chain in "${chains[@]}"; do "$tool" -t "$table" -F "$chain" 2>/dev/null || true; done
      for chain in "${chains[@]}"; do "$tool" -t "$table" -X "$chain" 2>/dev/null || true; done
    done
  done
  # chains and tables the iptables tools made in nftables for them, now empty
  if command -v nft >/dev/null && [[ -f $STATE/nft.orig ]]; then
    local fam tab ch rules
    while read -r fam tab ch rules; do
      grep -q "^$fam $tab $ch " "$STATE/nft.orig" && continue
      if [[ $rules == 0 ]]; then nft delete chain "$fam" "$tab" "$ch" 2>/dev/null || true; fi
    done < <(nft_chains)
    while read -r fam tab; do
      grep -q "^$fam $tab " "$STATE/nft.orig" && continue
      if ! nft list table "$fam" "$tab" 2>/dev/null | grep -qE '^\s*chain '; then
        nft delete table "$fam" "$tab" 2>/dev/null || true
      fi
    done < <(nft list tables 2>/dev/null | awk '{ print $2, $3 }')
  fi
}

our_mounts() {  # mount points under the cluster's folders, deepest first
  awk -v dirs="$RUN $VAR $CTR_ROOT $STATE" '
    BEGIN { n = split(dirs, d, " ") }
    { for (i = 1; i <= n; i++) if ($5 == d[i] || index($5, d[i] "/") == 1) { print length($5), $5; next } }
  ' /proc/self/mountinfo | sort -rn | cut -d' ' -f2-
}

our_shims() {  # containerd-shim-runc-v2 processes of the cluster's containerd (not Docker's)
  pgrep -f -- "containerd-shim.* -address $SOCK( |\$)" || true
}

kubepods_cgroups() {  # the cgroups kubelet made, one per cgroup v1 controller (and v2 if mounted)
  find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name kubepods 2>/dev/null
}

kill_cgroup_procs() {  # SIGKILL every process left in the kubelet's cgroups
  local dir pid
  while read -r dir; do
    find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
      kill -9 "$pid" 2>/dev/null || true
    done
  done < <(kubepods_cgroups)
}

stop_pods() {
  [[ -S $SOCK ]] || return 0
  ctr_ version >/dev/null 2>&1 || return 0
  if [[ -x $CRICTL ]]; then
    local pods
    pods=$(crictl_ pods -q 2>/dev/null || true)
    if [[ -n $pods ]]; then
      # shellcheck disable=SC2086
      crictl_ stopp $pods >/dev/null 2>&1 || true
      # shellcheck disable=SC2086
      crictl_ rmp -f $pods >/dev/null 2>&1 || true
      log "stopped and removed $(wc -w <<<"$pods") pod sandboxes (CNI DEL for each)"
    fi
  fi
  local task
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
  sleep 0.3
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$task" >/dev/null 2>&1 || true; done
  local containers
  containers=$(ctr_ containers ls -q 2>/dev/null || true)
  # shellcheck disable=SC2086
  if [[ -n $containers ]]; then ctr_ containers delete $containers >/dev/null 2>&1 || true; fi
}

cleanup_leftovers() {  # everything but the processes: idempotent, also after a crash
  local pid dir mnt
  kill_cgroup_procs
  for pid in $(our_shims); do kill -9 "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do [[ -z $(our_shims) ]] && break; sleep 0.1; done
  while read -r mnt; do
    [[ -n $mnt ]] && { umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; }
  done < <(our_mounts)
  while read -r dir; do
    find "$dir" -depth -mindepth 0 -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d $dir ]] && log "cgroup $dir could not be removed"
  done < <(kubepods_cgroups)
  # veths go with the network namespaces; the bridges explicitly
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  iptables_cleanup
  if command -v conntrack >/dev/null; then
    for net in 10.200.0.0/16 "$SERVICE_CIDR"; do
      conntrack -D -s "$net" >/dev/null 2>&1 || true
      conntrack -D -d "$net" >/dev/null 2>&1 || true
    done
  fi
  restore_sysctls
  # outside the cluster's folders: kubelet's log links and libcni's cache files; the folders
  # themselves only when `up` recorded that they were not there before
  local recorded=no
  [[ -f $STATE/existed ]] && recorded=yes
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$VAR/*" -delete 2>/dev/null || true
    if [[ $recorded == yes ]] && ! existed /var/log/containers; then rmdir /var/log/containers 2>/dev/null || true; fi
  fi
  if [[ -d /var/lib/cni ]]; then
    find /var/lib/cni -type f -name 'biolake-kube-*' -delete 2>/dev/null || true
    if [[ $recorded == yes ]] && ! existed /var/lib/cni; then
      find /var/lib/cni -depth -type d -empty -delete 2>/dev/null || true
    fi
  fi
  if [[ $recorded == yes ]]; then
    # runc's Root is $RUN/runc; /run/containerd/runc only if that failed, and only empty folders
    existed /run/containerd/runc || find /run/containerd/runc -depth -type d -empty -delete 2>/dev/null || true
    existed /run/containerd/s || rmdir /run/containerd/s 2>/dev/null || true
    existed /run/containerd || rmdir /run/containerd 2>/dev/null || true
  fi
  if [[ -z $(our_mounts) ]]; then
    rm -rf "$RUN" "$VAR"
  else
    log "still mounted, $RUN and $VAR kept: $(our_mounts | tr '\n' ' ')"
  fi
}

restore_sysctls() {
  [[ -f $STATE/sysctl.orig ]] || return 0
  local line key value now docker_up=no
  pgrep -x dockerd >/dev/null && docker_up=yes
  while IFS='=' read -r key value; do
    now=$(cat "/proc/sys/${key//.//}" 2>/dev/null) || continue
    [[ $now == "$value" ]] && continue
    # Docker's engine needs these two; leave them while it runs
    if [[ $docker_up == yes && ($key == net.ipv4.ip_forward || $key == net.bridge.bridge-nf-call-iptables) ]]; then
      continue
    fi
    echo "$value" >"/proc/sys/${key//.//}" 2>/dev/null && log "sysctl $key back to $value (was $now)"
  done <"$STATE/sysctl.orig"
}

cmd_down() {
  need_root
  local name started=$SECONDS
  if [[ ! -d $STATE ]]; then
    # nothing recorded: only what a crashed or interrupted run may have left
    cleanup_leftovers
    log "no cluster to take down"
    return
  fi
  # kubelet first, so it restarts nothing; then the pods, through the cluster's own containerd
  stop kubelet
  stop_pods
  stop coredns kube-proxy kube-scheduler kube-controller-manager containerd
  stop kube-apiserver
  stop etcd
  cleanup_leftovers
  rm -f "$KUBECONFIG_PATH"
  rm -rf "$STATE"
  log "cluster down in $((SECONDS - started)) s (logs kept in $LOGS; images in $CTR_ROOT)"
}

cmd_purge() {  # down, then the imported images and the logs (the binaries stay)
  cmd_down
  rm -rf "$CTR_ROOT" "$LOGS" "$IMAGES"
  log "removed $CTR_ROOT, $LOGS and $IMAGES (the binaries stay in $KDIR)"
}

cmd_status() {
  local name pid up=0
  for name in "${PROCESSES[@]}"; do
    if alive "$name" && pid=$(pid_of "$name"); then
      printf '  %-24s running (pid %s)\n' "$name" "$pid"
    else
      printf '  %-24s not running\n' "$name"
      up=1
    fi
  done
  if [[ $up == 0 ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
    kubectl get nodes -o wide 2>/dev/null | sed 's/^/  /'
    echo "export KUBECONFIG=$KUBECONFIG_PATH"
    return 0
  fi
  return 1
}

with_lock() {
  mkdir -p "$KDIR"
  exec 9>"$KDIR/.lock"
  flock -w 600 9 || die "another cluster.sh holds $KDIR/.lock"
  "$@"
}

case ${1:-} in
  build) with_lock cmd_build ;;
  up) with_lock cmd_up ;;
  down) with_lock cmd_down ;;
  purge) with_lock cmd_purge ;;
  status) cmd_status ;;
  images) shift; with_lock cmd_images "$@" ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  *)
    echo "usage: $0 build|up|down|purge|status|images [IMAGE...]|kubeconfig" >&2
    exit 2
    ;;
esac
