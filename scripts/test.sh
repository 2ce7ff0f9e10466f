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
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
if [ $# -gt 0 ]; then
  swift test "$@"
else
  quiet="NamespaceLossTests|ProbeSchedulerTests"
  blocking="TracerouteNamespaceTests|DeploymentManifestTests|ResponderFloodTests|HelmChartTests"
  swift test --skip "EndToEnd|$quiet|$blocking"
  swift test --filter "$quiet"
  swift test --filter "$blocking"
  # The multi-host lab: a Clos fabric of namespaces, real agents, real faults (Tests/Lab/README.md).
  bash Tests/Lab/run-lab.sh .build/debug/pingmesh
  bash scripts/fuzz-api.sh
  swift test --filter EndToEnd
fi
