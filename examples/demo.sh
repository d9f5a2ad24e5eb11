#!/bin/sh
# The spacelet demo (`make demo`): the real thing, on this machine. It starts spaceletd with a
# local config (everything under one temp dir; Spaces' networks behind a network namespace
# the demo makes, so the host's own network is untouched), creates two Spaces from examples/
# (a static one and a docker-SDK one), pushes them with git, waits for RUNNING, shows where
# each is served and what curl gets, pushes a change and shows the switch, then streams the
# agent's events until Ctrl-C, which stops the demo Spaces and the agent cleanly.
# Usage: examples/demo.sh BUILD_DIR   (as root)
#   DEMO_PORT=8000       where the front proxy serves the Spaces (127.0.0.1:DEMO_PORT)
#   DEMO_DURATION=N      stream events for N seconds instead of until Ctrl-C (scripted runs)
#   DEMO_KEEP=1          keep the temp dir (logs, state) for a look around
set -eu

build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
port=${DEMO_PORT:-8000}
spaceletd="$build/agent/spaceletd"
spacectl_bin="$build/agent/spacectl"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers and network namespaces need it)" >&2; exit 1; }
for bin in "$spaceletd" "$spacectl_bin" "$build/sandbox/spacelet-run" \
           "$build/agent/monitor/spacelet-monitor" "$build/agent/proxy/spacelet-proxy"; do
  [ -x "$bin" ] || { echo "demo: $bin is not built (make build)" >&2; exit 1; }
done
for tool in git curl ip nft; do
  command -v "$tool" > /dev/null || { echo "demo: '$tool' is missing (packaging/build-deps.sh installs it)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/spacelet-demo-XXXXXX)
chmod 711 "$work"
netns="spacelet-demo-$$"
agent_pid=""
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
spacectl() { "$spacectl_bin" --socket "$work/run/spacelet.sock" "$@"; }

cleanup() {
  trap - EXIT INT TERM
  say "Stopping: the demo Spaces, then the agent"
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2> /dev/null; then
    for id in demo/hello-static demo/hello-docker; do spacectl delete "$id" > /dev/null 2>&1 || true; done
    for _ in $(seq 1 100); do
      [ "$(spacectl list --quiet 2> /dev/null | wc -l)" = 0 ] && break
      sleep 0.1
    done
    kill -TERM "$agent_pid" 2> /dev/null || true
    wait "$agent_pid" 2> /dev/null || true
  fi
  # The front proxy outlives agents by design (like the containers); the demo's goes too.
  if [ -f "$work/run/proxy/proxy.pid" ]; then
    kill -TERM "$(cut -d' ' -f1 "$work/run/proxy/proxy.pid")" 2> /dev/null || true
  fi
  ip netns delete "$netns" 2> /dev/null || true
  if [ -n "${DEMO_KEEP:-}" ]; then
    echo "kept $work (agent log: $work/agent.log)"
  else
    # Anything still mounted below (a Space being deleted when the agent stopped) first.
    grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2> /dev/null || true; done
    rm -rf "$work"
  fi
  echo "demo: done"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

say "A node for the demo: network namespace '$netns', state in $work"
ip netns add "$netns"
ip -n "$netns" link set lo up
mkdir -p "$work/run"
cat > "$work/config.yaml" << EOF
paths:
  state_dir: $work/state
  run_dir: $work/run
  socket: $work/run/spacelet.sock
  socket_group: root
  node_key: $work/node.key
network:
  node_netns: /run/netns/$netns
proxy:
  listen: 127.0.0.1:$port
  domain: localhost
builds:
  runtime_path: $build/sandbox/spacelet-run
supervisor:
  stop_grace: 3s
EOF
"$spaceletd" --config "$work/config.yaml" > "$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 100); do spacectl info > /dev/null 2>&1 && break; sleep 0.1; done
spacectl info > /dev/null || { cat "$work/agent.log"; exit 1; }
echo "spaceletd is running (pid $agent_pid), API on $work/run/spacelet.sock"

# Commits an example into a work tree and pushes it to the Space's repository, as an app
# author would: git push <the path `spacectl repo` prints> HEAD:main.
push_example() {  # $1: Space id, $2: example folder, $3: commit message
  tree="$work/src/$(basename "$2")"
  if [ ! -d "$tree/.git" ]; then
    mkdir -p "$tree" && cp -r "$2/." "$tree/"
    git -C "$tree" init -q -b main
  fi
  git -C "$tree" add -A
  git -C "$tree" -c user.name=demo -c user.email=demo@spacelet.local commit -q -m "$3"
  git -C "$tree" push -q "$(spacectl repo "$1")" HEAD:main 2>&1 | sed 's/^/  /'
}

say "Two Spaces: a static one and a docker-SDK one"
spacectl create demo/hello-static --sdk static
spacectl create demo/hello-docker --sdk docker

say "git push to each Space's repository (the post-receive hook tells the agent)"
push_example demo/hello-static "$examples/static-space" "first version"
push_example demo/hello-docker "$examples/docker-space" "first version"

say "Waiting for RUNNING (first builds make the node's busybox base image)"
spacectl wait demo/hello-static --stage RUNNING --timeout 300
spacectl wait demo/hello-docker --stage RUNNING --timeout 300

say "Where each Space is served (the front proxy, by host name)"
for space in hello-static hello-docker; do
  echo "http://demo-$space.localhost:$port/"
done
printf '\n$ curl http://demo-hello-static.localhost:%s/\n' "$port"
curl -s "http://demo-hello-static.localhost:$port/"
printf '\n$ curl http://demo-hello-docker.localhost:%s/cgi-bin/info\n' "$port"
curl -s "http://demo-hello-docker.localhost:$port/cgi-bin/info"

say "A change pushed to the static Space: built and switched while the old one serves"
sed -i 's/version 1/version 2/' "$work/src/static-space/index.html"
start=$(date +%s%N)
push_example demo/hello-static "$examples/static-space" "second version"
while ! curl -s "http://demo-hello-static.localhost:$port/" | grep -q "version 2"; do sleep 0.05; done
end=$(date +%s%N)
echo "now serving version 2, $(((end - start) / 1000000)) ms after git push returned"
curl -s "http://demo-hello-static.localhost:$port/" | grep version
echo
spacectl deployments demo/hello-static

say "The agent's events (Ctrl-C stops the demo Spaces and the agent)"
if [ -n "${DEMO_DURATION:-}" ]; then
  spacectl events --follow --tail 20 &
  events_pid=$!
  sleep "$DEMO_DURATION"
  kill "$events_pid" 2> /dev/null || true
  wait "$events_pid" 2> /dev/null || true
else
  spacectl events --follow --tail 20 || true
fi
