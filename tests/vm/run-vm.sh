#!/usr/bin/env bash
# Boots the VM harness's kernel and initramfs under qemu (KVM when the host offers it, else
# TCG), shows the VM's progress, and unpacks what the init streamed back on the second serial
# port: one gtest XML and exit status per test binary (and a log tail for each failure).
# The test suite is split across SPACELET_VM_SHARDS VMs booted side by side (under TCG one VM
# keeps about one host core busy); their results are merged into OUT_DIR.
# Exits non-zero when a test failed, a module did not load, or the VM did not finish (hard
# timeout, kernel panic); then the console's tail is printed. Never waits past the timeout.
# Usage: run-vm.sh KERNEL INITRD OUT_DIR [tests|bench|systemd] [-- MORE_QEMU_ARGS...]
#   tests, bench: the initramfs mode (tests/vm/init.sh is PID 1)
#   systemd:      boots the disk given in MORE_QEMU_ARGS with systemd (tests/vm/systemd)
# Environment (all optional):
#   SPACELET_VM_TIMEOUT=600       seconds before the VM is killed
#   SPACELET_VM_TEST_TIMEOUT=240  seconds each test binary may run inside the VM
#   SPACELET_VM_MEMORY=3072       MiB of guest memory (each VM)
#   SPACELET_VM_CPUS              vCPUs of each VM; default: the host's cores shared out among
#                                 the VMs (at least 1, at most 4), so no vCPU waits for a core
#                                 (a starved vCPU fires the guest's timers late, and CPU quota
#                                 tests then measure the host's load)
#   SPACELET_VM_SHARDS=2          VMs side by side in tests mode, each running its share of
#                                 the binaries (balanced by tests/vm/durations.tsv); 1 when
#                                 SPACELET_VM_ONLY is set, and in bench and systemd modes
#   SPACELET_VM_SCRATCH=4096      MiB of the ext4 scratch disk the VM mounts on /tmp (sparse;
#                                 created in OUT_DIR for the run and removed after it)
#   SPACELET_VM_ONLY=a,b          run only these test binaries (by name)
#   SPACELET_VM_GTEST_FILTER=...  passed to every binary as --gtest_filter
#   SPACELET_VM_GTEST_REPEAT=N    passed as --gtest_repeat (hunting flaky tests; -1: forever)
#   SPACELET_VM_APPEND="..."      more kernel command line (e.g. loglevel=7)
#   SPACELET_VM_BENCH_RUNS=10     container starts per runtime in bench mode
set -euo pipefail

usage="usage: run-vm.sh KERNEL INITRD OUT_DIR [tests|bench|systemd] [-- MORE_QEMU_ARGS...]"
kernel=${1:?$usage}
initrd=${2:?$usage}
out=${3:?$usage}
mode=${4:-tests}
shift $(($# < 4 ? $# : 4))
[ "${1:-}" = -- ] && shift
moreQemuArgs=("$@")
case $mode in tests | bench | systemd) ;; *) echo "vm: unknown mode '$mode'; $usage" >&2; exit 2 ;; esac
timeoutS=${SPACELET_VM_TIMEOUT:-600}

say() { echo "vm: $*"; }

for f in "$kernel" "$initrd"; do
  [ -f "$f" ] || { say "'$f' does not exist: build the target vm-image first (cmake --build BUILD --target vm-image)"; exit 2; }
done
shards=${SPACELET_VM_SHARDS:-2}
if [ "$mode" != tests ] || [ -n "${SPACELET_VM_ONLY:-}" ]; then shards=1; fi
for v in "$shards" "$timeoutS" "${SPACELET_VM_TEST_TIMEOUT:-240}" "${SPACELET_VM_MEMORY:-3072}" "${SPACELET_VM_BENCH_RUNS:-10}" "${SPACELET_VM_SCRATCH:-4096}"; do
  [[ $v =~ ^[0-9]+$ ]] || { say "'$v' is not a whole number (check the SPACELET_VM_* variables)"; exit 2; }
done
[ "$shards" -ge 1 ] || { say "SPACELET_VM_SHARDS must be at least 1"; exit 2; }
cpus=${SPACELET_VM_CPUS:-$(($(nproc) / shards))}
[[ $cpus =~ ^[0-9]+$ ]] || { say "SPACELET_VM_CPUS='$cpus' is not a whole number"; exit 2; }
[ -n "${SPACELET_VM_CPUS:-}" ] || cpus=$((cpus < 1 ? 1 : cpus > 4 ? 4 : cpus))

rm -rf "$out"
mkdir -p "$out/xml" "$out/logs"

# no_timer_check: a starved TCG vCPU can miss the IO-APIC timer check and stall the boot.
append="console=ttyS0 panic=-1 oops=panic loglevel=4 no_timer_check spacelet.mode=$mode"
[ "$mode" = systemd ] && append+=" root=/dev/vda rw"
append+=" spacelet.test_timeout=${SPACELET_VM_TEST_TIMEOUT:-240}"
append+=" spacelet.bench_runs=${SPACELET_VM_BENCH_RUNS:-10}"
[ -n "${SPACELET_VM_ONLY:-}" ] && append+=" spacelet.only=$SPACELET_VM_ONLY"
[ -n "${SPACELET_VM_GTEST_FILTER:-}" ] && append+=" spacelet.gtest_filter=$SPACELET_VM_GTEST_FILTER"
[ -n "${SPACELET_VM_GTEST_REPEAT:-}" ] && append+=" spacelet.gtest_repeat=$SPACELET_VM_GTEST_REPEAT"
[ -n "${SPACELET_VM_APPEND:-}" ] && append+=" $SPACELET_VM_APPEND"

accel=(-accel tcg)
if [ -r /dev/kvm ] && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo; then accel=(-accel kvm -accel tcg); fi

# bootVm DIR [K/N]: boots one VM with DIR for its console, result channel and scratch disk,
# unpacks its results into DIR and leaves there `problems` (empty when all passed) and
# `elapsed`. With K/N it runs shard K of N and prefixes its progress lines with [K/N].
bootVm() {
  local dir=$1 shard=${2:-} console=$1/console.log channel=$1/channel.txt scratch=""
  local vmAppend=$append vmArgs=("${moreQemuArgs[@]}") qemu qemuStatus=0 started
  mkdir -p "$dir"
  : >"$console"
  : >"$channel"
  [ -n "$shard" ] && vmAppend+=" spacelet.shard=$shard"
  # Initramfs mode: an ext4 scratch disk for /tmp (tests/vm/init.sh mounts it), the kind of
  # filesystem a node keeps its images on (idmapped mounts, which 6.1's tmpfs lacks).
  if [ "$mode" != systemd ]; then
    scratch=$dir/scratch.ext4
    truncate -s "${SPACELET_VM_SCRATCH:-4096}M" "$scratch"
    if ! PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0 "$scratch"; then
      echo "cannot make the ext4 scratch disk $scratch (mkfs.ext4 from e2fsprogs)" >"$dir/problems"
      return
    fi
    vmArgs+=(-drive "file=$scratch,format=raw,if=virtio,cache=unsafe")
  fi
  started=$(date +%s)
  timeout --kill-after=10 "$timeoutS" qemu-system-x86_64 -nodefaults -no-user-config -display none \
    -no-reboot -machine pc "${accel[@]}" -cpu max -smp "$cpus" \
    -m "${SPACELET_VM_MEMORY:-3072}" -kernel "$kernel" -initrd "$initrd" -append "$vmAppend" \
    -chardev "file,id=console,path=$console" -serial chardev:console \
    -chardev "file,id=results,path=$channel" -serial chardev:results "${vmArgs[@]}" &
  qemu=$!
  # Progress: the harness's own lines, as they come (under systemd they carry a journal prefix).
  tail --pid=$qemu -n +1 -f "$console" 2>/dev/null | grep -a --line-buffered -o 'spacelet-vm: .*' |
    sed -u "${shard:+s|^|[$shard] |}" || true
  wait $qemu || qemuStatus=$?
  echo $(($(date +%s) - started)) >"$dir/elapsed"
  [ -z "$scratch" ] || rm -f "$scratch"

  "$(dirname "$0")/unpack-results.sh" "$channel" "$dir"
  if [ "$qemuStatus" -eq 124 ] || [ "$qemuStatus" -eq 137 ]; then
    echo "the VM did not finish within ${timeoutS}s (raise SPACELET_VM_TIMEOUT or look for a hung test below)" >>"$dir/problems"
  elif [ "$qemuStatus" -ne 0 ]; then
    echo "qemu exited with status $qemuStatus" >>"$dir/problems"
  fi
  if grep -q 'Kernel panic' "$console"; then
    echo "kernel panic: $(grep -a -m1 'Kernel panic' "$console" | tr -d '\r')" >>"$dir/problems"
  fi
}

# The scratch disks are sparse but 4 GiB each: never left behind, even when interrupted.
trap 'rm -f "$out"/scratch.ext4 "$out"/vm-*/scratch.ext4' EXIT

start=$(date +%s)
if [ "$shards" -eq 1 ]; then
  say "booting $(basename "$kernel") ($mode mode, ${accel[*]}, $cpus vCPU, hard timeout ${timeoutS}s); console: $out/console.log"
  bootVm "$out"
  dirs=("$out")
else
  say "booting $shards VMs of $(basename "$kernel") side by side ($mode mode, ${accel[*]}, $cpus vCPU each, hard timeout ${timeoutS}s each); consoles: $out/vm-*/console.log"
  dirs=()
  for k in $(seq 1 "$shards"); do
    dirs+=("$out/vm-$k")
    bootVm "$out/vm-$k" "$k/$shards" &
  done
  wait
  # One result tree, as a single VM leaves it: the XML and logs of every binary, one summary.
  : >"$out/summary.tsv"
  : >"$out/problems"
  for k in $(seq 1 "$shards"); do
    dir=$out/vm-$k
    cp -r "$dir/xml/." "$out/xml/" 2>/dev/null || true
    cp -r "$dir/logs/." "$out/logs/" 2>/dev/null || true
    cat "$dir/summary.tsv" >>"$out/summary.tsv" 2>/dev/null || true
    [ -f "$out/controllers" ] || cp "$dir/controllers" "$out/controllers" 2>/dev/null || true
    sed "s|^|VM $k/$shards: |" "$dir/problems" >>"$out/problems" 2>/dev/null ||
      echo "VM $k/$shards: left no results (see $dir/console.log)" >>"$out/problems"
    say "VM $k/$shards ran $(cat "$dir/elapsed" 2>/dev/null || echo ?)s"
  done
fi
elapsed=$(($(date +%s) - start))
problems=$(cat "$out/problems")

say "VM$([ "$shards" -gt 1 ] && echo s) ran ${elapsed}s"
[ "$mode" = bench ] && [ -f "$out/bench.txt" ] && cat "$out/bench.txt"
if [ -n "$problems" ]; then
  for dir in "${dirs[@]}"; do
    [ -s "$dir/problems" ] || continue
    say "console tail ($dir/console.log):"
    tail -n 60 "$dir/console.log" | tr -d '\r' | sed 's/^/  | /'
  done
  printf '%s\n' "$problems" | sed 's/^/vm: FAILED: /'
  exit 1
fi
say "all VM tests passed"
