#!/usr/bin/env bash
# Runs Pingmesh on this machine: `pingmesh up` through swift run. Extra arguments go to
# `pingmesh up` (for example --simulate 32).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec swift run pingmesh up "$@"
