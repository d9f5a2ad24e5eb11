#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package that building, testing and demoing spacelet
# needs and that is not installed yet, and downloads (not installs) the kernel package the VM
# harness boots into /var/cache/spacelet-vm (tests/vm/fetch-kernel.sh --download). Run as
# root. `make demo` and `make test` call it first; nothing else downloads at build or test time.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  libseccomp-dev libcap-dev libsystemd-dev libnl-3-dev libnl-route-3-dev libnl-nf-3-dev
  libnftables-dev
  nlohmann-json3-dev libyaml-cpp-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libgit2-dev libarchive-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev
  zlib1g-dev
  # fuzzing (tests/fuzz, a separate clang build with libFuzzer)
  clang libclang-rt-14-dev
  # run and test: containers, network, git
  busybox-static runc crun podman uidmap nftables iproute2 conntrack git sqlite3 curl
  # the SDK end-to-end test: python3 writes its wheels (it also needs debootstrap and dpkg-dev)
  python3
  # spaceletd tests: systemd-socket-activate and systemd-analyze; groupadd/groupdel (passwd)
  systemd passwd
  # the VM harness and packaging
  qemu-system-x86 cpio zstd xz-utils e2fsprogs debootstrap help2man lintian dpkg-dev fakeroot
  file hyperfine
)
here=$(dirname "$(realpath "$0")")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-deps: missing packages: ${missing[*]}" >&2
    echo "build-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "build-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
"$here/../tests/vm/fetch-kernel.sh" --download
