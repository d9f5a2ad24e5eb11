#!/bin/bash
# Runs inside the systemd-mode VM (started by spacelet-vm-tests.service): every script in
# TESTS_DIR in name order (one that is not executable fails), each under a timeout, and
# streams to the host on /dev/ttyS1 the same records as the initramfs mode's init (see
# tests/vm/unpack-results.sh): a verdict, a JUnit XML and, on failure, the output. A script
# passes with exit 0, skips with exit 77 (its last output line is the reason), and fails
# otherwise. A script that runs a
# gtest binary may pass it --gtest_output=xml:$SPACELET_VM_GTEST_OUTPUT; that XML, with every
# test case in it, is then sent instead of the script's one-line verdict.
# Usage: run-tests.sh TESTS_DIR
set -u
dir=${1:?usage: run-tests.sh TESTS_DIR}
out=/run/spacelet-vm
mkdir -p "$out"

say() { echo "spacelet-vm: $*"; }
emit() { echo "@@spacelet-vm $*" >&3; }
param() { sed -n "s/.*spacelet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
uptimeMs() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
xmlEscape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

emitFile() {
  emit "$1"
  [ -s "$2" ] && base64 "$2" >&3
  emit end
}

# One <testcase> in a <testsuite> named "systemd", the shape gtest writes.
writeXml() {
  local name=$1 status=$2 seconds=$3 log=$4 body=""
  case $status in
    skipped) body="<skipped message=\"$(tail -n 1 "$log" | xmlEscape)\"/>" ;;
    ok) ;;
    *) body="<failure message=\"$status\"><![CDATA[$(tail -n 100 "$log" | sed 's/]]>/]] >/g')]]></failure>" ;;
  esac
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" name="AllTests">
  <testsuite name="systemd" tests="1">
    <testcase name="$name" status="run" result="$([ "$status" = skipped ] && echo skipped || echo completed)" time="$seconds">$body</testcase>
  </testsuite>
</testsuites>
EOF
}

runScript() {
  local script=$1 limit=$2 name start rc elapsed status
  name=$(basename "$script" .sh)
  say "running $name (timeout ${limit}s)"
  start=$(uptimeMs)
  if [ -x "$script" ]; then
    SPACELET_VM_GTEST_OUTPUT=$out/$name.gtest.xml timeout -k 5 "$limit" "$script" \
      >"$out/$name.log" 2>&1 </dev/null
    rc=$?
  else
    # A test that cannot run fails: left out silently it would look like a pass.
    echo "'tests/vm/systemd/tests/$name.sh' is not executable: chmod +x it" >"$out/$name.log"
    rc=126
  fi
  elapsed=$(($(uptimeMs) - start))
  case $rc in
    0) status=ok ;;
    77) status=skipped ;;
    124 | 137) status=timeout ;;
    *) status=failed ;;
  esac
  say "$name: $status (exit $rc, ${elapsed} ms)"
  [ $status = skipped ] && say "$name: skipped: $(tail -n 1 "$out/$name.log")"
  emit "test systemd $name $rc $elapsed $status"
  if [ -s "$out/$name.gtest.xml" ]; then
    cp "$out/$name.gtest.xml" "$out/$name.xml"
  else
    writeXml "$name" "$status" "$((elapsed / 1000))" "$out/$name.log" >"$out/$name.xml"
  fi
  emitFile "xml $name" "$out/$name.xml"
  [ $status != ok ] && [ $status != skipped ] && emitFile "log $name" "$out/$name.log"
  return 0
}

stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1
emit "boot kernel=$(uname -r) uptime_ms=$(uptimeMs) systemd=$(systemctl --version | head -n1 | tr ' ' _)"
emit "controllers $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# The netfilter modules the agent's first `nft` would load on demand: under TCG loading them
# all takes longer than the agent's nft timeout (10 s), which a real node never sees.
sed 's/#.*//' /spacelet/src/tests/vm/modules.list | xargs modprobe -a 2>&1 | sed 's/^/modprobe: /'
export SPACELET_BINARY_DIR=/spacelet/build SPACELET_SOURCE_DIR=/spacelet/src
limit=$(param test_timeout)
only=$(param only)
for script in "$dir"/*.sh; do
  if [ -n "$only" ] && [[ ",$only," != *",$(basename "$script" .sh),"* ]]; then continue; fi
  runScript "$script" "${limit:-240}"
done
# Where boot time went, for whoever wants the systemd mode faster.
systemd-analyze blame 2>&1 | head -n 15 >"$out/boot-blame.txt"
emitFile "log systemd-analyze-blame" "$out/boot-blame.txt"
emit done
exec 3>&-
