#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what tests need, builds (the
# command-line tests run the built binary), then runs every test.
#
# Suites whose figures depend on a quiet machine run after the rest, each group on its own:
# the packet-loss estimates in a namespace and the scheduler's pacing (their RTTs and phases are
# measured against real time), the traceroutes through namespaces (synchronous: they hold one of
# the two cooperative threads for seconds, which stalled async tests beside them), then the
# end-to-end suites (types named *EndToEnd*: `pingmesh up`
# with 64 agents, the web UI in headless Chromium), which load both cores themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
if [ $# -gt 0 ]; then
  swift test "$@"
else
  quiet="NamespaceLossTests|TracerouteNamespaceTests|ProbeSchedulerTests"
  swift test --skip "EndToEnd|$quiet"
  swift test --filter "$quiet"
  swift test --filter EndToEnd
fi
