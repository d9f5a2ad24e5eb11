#!/bin/bash
# The Debian package installed as an operator would (`apt-get install ./spacelet_*.deb`, offline:
# the image holds its dependencies), then: the agent is active with sd_notify READY, STATUS and
# WATCHDOG seen by systemd; the group, directories, socket, conffile and man pages are in place;
# socket activation starts a stopped agent on `spacectl info`; and an agent configured with
# `cgroup_driver: fs` under Delegate=yes moves itself into <unit>/agent and hands the unit's
# controllers to the Spaces' cgroups.
set -uo pipefail
# shellcheck source=../package_lib.sh
. "$(dirname "$0")/../package_lib.sh"

deb=$(debPath) || exit 1
echo "installing $deb"
if ! apt-get install -y --no-install-recommends "$deb"; then
  failed "apt-get install of $deb"
  pkgExit
fi
expect "package status" "$(dpkg-query -W -f='${Status}' spacelet)" "install ok installed"
expect "conffiles" "$(dpkg-query -W -f='${Conffiles}' spacelet | awk 'NF { print $1 }')" \
  /etc/spacelet/config.yaml

# Type=notify: "active" only after READY=1.
expect "spaceletd.service Type" "$(unitProperty spaceletd.service Type)" notify
expect "spaceletd.service ActiveState" "$(unitProperty spaceletd.service ActiveState)" active
expect "spaceletd.socket ActiveState" "$(unitProperty spaceletd.socket ActiveState)" active
expect "spaceletd.service enabled" "$(systemctl is-enabled spaceletd.service)" enabled
expect "spaceletd.socket enabled" "$(systemctl is-enabled spaceletd.socket)" enabled
systemctl status --no-pager spaceletd.service | head -n 12
status=$(unitProperty spaceletd.service StatusText)
if [[ $status == *Spaces* ]]; then pass "STATUS= seen: '$status'"; else
  failed "StatusText is '$status', expected the agent's summary (STATUS=)"
fi
# WatchdogSec=30s: the agent pings every 15 s; each WATCHDOG=1 moves the timestamp.
# (A function, so that each poll reads the property anew.)
first=$(unitProperty spaceletd.service WatchdogTimestampMonotonic)
watchdogMoved() { [ "$(unitProperty spaceletd.service WatchdogTimestampMonotonic)" != "$first" ]; }
if waitFor 40 watchdogMoved; then
  pass "WATCHDOG=1 seen: WatchdogTimestamp moved from $first to $(unitProperty spaceletd.service WatchdogTimestampMonotonic)"
else
  failed "WatchdogTimestamp stayed at '$first' for 40 s (WatchdogSec=30s): no WATCHDOG=1"
fi

expect "group spacelet" "$(getent group spacelet | cut -d: -f1)" spacelet
expect "/run/spacelet/spacelet.sock" "$(stat -c '%F %a %U:%G' /run/spacelet/spacelet.sock)" \
  "socket 660 root:spacelet"
expect "/var/lib/spacelet" "$(stat -c '%a' /var/lib/spacelet)" 750
for page in man8/spaceletd.8 man1/spacectl.1 man8/spacelet-run.8 man8/spacelet-net.8; do
  if zcat "/usr/share/man/$page.gz" | grep -q '^\.TH'; then pass "man page $page"; else
    failed "no man page /usr/share/man/$page.gz"
  fi
done
info=$(spacectl --json info)
expect "spacectl info version" "$(jq -r .version <<<"$info")" "$(dpkg-query -W -f='${Version}' spacelet)"

# Socket activation: with the service stopped and the socket left, a client starts it.
before=$(agentPid)
systemctl stop spaceletd.service
expect "after stop: spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" inactive
expect "after stop: spaceletd.socket" "$(unitProperty spaceletd.socket ActiveState)" active
if spacectl info >/dev/null; then pass "spacectl info answered with the service stopped"; else
  failed "spacectl info with only the socket active"
fi
expect "after spacectl info: spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" active
after=$(agentPid)
if [ "$after" != "$before" ] && [ "$after" != 0 ]; then pass "a new agent (pid $before -> $after)"; else
  failed "the agent's pid is '$after' (before: $before)"
fi

# cgroup_driver fs under Delegate=yes: a second agent, its own paths, as a transient service.
# (It runs while the packaged agent is stopped: both would manage the same nftables table.)
systemctl stop spaceletd.socket spaceletd.service
cat >/run/spacelet-fs.yaml <<'EOF'
paths:
  state_dir: /var/lib/spacelet-fs
  run_dir: /run/spacelet-fs
  socket: /run/spacelet-fs/api.sock
  node_key: /var/lib/spacelet-fs/node.key
proxy:
  listen: 127.0.0.1:8001
cgroup_driver: fs
EOF
unit=/sys/fs/cgroup/system.slice/spaceletd-fs.service
systemd-run --unit=spaceletd-fs -p Type=notify -p Delegate=yes -p KillMode=process \
  /usr/sbin/spaceletd --config /run/spacelet-fs.yaml
main=$(unitProperty spaceletd-fs.service MainPID)
expect "fs agent's cgroup" "$(sed -n 's/^0:://p' "/proc/$main/cgroup")" \
  /system.slice/spaceletd-fs.service/agent
expect "processes left in the unit's own cgroup" "$(cat "$unit/cgroup.procs")" ""
controllers=$(cat "$unit/cgroup.subtree_control")
if [[ " $controllers " == *" memory "* && " $controllers " == *" pids "* && " $controllers " == *" cpu "* ]]; then
  pass "the unit hands its controllers to children: '$controllers'"
else
  failed "the unit's cgroup.subtree_control is '$controllers', expected cpu, memory and pids"
fi
journalctl --no-pager -u spaceletd-fs.service | grep cgroups
systemctl stop spaceletd-fs.service
systemctl kill --kill-whom=all --signal=SIGKILL spaceletd-fs.service 2>/dev/null
waitFor 10 test ! -s "$unit/agent/cgroup.procs"
systemctl reset-failed spaceletd-fs.service 2>/dev/null
rm -rf /var/lib/spacelet-fs /run/spacelet-fs /run/spacelet-fs.yaml

systemctl start spaceletd.socket spaceletd.service
expect "restarted: spaceletd.service" "$(unitProperty spaceletd.service ActiveState)" active
[ $pkgFailures -eq 0 ] || agentJournal
pkgExit
