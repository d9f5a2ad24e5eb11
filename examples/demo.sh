#!/bin/sh
# The spacelet demo (`make demo`): builds a busybox rootfs, then shows spacelet-run at work:
# a container reporting what it sees from inside, the runc lifecycle (create, start, state,
# ps, exec, pause, kill, delete), and a web page served by a container on loopback.
# Usage: examples/demo.sh BUILD_DIR   (run as root; cleans up after itself, unless
# DEMO_KEEP=1, which keeps the bundle and state for a look around)
set -eu

build=${1:-build}
runtime="$(cd "$build" && pwd)/sandbox/spacelet-run"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers need it)" >&2; exit 1; }
[ -x "$runtime" ] || { echo "demo: $runtime is not built (make build)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "demo: install busybox-static" >&2; exit 1; }

work=$(mktemp -d /tmp/spacelet-demo-XXXXXX)
root="$work/state"
run() { "$runtime" --root "$root" "$@"; }
cleanup() {
  for id in $(run list -q 2>/dev/null); do run delete --force "$id" || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
[ -n "${DEMO_KEEP:-}" ] && trap - EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A busybox rootfs in $work/bundle/rootfs"
mkdir -p "$work/bundle/rootfs/bin" "$work/www"
cp /bin/busybox "$work/bundle/rootfs/bin/"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$applet"
done
for dir in proc sys dev tmp etc home/user; do mkdir -p "$work/bundle/rootfs/$dir"; done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' \
  > "$work/bundle/rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$work/bundle/rootfs/etc/group"
printf '<h1>Hello from a Space</h1>\n' > "$work/www/index.html"

# config.json: runc's default container, as uid 1000 with no capabilities, a read-only
# root, its own hostname and a read-only bind of the page to serve.
write_config() {  # $1: the process args as a JSON array, $2: namespaces as a JSON array
  cat > "$work/bundle/config.json" <<JSON
{
  "ociVersion": "1.1.0",
  "process": {
    "terminal": false,
    "user": {"uid": 1000, "gid": 1000},
    "args": $1,
    "env": ["PATH=/bin", "HOME=/home/user"],
    "cwd": "/home/user",
    "capabilities": {"bounding": [], "effective": [], "permitted": []},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "demo-space",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=16m"]},
    {"destination": "/home/user", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "nodev", "size=16m", "uid=1000", "gid=1000"]},
    {"destination": "/srv/www", "type": "bind", "source": "$work/www", "options": ["rbind", "ro"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": $2,
    "resources": {"memory": {"limit": 268435456}, "pids": {"limit": 64}},
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON
}
all_ns='[{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]'

say "What a container sees from inside (spacelet-run run)"
write_config '["/bin/sh", "-c", "echo hostname: $(hostname); id; grep -E \"^(Cap(Eff|Bnd)|NoNewPrivs)\" /proc/self/status; echo processes: $(ls /proc | grep -c \"^[0-9]\"); touch /probe 2>&1 | sed \"s/^/root is /\"; echo mounts:; cut -d\" \" -f2,3 /proc/self/mounts | sed \"s/^/  /\""]' "$all_ns"
run run --bundle "$work/bundle" demo-report

say "The runc lifecycle: create, state, start, ps, exec, pause, resume, kill, delete"
write_config '["/bin/sh", "-c", "while true; do sleep 1; done"]' "$all_ns"
run create --bundle "$work/bundle" demo-life > /dev/null
run state demo-life | grep -E '"(status|pid)"'
run start demo-life
run list
run ps demo-life
run exec demo-life /bin/sh -c 'echo "exec sees hostname $(hostname), pid 1 is $(cat /proc/1/comm)"'
run pause demo-life && run state demo-life | grep '"status"'
run resume demo-life && run state demo-life | grep '"status"'
run kill demo-life KILL
sleep 0.2
run state demo-life | grep '"status"'
run delete demo-life

say "A page served by a container on 127.0.0.1:8180 (host network namespace)"
host_ns='[{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]'
write_config '["/bin/httpd", "-f", "-p", "127.0.0.1:8180", "-h", "/srv/www"]' "$host_ns"
run run --detach --bundle "$work/bundle" demo-web > /dev/null 2>&1
for _ in 1 2 3 4 5 6 7 8 9 10; do
  /bin/busybox wget -q -O - http://127.0.0.1:8180/ 2>/dev/null && break
  sleep 0.2
done
run delete --force demo-web

say "Done: containers, cgroups and state removed ($(run list -q | wc -l) left)"
