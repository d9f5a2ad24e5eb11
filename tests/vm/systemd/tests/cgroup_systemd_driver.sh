#!/bin/bash
# spacelet-run's systemd cgroup driver (sandbox/cgroup) on a real systemd: one transient scope
# per container with the limits as unit properties, Delegate=yes, the BPF device filter, and
# limits and device access that survive `systemctl daemon-reload`. The gtest binary skips
# where systemd is not PID 1, so here it must pass.
set -u
tests=$SPACELET_BINARY_DIR/tests/integration/sandbox_cgroup/sandbox_cgroup_systemd_tests
[ -x "$tests" ] || { echo "the systemd driver tests are not built at '$tests'"; exit 77; }
out=$("$tests" --gtest_brief=1 --gtest_output="xml:$SPACELET_VM_GTEST_OUTPUT" 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ] && grep -q SKIPPED <<<"$out"; then
  echo "FAIL: a systemd driver test skipped on a systemd host"
  exit 1
fi
exit $rc
