#!/usr/bin/env bash
# systemd mode of the VM harness: boots the cached Debian 12 disk (build-rootfs.sh) with
# systemd as PID 1, the source and build trees shared read-only over 9p, and qemu -snapshot
# so the cached disk never changes; the test unit runs tests/vm/systemd/tests/*.sh and powers
# off. Exit status and results as run-vm.sh (OUT_DIR/xml, logs, summary.tsv).
# Usage: run.sh IMAGE_DIR SOURCE_DIR BINARY_DIR OUT_DIR
#   SPACELET_VM_TIMEOUT (default here 1500), SPACELET_VM_TEST_TIMEOUT (default here 480: a
#   script installs the package or builds a Space under TCG), the other SPACELET_VM_* of run-vm.sh
set -euo pipefail

image=${1:?usage: run.sh IMAGE_DIR SOURCE_DIR BINARY_DIR OUT_DIR}
src=$(realpath "${2:?usage: run.sh IMAGE_DIR SOURCE_DIR BINARY_DIR OUT_DIR}")
bin=$(realpath "${3:?usage: run.sh IMAGE_DIR SOURCE_DIR BINARY_DIR OUT_DIR}")
out=${4:?usage: run.sh IMAGE_DIR SOURCE_DIR BINARY_DIR OUT_DIR}
here=$(dirname "$(realpath "$0")")

[ -f "$image/rootfs.img" ] || {
  echo "vm-systemd: no disk at '$image/rootfs.img': build the target vm-systemd-image first" >&2
  exit 2
}
SPACELET_VM_TIMEOUT=${SPACELET_VM_TIMEOUT:-1500} \
  SPACELET_VM_TEST_TIMEOUT=${SPACELET_VM_TEST_TIMEOUT:-480} exec "$here/../run-vm.sh" \
  "$image/kernel" "$image/initrd.img" "$out" systemd -- \
  -drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on" \
  -virtfs "local,path=$src,mount_tag=spacelet-src,security_model=none,readonly=on" \
  -virtfs "local,path=$bin,mount_tag=spacelet-build,security_model=none,readonly=on"
