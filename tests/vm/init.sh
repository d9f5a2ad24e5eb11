#!/bin/busybox sh
# PID 1 of the VM harness (initramfs mode). Stage 1 gives the image a root that pivot_root
# accepts (runtimes need it; it refuses the initramfs itself); stage 2 mounts the kernel filesystems and
# cgroup2 with every controller delegated, loads the modules, runs each test binary in its own
# cgroup under a timeout and streams its gtest XML to the host on the second serial port.
export PATH=/usr/sbin:/usr/bin

if [ "${1:-}" != stage2 ]; then
  # A bind mount of the initramfs moved over / has a parent mount, which is all pivot_root
  # asks of the current root; unlike switch_root's copy to a tmpfs it costs nothing.
  /usr/bin/busybox mount -o bind / /newroot
  cd /newroot
  mount -o move . /
  exec chroot . /init stage2
fi

say() { echo "spacelet-vm: $*"; }
emit() { echo "@@spacelet-vm $*" >&3; }
param() { sed -n "s/.*spacelet\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
fatal() {
  say "FATAL: $*"
  emit "fatal $*"
  emit done
  sync
  poweroff -f
}

mountKernelFilesystems() {
  mount -t devtmpfs devtmpfs /dev || return 1
  exec </dev/console >/dev/console 2>&1
  mount -t proc proc /proc && mount -t sysfs sysfs /sys || return 1
  mkdir -p /dev/pts /dev/shm /dev/mqueue
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
  ln -sf pts/ptmx /dev/ptmx
  # devtmpfs has no /dev/fd or /dev/std*; programs the tests run read them (nft -f /dev/stdin).
  ln -sf /proc/self/fd /dev/fd
  ln -sf /proc/self/fd/0 /dev/stdin
  ln -sf /proc/self/fd/1 /dev/stdout
  ln -sf /proc/self/fd/2 /dev/stderr
  mount -t tmpfs -o mode=1777 shm /dev/shm
  mount -t mqueue mqueue /dev/mqueue
  mount -t tmpfs -o mode=0755 run /run
  # The same options systemd uses, so delegation behaves as on a production node.
  mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || return 1
}

openResultChannel() {
  stty -F /dev/ttyS1 raw -echo 2>/dev/null
  exec 3>/dev/ttyS1 || return 1
}

loadModules() {
  local release rel name err failed=0
  release=$(uname -r)
  while read -r rel; do
    name=${rel##*/}
    name=${name%.ko}
    if ! err=$(insmod "/lib/modules/$release/$rel" 2>&1); then
      say "module $name failed to load: $err"
      emit "module-failed $name $err"
      failed=1
    fi
  done </etc/spacelet-vm/modules
  echo /sbin/modprobe >/proc/sys/kernel/modprobe
  return $failed
}

# /tmp (where the tests put images, bundles and state) is the ext4 scratch disk run-vm.sh
# attaches, as on a node: tmpfs in Debian 12's kernel (6.1) cannot be idmapped (6.3 can),
# and the builder idmaps image layers. The disk appears once virtio_blk has probed it.
# The links from the host's source and build paths (etc/spacelet-vm/host-paths) are made
# again on it, for a tree below /tmp.
mountScratch() {
  local tries=0 link target
  while [ ! -b /dev/vda ] && [ $tries -lt 100 ]; do
    usleep 100000
    tries=$((tries + 1))
  done
  [ -b /dev/vda ] && mount -t ext4 /dev/vda /tmp && chmod 1777 /tmp || return 1
  while read -r link target; do
    [ -e "$link" ] && continue
    mkdir -p "${link%/*}" && ln -sfn "$target" "$link"
  done </etc/spacelet-vm/host-paths
  return 0
}

# Every controller for the children of the root, and again below /spacelet-vm, so each test's
# cgroup has them all available: the layout a service with Delegate=yes gets from systemd.
delegateControllers() {
  local dir=$1 c
  for c in $(cat "$dir/cgroup.controllers"); do
    echo "+$c" >"$dir/cgroup.subtree_control" || return 1
  done
}

setUpCgroups() {
  delegateControllers /sys/fs/cgroup || return 1
  mkdir -p /sys/fs/cgroup/spacelet-vm
  delegateControllers /sys/fs/cgroup/spacelet-vm
}

# Kills whatever a test left in its cgroup and removes the tree, deepest first. Prints the
# cgroups that could not be removed.
reapCgroup() {
  local cg=$1 tries=0
  [ -d "$cg" ] || return 0
  echo 1 >"$cg/cgroup.kill" 2>/dev/null
  while grep -q 'populated 1' "$cg/cgroup.events" 2>/dev/null && [ $tries -lt 50 ]; do
    usleep 100000
    tries=$((tries + 1))
  done
  find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  [ -d "$cg" ] && find "$cg" -type d | sed "s|^/sys/fs/cgroup||"
  return 0
}

uptimeMs() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# Streams a file as base64 between a header line and an end marker.
emitFile() {
  local header=$1 file=$2
  emit "$header"
  [ -s "$file" ] && base64 "$file" >&3
  emit "end"
}

# The test that was running when a binary was killed: the last RUN line with no verdict.
hungTest() {
  awk '/^\[ RUN      \]/ { t = $NF } /^\[ +(OK|FAILED|SKIPPED) +\]/ { t = "" } END { print t }' "$1"
}

verdict() {
  local rc=$1 elapsed=$2 limit=$3
  if [ "$elapsed" -ge $((limit * 1000)) ]; then echo timeout
  elif [ "$rc" -eq 0 ]; then echo ok
  elif [ "$rc" -eq 1 ]; then echo failed
  else echo "crashed"
  fi
}

# Runs one test binary in /sys/fs/cgroup/spacelet-vm/<name>/test, a leaf whose parent has
# every controller enabled, so cgroups the test creates land inside <name> and go with it.
runTest() {
  local kind=$1 rel=$2 limit=$3 filter=$4 repeat=$5 name cg out start rc elapsed status left
  name=${rel##*/}
  cg=/sys/fs/cgroup/spacelet-vm/$name
  out=/run/spacelet-vm/$name
  mkdir -p "$cg" && delegateControllers "$cg" && mkdir "$cg/test"
  say "running $name ($kind, timeout ${limit}s)"
  start=$(uptimeMs)
  timeout -s KILL "$limit" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' \
    sh "$cg/test" "/spacelet/build/$rel" --gtest_output="xml:$out.xml" \
    ${filter:+--gtest_filter=$filter} ${repeat:+--gtest_repeat=$repeat} >"$out.log" 2>&1 </dev/null
  rc=$?
  elapsed=$(($(uptimeMs) - start))
  status=$(verdict "$rc" "$elapsed" "$limit")
  left=$(reapCgroup "$cg" | tr '\n' ' ')
  say "$name: $status (exit $rc, ${elapsed} ms)${left:+, cgroups left behind: $left}"
  emit "test $kind $name $rc $elapsed $status $(hungTest "$out.log")"
  [ -n "$left" ] && emit "leftover $name $left"
  emitFile "xml $name" "$out.xml"
  [ "$status" != ok ] && tail -n 400 "$out.log" >"$out.tail" && emitFile "log $name" "$out.tail"
  return 0
}

# The binaries of shard K of N (spacelet.shard=K/N: run-vm.sh boots N VMs side by side),
# comma-separated: longest first, each to the least loaded shard, weighted by the seconds in
# /etc/spacelet-vm/durations (tests/vm/durations.tsv; a binary not listed there counts 10).
shardOf() {
  local k=${1%/*} n=${1#*/}
  awk 'NR == FNR { if ($1 !~ /^#/) w[$1] = $2; next }
       { name = $2; sub(/.*\//, "", name); print (name in w ? w[name] : 10), name }' \
    /etc/spacelet-vm/durations /etc/spacelet-vm/tests.list | sort -k1,1nr -k2,2 |
    awk -v k="$k" -v n="$n" '{ best = 1; for (i = 2; i <= n; i++) if (load[i] < load[best]) best = i
                               load[best] += $1; if (best == k) printf "%s,", $2 }'
}

runTests() {
  local only shard picked limit filter repeat kind rel
  only=$(param only)
  shard=$(param shard)
  [ -n "$shard" ] && picked=",$(shardOf "$shard")"
  limit=$(param test_timeout)
  filter=$(param gtest_filter)
  repeat=$(param gtest_repeat)
  mkdir -p /run/spacelet-vm
  while read -r kind rel; do
    if [ -n "$only" ] && ! echo ",$only," | grep -q ",${rel##*/},"; then continue; fi
    if [ -n "$shard" ] && ! echo "$picked" | grep -q ",${rel##*/},"; then continue; fi
    runTest "$kind" "$rel" "${limit:-240}" "$filter" "$repeat"
  done </etc/spacelet-vm/tests.list
}

runBench() {
  local out=/run/spacelet-vm/bench.txt
  mkdir -p /run/spacelet-vm
  sh /etc/spacelet-vm/bench-start.sh "$(param bench_runs)" >"$out" 2>/run/spacelet-vm/bench.log
  emit "bench-exit $?"
  emitFile "bench" "$out"
  emitFile "log bench" /run/spacelet-vm/bench.log
}

mountKernelFilesystems || fatal "mounting /dev, /proc, /sys or cgroup2 failed"
openResultChannel || fatal "no second serial port (/dev/ttyS1) to send results on"
hostname spacelet-vm
ip link set lo up
emit "boot kernel=$(uname -r) uptime_ms=$(uptimeMs)"
loadModules
mountScratch || fatal "no ext4 scratch disk at /dev/vda to mount on /tmp (run-vm.sh attaches one)"
setUpCgroups || fatal "cannot delegate the cgroup controllers '$(cat /sys/fs/cgroup/cgroup.controllers)'"
emit "controllers $(cat /sys/fs/cgroup/spacelet-vm/cgroup.subtree_control)"
export HOME=/root TMPDIR=/tmp SPACELET_BINARY_DIR=/spacelet/build SPACELET_SOURCE_DIR=/spacelet/src
cd /root
if [ "$(param mode)" = bench ]; then runBench; else runTests; fi
emit done
# Closing the port waits until the UART has sent everything; only then power off.
exec 3>&-
say "finished at $(uptimeMs) ms after boot"
poweroff -f
