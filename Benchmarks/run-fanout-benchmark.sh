#!/usr/bin/env bash
# UDP and ICMP fan-out (not part of the test suite): the agent's UDP and ICMP probers
# against 1,000 loopback targets (127.0.1.1 upwards) at a 1 s interval for 60 s each, one shared
# socket per family, replies matched by id and sequence. Prints probes, replies, losses (any loss
# on loopback is spurious), RTT median and P99, CPU per probe and peak RSS. ICMP needs root,
# CAP_NET_RAW or net.ipv4.ping_group_range covering the user.
# Environment: FANOUT_TARGETS [1000], FANOUT_SECONDS [60]; BENCH_SKIP_BUILD=1 reuses .build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-bench
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
for kind in udp icmp; do
    printf '\n== %s\n' "$kind"
    "$SCRATCH/release/pingmesh-bench" fanout --kind "$kind" --targets "${FANOUT_TARGETS:-1000}" --seconds "${FANOUT_SECONDS:-60}"
done
