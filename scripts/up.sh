#!/usr/bin/env bash
# Runs Pingmesh on this machine: installs what running needs (libsqlite3-dev, for the collector's
# embedded store; nothing the tests need), builds the `pingmesh` binary alone (a debug build: it
# is ready sooner than a release build, and 64 simulated agents run well on it), and starts
# `pingmesh up`. Extra arguments go to `pingmesh up` (for example --simulate 32).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "up: installing libsqlite3-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libsqlite3-dev >/dev/null
fi
echo "up: building pingmesh (the first build takes 5 to 7 minutes on 2 cores; later ones seconds)"
swift build --product pingmesh
exec .build/debug/pingmesh up "$@"
