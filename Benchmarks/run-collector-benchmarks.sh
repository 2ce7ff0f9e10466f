#!/usr/bin/env bash
# Collector benchmarks (not part of the test suite). Two runs of `pingmesh-bench collector` on a
# fresh SQLite store, release build:
#   1. 1,000 simulated agents of 300 peers each, 3 minutes of 60 s windows (900,000 summaries):
#      summaries ingested per second, bytes per ok probe of the 1 min server-pair rows, rollup time,
#      and the median time of a ToR-pair matrix (50 ToRs: 2,500 pairs) and of the 1,000 x 1,000
#      server matrix;
#   2. 50 agents of 40 peers for one whole UTC day (1,440 minutes): bytes per probe of what is
#      kept beyond 2 days (10 min rows of ToR pairs and above, 1 h and 1 day rows of every level),
#      each row holding all the probes of its window.
# Targets: >= 20,000 summaries/s into SQLite; matrix queries < 200 ms; <= 8 bytes per ok
# probe at 1 min; <= 1 byte per probe beyond 2 days.
# Environment: BENCH_SKIP_BUILD=1 reuses .build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-bench
bash scripts/setup.sh
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pingmesh-bench
fi
BENCH="$SCRATCH/release/pingmesh-bench"
printf '\n== ingest, 1 min storage, matrices: 1,000 agents x 300 peers, 3 minutes\n'
"$BENCH" collector --agents 1000 --peers 300 --minutes 3 --tors 50
printf "\n== storage beyond 2 days: 50 agents x 40 peers, one whole day\n"
"$BENCH" collector --agents 50 --peers 40 --minutes 1440 --tors 10

# 3. The same ingest into a scratch PostgreSQL cluster from Debian's packages (initdb as the
#    postgres user when run as root), torn down at exit.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PG_BIN" ]; then
    printf '\n== PostgreSQL: skipped, no /usr/lib/postgresql/*/bin\n'
    exit 0
fi
PG_DIR=$(mktemp -d /tmp/pingmesh-bench-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench
printf '\n== PostgreSQL %s: ingest and matrices, 1,000 agents x 300 peers, 3 minutes\n' "$("$PG_BIN/postgres" --version | awk '{print $3}')"
"$BENCH" collector --agents 1000 --peers 300 --minutes 3 --tors 50 --postgres "postgres://postgres@127.0.0.1:$PG_PORT/bench"
