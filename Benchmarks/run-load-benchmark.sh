#!/usr/bin/env bash
# Load test (not part of the test suite): two controllers and one collector (SQLite) as
# real processes of a release build, and 1,000 simulated agents in `pingmesh-bench load`, each
# pulling its pinglist every 30 s (If-None-Match), holding a task long poll open, and uploading
# one gzip batch of 300 window summaries every 60 s, for 10 minutes. Prints requests/s, errors
# and p50/p99 latency per request kind, and each server's CPU share and RSS (start, peak, end).
# Everything runs on loopback.
# Environment: LOAD_AGENTS [1000], LOAD_SECONDS [600], LOAD_PEERS [300], LOAD_STORE [sqlite, or a
# store URL], LOAD_FORMAT [json or protobuf]; BENCH_SKIP_BUILD=1
# reuses .build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-bench
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
# 1,000 long polls and the agents' other connections need more than the default 1,024 files.
ulimit -n 65536 2>/dev/null || true
"$SCRATCH/release/pingmesh-bench" load --binary "$SCRATCH/release/pingmesh" \
    --agents "${LOAD_AGENTS:-1000}" --seconds "${LOAD_SECONDS:-600}" --peers "${LOAD_PEERS:-300}" \
    --store "${LOAD_STORE:-sqlite}" --format "${LOAD_FORMAT:-json}"
