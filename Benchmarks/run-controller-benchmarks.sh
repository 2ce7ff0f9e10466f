#!/usr/bin/env bash
# Controller benchmarks (not part of the test suite). Prints:
#   - the whole probe plan for 100,000 servers (2 DCs, 50 podsets, 2,500 ToRs, 40 servers each):
#     time and the process's peak RSS; time to build and serialise one agent's list;
#   - 304 responses per second from a running `pingmesh controller` holding that topology
#     (If-None-Match with the agent's current ETag), beside /healthz on the same server as the
#     HTTP floor, both driven by wrk over loopback, median of 3 runs.
#   - task fan-out: a task for 1,000 agents long-polling a controller on loopback, time until
#     the task started on them and until every result was back (reported, no target).
# Targets: plan < 10 s and < 2 GiB; one list < 10 ms; 304s > 10,000/s.
# Environment: BENCH_SKIP_BUILD=1 reuses .build-bench; WRK_SECONDS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
die() { echo "run-controller-benchmarks: $*" >&2; exit 1; }
SCRATCH=.build-bench
WRK_SECONDS=${WRK_SECONDS:-10}
PORT=${BENCH_CONTROLLER_PORT:-19410}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "building (release, static, scratch path $SCRATCH)"
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pingmesh-controller-bench.XXXXXX")
CONTROLLER_PID=""
cleanup() { [ -n "$CONTROLLER_PID" ] && kill "$CONTROLLER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

say "plan: 100,000 servers in memory"
"$SCRATCH/release/pingmesh-bench" plan --datacenters 2 --podsets 50 --tors 2500 --servers-per-tor 40 | tee "$WORK/plan.json"

say "tasks: fan-out to 1,000 agents long-polling a controller"
"$SCRATCH/release/pingmesh-bench" tasks --agents 1000 --runs 5

say "controller: the same topology from a file, 304s and /healthz under wrk"
python3 - "$WORK/topology.json" <<'PY'
import json, sys
serial = 0
dcs = []
for d in range(2):
    podsets = []
    for p in range(25):
        pods = []
        for t in range(50):
            servers = []
            for _ in range(40):
                serial += 1
                servers.append({"name": f"s{serial}", "ipv4": f"10.{serial >> 16 & 255}.{serial >> 8 & 255}.{serial & 255}"})
            pods.append({"name": f"dc{d}-ps{p}-pod{t}", "servers": servers})
        podsets.append({"name": f"dc{d}-ps{p}", "pods": pods})
    dcs.append({"name": f"dc{d}", "region": f"r{d}", "podsets": podsets})
json.dump({"settings": {"interval": "10s"}, "inter_dc": {"servers_per_podset": 1}, "datacenters": dcs}, open(sys.argv[1], "w"))
PY
"$SCRATCH/release/pingmesh" controller --topology "$WORK/topology.json" --listen "127.0.0.1:$PORT" --log-level warning \
    2>"$WORK/controller.log" &
CONTROLLER_PID=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$CONTROLLER_PID" 2>/dev/null || { cat "$WORK/controller.log" >&2; die "controller exited"; }
    sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || die "controller not ready"
ETAG=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$PORT/v1/pinglist/s1" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
[ -n "$ETAG" ] || die "no ETag"
echo "  s1's ETag: $ETAG"

rate() { wrk -t2 -c64 -d"${WRK_SECONDS}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
for run in 1 2 3; do
    echo "$(rate -H "If-None-Match: $ETAG" "http://127.0.0.1:$PORT/v1/pinglist/s1")" >>"$WORK/304.txt"
    echo "$(rate "http://127.0.0.1:$PORT/healthz")" >>"$WORK/healthz.txt"
    echo "  run $run: 304s/s $(tail -1 "$WORK/304.txt"), /healthz/s $(tail -1 "$WORK/healthz.txt")"
done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "http://127.0.0.1:$PORT/v1/pinglist/s1")
[ "$STATUS" = 304 ] || die "expected 304, got $STATUS"

say "summary"
python3 - "$WORK" <<'PY'
import json, statistics, sys
work = sys.argv[1]
plan = json.load(open(f"{work}/plan.json"))
r304 = statistics.median(float(x) for x in open(f"{work}/304.txt"))
rhz = statistics.median(float(x) for x in open(f"{work}/healthz.txt"))
def verdict(ok): return "PASS" if ok else "FAIL"
print(f"servers {plan['servers']:,}, ToRs {plan['tors']:,}, probe pairs {plan['pairs']:,}")
print(f"whole plan:           {plan['plan_seconds']:.2f} s  (< 10 s {verdict(plan['plan_seconds'] < 10)})")
print(f"peak RSS:             {plan['peak_rss_mib']:.0f} MiB (< 2048 MiB {verdict(plan['peak_rss_mib'] < 2048)}); before planning {plan['rss_before_plan_mib']:.0f} MiB")
print(f"one agent's list:     {plan['one_list_ms_median']:.2f} ms median, {plan['one_list_ms_max']:.2f} ms max, {plan['one_list_bytes']:,} bytes  (< 10 ms {verdict(plan['one_list_ms_median'] < 10)})")
print(f"304 responses:        {r304:,.0f}/s median of 3  (> 10,000/s {verdict(r304 > 10000)})")
print(f"/healthz (HTTP floor): {rhz:,.0f}/s median of 3; 304/healthz = {r304 / rhz:.2f}")
PY
