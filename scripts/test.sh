#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what tests need, builds (the
# command-line tests run the built binary), then runs every test.
#
# Suites whose figures depend on a quiet machine run after the rest, each group on its own:
# the packet-loss estimates in a namespace and the scheduler's pacing (their RTTs and phases are
# measured against real time), the traceroutes through namespaces and the deployment-file and Helm chart checks
# (they wait seconds on subprocesses, which stalled timing-sensitive async tests beside them on a
# 2-core machine), then the multi-host lab (Tests/Lab/run-lab.sh: about 20 minutes of real
# faults in a fabric of namespaces, each named by an incident), then the end-to-end suites (types named *EndToEnd*: `pingmesh up`
# with 64 agents, the web UI in headless Chromium), which load both cores themselves.
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

logs=.build/test-logs
rm -rf "$logs"
mkdir -p "$logs"
required=()
summarize() {
  local status=$?
  local stopped=()
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

if [ $# -gt 0 ]; then
  run_tests "$@"
else
  # These run on every machine the suite is run on; their skip would hide the loss, traceroute and
  # PostgreSQL checks.
  required=(--require NamespaceLossTests --require TracerouteNamespaceTests --require PostgresStoreTests)
  quiet="NamespaceLossTests|ProbeSchedulerTests"
  blocking="TracerouteNamespaceTests|DeploymentManifestTests|ResponderFloodTests|HelmChartTests"
  run_tests --skip "EndToEnd|$quiet|$blocking"
  run_tests --filter "$quiet"
  run_tests --filter "$blocking"
  # The multi-host lab: a Clos fabric of namespaces, real agents, real faults (Tests/Lab/README.md).
  # The summary counts it as one suite, by its exit status (and its "skipped:" line).
  lab=0
  bash Tests/Lab/run-lab.sh .build/debug/pingmesh 2>&1 | tee "$logs/lab.log" || lab=$?
  echo "$lab" >"$logs/lab.status"
  [ "$lab" -eq 0 ] || exit "$lab"
  bash scripts/fuzz-api.sh
  run_tests --filter EndToEnd
fi
