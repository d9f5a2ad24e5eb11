#!/usr/bin/env bash
# Boots the VM harness's kernel and initramfs under qemu (KVM when the host offers it, else
# TCG), shows the VM's progress, and unpacks what the init streamed back on the second serial
# port: one gtest XML and exit status per test binary (and a log tail for each failure).
# Exits non-zero when a test failed, a module did not load, or the VM did not finish (hard
# timeout, kernel panic); then the console's tail is printed. Never waits past the timeout.
# Usage: run-vm.sh KERNEL INITRD OUT_DIR [tests|bench|systemd] [-- MORE_QEMU_ARGS...]
#   tests, bench: the initramfs mode (tests/vm/init.sh is PID 1)
#   systemd:      boots the disk given in MORE_QEMU_ARGS with systemd (tests/vm/systemd)
# Environment (all optional):
#   SPACELET_VM_TIMEOUT=600       seconds before the VM is killed
#   SPACELET_VM_TEST_TIMEOUT=240  seconds each test binary may run inside the VM
#   SPACELET_VM_MEMORY=3072       MiB of guest memory;  SPACELET_VM_CPUS=2
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
for v in "$timeoutS" "${SPACELET_VM_TEST_TIMEOUT:-240}" "${SPACELET_VM_MEMORY:-3072}" "${SPACELET_VM_CPUS:-2}" "${SPACELET_VM_BENCH_RUNS:-10}" "${SPACELET_VM_SCRATCH:-4096}"; do
  [[ $v =~ ^[0-9]+$ ]] || { say "'$v' is not a whole number (check the SPACELET_VM_* variables)"; exit 2; }
done

rm -rf "$out"
mkdir -p "$out/xml" "$out/logs"
console=$out/console.log
channel=$out/channel.txt
: >"$console"
: >"$channel"

# no_timer_check: a starved TCG vCPU can miss the IO-APIC timer check and stall the boot.
append="console=ttyS0 panic=-1 oops=panic loglevel=4 no_timer_check spacelet.mode=$mode"
[ "$mode" = systemd ] && append+=" root=/dev/vda rw"
append+=" spacelet.test_timeout=${SPACELET_VM_TEST_TIMEOUT:-240}"
append+=" spacelet.bench_runs=${SPACELET_VM_BENCH_RUNS:-10}"
[ -n "${SPACELET_VM_ONLY:-}" ] && append+=" spacelet.only=$SPACELET_VM_ONLY"
[ -n "${SPACELET_VM_GTEST_FILTER:-}" ] && append+=" spacelet.gtest_filter=$SPACELET_VM_GTEST_FILTER"
[ -n "${SPACELET_VM_GTEST_REPEAT:-}" ] && append+=" spacelet.gtest_repeat=$SPACELET_VM_GTEST_REPEAT"
[ -n "${SPACELET_VM_APPEND:-}" ] && append+=" $SPACELET_VM_APPEND"

# Initramfs mode: an ext4 scratch disk for /tmp (tests/vm/init.sh mounts it), the kind of
# filesystem a node keeps its images on (idmapped mounts, which 6.1's tmpfs lacks).
if [ "$mode" != systemd ]; then
  scratch=$out/scratch.ext4
  truncate -s "${SPACELET_VM_SCRATCH:-4096}M" "$scratch"
  PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0 "$scratch" ||
    { say "cannot make the ext4 scratch disk $scratch (mkfs.ext4 from e2fsprogs)"; exit 2; }
  moreQemuArgs+=(-drive "file=$scratch,format=raw,if=virtio,cache=unsafe")
  trap 'rm -f "$scratch"' EXIT
fi

accel=(-accel tcg)
if [ -r /dev/kvm ] && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo; then accel=(-accel kvm -accel tcg); fi

say "booting $(basename "$kernel") ($mode mode, ${accel[*]}, hard timeout ${timeoutS}s); console: $console"
start=$(date +%s)
timeout --kill-after=10 "$timeoutS" qemu-system-x86_64 -nodefaults -no-user-config -display none \
  -no-reboot -machine pc "${accel[@]}" -cpu max -smp "${SPACELET_VM_CPUS:-2}" \
  -m "${SPACELET_VM_MEMORY:-3072}" -kernel "$kernel" -initrd "$initrd" -append "$append" \
  -chardev "file,id=console,path=$console" -serial chardev:console \
  -chardev "file,id=results,path=$channel" -serial chardev:results "${moreQemuArgs[@]}" &
qemu=$!
# Progress: the harness's own lines, as they come (under systemd they carry a journal prefix).
tail --pid=$qemu -n +1 -f "$console" 2>/dev/null | grep -a --line-buffered -o 'spacelet-vm: .*' || true
qemuStatus=0
wait $qemu || qemuStatus=$?
elapsed=$(($(date +%s) - start))

"$(dirname "$0")/unpack-results.sh" "$channel" "$out"
problems=$(cat "$out/problems")
[ -n "$problems" ] && problems+=$'\n'

if [ "$qemuStatus" -eq 124 ] || [ "$qemuStatus" -eq 137 ]; then
  problems+="the VM did not finish within ${timeoutS}s (raise SPACELET_VM_TIMEOUT or look for a hung test below)"$'\n'
elif [ "$qemuStatus" -ne 0 ]; then
  problems+="qemu exited with status $qemuStatus"$'\n'
fi
if grep -q 'Kernel panic' "$console"; then
  problems+="kernel panic: $(grep -m1 'Kernel panic' "$console" | tr -d '\r')"$'\n'
fi

say "VM ran ${elapsed}s"
[ "$mode" = bench ] && [ -f "$out/bench.txt" ] && cat "$out/bench.txt"
if [ -n "$problems" ]; then
  say "console tail ($console):"
  tail -n 60 "$console" | tr -d '\r' | sed 's/^/  | /'
  printf '%s' "$problems" | sed 's/^/vm: FAILED: /'
  exit 1
fi
say "all VM tests passed"
