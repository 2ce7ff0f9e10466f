#!/usr/bin/env bash
# UDP and ICMP probers against a raw socket loop in C (Benchmarks/raw/raw_datagram.c), measured
# in the same run on the same machine (not part of the test suite). For each kind:
#   latency     one probe in flight: the median and P99 of the RTT each reports (ended by the
#               kernel's receive timestamp), of the user-space RTT of the same packets, and of
#               their difference, the user-space overhead that kernel timestamps remove.
#               Target: with kernel timestamps, the prober's reported RTT median is within 5 us
#               of the raw loop's (what the prober still adds, on the send side).
#   throughput  BENCH_CONCURRENCY probes in flight: probes answered per second of CPU (user +
#               system of the whole process, every thread), prober on CPU 0 and the UDP responder
#               (raw_datagram serve) on CPU 1. Target: UDP at least 50% of the raw loop's.
# ICMP needs root, CAP_NET_RAW or net.ipv4.ping_group_range covering the user; both probers then
# use the same kind of socket. Loopback only.
#
# Environment: BENCH_SECONDS [5] per run, BENCH_REPS [3] alternating repetitions,
# BENCH_CONCURRENCY [64] (a power of two), BENCH_PORT [19555], BENCH_SKIP_BUILD=1 reuses .build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
REPS=${BENCH_REPS:-3}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
PORT=${BENCH_PORT:-19555}
SCRATCH=.build-bench
RAW="$SCRATCH/raw_datagram"
BENCH="$SCRATCH/release/pingmesh-bench"
WORK=$(mktemp -d)
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER_PID=

for tool in gcc python3 taskset getconf; do command -v "$tool" >/dev/null || { echo "run-datagram-benchmarks: needs $tool" >&2; exit 1; }; done
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
mkdir -p "$SCRATCH"
gcc -O2 -Wall -Wextra -o "$RAW" Benchmarks/raw/raw_datagram.c

if [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then PROBER=(taskset -c 0); SERVER=(taskset -c 1); else PROBER=(); SERVER=(); fi
"${SERVER[@]}" "$RAW" serve --port "$PORT" & SERVER_PID=$!
sleep 0.5
kill -0 "$SERVER_PID" || { echo "run-datagram-benchmarks: the responder did not start (port $PORT taken?)" >&2; exit 1; }

for kind in udp icmp; do
    target=127.0.0.1; [ "$kind" = udp ] && target="127.0.0.1:$PORT"
    for mode in latency throughput; do
        concurrency=1; [ "$mode" = throughput ] && concurrency=$CONCURRENCY
        for rep in $(seq "$REPS"); do
            "${PROBER[@]}" "$BENCH" datagram --kind "$kind" --target "$target" --duration "$SECONDS_PER_RUN" --concurrency "$concurrency" \
                | sed "s/^{/{\"mode\":\"$mode\",/" >>"$WORK/results.jsonl"
            "${PROBER[@]}" "$RAW" "$kind" --target "$target" --duration "$SECONDS_PER_RUN" --concurrency "$concurrency" \
                | sed "s/^{/{\"mode\":\"$mode\",/" >>"$WORK/results.jsonl"
        done
    done
done

python3 - "$WORK/results.jsonl" "$REPS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def med(kind, mode, prober, field):
    return statistics.median(r[field] for r in rows if r["kind"] == kind and r["mode"] == mode and r["prober"] == prober)
failed = []
for kind in ("udp", "icmp"):
    sockets = {r["socket"] for r in rows if r["kind"] == kind}
    print(f"\n== {kind} ({'/'.join(sorted(sockets))} socket), medians of {sys.argv[2]} alternating runs")
    print(f"{'':34}{'swift prober':>16}{'raw loop':>16}")
    for label, field in (("RTT reported (kernel stamp) p50", "kernel_p50_us"), ("RTT reported (kernel stamp) p99", "kernel_p99_us"),
                         ("RTT in user space p50", "user_p50_us"), ("RTT in user space p99", "user_p99_us"),
                         ("user-space overhead p50", "overhead_p50_us"), ("user-space overhead p99", "overhead_p99_us")):
        print(f"latency  {label:25}{med(kind, 'latency', 'swift', field):13.2f} us{med(kind, 'latency', 'raw', field):13.2f} us")
    residual = med(kind, "latency", "swift", "kernel_p50_us") - med(kind, "latency", "raw", "kernel_p50_us")
    print(f"latency  overhead left with kernel timestamps (reported p50 - raw p50): {residual:.2f} us   target < 5 us")
    if residual >= 5: failed.append(f"{kind} overhead {residual:.2f} us")
    swift_pps, raw_pps = med(kind, "throughput", "swift", "per_cpu_second"), med(kind, "throughput", "raw", "per_cpu_second")
    lost = sum(r["lost"] for r in rows if r["kind"] == kind)
    print(f"throughput probes per CPU second   {swift_pps:13.0f}   {raw_pps:13.0f}   ratio {swift_pps / raw_pps:.2f}"
          + ("   target >= 0.50" if kind == "udp" else ""))
    print(f"throughput probes per second       {med(kind, 'throughput', 'swift', 'per_second'):13.0f}   {med(kind, 'throughput', 'raw', 'per_second'):13.0f}")
    print(f"lost (spurious on loopback): {lost}")
    if kind == "udp" and swift_pps / raw_pps < 0.5: failed.append(f"udp throughput ratio {swift_pps / raw_pps:.2f}")
print("\nall targets met" if not failed else "\ntargets missed: " + ", ".join(failed))
PY
