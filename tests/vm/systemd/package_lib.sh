# Shared by the systemd-mode tests of the Debian package (tests/package_*.sh), which run in
# name order in one boot: install, a Space, restart and upgrade, remove and purge. Sourced,
# not run. Each check prints "ok: ..." or "FAIL: ..."; a script exits with pkgExit.

pkgFailures=0
space=alice/hello
spaceHost=alice-hello.localhost
proxy=http://127.0.0.1:8000/
runtimeRoot=/run/spacelet/runtime
export SYSTEMD_PAGER= SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive

pass() { echo "ok: $*"; }
failed() {
  echo "FAIL: $*"
  pkgFailures=$((pkgFailures + 1))
}
pkgExit() { exit $((pkgFailures > 0)); }

# expect WHAT GOT WANT
expect() {
  if [ "$2" = "$3" ]; then pass "$1 = '$2'"; else failed "$1 is '$2', expected '$3'"; fi
}

# waitFor SECONDS COMMAND...: polls every second until COMMAND succeeds.
waitFor() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1
  done
}

# The package the build made (`cmake --build BUILD --target package`), in the shared build tree.
debPath() {
  local debs=("$SPACELET_BINARY_DIR"/spacelet_*.deb)
  if [ ! -f "${debs[0]}" ]; then
    echo "no spacelet_*.deb in '$SPACELET_BINARY_DIR': build it (cmake --build BUILD --target package)" >&2
    return 1
  fi
  echo "${debs[0]}"
}

unitProperty() { systemctl show -p "$2" --value "$1"; }

# What the proxy answers for the test Space ("" when it does not).
served() { curl -fsS --max-time 10 -H "Host: $spaceHost" "$proxy" 2>/dev/null; }

# The scope of the test Space's serving container (systemd cgroup driver) and its app's pids.
spaceScope() {
  systemctl list-units --type=scope --all --plain --no-legend 'spacelet-spaces-alice--hello--*' |
    awk '$3 == "active" { print $1 }' | tail -n 1
}
appPids() {
  local scope
  scope=$(spaceScope)
  [ -n "$scope" ] && sort -n "/sys/fs/cgroup/spacelet.slice/$scope/container/cgroup.procs"
}

agentPid() { unitProperty spaceletd.service MainPID; }

# Prints what happened to the agent when something failed.
agentJournal() { journalctl --no-pager -o short-monotonic -u spaceletd.service -u spaceletd.socket | tail -n "${1:-40}"; }
