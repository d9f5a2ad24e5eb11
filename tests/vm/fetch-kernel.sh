#!/usr/bin/env bash
# Setup step of the VM harness: unpacks Debian's own kernel package with dpkg -x and runs
# depmod over it, caching the result in the build tree so later runs start at once. Leaves
# CACHE_DIR/kernel (what qemu boots), CACHE_DIR/modules, CACHE_DIR/release and CACHE_DIR/deb.
# The package itself comes from `make deps` (packaging/build-deps.sh runs this script with
# --download: apt-get download by name, never anything else); nothing downloads at build or
# test time.
# Usage: fetch-kernel.sh CACHE_DIR     unpack the downloaded package into CACHE_DIR
#        fetch-kernel.sh --download    download the package into the package cache
#   SPACELET_VM_KERNEL_DEB=/path/linux-image-*.deb     unpack this package instead
#   SPACELET_VM_KERNEL_PACKAGE=linux-image-amd64        the package (or metapackage) to fetch
#   SPACELET_VM_PACKAGE_CACHE=/var/cache/spacelet-vm    where the package is downloaded to
set -euo pipefail

usage="usage: fetch-kernel.sh CACHE_DIR | --download"
target=${1:?$usage}
meta=${SPACELET_VM_KERNEL_PACKAGE:-linux-image-amd64}
packageCache=${SPACELET_VM_PACKAGE_CACHE:-/var/cache/spacelet-vm}

say() { echo "vm-kernel: $*" >&2; }

# The metapackage only depends on the versioned image package; that one holds the kernel.
resolvePackage() {
  local dep
  dep=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
  echo "${dep:-$meta}"
}

download() {
  local pkg=$1
  # apt drops privileges to _apt for downloads; a directory it cannot write makes it warn only.
  if ! apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2; then
    say "apt-get download '$pkg' failed; refreshing the package lists once and retrying"
    apt-get update -q >&2
    apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2
  fi
}

# qemu can boot the uncompressed ELF kernel through its PVH entry point, skipping the BIOS
# and the kernel's own xz decompression: under TCG on a busy host that is 30 s less per boot.
extractVmlinux() {
  local image=$1 out=$2 offset
  offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$image" | head -n1 | cut -d: -f1)
  [ -n "$offset" ] || return 1
  # (xz stops reading after the first stream: no pipe, or tail's SIGPIPE would count.)
  xz -dc --single-stream <(tail -c +$((offset + 1)) "$image") >"$out" 2>/dev/null || return 1
  # XEN_ELFNOTE_PHYS32_ENTRY (type 0x12): the PVH entry point.
  [[ $(readelf -n "$out" 2>/dev/null) == *"note type: (0x00000012)"* ]]
}

pkg=$(resolvePackage)
if [ "$target" = --download ]; then
  if ls "$packageCache/${pkg}"_*.deb >/dev/null 2>&1; then exit 0; fi
  mkdir -p "$packageCache" 2>/dev/null && [ -w "$packageCache" ] ||
    { say "cannot write $packageCache: run 'make deps' as root, or set SPACELET_VM_PACKAGE_CACHE"; exit 1; }
  cd "$packageCache"
  say "downloading Debian package '$pkg' into $packageCache (once)"
  download "$pkg"
  exit 0
fi

cache=$(realpath -m "$target")
mkdir -p "$cache"
cd "$cache"
if [ -n "${SPACELET_VM_KERNEL_DEB:-}" ]; then
  deb=$SPACELET_VM_KERNEL_DEB
  [ -f "$deb" ] || { say "SPACELET_VM_KERNEL_DEB='$deb' does not exist; point it at a linux-image .deb"; exit 1; }
else
  deb=$(ls -1v "$packageCache/${pkg}"_*.deb 2>/dev/null | tail -n1 || true)
  if [ -z "$deb" ]; then
    say "no '$pkg' package in $packageCache: run 'make deps' (as root; it downloads the kernel package by name), or set SPACELET_VM_KERNEL_DEB"
    exit 1
  fi
fi

stamp="$cache/tree/.unpacked-from"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(basename "$deb")" ]; then
  say "unpacking $(basename "$deb")"
  rm -rf "$cache/tree"
  dpkg -x "$deb" "$cache/tree"
  release=$(ls -1 "$cache/tree/lib/modules" | head -n1)
  [ -n "$release" ] || { say "no /lib/modules in $deb: is it a linux-image package?"; exit 1; }
  # Newer Debian kernels compress modules; busybox insmod in the VM wants them plain.
  find "$cache/tree/lib/modules" -name '*.ko.xz' -exec xz -d {} +
  find "$cache/tree/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} +
  busybox depmod -b "$cache/tree" "$release"
  echo "$release" >"$cache/release"
  ln -sfn "tree/boot/vmlinuz-$release" "$cache/vmlinuz"
  ln -sfn "tree/lib/modules/$release" "$cache/modules"
  # `kernel` is what the VMs boot: the PVH ELF when the package's kernel has one.
  if extractVmlinux "$cache/tree/boot/vmlinuz-$release" "$cache/vmlinux"; then
    ln -sfn vmlinux "$cache/kernel"
  else
    say "no PVH entry in vmlinuz-$release; booting the compressed image (slower under TCG)"
    rm -f "$cache/vmlinux"
    ln -sfn vmlinuz "$cache/kernel"
  fi
  basename "$deb" >"$stamp"
fi
realpath "$deb" >"$cache/deb"
say "kernel $(cat "$cache/release") ready in $cache"
