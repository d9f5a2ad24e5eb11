#!/bin/bash
# `systemd-run --scope` limits reach the process inside the scope: the probe reads its own
# cgroup's memory.max, memory.swap.max, pids.max and cpu.max and they match what the scope was
# given, and memory.max is enforced (a 256 MiB hog under MemoryMax=64M is OOM-killed).
set -euo pipefail
probe=$SPACELET_BINARY_DIR/tests/probe/spacelet-probe
[ -x "$probe" ] || { echo "the probe is not built at '$probe'"; exit 77; }

limits=(-p MemoryMax=64M -p MemorySwapMax=0 -p TasksMax=32 -p CPUQuota=50%)
seen=$(systemd-run --scope --quiet "${limits[@]}" "$probe" cgroup)
echo "inside the scope: $seen"

failures=0
expect() {
  local key=$1 want=$2 got
  got=$(jq -r --arg k "$key" '.[$k] // "(missing)"' <<<"$seen")
  if [ "$got" = "$want" ]; then echo "ok: $key = '$got'"; else
    echo "FAIL: $key is '$got', expected '$want'"
    failures=$((failures + 1))
  fi
}
expect memory.max 67108864
expect memory.swap.max 0
expect pids.max 32
expect cpu.max "50000 100000"
[[ $(jq -r .path <<<"$seen") == *.scope ]] || { echo "FAIL: not in a scope: $seen"; failures=$((failures + 1)); }

status=0
systemd-run --scope --quiet "${limits[@]}" "$probe" hog-memory 256 >/dev/null 2>&1 || status=$?
if [ $status -eq 137 ]; then echo "ok: the 256 MiB hog was SIGKILLed under MemoryMax=64M"; else
  echo "FAIL: the hog exited with status $status, expected 137 (SIGKILL by the OOM killer)"
  failures=$((failures + 1))
fi
exit $((failures > 0))
