#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what tests need, builds (the
# command-line tests run the built binary), then runs every test.
#
# Suites whose figures depend on a quiet machine run after the rest, each group on its own:
# the packet-loss estimates in a namespace and the scheduler's pacing (their RTTs and phases are
# measured against real time), the traceroutes through namespaces and the deployment-file and Helm chart checks
# (they wait seconds on subprocesses, which stalled timing-sensitive async tests beside them on a
# 2-core machine), then the end-to-end suites (types named *EndToEnd*: `pingmesh up`
# with 64 agents, the web UI in headless Chromium), which load both cores themselves.
# The multi-host labs (Tests/Lab: real faults in fabrics of namespaces, each named by an
# incident) run beside all of that from the start, in the background: each is about 20 minutes
# of waiting for one-minute windows, at a few percent of one core. The three-tier lab runs whole;
# the two-tier lab's scenarios are split over two fabrics of their own.
# Between them, scripts/fuzz-api.sh fuzzes both HTTP APIs from their OpenAPI files
# (schemathesis): no 5xx, no crash, bounded memory.
#
# Each `swift test` is teed to a log under .build/test-logs; at the end (or at the first failure)
# scripts/test-summary.py counts the tests run, passed, failed and skipped, and fails the run when
# a suite that must run ran no test, or, under CI=true, when anything was skipped at all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
# The test targets too, before the labs start: a first build takes both cores for minutes, and the
# labs' agents measure real time beside it.
swift build --build-tests

logs=.build/test-logs
rm -rf "$logs"
mkdir -p "$logs"
required=()
lab_pids=()
summarize() {
  local status=$?
  local stopped=()
  # A failure before the labs finished stops them; each deletes its namespaces on SIGTERM.
  for pid in "${lab_pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; done
  for pid in "${lab_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$status" -eq 0 ] || stopped=(--stopped "$status")
  python3 scripts/test-summary.py "$logs" "${required[@]}" "${stopped[@]}" || [ "$status" -ne 0 ] || status=1
  exit "$status"
}
trap summarize EXIT

# One `swift test`, its console output teed to a numbered log and its results as JUnit XML
# beside it; pipefail keeps swift test's exit status through tee.
runs=0
run_tests() {
  runs=$((runs + 1))
  local name
  name=$(printf '%02d' "$runs")
  echo "swift test $*" >"$logs/$name.command"
  swift test --xunit-output "$logs/$name.xml" "$@" 2>&1 | tee "$logs/$name.log"
}

# start_lab NAME SCRIPT [VAR=VALUE...]: a lab in the background, its output in NAME.log and its
# exit status in NAME.status (77: skipped, which scripts/test-summary.py reports as such).
start_lab() {
  local name=$1 script=$2
  shift 2
  (
    status=0
    env "$@" bash "$script" .build/debug/pingmesh >"$logs/$name.log" 2>&1 || status=$?
    echo "$status" >"$logs/$name.status"
  ) &
  lab_pids+=($!)
}

# Waits for every lab, prints each one's summary, and fails on a lab that failed.
finish_labs() {
  local failed=0 name status
  for pid in "${lab_pids[@]}"; do wait "$pid" || true; done
  lab_pids=()
  for status_file in "$logs"/lab*.status; do
    name=$(basename "$status_file" .status)
    status=$(cat "$status_file")
    echo "== $name: exit status $status"
    if [ "$status" -eq 0 ]; then
      sed -n '/results per fault/,$p' "$logs/$name.log"
    else
      tail -n 40 "$logs/$name.log"
      [ "$status" -eq 77 ] || failed=1
    fi
  done
  return "$failed"
}

if [ $# -gt 0 ]; then
  run_tests "$@"
else
  start_lab lab Tests/Lab/run-lab.sh
  start_lab lab-two-tier-a Tests/Lab/run-lab-two-tier.sh LAB_SCENARIOS="0 1 2 3"
  start_lab lab-two-tier-b Tests/Lab/run-lab-two-tier.sh LAB_SCENARIOS="4 5 6 7"
  # These run on every machine the suite is run on; their skip would hide the loss, traceroute and
  # PostgreSQL checks.
  required=(--require NamespaceLossTests --require TracerouteNamespaceTests --require PostgresStoreTests)
  quiet="NamespaceLossTests|ProbeSchedulerTests"
  blocking="TracerouteNamespaceTests|DeploymentManifestTests|ResponderFloodTests|HelmChartTests"
  run_tests --skip "EndToEnd|$quiet|$blocking"
  run_tests --filter "$quiet"
  run_tests --filter "$blocking"
  bash scripts/fuzz-api.sh
  run_tests --filter EndToEnd
  # The summary counts each lab as one suite, by its exit status.
  finish_labs
fi
