#!/usr/bin/env bash
# Installs everything splitbrain needs from Debian 12 packages. Idempotent: packages already
# present are left alone. Needs root (or sudo); a non-root user is told what to run.
#   install-deps.sh          what building and running splitbrain needs
#   install-deps.sh --test   that, plus what the test suite needs (a real browser for the report;
#                            clang and its runtimes for the libFuzzer targets of fuzz/; lld, the
#                            faster linker for the sanitized test build; sshd for the SSH tests;
#                            python3 for the exec example clients)
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  # libraries (Boost 1.81, never the default 1.74: the two conflict)
  libboost1.81-dev libyaml-cpp-dev nlohmann-json3-dev
  # tcmalloc, the allocator splitbrain-node links in a build without sanitizers (node/CMakeLists.txt)
  libtcmalloc-minimal4
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # the `delay` fault's delayer (splitbrain-delay): NFQUEUE, which nft's own `queue` statement
  # cannot reach on every kernel, so the queue rule goes in with iptables-nft
  libnetfilter-queue-dev
  # the disk faults' file system (splitbrain-fs): libfuse3 to build it
  libfuse3-dev
  # the NATS client library (libnats, with JetStream) the nats system's clients are built on
  libnats-dev
  # ZooKeeper's C client (libzookeeper_mt) the zookeeper system's clients are built on
  libzookeeper-mt-dev
  # gRPC C++ and protobuf: the etcd client talks etcd's v3 API over gRPC (clients/etcd/*.proto,
  # compiled at build time by protoc and its gRPC plugin)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # the lab: namespaces, bridge and veth, packet filters, clock faults
  nftables iptables iproute2 util-linux libfaketime procps
  # disk faults: fuse3 (the FUSE runtime: fusermount3, /dev/fuse's permissions) under splitbrain-fs
  fuse3
  # systems under test besides splitbrain-node (plans with `system: etcd`); etcdctl to inspect
  # a run's etcd data afterwards
  etcd-server etcd-client
  # real clusters over SSH (a plan's hosts:, --hosts FILE): OpenSSH's own client
  openssh-client
  # ... and `system: nats` (JetStream)
  nats-server
  # ... and `system: zookeeper`: the server's jars (3.8.0) and, through its dependencies, a JRE
  # and the slf4j/log4j jars. Not zookeeperd: that package only adds a service that would start
  # a ZooKeeper on the host's port 2181; the lab runs its own members with java directly.
  zookeeper
)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium clang libclang-rt-14-dev lld)
  # harness_ssh_test starts sshd inside the lab's node namespaces (never on the host)
  packages+=(openssh-server)
  # harness_run_test (exec_run_test.cc) runs the example clients of system: exec (clients/exec/*.py)
  packages+=(python3)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get "${apt_opts[@]}" update -qq
"${SUDO[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}"

# Debian starts a packaged etcd on 127.0.0.1:2379 (and nats-server on 4222) at install. splitbrain runs its own members
# inside the lab and needs none: stop and disable the service, but only when this run installed
# it (an etcd someone set up on purpose is left alone).
if printf '%s\n' "${missing[@]}" | grep -qx etcd-server && command -v systemctl >/dev/null 2>&1 &&
  [ -d /run/systemd/system ]; then
  echo "install-deps: stopping and disabling the packaged etcd service (the lab runs its own)"
  "${SUDO[@]}" systemctl disable --now etcd >/dev/null 2>&1 || true
fi
# Likewise Debian starts sshd on port 22 when it installs openssh-server; the SSH tests start
# their own inside the lab. Stopped and disabled only when this run installed it.
if printf '%s\n' "${missing[@]}" | grep -qx openssh-server && command -v systemctl >/dev/null 2>&1 &&
  [ -d /run/systemd/system ]; then
  echo "install-deps: stopping and disabling the packaged ssh service (the SSH tests run their own)"
  "${SUDO[@]}" systemctl disable --now ssh >/dev/null 2>&1 || true
fi
if printf '%s\n' "${missing[@]}" | grep -qx nats-server && command -v systemctl >/dev/null 2>&1 &&
  [ -d /run/systemd/system ]; then
  echo "install-deps: stopping and disabling the packaged nats-server service (the lab runs its own)"
  "${SUDO[@]}" systemctl disable --now nats-server >/dev/null 2>&1 || true
fi
