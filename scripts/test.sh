#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what tests need, builds (the
# command-line tests run the built binary), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
swift test "$@"
