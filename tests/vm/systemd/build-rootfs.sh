#!/usr/bin/env bash
# Builds, once, the systemd-mode disk: a Debian 12 root filesystem made with debootstrap from
# Debian's archive (minbase + packages.list + the runtime libraries of spacelet's programs),
# Debian's kernel installed in it with dpkg (so its initramfs-tools initrd is the real one),
# the test unit enabled, packed into a raw ext4 image with `mkfs.ext4 -d` (no loop mount).
# The image is cached under CACHE_DIR and rebuilt only when its inputs change.
# Usage: build-rootfs.sh CACHE_DIR KERNEL_CACHE MANIFEST   (KERNEL_CACHE: fetch-kernel.sh's)
#   SPACELET_VM_DEBIAN_MIRROR=http://deb.debian.org/debian   the archive debootstrap uses
set -euo pipefail

cache=${1:?usage: build-rootfs.sh CACHE_DIR KERNEL_DEB MANIFEST}
kernelCache=${2:?usage: build-rootfs.sh CACHE_DIR KERNEL_CACHE MANIFEST}
kernelDeb=$(cat "$kernelCache/deb")
manifest=${3:?usage: build-rootfs.sh CACHE_DIR KERNEL_CACHE MANIFEST}
here=$(dirname "$(realpath "$0")")
mirror=${SPACELET_VM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$cache/rootfs.d"

say() { echo "vm-systemd-image: $*" >&2; }

# Packages owning the shared libraries of every program in the manifest (one dpkg query
# for all of them: each query reads the whole package database).
runtimePackages() {
  local path libs
  libs=$(while read -r _ path; do
    [ -f "$path" ] && { ldd "$path" 2>/dev/null | grep -o '/[^ ]*' || true; }
  done <"$manifest" | sort -u | xargs -r realpath | sort -u)
  [ -n "$libs" ] || return 0
  # shellcheck disable=SC2086 # one path per word
  { dpkg -S $libs 2>/dev/null || true; } | cut -d: -f1 | tr ',' '\n' | tr -d ' ' | sort -u
}

packageList() {
  { sed 's/#.*//' "$here/packages.list"; runtimePackages; } | tr -s ' \n' '\n' | grep . | sort -u
}

configureRoot() {
  echo spacelet-vm >"$root/etc/hostname"
  cat >"$root/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
spacelet-src /spacelet/src 9p trans=virtio,version=9p2000.L,ro,nofail 0 0
spacelet-build /spacelet/build 9p trans=virtio,version=9p2000.L,ro,nofail 0 0
EOF
  mkdir -p "$root/spacelet/src" "$root/spacelet/build"
  printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/spacelet-vm"
  printf 'virtio_pci\nvirtio_blk\next4\n9p\n9pnet_virtio\n' >>"$root/etc/initramfs-tools/modules"
  cp "$here/spacelet-vm-tests.service" "$root/etc/systemd/system/"
  ln -sf ../spacelet-vm-tests.service "$root/etc/systemd/system/multi-user.target.wants/"
  # No login prompt on the console: the test unit owns the machine.
  ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
  ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
}

# debootstrap and dpkg run in a private mount namespace: whatever they mount (proc, sys,
# devpts) inside the target disappears with it, even when they fail half-way.
bootstrap() {
  local packages
  packages=$(packageList | paste -sd, -)
  say "debootstrap bookworm from $mirror with: $packages"
  rm -rf "$root"
  unshare --mount --propagation private \
    debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >&2
  cp "$kernelDeb" "$root/tmp/kernel.deb"
  configureRoot
  say "installing $(basename "$kernelDeb") in the image (its postinst builds the initrd)"
  unshare --mount --propagation private sh -c \
    "mount -t proc proc '$root/proc' && chroot '$root' dpkg -i /tmp/kernel.deb" >&2
  rm -f "$root/tmp/kernel.deb"
  chroot "$root" apt-get clean
}

makeImage() {
  local mib
  # The image gets the tree's size plus room for what the tests write (the boot runs with
  # qemu -snapshot, so the cached image itself never changes).
  mib=$(($(du -sm "$root" | cut -f1) + 1024))
  rm -f "$cache/rootfs.img"
  mkfs.ext4 -q -F -L spacelet-vm -d "$root" "$cache/rootfs.img" "${mib}M"
  # The same kernel as installed in the image, in the form qemu boots fastest (fetch-kernel.sh).
  cp -L "$kernelCache/kernel" "$cache/kernel"
  cp "$root"/boot/initrd.img-* "$cache/initrd.img"
}

[ "$(id -u)" -eq 0 ] || { say "debootstrap and chroot need root; run as root (CI does)"; exit 1; }
mkdir -p "$cache"
key=$({ packageList; basename "$kernelDeb"; cat "$0" "$here/spacelet-vm-tests.service"; } | sha256sum | cut -d' ' -f1)
if [ -f "$cache/rootfs.img" ] && [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ]; then
  say "cached image is current: $cache/rootfs.img"
  exit 0
fi
start=$(date +%s)
bootstrap
makeImage
rm -rf "$root"
echo "$key" >"$cache/key"
say "built $cache/rootfs.img ($(du -sh "$cache/rootfs.img" | cut -f1)) in $(($(date +%s) - start))s"
