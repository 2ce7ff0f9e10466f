#!/usr/bin/env bash
# The multi-host lab (issue 9, item 4): network namespaces wired as a small Clos fabric, a real
# agent per server, a controller and a collector, then real faults (nftables drops, links set
# down); each must make the collector open an incident naming the faulty component.
#
#   bash Tests/Lab/run-lab.sh [PATH-TO-pingmesh]     (default .build/debug/pingmesh; root)
#
# Exits 0 when every scenario's incident names its component, 1 naming the scenario that did
# not; prints "skipped: <reason>" and exits 0 without root, ip, nft, curl or python3.
# Tests/Lab/README.md draws the fabric and says what each scenario asserts.
set -euo pipefail

BIN=${1:-.build/debug/pingmesh}
DETECT_TIMEOUT=${LAB_DETECT_TIMEOUT:-240}   # seconds from injection to the expected incident
RESOLVE_TIMEOUT=${LAB_RESOLVE_TIMEOUT:-300} # seconds from removal to its resolution
SPINE_DROP_PERCENT=${LAB_SPINE_DROP_PERCENT:-10}

skip() { echo "skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "the lab needs root for network namespaces (CI runs it as root)"
for tool in ip nft curl python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "the lab needs $tool (scripts/setup.sh installs iproute2, nftables and curl)"
done
[ -x "$BIN" ] || { echo "lab: no pingmesh binary at $BIN (swift build first)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

STARTED=$(date +%s)
P="pmlab$$-"            # every namespace this run makes starts with this
WORK=$(mktemp -d /tmp/pingmesh-lab.XXXXXX)
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
      echo "lab: ${NAMES[i]} did not stop within 10 s of SIGTERM; killed" >&2
      kill -KILL "${PIDS[i]}"
    fi
    wait "${PIDS[i]}" 2>/dev/null
  done
  # Deleting a namespace deletes its ends of the veth pairs, and so the pairs.
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "lab: logs kept in $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAILED: $*" >&2
  echo "--- collector log (last 30 lines)" >&2
  tail -n 30 "$WORK/collector.log" >&2 || true
  exit 1
}

# ---------------------------------------------------------------------------------------------
# The fabric. 1 DC, podsets ps1 (tor1, tor2) and ps2 (tor3, tor4), leaves l1 and l2 per podset,
# spines sp1 and sp2, servers s1..s8 two per ToR. Addresses:
#   server k under ToR t:      10.1.t.(11|12)/24 on the ToR's bridge "rack" (gateway 10.1.t.1)
#   ToR t - leaf l of its podset:   10.2.t.(4(l-1))/30, ToR +1, leaf +2
#   leaf l of podset p - spine s:   10.3.(10p+l).(4(s-1))/30, leaf +1, spine +2
#   management: bridge "mgmt" in namespace mg, 172.31.0.1 (controller, collector), server k .(10+k)
# ---------------------------------------------------------------------------------------------
ns() { echo "${P}$1"; }
tor_of() { echo $(( ($1 + 1) / 2 )); }        # server k -> ToR
podset_of() { echo $(( ($1 + 1) / 2 )); }     # ToR t -> podset
server_ip() { echo "10.1.$(tor_of "$1").$(( 11 + ($1 + 1) % 2 ))"; }
MGMT=172.31.0.1

add_ns() {
  ip netns add "$(ns "$1")" || skip "cannot create a network namespace here"
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
router() {
  # Flows spread over equal-cost next hops by their 5-tuple, as a Clos fabric does, so the agents'
  # per-probe source ports reach every leaf and spine; no reverse-path filter, since a flow's
  # answer may come back over another spine. The hash is policy 3 over the 5-tuple (fields
  # 0x0037), not policy 1: policy 1 reuses the hash the sending socket put on the packet, the same
  # in every router, so all the flows a ToR sends to leaf 1 would go on to the same spine (ECMP
  # polarisation). Each router has a seed of its own, as switches do; kernels before 6.11 have
  # none, and there each tier hashes other fields (leaves the ports, spines addresses and ports).
  ROUTERS=$((ROUTERS + 1))
  local fields=0x0037
  ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.fib_multipath_hash_policy=3 >/dev/null
  if ip netns exec "$(ns "$1")" test -e /proc/sys/net/ipv4/fib_multipath_hash_seed; then
    ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.fib_multipath_hash_seed=$((ROUTERS * 7919)) >/dev/null
  else
    case $1 in l*) fields=0x0030 ;; sp*) fields=0x0033 ;; esac
  fi
  ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.fib_multipath_hash_fields=$fields >/dev/null
}

tor_uplink_route() {  # the ToR's way to every other rack: both leaves of its podset
  ip -n "$(ns "tor$1")" route replace 10.1.0.0/16 nexthop via "10.2.$1.2" nexthop via "10.2.$1.6"
}

build_fabric() {
  add_ns mg
  ip -n "$(ns mg)" link add mgmt type bridge
  ip -n "$(ns mg)" addr add "$MGMT/24" dev mgmt
  ip -n "$(ns mg)" link set mgmt up
  for s in 1 2; do add_ns "sp$s"; router "sp$s"; done
  for p in 1 2; do for l in 1 2; do add_ns "l$p$l"; router "l$p$l"; done; done
  for t in 1 2 3 4; do
    add_ns "tor$t"; router "tor$t"
    ip -n "$(ns "tor$t")" link add rack type bridge
    ip -n "$(ns "tor$t")" addr add "10.1.$t.1/24" dev rack
    ip -n "$(ns "tor$t")" link set rack up
  done
  for k in 1 2 3 4 5 6 7 8; do
    local t; t=$(tor_of $k)
    add_ns "s$k"
    # The server's fabric port is port p$k of its ToR's bridge; its management port a port of
    # the mgmt bridge, so fabric faults never cut pinglist pulls or uploads.
    veth "s$k" eth0 "$(server_ip $k)/24" "tor$t" "p$k" ""
    ip -n "$(ns "tor$t")" link set "p$k" master rack
    veth "s$k" m0 "172.31.0.$((10 + k))/24" mg "m$k" ""
    ip -n "$(ns mg)" link set "m$k" master mgmt
    ip -n "$(ns "s$k")" route add 10.1.0.0/16 via "10.1.$t.1"
  done
  for t in 1 2 3 4; do
    local p; p=$(podset_of $t)
    for l in 1 2; do
      local base=$(( 4 * (l - 1) ))
      veth "tor$t" "up$l" "10.2.$t.$((base + 1))/30" "l$p$l" "dn$t" "10.2.$t.$((base + 2))/30"
      ip -n "$(ns "l$p$l")" route add "10.1.$t.0/24" via "10.2.$t.$((base + 1))"
    done
    tor_uplink_route $t
  done
  for p in 1 2; do for l in 1 2; do
    for s in 1 2; do
      local base=$(( 4 * (s - 1) ))
      veth "l$p$l" "up$s" "10.3.$((10 * p + l)).$((base + 1))/30" "sp$s" "dn$p$l" "10.3.$((10 * p + l)).$((base + 2))/30"
    done
    ip -n "$(ns "l$p$l")" route add 10.1.0.0/16 nexthop via "10.3.$((10 * p + l)).2" nexthop via "10.3.$((10 * p + l)).6"
  done; done
  for s in 1 2; do
    local base=$(( 4 * (s - 1) + 1 ))
    for t in 1 2 3 4; do
      local p; p=$(podset_of $t)
      ip -n "$(ns "sp$s")" route add "10.1.$t.0/24" nexthop via "10.3.$((10 * p + 1)).$base" nexthop via "10.3.$((10 * p + 2)).$base"
    done
  done
}

# ---------------------------------------------------------------------------------------------
# Pingmesh: the controller serves pinglists from a topology file (its plan: every server probes
# its ToR neighbour and the server in its position under every other ToR, over TCP, each pair
# every 10 s, 500 ms timeout so a dropped SYN is a loss, not a 1 s retransmission); the collector
# stores into SQLite and analyses each settled minute; agents label themselves with their place.
# ---------------------------------------------------------------------------------------------
write_topology() {
  {
    echo "settings: {interval: 10s, timeout: 500ms}"
    echo "probe: {kind: tcp}"
    echo "datacenters:"
    echo "  - name: dc1"
    echo "    podsets:"
    for p in 1 2; do
      echo "      - name: ps$p"
      echo "        pods:"
      for t in $((2 * p - 1)) $((2 * p)); do
        echo "          - {name: tor$t, tor: tor$t, servers: [{name: s$((2 * t - 1)), ipv4: $(server_ip $((2 * t - 1)))}, {name: s$((2 * t)), ipv4: $(server_ip $((2 * t)))}]}"
      done
    done
  } >"$WORK/topology.yaml"
}

start() {  # start NAMESPACE LOG ARGS...: a pingmesh process in a namespace, stopped on exit
  local namespace=$1 log=$2
  shift 2
  ip netns exec "$(ns "$namespace")" "$BIN" "$@" >"$WORK/$log" 2>&1 &
  PIDS+=($!)
  NAMES+=("${log%.log}")
}

api() { ip netns exec "$(ns mg)" curl -sf --max-time 5 "http://$MGMT:$1"; }

wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local deadline=$(( $(date +%s) + $1 )) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what"
    sleep 1
  done
}

start_pingmesh() {
  write_topology
  start mg controller.log controller --topology "$WORK/topology.yaml" --listen "$MGMT:9310" --log-level warning
  start mg collector.log collector --store "sqlite:$WORK/results.db" --listen "$MGMT:9320" --rollup-interval 5 --log-level notice
  wait_for 60 "setup: the controller never answered on $MGMT:9310" api 9310/healthz
  wait_for 60 "setup: the collector never answered on $MGMT:9320" api 9320/healthz
  for k in 1 2 3 4 5 6 7 8; do
    local t address
    t=$(tor_of $k); address=$(server_ip $k)
    start "s$k" "agent-s$k.log" agent --name "s$k" --labels "dc=dc1,podset=ps$(podset_of "$t"),pod=tor$t,tor=tor$t" \
      --controller "http://$MGMT:9310" --collector "http://$MGMT:9320" --pull-period 5s --window 10 \
      --advertise "$address" --source-address "$address" --listen "0.0.0.0:9300" --tcp-listen "$address:9301" \
      --udp-listen "$address:9302" --spool-dir "$WORK/spool/s$k" --log-level warning
  done
}

# Every server reaches every other over the fabric (a real TCP handshake with its agent), before
# any fault: a wiring mistake fails here, not as a wrong incident later.
check_fabric() {
  for k in 1 2 3 4 5 6 7 8; do
    wait_for 30 "setup: the agent of s$k never listened on $(server_ip $k):9301" \
      ip netns exec "$(ns "s$k")" "$BIN" probe tcp "$(server_ip $k):9301" --timeout 1s
  done
  for k in 1 2 3 4 5 6 7 8; do for j in 1 2 3 4 5 6 7 8; do
    [ "$k" -eq "$j" ] && continue
    ip netns exec "$(ns "s$k")" "$BIN" probe tcp "$(server_ip $j):9301" --timeout 1s >/dev/null 2>&1 \
      || fail "setup: s$k cannot reach s$j ($(server_ip $j)) over the fabric"
  done; done
  echo "lab: $(date -u +%T) fabric up, every server reaches every other"
}

# ---------------------------------------------------------------------------------------------
# Incidents, as GET /v1/incidents gives them: one tab-separated line each,
# id state kind scope confidence bad_pairs pairs started_at.
# ---------------------------------------------------------------------------------------------
cat >"$WORK/incidents.py" <<'EOF'
import json, sys
doc = json.load(sys.stdin)
if sys.argv[1] == "through":
    print(doc.get("analyzed_through") or 0)
else:
    for i in doc["incidents"]:
        e = i["evidence"]
        print("\t".join(str(x) for x in (i["id"], i["state"], i["kind"], i["scope"], "%.2f" % i["confidence"], e["bad_pairs"], e["pairs"], i["started_at"])))
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

# scenario NAME FAULT EXPECTED-SCOPE EXPECTED-KIND INJECT REMOVE
scenario() {
  local name=$1 fault=$2 scope=$3 kind=$4 inject=$5 remove=$6
  echo
  echo "== $name: $fault; expecting '$scope' ($kind)"
  wait_clean "$name" "$LAST_CLEAN"
  local injected; injected=$(date +%s)
  $inject
  echo "   injected at $(date -u +%H:%M:%S)"
  local rows row="" named="" deadline=$(( injected + DETECT_TIMEOUT ))
  while :; do
    rows=$(incidents open | awk -F'\t' -v s="$scope" '$4 == s') || rows=""
    # The minute the fault began in holds it for part of the minute only: the component may be
    # named with a weaker kind (packet loss before black hole) first.
    if [ -n "$rows" ] && [ -z "$named" ]; then
      named=$(( $(date +%s) - injected ))
      echo "   '$scope' named after ${named}s as $(cut -f3 <<<"$rows" | paste -sd, -)"
    fi
    row=$(awk -F'\t' -v k="$kind" '$3 == k { print; exit }' <<<"$rows")
    [ -n "$row" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      $remove || true
      fail "$name: no open incident named '$scope' ($kind) within ${DETECT_TIMEOUT}s of the fault; open incidents:
$(incidents open || true)"
    fi
    sleep 3
  done
  local detected=$(( $(date +%s) - injected ))
  local id confidence bad pairs
  IFS=$'\t' read -r id _ _ _ confidence bad pairs _ <<<"$row"
  echo "   $kind after ${detected}s: confidence $confidence, $bad of $pairs pairs bad (incident $id)"
  # Anything else opened since the fault began is printed: the table shows it too.
  local others
  others=$(incidents all | awk -F'\t' -v id="$id" -v since="$(( injected / 60 * 60 ))" \
    '$1 != id && $8 >= since { print $4 " (" $3 ")" }' | sort -u | paste -sd ';' -) || others="(collector unreachable)"
  [ -z "$others" ] || echo "   also opened: $others"

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
  SUMMARY+=("$name|$fault|$scope ($kind)|$kind, conf $confidence, $bad/$pairs pairs|${named}s|${detected}s|${resolved}s|${others:--}")
}

nft_in() { ip netns exec "$(ns "$1")" nft -f -; }

# 1. Random drops on one spine: every forwarded packet in sp1, whichever way.
spine_drops_on() {
  nft_in sp1 <<EOF
table inet pmlab {
  chain forward {
    type filter hook forward priority 0; policy accept;
    numgen random mod 100 < $SPINE_DROP_PERCENT drop
  }
}
EOF
}
spine_drops_off() { ip netns exec "$(ns sp1)" nft delete table inet pmlab; }

# 2. A black hole for some address pairs on tor1 (as a bad forwarding entry would): s1 with s3
#    and s5, s2 with s8, both ways. Each pair is one the plan probes; each server keeps peers it
#    reaches, so no server is unreachable, and the far ends differ, so only tor1 explains them.
tor_black_hole_on() {
  nft_in tor1 <<EOF
table inet pmlab {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip saddr $(server_ip 1) ip daddr { $(server_ip 3), $(server_ip 5) } drop
    ip daddr $(server_ip 1) ip saddr { $(server_ip 3), $(server_ip 5) } drop
    ip saddr $(server_ip 2) ip daddr $(server_ip 8) drop
    ip daddr $(server_ip 2) ip saddr $(server_ip 8) drop
  }
}
EOF
}
tor_black_hole_off() { ip netns exec "$(ns tor1)" nft delete table inet pmlab; }

# 3. s6's port on tor3 down: its agent still uploads over management, nobody reaches it.
server_link_down() { ip -n "$(ns tor3)" link set p6 down; }
server_link_up() { ip -n "$(ns tor3)" link set p6 up; }

# 4. Both uplinks of tor4 down: its servers reach each other and nothing else.
tor_uplinks_down() { for l in 1 2; do ip -n "$(ns tor4)" link set "up$l" down; done; }
tor_uplinks_up() {
  for l in 1 2; do ip -n "$(ns tor4)" link set "up$l" up; done
  # Taking a device down flushes the static routes over it; a routing protocol would relearn them.
  tor_uplink_route 4
}

main() {
  echo "lab: $(date -u +%T) $BIN, namespaces $P*, logs in $WORK"
  build_fabric
  start_pingmesh
  check_fabric
  # The baseline is the minute the fabric was checked in: every agent was up and probing.
  LAST_CLEAN=$(( $(date +%s) / 60 * 60 ))
  echo "lab: $(date -u +%T) waiting for the analysis of the $(date -u -d "@$LAST_CLEAN" +%H:%M) window"

  scenario "1 spine drops" "${SPINE_DROP_PERCENT}% random drops on spine sp1" "spine tier of dc1" packet-loss spine_drops_on spine_drops_off
  scenario "2 ToR black hole" "tor1 drops s1<->s3, s1<->s5, s2<->s8" "ToR tor1 (podset ps1)" black-hole tor_black_hole_on tor_black_hole_off
  scenario "3 server link" "s6's ToR port down" "server s6" server-unreachable server_link_down server_link_up
  scenario "4 ToR uplinks" "both uplinks of tor4 down" "ToR tor4 (podset ps2)" black-hole tor_uplinks_down tor_uplinks_up

  echo
  echo "lab results per fault ($(( ($(date +%s) - STARTED) / 60 )) min $(( ($(date +%s) - STARTED) % 60 )) s wall time):"
  {
    echo "scenario|injected fault|expected (kind)|named|detect|as kind|resolve|also opened"
    printf '%s\n' "${SUMMARY[@]}"
  } | python3 -c '
import sys
rows = [line.rstrip("\n").split("|") for line in sys.stdin]
widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
'
}

main
