#!/usr/bin/env bash
# The multi-host lab, two tiers: the most common leaf-spine build, every ToR wired straight to
# both spines, no leaves; 4 ToRs in 2 podsets, 3 servers each, a real agent per server on the
# default probe settings (10 s interval, 2 s timeout, so a lost SYN is resent after 1 s), a
# controller and a collector on a management network. Real faults (nftables drops, links and
# servers taken down) must each open an incident naming the component and, from the traceroutes
# of the failing 5-tuples, the device or link; a server shut down must open no network incident,
# and a healthy fabric nothing at all.
#
#   bash Tests/Lab/run-lab-two-tier.sh [PATH-TO-pingmesh]     (default .build/debug/pingmesh; root)
#
# Exits as run-lab.sh does. Tests/Lab/README.md draws the fabric and lists the scenarios.
set -euo pipefail

BIN=${1:-.build/debug/pingmesh}
LAB_NAME=lab-two-tier
LAB_PREFIX=l2t
# shellcheck source=Tests/Lab/lib.sh
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------------------------------------
# The fabric. 1 DC, podsets ps1 (tor1, tor2) and ps2 (tor3, tor4), spines spine1 and spine2,
# servers s1..s12 three per ToR. Addresses:
#   server k under ToR t:   10.1.t.(11|12|13)/24 on the ToR's bridge "rack" (gateway 10.1.t.1)
#   ToR t - spine s:        10.2.t.(4(s-1))/30, ToR +1, spine +2
#   management: bridge "mgmt" in namespace mg, 172.31.0.1 (controller, collector), server k .(10+k)
# ---------------------------------------------------------------------------------------------
SERVERS=12
tor_of() { echo $(( ($1 + 2) / 3 )); }        # server k -> ToR
podset_of() { echo $(( ($1 + 1) / 2 )); }     # ToR t -> podset
server_ip() { echo "10.1.$(tor_of "$1").$(( 11 + ($1 + 2) % 3 ))"; }
MGMT=172.31.0.1

tor_uplink_route() {  # the ToR's way to every other rack: both spines
  ip -n "$(ns "tor$1")" route replace 10.1.0.0/16 nexthop via "10.2.$1.2" nexthop via "10.2.$1.6"
}

build_fabric() {
  add_ns mg
  ip -n "$(ns mg)" link add mgmt type bridge
  ip -n "$(ns mg)" addr add "$MGMT/24" dev mgmt
  ip -n "$(ns mg)" link set mgmt up
  for s in 1 2; do add_ns "spine$s"; router "spine$s" 0x0033; done
  for t in 1 2 3 4; do
    add_ns "tor$t"; router "tor$t"
    ip -n "$(ns "tor$t")" link add rack type bridge
    ip -n "$(ns "tor$t")" addr add "10.1.$t.1/24" dev rack
    ip -n "$(ns "tor$t")" link set rack up
  done
  for k in $(seq $SERVERS); do
    local t; t=$(tor_of $k)
    add_ns "s$k"
    veth "s$k" eth0 "$(server_ip $k)/24" "tor$t" "p$k" ""
    ip -n "$(ns "tor$t")" link set "p$k" master rack
    veth "s$k" m0 "172.31.0.$((10 + k))/24" mg "m$k" ""
    ip -n "$(ns mg)" link set "m$k" master mgmt
    ip -n "$(ns "s$k")" route add 10.1.0.0/16 via "10.1.$t.1"
  done
  for t in 1 2 3 4; do
    for s in 1 2; do
      local base=$(( 4 * (s - 1) ))
      veth "tor$t" "up$s" "10.2.$t.$((base + 1))/30" "spine$s" "dn$t" "10.2.$t.$((base + 2))/30"
      ip -n "$(ns "spine$s")" route add "10.1.$t.0/24" via "10.2.$t.$((base + 1))"
    done
    tor_uplink_route $t
  done
}

# The topology: default probe settings but for three source ports, which a port fault needs to
# show (Pingmesh 5.1: a port bucket that loses every probe); the fabric section says two tiers and
# names every device by its interface addresses, so traceroute hops name devices.
write_topology() {
  {
    echo "settings: {source_ports: '20001-20003'}"
    echo "probe: {kind: tcp}"
    echo "fabric:"
    echo "  tiers: 2"
    echo "  devices:"
    for t in 1 2 3 4; do
      echo "    - {name: tor$t, tier: tor, datacenter: dc1, podset: ps$(podset_of $t), addresses: [10.1.$t.1, 10.2.$t.1, 10.2.$t.5]}"
    done
    for s in 1 2; do
      echo "    - {name: spine$s, tier: spine, datacenter: dc1, addresses: [$(for t in 1 2 3 4; do printf '10.2.%s.%s' $t $((4 * (s - 1) + 2)); [ $t -lt 4 ] && printf ', '; done)]}"
    done
    echo "datacenters:"
    echo "  - name: dc1"
    echo "    podsets:"
    for p in 1 2; do
      echo "      - name: ps$p"
      echo "        pods:"
      for t in $((2 * p - 1)) $((2 * p)); do
        local servers=""
        for k in $((3 * t - 2)) $((3 * t - 1)) $((3 * t)); do servers+="${servers:+, }{name: s$k, ipv4: $(server_ip $k)}"; done
        echo "          - {name: tor$t, tor: tor$t, servers: [$servers]}"
      done
    done
  } >"$WORK/topology.yaml"
}

start_agent() {
  local k=$1 t address
  t=$(tor_of "$k"); address=$(server_ip "$k")
  start "s$k" "agent-s$k.log" agent --name "s$k" --labels "dc=dc1,podset=ps$(podset_of "$t"),pod=tor$t,tor=tor$t" \
    --controller "http://$MGMT:9310" --token-file "$WORK/agent-token" --collector "http://$MGMT:9320" --pull-period 5s --window 10 \
    --advertise "$address" --source-address "$address" --listen "0.0.0.0:9300" --tcp-listen "$address:9301" \
    --udp-listen "$address:9302" --spool-dir "$WORK/spool/s$k" --log-level warning
  AGENT_PID[$k]=${PIDS[-1]}
}

declare -A AGENT_PID
start_pingmesh() {
  write_topology
  write_tokens
  start mg controller.log controller --topology "$WORK/topology.yaml" --tokens "$WORK/tokens.yaml" --listen "$MGMT:9310" \
    --log-level warning
  # --controller: incidents get traceroutes (tasks, an admin operation); --topology: the fabric's
  # shape and device names.
  start mg collector.log collector --store "sqlite:$WORK/results.db" --listen "$MGMT:9320" --rollup-interval 5 \
    --controller "http://$MGMT:9310" --controller-token-file "$WORK/admin-token" --topology "$WORK/topology.yaml" --log-level notice
  wait_for 60 "setup: the controller never answered on $MGMT:9310" api 9310/healthz
  wait_for 60 "setup: the collector never answered on $MGMT:9320" api 9320/healthz
  for k in $(seq $SERVERS); do start_agent "$k"; done
}

# 1, 2. Random drops on spine1: every forwarded packet, whichever way.
spine_drops() { nft_forward spine1 "numgen random mod 1000 < $1 drop"; }
spine_drops_2() { spine_drops 20; }
spine_drops_1() { spine_drops 10; }
spine_drops_off() { nft_clear spine1; }

# 3. The link of tor3 and spine2 down (tor3's side set down; spine2 sees no carrier). tor3 sends
#    everything over spine1 then; spine2 still routes tor3's rack over the dead link.
link_down() { ip -n "$(ns tor3)" link set up2 down; }
link_up() {
  ip -n "$(ns tor3)" link set up2 up
  # Taking a device down flushes the static routes over it; a routing protocol would relearn them.
  tor_uplink_route 3
}

# 4. TCP source port 20001 dropped by spine1 (a bad ACL or hash-bucket entry): the probes of
#    that port that hash onto spine1 are lost, the other ports and spine2 are fine.
port_black_hole_on() { nft_forward spine1 "tcp sport 20001 drop"; }
port_black_hole_off() { nft_clear spine1; }

# 5. A black hole for some address pairs on tor2: s4 with s7 and s10, s5 with s11, both ways.
#    Each is a pair the plan probes (the server in the same position under another ToR); each
#    server keeps peers it reaches, and only tor2 is on every lost pair's path.
tor_black_hole_on() {
  mapfile -t rules < <(both_ways "$(server_ip 4)" "$(server_ip 7)" "$(server_ip 10)"; both_ways "$(server_ip 5)" "$(server_ip 11)")
  nft_forward tor2 "${rules[@]}"
}
tor_black_hole_off() { nft_clear tor2; }

# 6. s9's port on tor3 down: its agent still uploads over management, nobody reaches it.
server_port_down() { ip -n "$(ns tor3)" link set p9 down; }
server_port_up() { ip -n "$(ns tor3)" link set p9 up; }

# 7. s5 shut down in the middle of a minute: its agent killed, its fabric and management ports
#    dark, as a server losing power. The minute it went in must not name its ToR.
server_shutdown() {
  local second; second=$(( $(date +%s) % 60 ))
  # Into the middle third of a minute, so the window it goes down in is a partial one.
  if [ "$second" -lt 20 ] || [ "$second" -gt 40 ]; then sleep $(( (90 - second) % 60 )); fi
  kill -KILL "${AGENT_PID[5]}"
  ip -n "$(ns s5)" link set eth0 down
  ip -n "$(ns s5)" link set m0 down
}
server_boot() {
  ip -n "$(ns s5)" link set eth0 up
  ip -n "$(ns s5)" link set m0 up
  ip -n "$(ns s5)" route replace 10.1.0.0/16 via "10.1.2.1"
  start_agent 5
}

main() {
  echo "$LAB_NAME: $(date -u +%T) $BIN, namespaces $P*, logs in $WORK"
  build_fabric
  start_pingmesh
  check_fabric $SERVERS
  # The baseline is the minute the fabric was checked in: every agent was up and probing.
  LAST_CLEAN=$(( $(date +%s) / 60 * 60 ))
  echo "$LAB_NAME: $(date -u +%T) waiting for the analysis of the $(date -u -d "@$LAST_CLEAN" +%H:%M) window"

  # LAB_SCENARIOS (numbers, space-separated) runs some of them, so that CI can split the list
  # over two fabrics side by side; all by default.
  want() { [ -z "${LAB_SCENARIOS:-}" ] || [[ " $LAB_SCENARIOS " == *" $1 "* ]]; }
  if want 0; then healthy "0 healthy" 300; fi
  if want 1; then scenario "1 spine drops 2%" "2% random drops on spine1" "spine tier of dc1" packet-loss spine_drops_2 spine_drops_off spine1; fi
  if want 2; then scenario "2 spine drops 1%" "1% random drops on spine1" "spine tier of dc1" packet-loss spine_drops_1 spine_drops_off spine1; fi
  if want 3; then
    scenario "3 link down" "link tor3 - spine2 down" "ToR tor3 (podset ps2)" "${LAB_LINK_KIND:-port-black-hole}" link_down link_up "link spine2 - tor3"
  fi
  if want 4; then
    scenario "4 port black hole" "spine1 drops TCP source port 20001" "spine tier of dc1" port-black-hole port_black_hole_on port_black_hole_off spine1
  fi
  if want 5; then
    scenario "5 ToR black hole" "tor2 drops s4<->s7, s4<->s10, s5<->s11" "ToR tor2 (podset ps1)" black-hole tor_black_hole_on tor_black_hole_off tor2
  fi
  if want 6; then scenario "6 server port" "s9's ToR port down" "server s9" server-unreachable server_port_down server_port_up; fi
  if want 7; then
    scenario "7 server shutdown" "s5 powered off mid-minute" "server s5" server-down server_shutdown server_boot "" only-server
  fi

  print_summary
}

main
