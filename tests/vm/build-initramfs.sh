#!/usr/bin/env bash
# Assembles the initramfs of the VM harness (initramfs mode) as a newc cpio, without root and
# without loop mounts: busybox-static, the init, spacelet's programs and test binaries (from
# the manifest CMake writes), their shared libraries (ldd, the dynamic loader included), the
# kernel modules the tests need, and the host tools listed in tools.list.
# Usage: build-initramfs.sh MANIFEST BINARY_DIR SOURCE_DIR KERNEL_CACHE OUT.cpio
set -euo pipefail

manifest=${1:?usage: build-initramfs.sh MANIFEST BINARY_DIR SOURCE_DIR KERNEL_CACHE OUT.cpio}
binaryDir=$(realpath "$2")
sourceDir=$(realpath "$3")
kernelCache=$(realpath "$4")
out=$5
here=$(dirname "$(realpath "$0")")
stage="$out.d"
release=$(cat "$kernelCache/release")

say() { echo "vm-image: $*" >&2; }
declare -A copied

# Copies a file to the same absolute path inside the image; symlinked directories (the
# merged /usr: /lib -> usr/lib) are resolved so the image's own links lead to it.
addFile() {
  local src=$1 dest=${2:-$1}
  dest="$(realpath -m "$(dirname "$dest")")/$(basename "$dest")"
  [ -n "${copied[$dest]:-}" ] && return 0
  copied[$dest]=1
  mkdir -p "$stage$(dirname "$dest")"
  cp -L --preserve=mode "$src" "$stage$dest"
}

# Copies an ELF program and every shared library ldd finds for it.
addWithLibs() {
  local src=$1 dest=${2:-$1} lib
  addFile "$src" "$dest"
  for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do addFile "$lib"; done
}

# Test binaries carry debug info the VM never reads; stripping keeps the image small.
addStripped() {
  local src=$1 dest=$2 lib
  mkdir -p "$stage$(dirname "$dest")"
  strip --strip-debug -o "$stage$dest" "$src"
  for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do addFile "$lib"; done
}

makeSkeleton() {
  rm -rf "$stage"
  mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc/spacelet-vm,proc,sys,dev,tmp,run,root,newroot,var/tmp}
  ln -s usr/bin "$stage/bin"
  ln -s usr/sbin "$stage/sbin"
  ln -s usr/lib "$stage/lib"
  ln -s usr/lib64 "$stage/lib64"
  chmod 1777 "$stage/tmp" "$stage/var/tmp"
}

# Programs, tests and shared libraries keep their place relative to the build tree under
# /spacelet/build; the init points SPACELET_BINARY_DIR there. tests.list tells the init what
# to run.
addProject() {
  local kind path rel
  : >"$stage/etc/spacelet-vm/tests.list"
  while read -r kind path; do
    [ -f "$path" ] || { say "skipping '$path' ($kind): not built"; continue; }
    rel=${path#"$binaryDir"/}
    addStripped "$path" "/spacelet/build/$rel"
    case $kind in
      integration | unit) echo "$kind $rel" >>"$stage/etc/spacelet-vm/tests.list" ;;
    esac
  done <"$manifest"
  # Sources (test data, golden files) under /spacelet/src, for SPACELET_SOURCE_DIR.
  mkdir -p "$stage/spacelet/src"
  git -C "$sourceDir" ls-files -z --cached --others --exclude-standard |
    (cd "$sourceDir" && cpio --null -pdm --quiet "$stage/spacelet/src" 2>/dev/null || true)
  # Tests that name test data by the source path compiled into them find it there too, and
  # files of the build tree (the GPU tests' fake driver libraries) by the binary path. The
  # init makes these links again after mounting the scratch disk on /tmp, which hides them
  # when the tree is below /tmp (a CI clone in /tmp, say).
  local buildLink=$binaryDir
  [[ $binaryDir == "$sourceDir"/* ]] && buildLink="/spacelet/src/${binaryDir#"$sourceDir"/}"
  printf '%s /spacelet/src\n%s /spacelet/build\n' "$sourceDir" "$buildLink" \
    >"$stage/etc/spacelet-vm/host-paths"
  local link target
  while read -r link target; do
    mkdir -p "$stage$(dirname "$link")"
    ln -sfn "$target" "$stage$link"
  done <"$stage/etc/spacelet-vm/host-paths"
}

addTools() {
  local line dir prog
  while read -r line; do
    line=${line%%#*}
    [ -z "${line// /}" ] && continue
    if [[ $line == tree\ * ]]; then
      dir=${line#tree }
      [ -d "$dir" ] || { say "note: '$dir' is not on this host; left out"; continue; }
      mkdir -p "$stage$(realpath "$dir")"
      cp -a "$dir/." "$stage$(realpath "$dir")/"
      continue
    fi
    prog=$(command -v "$line" || true)
    [ -n "$prog" ] || { say "note: program '$line' is not on this host; left out"; continue; }
    addWithLibs "$prog"
  done <"$here/tools.list"
}

addBusybox() {
  local applet
  addFile /bin/busybox /usr/bin/busybox
  # Real tools win over busybox applets of the same name (busybox ip cannot do netns).
  for applet in $(/bin/busybox --list); do
    [ -e "$stage/usr/bin/$applet" ] || [ -e "$stage/usr/sbin/$applet" ] && continue
    ln -s busybox "$stage/usr/bin/$applet"
  done
}

addModules() {
  local modDir="$kernelCache/tree/lib/modules/$release" rel
  local order="$stage/etc/spacelet-vm/modules"
  "$here/resolve-modules.sh" "$modDir" "$here/modules.list" >"$order"
  mkdir -p "$stage/lib/modules/$release"
  while read -r rel; do
    mkdir -p "$stage/lib/modules/$release/$(dirname "$rel")"
    cp "$modDir/$rel" "$stage/lib/modules/$release/$rel"
  done <"$order"
  # Only the copied modules' lines, so the kernel's on-demand modprobe finds what is there.
  grep -F -f "$order" "$modDir/modules.dep" >"$stage/lib/modules/$release/modules.dep" || true
  cp "$modDir/modules.builtin" "$stage/lib/modules/$release/"
}

addEtc() {
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
  printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$stage/etc/group"
  printf '127.0.0.1 localhost spacelet-vm\n::1 localhost\n' >"$stage/etc/hosts"
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$stage/etc/nsswitch.conf"
  cp "$here/init.sh" "$stage/init"
  chmod 755 "$stage/init"
  cp "$here/bench-start.sh" "$stage/etc/spacelet-vm/bench-start.sh"
  cp "$here/durations.tsv" "$stage/etc/spacelet-vm/durations"
}

writeCpio() {
  (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc -R 0:0 --quiet) >"$out.tmp"
  mv "$out.tmp" "$out"
}

makeSkeleton
addProject
addTools
addBusybox
addModules
addEtc
writeCpio
say "$(grep -c . "$stage/etc/spacelet-vm/tests.list") test binaries, $(grep -c . "$stage/etc/spacelet-vm/modules") modules, $(du -sh "$out" | cut -f1) -> $out"
