#!/bin/bash
# The Space of package_2_space keeps serving, with the same app process, across
# `systemctl restart spaceletd` and across an upgrade to a newer .deb (the package with its
# version bumped, rebuilt with dpkg-deb: postinst's try-restart and the new agent's re-adoption
# are what is tested). The new agent runs the new package's binary and sees the Space RUNNING.
set -uo pipefail
# shellcheck source=../package_lib.sh
. "$(dirname "$0")/../package_lib.sh"

pids=$(appPids)
[ -n "$pids" ] && [ -n "$(served)" ] || {
  failed "the Space of package_2_space is not serving (pids '$pids')"
  pkgExit
}
pass "serving, app pids: $(echo $pids)"

# sameSpace WHEN: the app's processes and its answer are unchanged, and the agent re-adopted it.
sameSpace() {
  expect "app pids after $1" "$(appPids)" "$pids"
  if [[ $(served) == *"hello from a packaged spacelet"* ]]; then pass "serving after $1"; else
    failed "the proxy does not serve $spaceHost after $1"
  fi
  expect "stage after $1" "$(spacectl --json runtime "$space" | jq -r .stage)" RUNNING
}

old=$(agentPid)
systemctl restart spaceletd.service
expect "after restart: spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" active
new=$(agentPid)
[ "$new" != "$old" ] && pass "a new agent: pid $old -> $new" || failed "the agent's pid stayed $old"
sameSpace "systemctl restart spaceletd"

# The upgrade: the same package one version up, as apt sees it.
deb=$(debPath) || pkgExit
version=$(dpkg-query -W -f='${Version}' spacelet)
next="$version+vmupgrade1"
tree=$(mktemp -d)
dpkg-deb -R "$deb" "$tree/pkg"
sed -i "s/^Version: .*/Version: $next/" "$tree/pkg/DEBIAN/control"
# gzip -1: dpkg-deb's default xz took minutes under qemu's emulation (this step made the
# script's time vary from 52 to 370 s).
dpkg-deb -Zgzip -z1 -b "$tree/pkg" "$tree/spacelet_${next}_amd64.deb" >/dev/null
old=$(agentPid)
if apt-get install -y --no-install-recommends "$tree/spacelet_${next}_amd64.deb"; then
  pass "apt-get install of $next"
else
  failed "apt-get install of $next"
fi
rm -rf "$tree"
expect "version after the upgrade" "$(dpkg-query -W -f='${Version}' spacelet)" "$next"
expect "after the upgrade: spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" active
new=$(agentPid)
[ "$new" != "$old" ] && pass "try-restart: agent pid $old -> $new" || failed "the agent was not restarted (pid $old)"
expect "the new agent's binary" "$(readlink "/proc/$new/exe")" /usr/sbin/spaceletd
sameSpace "the upgrade"
[ $pkgFailures -eq 0 ] || agentJournal 60
pkgExit
