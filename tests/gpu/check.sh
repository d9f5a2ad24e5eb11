#!/usr/bin/env bash
# GPU check for a machine with an NVIDIA GPU and its driver loaded (run as root from the
# repository root, or give the repository as $1). It:
#   1. builds spacelet (spacelet-run, spacelet-probe, spacelet-gpu-tool);
#   2. generates the CDI spec from the host (devices, /proc/devices, ld.so.cache, nvidia-smi);
#   3. runs a Space-like container (uid 1000, deny-all device cgroup) granted one GPU through
#      spacelet-run and the CDI edits;
#   4. runs nvidia-smi inside it, a small CUDA driver-API program (python3 + ctypes: cuInit,
#      cuDeviceGetCount, cuDeviceGetName), and torch.cuda.is_available() when python3 has torch;
#   5. runs the same container without the grant and shows it sees no GPU: no GPU device node,
#      nvidia-smi and CUDA find no device, and a GPU node bind-mounted in anyway is refused by
#      the device cgroup with EPERM.
# The bundle borrows the host's /usr read-only (so nvidia-smi's libc and the host's python3 and
# torch are there); the driver's files come only from the CDI edits of a grant.
# Exit status: 0 all checks passed, 1 a check failed, 77 no NVIDIA GPU here (skipped).
set -euo pipefail

repo=$(cd "${1:-.}" && pwd)
build=${SPACELET_GPU_BUILD:-$repo/build-gpu}
work=$(mktemp -d /tmp/spacelet-gpu-check.XXXXXX)
state=$work/state
failures=0

log() { printf '\n== %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; }
failed() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
cleanup() {
  for id in gpu-check-granted gpu-check-none; do
    "$build/sandbox/spacelet-run" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then echo "check.sh: run as root" >&2; exit 1; fi
if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1 || ! command -v nvidia-smi >/dev/null; then
  echo "check.sh: no NVIDIA GPU device nodes or nvidia-smi on this machine; skipped"
  exit 77
fi
nvidia-smi -L

log "1. build"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target spacelet-run spacelet-probe spacelet-gpu-tool
tool=$build/tests/gpu/spacelet-gpu-tool
runtime=$build/sandbox/spacelet-run

log "2. generate the CDI spec"
"$tool" generate-cdi --dir "$work/cdi"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["kind"], [d["name"] for d in s["devices"]], len(s.get("containerEdits",{}).get("mounts",[])), "mounts")' "$work/cdi/spacelet-nvidia.json"
"$tool" inventory "$work/cdi"

log "3. a Space-like bundle: busybox + the host's /usr read-only (for nvidia-smi's libc, python3)"
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,etc,home/user,usr}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in sh ls cat echo; do ln -s busybox "$rootfs/bin/$applet"; done
cp "$build/tests/probe/spacelet-probe" "$rootfs/bin/spacelet-probe"
for dir in lib lib64 lib32 sbin; do
  if [ -L "/$dir" ]; then ln -s "$(readlink "/$dir")" "$rootfs/$dir"; elif [ -d "/$dir" ]; then mkdir -p "$rootfs/$dir"; fi
done
printf 'root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$rootfs/etc/group"
cat >"$rootfs/tmp/cuda_check.py" <<'PY'
import ctypes, sys
try:
    cuda = ctypes.CDLL("libcuda.so.1")
except OSError as e:
    print("cuda: libcuda.so.1 not loadable:", e); sys.exit(2)
rc = cuda.cuInit(0)
if rc != 0:
    print("cuda: cuInit failed with CUresult", rc); sys.exit(3)
count = ctypes.c_int()
cuda.cuDeviceGetCount(ctypes.byref(count))
name = ctypes.create_string_buffer(128)
dev = ctypes.c_int()
cuda.cuDeviceGet(ctypes.byref(dev), 0)
cuda.cuDeviceGetName(name, 128, dev)
print("cuda: %d device(s), device 0 is %s" % (count.value, name.value.decode()))
sys.exit(0 if count.value == 1 else 4)
PY
(cd "$work/bundle" && "$runtime" spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, os, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["cwd"] = "/tmp"
c["process"]["env"] += ["HOME=/home/user", "NVIDIA_VISIBLE_DEVICES=all"]  # the image's, ignored
c["root"]["readonly"] = False
c["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]})
for d in ("lib", "lib64", "lib32", "sbin"):
    if os.path.isdir("/" + d) and not os.path.islink("/" + d):
        c["mounts"].append({"destination": "/" + d, "type": "bind", "source": "/" + d, "options": ["rbind", "ro"]})
json.dump(c, open(path, "w"), indent=2)
PY
cp "$work/bundle/config.json" "$work/base.json"

run_in() {  # run_in ID CONFIG COMMAND: runs COMMAND (sh -c) in the bundle with CONFIG
  python3 - "$2" "$3" "$work/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sh", "-c", sys.argv[2]]
json.dump(c, open(sys.argv[3], "w"), indent=2)
PY
  "$runtime" --root "$state" run --bundle "$work/bundle" "$1"
}

log "4. granted one GPU: nvidia-smi, CUDA, torch"
cp "$work/base.json" "$work/granted.json"
"$tool" grant "$work/granted.json" 1 "$work/cdi"
if out=$(run_in gpu-check-granted "$work/granted.json" 'nvidia-smi -L && nvidia-smi' 2>&1); then
  echo "$out"
  count=$(echo "$out" | grep -c '^GPU [0-9]' || true)
  [ "$count" -eq 1 ] && pass "nvidia-smi inside sees exactly 1 GPU" || failed "nvidia-smi inside lists $count GPUs, expected 1"
else
  echo "$out"; failed "nvidia-smi inside the granted container"
fi
if command -v python3 >/dev/null; then
  if out=$(run_in gpu-check-granted "$work/granted.json" 'python3 /tmp/cuda_check.py' 2>&1); then
    echo "$out"; pass "CUDA driver API works inside"
  else
    echo "$out"; failed "CUDA driver API inside the granted container"
  fi
  if python3 -c 'import torch' 2>/dev/null; then
    out=$(run_in gpu-check-granted "$work/granted.json" "python3 -c 'import torch; print(torch.cuda.is_available(), torch.cuda.device_count())'" 2>&1 || true)
    echo "torch: $out"
    [ "$out" = "True 1" ] && pass "torch.cuda.is_available() inside" || failed "torch inside: $out"
  else
    echo "torch: not installed for the host's python3; skipped"
  fi
fi
env_out=$(run_in gpu-check-granted "$work/granted.json" 'echo "$NVIDIA_VISIBLE_DEVICES $ACCELERATOR"')
echo "env: $env_out"
case "$env_out" in all*|"") failed "NVIDIA_VISIBLE_DEVICES not set by spacelet: '$env_out'" ;; *) pass "NVIDIA_VISIBLE_DEVICES set by spacelet, the image's 'all' ignored" ;; esac

log "5. without the grant: no GPU"
cp "$work/base.json" "$work/none.json"
"$tool" grant "$work/none.json" 0 "$work/cdi"
out=$(run_in gpu-check-none "$work/none.json" 'ls /dev; nvidia-smi -L' 2>&1 || true)
echo "$out"
echo "$out" | grep -q 'nvidia[0-9]' && failed "a GPU node is visible without a grant" || pass "no GPU device node without a grant"
echo "$out" | grep -q '^GPU [0-9]' && failed "nvidia-smi lists a GPU without a grant" || pass "nvidia-smi finds no GPU without a grant"
if command -v python3 >/dev/null; then
  out=$(run_in gpu-check-none "$work/none.json" 'python3 /tmp/cuda_check.py' 2>&1 || true)
  echo "$out"
  echo "$out" | grep -q 'device(s)' && failed "CUDA sees a device without a grant" || pass "CUDA finds no device without a grant"
fi
python3 - "$work/none.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"].append({"destination": "/dev/nvidia0", "type": "bind", "source": "/dev/nvidia0", "options": ["bind"]})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
out=$(run_in gpu-check-none "$work/none.json" '/bin/spacelet-probe open /dev/nvidia0 rw' 2>&1 || true)
echo "bind-mounted /dev/nvidia0 without a grant: $out"
echo "$out" | grep -q '"errno":1,' && pass "device cgroup refuses an ungranted GPU node (EPERM)" || failed "ungranted GPU node was not refused with EPERM"

log "result"
if [ "$failures" -eq 0 ]; then echo "all GPU checks passed"; exit 0; fi
echo "$failures GPU check(s) failed"; exit 1
