#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what tests need, builds (the
# command-line tests run the built binary), then runs every test.
#
# The end-to-end suites (types named *EndToEnd*: `pingmesh up` with 64 agents, the web UI in
# headless Chromium) run after the rest, on their own: they load both cores, which would skew
# the timing-sensitive tests beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
if [ $# -gt 0 ]; then
  swift test "$@"
else
  swift test --skip EndToEnd
  swift test --filter EndToEnd
fi
