#!/usr/bin/env bash
# The collector's CPU per window summary, end to end (HTTP, gunzip, decode, validation, store
# commit), JSON against protobuf in the same run: `pingmesh-bench ingest` starts a collector of a
# release build per run on a fresh SQLite file, posts pre-encoded gzip batches over loopback from
# 8 connections, and reads the collector's CPU time from /proc. Prints each run and the medians.
# Environment: INGEST_AGENTS [400], INGEST_PEERS [300], INGEST_RUNS [3], INGEST_STORE [sqlite, or a
# store URL]; BENCH_SKIP_BUILD=1 reuses .build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-bench
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
"$SCRATCH/release/pingmesh-bench" ingest --binary "$SCRATCH/release/pingmesh" \
    --agents "${INGEST_AGENTS:-400}" --peers "${INGEST_PEERS:-300}" --runs "${INGEST_RUNS:-3}" --store "${INGEST_STORE:-sqlite}"
