# The lab's common parts, sourced by each fabric's script (run-lab.sh: three tiers;
# run-lab-two-tier.sh: two): prerequisites, namespaces and links, routers that hash flows on the
# 5-tuple, starting pingmesh processes, reading incidents, and running a scenario (inject a
# fault, wait for the incident naming it, remove it, wait for the incident to resolve).
#
# Before sourcing: BIN (the pingmesh binary) and LAB_NAME (for messages and the log directory).
# After: build the fabric, start pingmesh, then call `scenario` for each fault and `print_summary`.

DETECT_TIMEOUT=${LAB_DETECT_TIMEOUT:-240}   # seconds from injection to the expected incident
RESOLVE_TIMEOUT=${LAB_RESOLVE_TIMEOUT:-300} # seconds from removal to its resolution

# Without root or a tool the lab cannot run: a skip (exit 77) on a developer's machine, a failure
# under CI, which must run everything.
missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: $LAB_NAME: $* (CI runs every suite; scripts/test.sh installs what the lab needs)" >&2
    exit 1
  fi
  echo "skipped: $LAB_NAME: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || missing "the lab needs root for network namespaces"
for tool in ip nft curl python3; do
  command -v "$tool" >/dev/null 2>&1 || missing "the lab needs $tool (scripts/setup.sh installs iproute2, nftables and curl)"
done
[ -x "$BIN" ] || { echo "$LAB_NAME: no pingmesh binary at $BIN (swift build first)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

STARTED=$(date +%s)
P="pm${LAB_PREFIX:-lab}$$-"  # every namespace this run makes starts with this
WORK=$(mktemp -d "/tmp/pingmesh-$LAB_NAME.XXXXXX")
NAMESPACES=()
PIDS=()
NAMES=()

cleanup() {
  local status=$?
  set +e
  # Newest first: the agents, then the collector and the controller. (The controller may take
  # longer than 10 s: its graceful shutdown waits out the agents' task long polls.)
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null; done
  for _ in $(seq 100); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for i in "${!PIDS[@]}"; do
    if kill -0 "${PIDS[i]}" 2>/dev/null; then
      echo "$LAB_NAME: ${NAMES[i]} did not stop within 10 s of SIGTERM; killed" >&2
      kill -KILL "${PIDS[i]}"
    fi
    wait "${PIDS[i]}" 2>/dev/null
  done
  # Deleting a namespace deletes its ends of the veth pairs, and so the pairs.
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "$LAB_NAME: logs kept in $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAILED: $LAB_NAME: $*" >&2
  echo "--- collector log (last 30 lines)" >&2
  tail -n 30 "$WORK/collector.log" >&2 || true
  exit 1
}

ns() { echo "${P}$1"; }

add_ns() {
  # The prerequisites passed, so a namespace that cannot be made is a broken machine: a failure.
  ip netns add "$(ns "$1")" || fail "setup: cannot create network namespace $(ns "$1")"
  NAMESPACES+=("$(ns "$1")")
  ip -n "$(ns "$1")" link set lo up
}

# veth A IF-A ADDR-A B IF-B ADDR-B: a link between two namespaces (ADDR "" for none), both up.
veth() {
  ip -n "$(ns "$1")" link add "$2" type veth peer name "$5" netns "$(ns "$4")"
  [ -z "$3" ] || ip -n "$(ns "$1")" addr add "$3" dev "$2"
  [ -z "$6" ] || ip -n "$(ns "$4")" addr add "$6" dev "$5"
  ip -n "$(ns "$1")" link set "$2" up
  ip -n "$(ns "$4")" link set "$5" up
}

ROUTERS=0
# router NAMESPACE [FIELDS-ON-OLD-KERNELS]
router() {
  # Flows spread over equal-cost next hops by their 5-tuple, as a Clos fabric does, so the agents'
  # per-probe source ports reach every leaf and spine; no reverse-path filter, since a flow's
  # answer may come back over another spine. The hash is policy 3 over the 5-tuple (fields
  # 0x0037), not policy 1: policy 1 reuses the hash the sending socket put on the packet, the same
  # in every router, so all the flows a ToR sends to leaf 1 would go on to the same spine (ECMP
  # polarisation). Each router has a seed of its own, as switches do; kernels before 6.11 have
  # none, and there each tier hashes other fields (the second argument). Time-exceeded answers
  # are not rate-limited: traceroutes of several 5-tuples at once must all see every hop.
  ROUTERS=$((ROUTERS + 1))
  local fields=0x0037
  ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.fib_multipath_hash_policy=3 net.ipv4.icmp_ratelimit=0 >/dev/null
  if ip netns exec "$(ns "$1")" test -e /proc/sys/net/ipv4/fib_multipath_hash_seed; then
    ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.fib_multipath_hash_seed=$((ROUTERS * 7919)) >/dev/null
  else
    fields=${2:-0x0037}
  fi
  ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.fib_multipath_hash_fields=$fields >/dev/null
}

start() {  # start NAMESPACE LOG ARGS...: a pingmesh process in a namespace, stopped on exit
  local namespace=$1 log=$2
  shift 2
  ip netns exec "$(ns "$namespace")" "$BIN" "$@" >"$WORK/$log" 2>&1 &
  PIDS+=($!)
  NAMES+=("${log%.log}")
}

api() { ip netns exec "$(ns mg)" curl -sf --max-time 5 "http://$MGMT:$1"; }

# write_tokens: the controller's tokens file, as an operator writes it (admin operations are
# closed without one): $WORK/tokens.yaml, and each token in a file of its own for the collector's
# --controller-token-file and the agents' --token-file.
write_tokens() {
  local admin agent
  admin=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  agent=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf 'tokens:\n  - {token: %s, scope: admin}\n  - {token: %s, scope: agent}\n' "$admin" "$agent" >"$WORK/tokens.yaml"
  printf '%s\n' "$admin" >"$WORK/admin-token"
  printf '%s\n' "$agent" >"$WORK/agent-token"
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local deadline=$(( $(date +%s) + $1 )) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what"
    sleep 1
  done
}

# check_fabric COUNT: every server reaches every other over the fabric (a real TCP handshake
# with its agent), before any fault: a wiring mistake fails here, not as a wrong incident later.
# The fabric's script defines server_ip.
check_fabric() {
  local count=$1 k j
  for k in $(seq "$count"); do
    wait_for 30 "setup: the agent of s$k never listened on $(server_ip $k):9301" \
      ip netns exec "$(ns "s$k")" "$BIN" probe tcp "$(server_ip $k):9301" --timeout 1s
  done
  for k in $(seq "$count"); do for j in $(seq "$count"); do
    [ "$k" -eq "$j" ] && continue
    ip netns exec "$(ns "s$k")" "$BIN" probe tcp "$(server_ip $j):9301" --timeout 1s >/dev/null 2>&1 \
      || fail "setup: s$k cannot reach s$j ($(server_ip $j)) over the fabric"
  done; done
  echo "$LAB_NAME: $(date -u +%T) fabric up, every server reaches every other"
}

# ---------------------------------------------------------------------------------------------
# Incidents, as GET /v1/incidents gives them: one tab-separated line each,
# id state kind scope confidence bad_pairs pairs started_at network located, where located is
# the device or link the incident's traceroutes named ("-" for none yet).
# ---------------------------------------------------------------------------------------------
cat >"$WORK/incidents.py" <<'EOF'
import json, sys
doc = json.load(sys.stdin)
if sys.argv[1] == "through":
    print(doc.get("analyzed_through") or 0)
else:
    for i in doc["incidents"]:
        e = i["evidence"]
        c = (i.get("located") or {}).get("culprit")
        located = "-"
        if c and "device" in c:
            located = c["device"]
        elif c and "link" in c:
            located = "link %s - %s" % tuple(c["link"])
        print("\t".join(str(x) for x in (i["id"], i["state"], i["kind"], i["scope"], "%.2f" % i["confidence"], e["bad_pairs"], e["pairs"], i["started_at"], str(i["network"]).lower(), located)))
EOF
incidents() {
  local json
  json=$(api "9320/v1/incidents?state=$1&limit=1000") || return 1
  python3 "$WORK/incidents.py" rows <<<"$json"
}
analyzed_through() {
  local json
  json=$(api "9320/v1/incidents?state=open") || return 1
  python3 "$WORK/incidents.py" through <<<"$json"
}
# analyzed_past WINDOW: whether the analysis has reached that window (asked anew at every call).
analyzed_past() { [ "$(analyzed_through || echo 0)" -ge "$1" ]; }

# Before each scenario: the analysis is past the moment the previous fault went away and nothing
# is open.
wait_clean() {
  local scenario=$1 since=$2 deadline=$(( $(date +%s) + 240 )) open
  while :; do
    open=$(incidents open || echo "collector unreachable")
    if [ -z "$open" ] && [ "$(analyzed_through || echo 0)" -ge "$since" ]; then return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "$scenario: the fabric is not clean before the fault; open: $open"
    sleep 3
  done
}

SUMMARY=()
LAST_CLEAN=0

# scenario NAME FAULT EXPECTED-SCOPE EXPECTED-KIND INJECT REMOVE [EXPECTED-LOCATED] [ONLY-SERVER]
# EXPECTED-LOCATED: the device or link the incident's traceroutes must name ("" for no check).
# ONLY-SERVER: "only-server" when no network incident may open while the fault lasts (a server
# going down is not the network's fault).
scenario() {
  local name=$1 fault=$2 scope=$3 kind=$4 inject=$5 remove=$6 located=${7:-} only_server=${8:-}
  echo
  echo "== $name: $fault; expecting '$scope' ($kind)${located:+, located at '$located'}"
  wait_clean "$name" "$LAST_CLEAN"
  local injected; injected=$(date +%s)
  $inject
  echo "   injected at $(date -u +%H:%M:%S)"
  local rows row="" named="" found="" deadline=$(( injected + DETECT_TIMEOUT ))
  while :; do
    rows=$(incidents open | awk -F'\t' -v s="$scope" '$4 == s') || rows=""
    # The minute the fault began in holds it for part of the minute only: the component may be
    # named with a weaker kind (packet loss before black hole) first.
    if [ -n "$rows" ] && [ -z "$named" ]; then
      named=$(( $(date +%s) - injected ))
      echo "   '$scope' named after ${named}s as $(cut -f3 <<<"$rows" | paste -sd, -)"
    fi
    row=$(awk -F'\t' -v k="$kind" '$3 == k { print; exit }' <<<"$rows")
    if [ -n "$row" ] && [ -z "$found" ]; then found=$(( $(date +%s) - injected )); fi
    if [ -n "$row" ] && { [ -z "$located" ] || [ "$(cut -f10 <<<"$row")" = "$located" ]; }; then break; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      $remove || true
      fail "$name: no open incident named '$scope' ($kind)${located:+ located at '$located'} within ${DETECT_TIMEOUT}s of the fault; open incidents:
$(incidents open || true)"
    fi
    sleep 3
  done
  local detected=$(( $(date +%s) - injected ))
  local id confidence bad pairs where
  IFS=$'\t' read -r id _ _ _ confidence bad pairs _ _ where <<<"$row"
  echo "   $kind after ${found}s${located:+, located at $where after ${detected}s}: confidence $confidence, $bad of $pairs pairs bad (incident $id)"
  # Anything else opened since the fault began is printed: the table shows it too.
  local others network
  others=$(incidents all | awk -F'\t' -v id="$id" -v since="$(( injected / 60 * 60 ))" \
    '$1 != id && $8 >= since { print $4 " (" $3 ")" }' | sort -u | paste -sd ';' -) || others="(collector unreachable)"
  [ -z "$others" ] || echo "   also opened: $others"
  if [ "$only_server" = "only-server" ]; then
    network=$(incidents all | awk -F'\t' -v since="$(( injected / 60 * 60 ))" '$8 >= since && $9 == "true" { print $4 " (" $3 ")" }' \
      | sort -u | paste -sd ';' -) || network="(collector unreachable)"
    if [ -n "$network" ]; then
      $remove || true
      fail "$name: a network incident opened for a fault one server explains: $network"
    fi
  fi

  $remove
  local removed; removed=$(date +%s)
  echo "   removed at $(date -u +%H:%M:%S); waiting for the incident to resolve"
  deadline=$(( removed + RESOLVE_TIMEOUT ))
  until incidents resolved | awk -F'\t' -v id="$id" '$1 == id { found = 1 } END { exit !found }'; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name: incident $id ('$scope') still open ${RESOLVE_TIMEOUT}s after the fault was removed"
    sleep 3
  done
  local resolved=$(( $(date +%s) - removed ))
  echo "   resolved ${resolved}s after removal"
  # The next scenario starts from a window that began after this fault was gone.
  LAST_CLEAN=$(( (removed / 60 + 1) * 60 ))
  local where_when="-"
  [ -z "$located" ] || where_when="$where ${detected}s"
  SUMMARY+=("$name|$fault|$scope ($kind)|$kind, conf $confidence, $bad/$pairs pairs|${named}s|${found}s|$where_when|${resolved}s|${others:--}")
}

# healthy NAME SECONDS: the fabric runs that long with no fault, and no incident may open.
healthy() {
  local name=$1 seconds=$2
  echo
  echo "== $name: no fault for ${seconds}s; expecting no incident"
  wait_clean "$name" "$LAST_CLEAN"
  local began; began=$(date +%s)
  sleep "$seconds"
  # Every window that began in the run is analysed before it is judged.
  wait_for 180 "$name: the analysis never reached the end of the healthy run" analyzed_past $(( (began + seconds) / 60 * 60 - 60 ))
  local opened
  opened=$(incidents all | awk -F'\t' -v since="$(( (began / 60 + 1) * 60 ))" '$8 >= since { print $4 " (" $3 ")" }' | sort -u | paste -sd ';' -) \
    || fail "$name: the collector is unreachable"
  [ -z "$opened" ] || fail "$name: incidents opened on a healthy fabric: $opened"
  echo "   nothing opened in ${seconds}s"
  LAST_CLEAN=$(( (began + seconds) / 60 * 60 ))
  SUMMARY+=("$name|none for ${seconds}s|no incident|none|-|-|-|-|-")
}

nft_in() { ip netns exec "$(ns "$1")" nft -f -; }

# nft_forward NAMESPACE RULE...: the lab's table in NAMESPACE, its forward chain holding RULEs.
nft_forward() {
  local namespace=$1
  shift
  {
    echo "table inet pmlab {"
    echo "  chain forward {"
    echo "    type filter hook forward priority 0; policy accept;"
    printf '    %s\n' "$@"
    echo "  }"
    echo "}"
  } | nft_in "$namespace"
}
nft_clear() { ip netns exec "$(ns "$1")" nft delete table inet pmlab; }

# both_ways ADDRESS PEER...: rules dropping everything between ADDRESS and each PEER, both ways,
# as a bad forwarding entry for those pairs would.
both_ways() {
  local address=$1 peers
  shift
  peers=$(printf '%s, ' "$@")
  peers=${peers%, }
  echo "ip saddr $address ip daddr { $peers } drop"
  echo "ip daddr $address ip saddr { $peers } drop"
}

print_summary() {
  echo
  echo "$LAB_NAME results per fault ($(( ($(date +%s) - STARTED) / 60 )) min $(( ($(date +%s) - STARTED) % 60 )) s wall time):"
  {
    echo "scenario|injected fault|expected (kind)|named|detect|as kind|located|resolve|also opened"
    printf '%s\n' "${SUMMARY[@]}"
  } | python3 -c '
import sys
rows = [line.rstrip("\n").split("|") for line in sys.stdin]
widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
'
}
