#!/bin/sh
# The VM benchmark (initramfs mode, spacelet.mode=bench): container start latency of
# spacelet-run, crun and runc on the same kernel, in the same run, with the same bundle
# (`runc spec`'s default config running /bin/true in a busybox rootfs), measured with
# hyperfine as `RUNTIME run` (create, start, wait, delete). Prints a table with each runtime's
# time relative to runc, the anchor. A runtime that cannot run the bundle is reported and
# makes the script exit 1; the others are still measured.
# Usage: bench-start.sh [RUNS]
runs=${1:-10}
work=/tmp/bench
bundle=$work/bundle
spaceletRun=/spacelet/build/sandbox/spacelet-run

makeBundle() {
  mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev"
  cp /usr/bin/busybox "$bundle/rootfs/bin/busybox"
  ln -s busybox "$bundle/rootfs/bin/true"
  ln -s busybox "$bundle/rootfs/bin/sh"
  (cd "$bundle" && runc spec) || return 1
  # runc's default lists three capabilities as ambient but not inheritable, which runc lets
  # pass and spacelet-run refuses as the spec's contradiction; inheritable keeps the bundle
  # the same for all three runtimes.
  sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"ambient":/"inheritable":/' \
    -e 's/^\([[:space:]]*\)"sh"$/\1"\/bin\/true"/' "$bundle/config.json"
}

# Prints "NAME COMMAND" for each runtime that runs the bundle once successfully.
usableRuntimes() {
  local name cmd out
  for name in runc crun spacelet-run; do
    case $name in
      spacelet-run) cmd="$spaceletRun --root /run/bench-$name" ;;
      *) cmd="$name --root /run/bench-$name" ;;
    esac
    if [ "$name" = spacelet-run ] && [ ! -x "$spaceletRun" ]; then
      echo "bench: spacelet-run is not built ($spaceletRun)" >&2
      continue
    fi
    if out=$($cmd run --bundle "$bundle" bench-probe 2>&1); then
      echo "$name $cmd run --bundle $bundle bench"
    else
      echo "bench: $name cannot run the bundle: $out" >&2
    fi
  done
}

makeBundle || { echo "bench: could not make the bundle" >&2; exit 1; }
set --
usable=$(usableRuntimes)
while read -r name cmd; do
  [ -n "$name" ] && set -- "$@" -n "$name" "$cmd"
done <<EOF
$usable
EOF
[ $# -gt 0 ] || { echo "bench: no runtime could run the bundle" >&2; exit 1; }
hyperfine -N --style basic --warmup 3 --runs "$runs" --export-csv "$work/start.csv" "$@" >&2 ||
  exit 1
echo "container start latency (RUNTIME run of /bin/true, $runs runs each, kernel $(uname -r), $(nproc) vCPUs)"
awk -F, 'NR == 1 { next }
  { name[NR] = $1; mean[NR] = $2 * 1000; sd[NR] = $3 * 1000; med[NR] = $4 * 1000; min[NR] = $7 * 1000
    if ($1 == "runc") anchor = $4 * 1000 }
  END {
    printf "%-14s %10s %10s %10s %10s %12s\n", "runtime", "median ms", "mean ms", "stddev", "min ms", "vs runc"
    for (i = 2; i <= NR; i++)
      printf "%-14s %10.1f %10.1f %10.1f %10.1f %11.2fx\n", name[i], med[i], mean[i], sd[i], min[i],
             anchor ? med[i] / anchor : 0
  }' "$work/start.csv"
[ "$(echo "$usable" | grep -c .)" -eq 3 ]
