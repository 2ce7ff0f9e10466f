#!/usr/bin/env bash
# The multi-host lab, three tiers: network namespaces wired as a small Clos fabric (ToR, leaf,
# spine), a real agent per server, a controller and a collector, then real faults (nftables
# drops, links set down); each must make the collector open an incident naming the faulty
# component.
#
#   bash Tests/Lab/run-lab.sh [PATH-TO-pingmesh]     (default .build/debug/pingmesh; root)
#
# Exits 0 when every scenario's incident names its component, 1 naming the scenario that did
# not; without root, ip, nft, curl or python3 it prints "skipped: <reason>" and exits 77, or
# fails under CI (CI=true). Tests/Lab/README.md draws the fabric and says what each scenario
# asserts; Tests/Lab/lib.sh holds what both fabrics' labs share.
set -euo pipefail

BIN=${1:-.build/debug/pingmesh}
LAB_NAME=lab
LAB_PREFIX=lab
SPINE_DROP_PERCENT=${LAB_SPINE_DROP_PERCENT:-10}
# shellcheck source=Tests/Lab/lib.sh
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------------------------------------
# The fabric. 1 DC, podsets ps1 (tor1, tor2) and ps2 (tor3, tor4), leaves l1 and l2 per podset,
# spines sp1 and sp2, servers s1..s8 two per ToR. Addresses:
#   server k under ToR t:      10.1.t.(11|12)/24 on the ToR's bridge "rack" (gateway 10.1.t.1)
#   ToR t - leaf l of its podset:   10.2.t.(4(l-1))/30, ToR +1, leaf +2
#   leaf l of podset p - spine s:   10.3.(10p+l).(4(s-1))/30, leaf +1, spine +2
#   management: bridge "mgmt" in namespace mg, 172.31.0.1 (controller, collector), server k .(10+k)
# ---------------------------------------------------------------------------------------------
tor_of() { echo $(( ($1 + 1) / 2 )); }        # server k -> ToR
podset_of() { echo $(( ($1 + 1) / 2 )); }     # ToR t -> podset
server_ip() { echo "10.1.$(tor_of "$1").$(( 11 + ($1 + 1) % 2 ))"; }
MGMT=172.31.0.1

tor_uplink_route() {  # the ToR's way to every other rack: both leaves of its podset
  ip -n "$(ns "tor$1")" route replace 10.1.0.0/16 nexthop via "10.2.$1.2" nexthop via "10.2.$1.6"
}

build_fabric() {
  add_ns mg
  ip -n "$(ns mg)" link add mgmt type bridge
  ip -n "$(ns mg)" addr add "$MGMT/24" dev mgmt
  ip -n "$(ns mg)" link set mgmt up
  for s in 1 2; do add_ns "sp$s"; router "sp$s" 0x0033; done
  for p in 1 2; do for l in 1 2; do add_ns "l$p$l"; router "l$p$l" 0x0030; done; done
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

# 1. Random drops on one spine: every forwarded packet in sp1, whichever way.
spine_drops_on() { nft_forward sp1 "numgen random mod 100 < $SPINE_DROP_PERCENT drop"; }
spine_drops_off() { nft_clear sp1; }

# 2. A black hole for some address pairs on tor1 (as a bad forwarding entry would): s1 with s3
#    and s5, s2 with s8, both ways. Each pair is one the plan probes; each server keeps peers it
#    reaches, so no server is unreachable, and the far ends differ, so only tor1 explains them.
tor_black_hole_on() {
  mapfile -t rules < <(both_ways "$(server_ip 1)" "$(server_ip 3)" "$(server_ip 5)"; both_ways "$(server_ip 2)" "$(server_ip 8)")
  nft_forward tor1 "${rules[@]}"
}
tor_black_hole_off() { nft_clear tor1; }

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
  check_fabric 8
  # The baseline is the minute the fabric was checked in: every agent was up and probing.
  LAST_CLEAN=$(( $(date +%s) / 60 * 60 ))
  echo "lab: $(date -u +%T) waiting for the analysis of the $(date -u -d "@$LAST_CLEAN" +%H:%M) window"

  scenario "1 spine drops" "${SPINE_DROP_PERCENT}% random drops on spine sp1" "spine tier of dc1" packet-loss spine_drops_on spine_drops_off
  scenario "2 ToR black hole" "tor1 drops s1<->s3, s1<->s5, s2<->s8" "ToR tor1 (podset ps1)" black-hole tor_black_hole_on tor_black_hole_off
  scenario "3 server link" "s6's ToR port down" "server s6" server-unreachable server_link_down server_link_up
  scenario "4 ToR uplinks" "both uplinks of tor4 down" "ToR tor4 (podset ps2)" black-hole tor_uplinks_down tor_uplinks_up

  print_summary
}

main
