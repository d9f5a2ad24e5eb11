#!/bin/bash
# The spacelet demo (`make demo`): the real thing, on this machine. It starts spaceletd with a
# local config (everything under one temp dir; the Spaces' network behind a network namespace
# the demo makes, so the host's own network is untouched), creates two Spaces from examples/
# (a static one and a docker-SDK one), pushes them with git, waits for RUNNING while showing
# their stages and build steps, shows where each is served and what curl gets, pushes a change
# and shows the switch, then streams the agent's events until Ctrl-C, which deletes the demo
# Spaces, stops the agent and removes everything the demo made.
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
           "$build/agent/monitor/spacelet-monitor" "$build/agent/proxy/spacelet-proxy" \
           "$build/netpolicy/spacelet-nft-helper"; do
  [ -x "$bin" ] || { echo "demo: $bin is not built (make build)" >&2; exit 1; }
done
for tool in git curl ip setsid; do
  command -v "$tool" > /dev/null || { echo "demo: '$tool' is missing (packaging/build-deps.sh installs it)" >&2; exit 1; }
done
case "$port" in
  '' | *[!0-9]*) echo "demo: DEMO_PORT='$port' is not a port number; set DEMO_PORT=1024..65535" >&2; exit 1 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "demo: DEMO_PORT=$port is out of range; set DEMO_PORT=1024..65535" >&2
  exit 1
fi
if curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/"; then
  echo "demo: something already answers on 127.0.0.1:$port; pick a free port with DEMO_PORT=N" >&2
  exit 1
fi

work=$(mktemp -d /tmp/spacelet-demo-XXXXXX)
chmod 711 "$work"
netns="spacelet-demo-$$"
netns_made=""
agent_pid=""
followers=()
spaces=(demo/hello-static demo/hello-docker)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
spacectl() { "$spacectl_bin" --socket "$work/run/spacelet.sock" "$@"; }
url() { echo "http://${1/\//-}.localhost:$port${2:-/}"; }  # a Space's address at the proxy

# Background streams shown while the demo waits, each line with its time; stopped by
# stop_followers. They run the binary itself (not the spacectl function) so that $! is it.
follow_stages() {  # stage changes of every Space, from event sequence number $1 on
  "$spacectl_bin" --socket "$work/run/spacelet.sock" events --follow --since "$1" > >(sed -un \
    's/^[0-9-]*T\([0-9:.]*\)Z  [0-9]*  space.changed  demo\/\([^ ]*\)  .*stage "\([A-Z_]*\)" -> "\([A-Z_]*\)".*$/  \1  \2: stage \3 -> \4/p') &
  followers+=($!)
}
follow_build() {  # the build log of Space $1's current deployment: its steps as they run
  "$spacectl_bin" --socket "$work/run/spacelet.sock" --json logs "$1" --build --follow > >(sed -un \
    -e 's/\\"/"/g' -e 's/^{"data":"\(.\{0,90\}\).*","timestamp":"[0-9-]*T\([0-9:.]*\)Z"}$/  \2  '"${1#demo/}"': \1/p') &
  followers+=($!)
}
stop_followers() {
  for pid in "${followers[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${followers[@]}"; do wait "$pid" 2> /dev/null || true; done
  followers=()
}
last_event() { spacectl events --tail 1 | awk '{ seq = $2 } END { print seq + 0 }'; }

cleanup() {
  trap '' INT TERM  # a second Ctrl-C must not leave half of it behind
  trap - EXIT
  stop_followers
  say "Stopping: the demo Spaces, then the agent; removing what the demo made"
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2> /dev/null; then
    for id in "${spaces[@]}"; do spacectl delete "$id" 2> /dev/null || true; done
    for _ in $(seq 1 300); do
      [ "$(spacectl list --quiet 2> /dev/null | wc -l)" = 0 ] && break
      sleep 0.1
    done
    kill -TERM "$agent_pid" 2> /dev/null || true
    wait "$agent_pid" 2> /dev/null || true
    echo "spaceletd stopped"
  fi
  # The front proxy outlives agents by design (like the containers); the demo's goes too.
  if [ -f "$work/run/proxy/proxy.pid" ]; then
    proxy_pid=$(cut -d' ' -f1 "$work/run/proxy/proxy.pid")
    if grep -q spacelet-proxy "/proc/$proxy_pid/cmdline" 2> /dev/null; then
      kill -TERM "$proxy_pid" 2> /dev/null || true
      echo "spacelet-proxy stopped"
    fi
  fi
  # The node namespace holds the nftables table and the Spaces' veths: both go with it.
  [ -n "$netns_made" ] && ip netns delete "$netns" 2> /dev/null && echo "network namespace '$netns' removed"
  if [ -n "${DEMO_KEEP:-}" ]; then
    echo "kept $work (agent log: $work/agent.log)"
  else
    # Mounts the agent keeps below its dirs (the netns bind mount, a bundle of a Space that
    # was being deleted when the agent stopped), deepest first.
    grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2> /dev/null || true; done
    rm -rf "$work"
    echo "removed $work"
  fi
  echo "demo: done"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

say "A node for the demo: network namespace '$netns', state in $work"
ip netns add "$netns"
netns_made=1
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
# Its own session: Ctrl-C goes to the demo, which stops the agent after deleting the Spaces.
setsid "$spaceletd" --config "$work/config.yaml" > "$work/agent.log" 2>&1 < /dev/null &
agent_pid=$!
for _ in $(seq 1 100); do spacectl info > /dev/null 2>&1 && break; sleep 0.1; done
spacectl info > /dev/null || { cat "$work/agent.log"; exit 1; }
echo "spaceletd is running (pid $agent_pid), API on $work/run/spacelet.sock, log $work/agent.log"

# Commits an example into a work tree and pushes it to the Space's repository, as an app
# author would: git push <the path `spacectl repo` prints> HEAD:main.
push_example() {  # $1: Space id, $2: example folder, $3: commit message
  local tree="$work/src/$(basename "$2")"
  if [ ! -d "$tree/.git" ]; then
    mkdir -p "$tree" && cp -r "$2/." "$tree/"
    git -C "$tree" init -q -b main
  fi
  git -C "$tree" add -A
  git -C "$tree" -c user.name=demo -c user.email=demo@spacelet.local commit -q -m "$3"
  echo "$ git push $(spacectl repo "$1") HEAD:main"
  git -C "$tree" push -q "$(spacectl repo "$1")" HEAD:main 2>&1 | sed 's/^/  /'
}

say "Two Spaces: a static one and a docker-SDK one"
for id in "${spaces[@]}"; do spacectl create "$id" --sdk "${id#demo/hello-}"; done

say "git push to each Space's repository (the post-receive hook tells the agent)"
since=$(last_event)
push_example demo/hello-static "$examples/static-space" "first version"
push_example demo/hello-docker "$examples/docker-space" "first version"

say "Building and starting (stages and build steps as they happen; the first build makes the node's busybox base image)"
follow_stages "$since"
for id in "${spaces[@]}"; do follow_build "$id"; done
for id in "${spaces[@]}"; do spacectl wait "$id" --stage RUNNING --timeout 300 > /dev/null; done
sleep 0.3  # the last lines of the streams
stop_followers
spacectl list

say "Where each Space is served (the front proxy on 127.0.0.1:$port, by host name)"
for id in "${spaces[@]}"; do echo "$id: $(url "$id")"; done
printf '\n$ curl %s\n' "$(url demo/hello-static)"
curl -sS "$(url demo/hello-static)"
printf '\n$ curl %s\n' "$(url demo/hello-docker /cgi-bin/info)"
curl -sS "$(url demo/hello-docker /cgi-bin/info)"

say "A change pushed to the static Space: built and started beside the old one, then switched"
# A client requesting all along, from before the push: what it is served, when that changes,
# and whether any request fails. It ends once version 2 is served (or after 300 s).
poll_switch() {
  local requests=0 failed=0 served="" reply code now start=$SECONDS
  while [ "$served" != "version 2" ] && [ $((SECONDS - start)) -lt 300 ]; do
    reply=$(curl -s -m 5 -w '\n%{http_code}' "$(url demo/hello-static)" || true)
    code=${reply##*$'\n'}
    requests=$((requests + 1))
    [ "$code" = 200 ] || failed=$((failed + 1))
    now=$(printf '%s' "$reply" | grep -o 'version [0-9]*' || true)
    if [ "$now" != "$served" ]; then
      echo "  $(date +%T.%3N)  curl: HTTP $code, '$now'"
      served=$now
      [ "$now" = "version 2" ] && date +%s%N > "$work/switched"
    fi
    sleep 0.02
  done
  echo "  the client made $requests requests during the switch; $failed failed"
}
sed -i 's/version 1/version 2/' "$work/src/static-space/index.html"
follow_stages "$(last_event)"
poll_switch &
poller=$!
sleep 0.5
push_example demo/hello-static "$examples/static-space" "second version"
pushed=$(date +%s%N)
wait "$poller"
[ -f "$work/switched" ] || { echo "demo: version 2 was not served within 300 s; see: spacectl logs demo/hello-static --build" >&2; exit 1; }
spacectl wait demo/hello-static --stage RUNNING --timeout 60 > /dev/null
sleep 0.3
stop_followers
echo "version 2 served $((($(cat "$work/switched") - pushed) / 1000000)) ms after git push returned"
echo
echo "$ spacectl deployments demo/hello-static"
spacectl deployments demo/hello-static

say "The agent's events (Ctrl-C stops the demo Spaces and the agent)"
if [ -n "${DEMO_DURATION:-}" ]; then
  "$spacectl_bin" --socket "$work/run/spacelet.sock" events --follow --tail 20 &
  events_pid=$!
  sleep "$DEMO_DURATION"
  kill "$events_pid" 2> /dev/null || true
  wait "$events_pid" 2> /dev/null || true
else
  spacectl events --follow --tail 20 || true
fi
