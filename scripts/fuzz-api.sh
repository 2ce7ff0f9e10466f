#!/usr/bin/env bash
# Fuzzes the HTTP APIs with schemathesis (PyPI) from their OpenAPI descriptions: a real
# controller (openapi.yaml) and a real collector (openapi-collector.yaml, SQLite store) on
# loopback, each started from the built binary, with an admin token so requests get past the
# auth check and into the handlers. Fails when:
#   - any response is a 5xx (schemathesis' not_a_server_error check), or a request fails at the
#     network level (the server hung up or crashed);
#   - either server is no longer running afterwards;
#   - either server's resident memory grew by more than FUZZ_RSS_GROWTH_MIB over the run (a leak
#     of what the fuzzer sent);
#   - an admin operation (tasks, upgrades, faults, manual probes), fuzzed with no token, a wrong
#     token or an agent token, or with no token on a controller and a collector started without
#     tokens, answers anything but 401 or 403 (scripts/fuzz_auth_hooks.py).
# Prints the counts schemathesis reports and the memory before and after.
#
# Usage: bash scripts/fuzz-api.sh           (after `swift build`; the test command runs it)
# Environment: FUZZ_EXAMPLES [25] examples per operation; FUZZ_RSS_GROWTH_MIB [64].
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${FUZZ_EXAMPLES:-25}
RSS_GROWTH_MIB=${FUZZ_RSS_GROWTH_MIB:-64}
BINARY=.build/debug/pingmesh
[ -x "$BINARY" ] || { echo "fuzz-api: $BINARY not built (swift build)" >&2; exit 1; }
if ! command -v st >/dev/null 2>&1; then
  echo "fuzz-api: installing schemathesis (PyPI)"
  python3 -m pip install -q schemathesis 2>/dev/null || python3 -m pip install -q --break-system-packages schemathesis
fi

WORK=$(mktemp -d /tmp/pingmesh-fuzz.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

cat >"$WORK/tokens.yaml" <<'EOF'
tokens:
  - {token: fuzz-admin-token-0123456789, scope: admin}
  - {token: fuzz-agent-token-0123456789, scope: agent}
EOF
# Two pods of two servers: every route has data to serve, so a 503 means a real fault.
cat >"$WORK/topology.yaml" <<'EOF'
datacenters:
  - name: dc1
    podsets:
      - name: ps1
        pods:
          - name: pod1
            servers: [{name: s1, ipv4: 127.0.80.1}, {name: s2, ipv4: 127.0.80.2}]
          - name: pod2
            servers: [{name: s3, ipv4: 127.0.80.3}, {name: s4, ipv4: 127.0.80.4, ipv6: 'fd00::4'}]
EOF

CONTROLLER_PORT=$(free_port)
"$BINARY" controller --topology "$WORK/topology.yaml" --tokens "$WORK/tokens.yaml" \
  --listen "127.0.0.1:$CONTROLLER_PORT" --log-level error >"$WORK/controller.log" 2>&1 &
controller=$!
pids+=("$controller")
COLLECTOR_PORT=$(free_port)
"$BINARY" collector --store "sqlite:$WORK/fuzz.db" --tokens "$WORK/tokens.yaml" \
  --listen "127.0.0.1:$COLLECTOR_PORT" --log-level error >"$WORK/collector.log" 2>&1 &
collector=$!
pids+=("$collector")

ready() { curl -fsS -o /dev/null "$1" 2>/dev/null; }
for _ in $(seq 1 100); do
  if ready "http://127.0.0.1:$CONTROLLER_PORT/readyz" && ready "http://127.0.0.1:$COLLECTOR_PORT/healthz"; then break; fi
  sleep 0.2
done
ready "http://127.0.0.1:$CONTROLLER_PORT/readyz" || { echo "fuzz-api: controller not ready"; cat "$WORK/controller.log"; exit 1; }
ready "http://127.0.0.1:$COLLECTOR_PORT/healthz" || { echo "fuzz-api: collector not ready"; cat "$WORK/collector.log"; exit 1; }

status=0
fuzz() { # name spec port pid
  local name=$1 spec=$2 port=$3 pid=$4 before after
  before=$(rss_kib "$pid")
  echo "== fuzzing the $name ($spec) with up to $EXAMPLES examples per operation"
  # Long polls may hold a request for 30 s (wait=30), so the client waits longer than that.
  if ! st run "$spec" --url "http://127.0.0.1:$port" --header "Authorization: Bearer fuzz-admin-token-0123456789" \
      --checks not_a_server_error --max-examples "$EXAMPLES" --request-timeout 40 \
      --generation-deterministic --no-color >"$WORK/$name.txt" 2>&1; then
    status=1
    sed -n '/FAILURES\|ERRORS/,$p' "$WORK/$name.txt" | cut -c1-400 | head -80
  fi
  grep -E "generated|Selected|Tested" "$WORK/$name.txt" | sed 's/^/  /'
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "fuzz-api: the $name died during the run; its log:"; tail -20 "$WORK/$name.log"; status=1; return
  fi
  after=$(rss_kib "$pid")
  echo "  $name RSS: $((before / 1024)) MiB before, $((after / 1024)) MiB after"
  if [ $(((after - before) / 1024)) -gt "$RSS_GROWTH_MIB" ]; then
    echo "fuzz-api: the $name grew by more than $RSS_GROWTH_MIB MiB"; status=1
  fi
}
fuzz controller openapi.yaml "$CONTROLLER_PORT" "$controller"
fuzz collector openapi-collector.yaml "$COLLECTOR_PORT" "$collector"

# Admin operations without an admin token: every generated request must be refused.
CONTROLLER_ADMIN=(--include-name "POST /v1/tasks" --include-name "PUT /v1/upgrade" --include-name "DELETE /v1/upgrade")
COLLECTOR_ADMIN=(--include-name "POST /v1/probe" --include-name "POST /v1/faults" --include-name "DELETE /v1/faults"
  --include-name "DELETE /v1/faults/{id}")
refused() { # label spec port [header]: fuzz the admin operations, checking only that each is refused
  local label=$1 spec=$2 port=$3 header=${4:-} operations
  if [ "$spec" = openapi.yaml ]; then operations=("${CONTROLLER_ADMIN[@]}"); else operations=("${COLLECTOR_ADMIN[@]}"); fi
  local expected=$((${#operations[@]} / 2))
  local auth=()
  [ -n "$header" ] && auth=(--header "Authorization: Bearer $header")
  echo "== admin operations, $label"
  if ! PYTHONPATH=scripts SCHEMATHESIS_HOOKS=fuzz_auth_hooks st run "$spec" --url "http://127.0.0.1:$port" "${auth[@]}" \
      "${operations[@]}" --checks admin_refused --max-examples "$EXAMPLES" --request-timeout 40 \
      --generation-deterministic --no-color >"$WORK/refused.txt" 2>&1; then
    status=1
    sed -n '/FAILURES\|ERRORS/,$p' "$WORK/refused.txt" | cut -c1-400 | head -40
  fi
  # Every operation must have been exercised: a filter that matches nothing would pass silently.
  local selected
  selected=$(grep -oE "Selected: [0-9]+/[0-9]+" "$WORK/refused.txt" | head -1)
  echo "  $selected"
  grep -E "generated|Tested" "$WORK/refused.txt" | sed 's/^/  /'
  [ "${selected#Selected: $expected/}" != "$selected" ] || {
    echo "fuzz-api: expected $expected admin operations selected ($label)"; status=1
  }
}
for server in "controller openapi.yaml $CONTROLLER_PORT" "collector openapi-collector.yaml $COLLECTOR_PORT"; do
  set -- $server
  refused "$1 with tokens, no token" "$2" "$3"
  refused "$1 with tokens, a wrong token" "$2" "$3" "fuzz-wrong-token-0123456789"
  refused "$1 with tokens, an agent token" "$2" "$3" "fuzz-agent-token-0123456789"
done
# Started without tokens: admin operations stay closed.
OPEN_CONTROLLER_PORT=$(free_port)
"$BINARY" controller --topology "$WORK/topology.yaml" --listen "127.0.0.1:$OPEN_CONTROLLER_PORT" --log-level error \
  >"$WORK/open-controller.log" 2>&1 &
pids+=("$!")
OPEN_COLLECTOR_PORT=$(free_port)
"$BINARY" collector --store "sqlite:$WORK/open.db" --listen "127.0.0.1:$OPEN_COLLECTOR_PORT" --log-level error \
  >"$WORK/open-collector.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do
  if ready "http://127.0.0.1:$OPEN_CONTROLLER_PORT/readyz" && ready "http://127.0.0.1:$OPEN_COLLECTOR_PORT/healthz"; then break; fi
  sleep 0.2
done
refused "controller without tokens, no token" openapi.yaml "$OPEN_CONTROLLER_PORT"
refused "collector without tokens, no token" openapi-collector.yaml "$OPEN_COLLECTOR_PORT"
[ $status -eq 0 ] && echo "fuzz-api: no server errors, both servers alive"
exit $status
