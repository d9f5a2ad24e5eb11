#!/bin/bash
# `apt-get remove` then `apt-get purge` of the package, with the Space of package_2_space
# running, as docs/operations.md says: remove stops the socket, the agent and the Spaces
# (processes, scopes, mounts, network namespaces, the nftables table) and keeps their data;
# purge deletes the data and the node key, and keeps the group.
set -uo pipefail
# shellcheck source=../package_lib.sh
. "$(dirname "$0")/../package_lib.sh"

dpkg-query -W -f='${Status}' spacelet 2>/dev/null | grep -q "install ok installed" || {
  failed "spacelet is not installed"
  pkgExit
}
[ -n "$(appPids)" ] || failed "the Space of package_2_space is not running before the removal"

mountsBelow() { awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo; }
# (pgrep -x compares the 15-character comm: "spacelet-monitor" needs the command line.)
helpers() { pgrep -f '^[^ ]*spacelet-(monitor|proxy)( |$)'; pgrep -f '^httpd -f'; }

if apt-get remove -y spacelet; then pass "apt-get remove"; else failed "apt-get remove"; fi
expect "status after remove" "$(dpkg-query -W -f='${Status}' spacelet)" "deinstall ok config-files"
expect "spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" inactive
expect "spaceletd.socket" "$(unitProperty spaceletd.socket ActiveState)" inactive
expect "monitors, proxy, apps left" "$(helpers | paste -sd' ')" ""
expect "Space scopes left" "$(systemctl list-units --type=scope --plain --no-legend 'spacelet-*' | wc -l)" 0
expect "mounts below /run/spacelet" "$(mountsBelow /run/spacelet | paste -sd' ')" ""
expect "mounts below /var/lib/spacelet" "$(mountsBelow /var/lib/spacelet | paste -sd' ')" ""
if nft list table inet spacelet >/dev/null 2>&1; then failed "table inet spacelet is still loaded"; else
  pass "table inet spacelet deleted"
fi
[ -z "$(served)" ] && pass "nothing serves $spaceHost" || failed "$spaceHost still answers"
for kept in /var/lib/spacelet/state.db /etc/spacelet/config.yaml /etc/spacelet/node.key; do
  [ -s "$kept" ] && pass "kept $kept" || failed "$kept is gone after remove"
done
[ -d "/var/lib/spacelet/spaces/$space" ] && pass "kept the Space's files" || failed "the Space's files are gone"

if apt-get purge -y spacelet; then pass "apt-get purge"; else failed "apt-get purge"; fi
expect "status after purge" "$(dpkg-query -W -f='${Status}' spacelet 2>&1 | grep -c 'ok installed\|config-files')" 0
for gone in /var/lib/spacelet /etc/spacelet /run/spacelet; do
  [ -e "$gone" ] && failed "$gone is still there after purge" || pass "purged $gone"
done
expect "group spacelet after purge" "$(getent group spacelet | cut -d: -f1)" spacelet
pkgExit
