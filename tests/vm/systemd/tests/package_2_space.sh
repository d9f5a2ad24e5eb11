#!/bin/bash
# A Space on the installed package (after package_1_install): created with spacectl, pushed
# with git (the repository's hook tells the agent), built and served through the front proxy.
# With the default cgroup driver (auto: systemd here) its container is a transient scope in
# spacelet.slice with the flavor's limits as unit properties and in its leaf, and
# `systemctl daemon-reload` leaves those limits and the container's device access unchanged.
set -uo pipefail
# shellcheck source=../package_lib.sh
. "$(dirname "$0")/../package_lib.sh"

dpkg-query -W -f='${Status}' spacelet 2>/dev/null | grep -q "install ok installed" || {
  failed "spacelet is not installed (package_1_install failed?)"
  pkgExit
}
spacectl create "$space" --sdk static || failed "spacectl create $space"
repo=$(spacectl repo "$space") || failed "spacectl repo $space"
work=$(mktemp -d)
git -C "$work" init -q -b main
cat >"$work/README.md" <<'EOF'
---
title: Hello
sdk: static
app_file: index.html
---
A static Space installed by the package test.
EOF
echo "<h1>hello from a packaged spacelet</h1>" >"$work/index.html"
git -C "$work" add -A
git -C "$work" -c user.name=test -c user.email=test@spacelet.invalid commit -q -m "first"
if git -C "$work" push "$repo" HEAD:main 2>&1; then pass "git push to $repo"; else
  failed "git push to $repo"
fi
rm -rf "$work"
start=$SECONDS
if spacectl wait "$space" --timeout 600; then
  pass "RUNNING after $((SECONDS - start)) s"
else
  failed "$space did not reach RUNNING: $(spacectl runtime "$space" 2>&1)"
  spacectl logs "$space" --build --tail 40
  spacectl logs "$space" --tail 40
  agentJournal 60
  pkgExit
fi
page=$(served)
if [[ $page == *"hello from a packaged spacelet"* ]]; then pass "the proxy serves $spaceHost"; else
  failed "the proxy answered '$page' for $spaceHost"
fi

# The systemd cgroup driver: a scope in the slice, limits as properties and in the leaf.
systemd-cgls --no-pager -u spacelet.slice
scope=$(spaceScope)
[ -n "$scope" ] || { failed "no active spacelet-spaces-alice--hello--*.scope"; pkgExit; }
pass "the Space's container is $scope"
props=(Slice Delegate MemoryMax MemorySwapMax CPUQuotaPerSecUSec TasksMax DevicePolicy)
declare -A want=([Slice]=spacelet.slice [Delegate]=yes [MemoryMax]=17179869184
  [MemorySwapMax]=0 [CPUQuotaPerSecUSec]=2s [TasksMax]=4096 [DevicePolicy]=strict)
for p in "${props[@]}"; do expect "$scope $p" "$(unitProperty "$scope" "$p")" "${want[$p]}"; done
leaf=/sys/fs/cgroup/spacelet.slice/$scope/container
limits() { cat "$leaf/memory.max" "$leaf/memory.swap.max" "$leaf/cpu.max" "$leaf/pids.max" | paste -sd' '; }
expect "limits in the container's cgroup" "$(limits)" "17179869184 0 200000 100000 4096"

# daemon-reload re-applies unit properties; the container's limits and devices must not move.
id=$(spacelet-run --root "$runtimeRoot" list -q | head -n 1)
devices() { spacelet-run --root "$runtimeRoot" --systemd-cgroup exec "$id" sh -c 'head -c 4 /dev/urandom | wc -c; echo x >/dev/null && echo null-ok'; }
before=$(limits)
pids=$(appPids)
devBefore=$(devices 2>&1 | paste -sd' ')
expect "devices before daemon-reload" "$devBefore" "4 null-ok"
systemctl daemon-reload
expect "limits after daemon-reload" "$(limits)" "$before"
expect "memory.max property after daemon-reload" "$(unitProperty "$scope" MemoryMax)" 17179869184
expect "devices after daemon-reload" "$(devices 2>&1 | paste -sd' ')" "$devBefore"
expect "app pids after daemon-reload" "$(appPids)" "$pids"
pkgExit
