#!/usr/bin/env bash
# How long each process takes from SIGTERM (or Ctrl-C for `pingmesh up`) to exit, busy as in
# production: a controller with an agent's task long poll held open, a collector, an agent in
# controller mode uploading through its spool, and `pingmesh up` with 64 simulated agents after a
# minute of probing. Prints seconds per process; the target is under 2 s each. Everything runs on
# loopback (127.0.97.0/24, 127.1.0.0/16 for up).
# Environment: PINGMESH [.build-bench/release/pingmesh, else .build/debug/pingmesh].
set -euo pipefail
cd "$(dirname "$0")/.."
B=${PINGMESH:-.build-bench/release/pingmesh}
[ -x "$B" ] || B=.build/debug/pingmesh
[ -x "$B" ] || { echo "no pingmesh binary: swift build first" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/topology.yaml" <<'YAML'
datacenters: [{name: dc1, podsets: [{name: ps1, pods: [{name: p1, servers: [{name: s1, ipv4: 127.0.97.2}, {name: s2, ipv4: 127.0.97.3}]}]}]}]
YAML
wait_http() { for _ in $(seq 100); do curl -fs "$1" > /dev/null 2>&1 && return 0; sleep 0.1; done; echo "$1 did not answer" >&2; exit 1; }
stop() { # name pid signal
    local start end
    start=$(date +%s.%N)
    kill "-$3" "$2"
    wait "$2" || true
    end=$(date +%s.%N)
    printf '  %-40s %6.3f s\n' "$1" "$(echo "$end - $start" | bc)"
}
echo "stop time: $B"
"$B" controller --topology "$work/topology.yaml" --listen 127.0.97.1:39310 --log-level error > "$work/controller.log" 2>&1 &
controller=$!
"$B" collector --store "sqlite:$work/results.db" --listen 127.0.97.1:39320 --log-level error > "$work/collector.log" 2>&1 &
collector=$!
wait_http http://127.0.97.1:39310/readyz
wait_http http://127.0.97.1:39320/healthz
"$B" agent --controller http://127.0.97.1:39310 --name s1 --listen 127.0.97.2:39300 --tcp-listen 127.0.97.2:39301 --udp-listen off \
    --collector http://127.0.97.1:39320 --spool-dir "$work/spool" --log-level error > "$work/agent.log" 2>&1 &
agent=$!
wait_http http://127.0.97.2:39300/healthz
# The agent's task long poll is open by now; a second one stands in for another agent.
curl -s "http://127.0.97.1:39310/v1/agent-tasks/s2?wait=25" > /dev/null &
sleep 5
stop "agent (SIGTERM)" "$agent" TERM
stop "controller, a long poll open (SIGTERM)" "$controller" TERM
stop "collector (SIGTERM)" "$collector" TERM
"$B" up --simulate 64 --data "$work/up" --log-level error > "$work/up.log" 2>&1 &
up=$!
wait_http http://127.0.0.1:9320/healthz
sleep 60
stop "pingmesh up, 64 agents (Ctrl-C)" "$up" INT
