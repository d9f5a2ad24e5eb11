#!/usr/bin/env bash
# Checks that the VM harness reports its failure modes instead of hanging or passing: a
# module the kernel lacks, a kernel panic, a test binary that never finishes, and a VM that
# outlives its hard timeout. Each case must make run-vm.sh exit non-zero with a message that
# names the problem. Usage: selftest.sh KERNEL INITRD KERNEL_MODULES_DIR WORK_DIR
set -uo pipefail

kernel=${1:?usage: selftest.sh KERNEL INITRD KERNEL_MODULES_DIR WORK_DIR}
initrd=${2:?}
modules=${3:?}
work=${4:?}
here=$(dirname "$(realpath "$0")")
failures=0
mkdir -p "$work"

# expectFailure NAME PATTERN COMMAND...: the command must fail and print PATTERN.
expectFailure() {
  local name=$1 pattern=$2 status
  shift 2
  "$@" >"$work/$name.out" 2>&1
  status=$?
  if [ $status -eq 0 ]; then
    echo "selftest: $name: FAILED: the harness exited 0 (expected a failure)"
  elif ! grep -qE "$pattern" "$work/$name.out"; then
    echo "selftest: $name: FAILED: no line matching '$pattern' in the output:"
    tail -n 20 "$work/$name.out" | sed 's/^/  | /'
  else
    echo "selftest: $name: ok ($(grep -m1 -E "$pattern" "$work/$name.out"))"
    return 0
  fi
  failures=$((failures + 1))
}

printf 'veth\nno_such_module_spacelet\n' >"$work/modules.list"
expectFailure missing-module "no module named: no_such_module_spacelet" \
  "$here/resolve-modules.sh" "$modules" "$work/modules.list"

# An initramfs without an init: the kernel finds no root and panics early.
mkdir -p "$work/empty"
(cd "$work/empty" && echo . | cpio -o -H newc --quiet) >"$work/empty.cpio"
expectFailure kernel-panic "FAILED: (VM [0-9]+/[0-9]+: )?kernel panic" \
  env SPACELET_VM_TIMEOUT=120 "$here/run-vm.sh" "$kernel" "$work/empty.cpio" "$work/panic"

expectFailure hung-test "FAILED: vm_kernel_features_test: killed after [0-9]+s" \
  env SPACELET_VM_ONLY=vm_kernel_features_test SPACELET_VM_GTEST_REPEAT=-1 \
  SPACELET_VM_GTEST_FILTER='KernelFeatures.Overlay*' SPACELET_VM_TEST_TIMEOUT=5 \
  SPACELET_VM_TIMEOUT=180 "$here/run-vm.sh" "$kernel" "$initrd" "$work/hung"

expectFailure vm-timeout "FAILED: (VM [0-9]+/[0-9]+: )?the VM did not finish within 3s" \
  env SPACELET_VM_TIMEOUT=3 "$here/run-vm.sh" "$kernel" "$initrd" "$work/timeout"

[ $failures -eq 0 ] && echo "selftest: the harness reports every failure mode it was shown"
exit $((failures > 0))
