#!/usr/bin/env bash
# The demo: installs what is missing, builds `ward` and `wardd`, and shows two Linux hosts —
# two network namespaces joined by a virtual cable — told in netsh syntax to require IPsec
# (examples/two-hosts.txt), talking only through ESP:
#
#  1. each host's policy store is written by `ward -f` from the netsh script;
#  2. `wardd` starts on each host; a ping makes host A negotiate IKE (Main Mode + Quick Mode,
#     preshared key) with host B, as Windows Server 2003 would: 3DES, SHA-1, DH group 2;
#  3. a 10 MB file crosses over TCP and its SHA-256 is compared at the other end;
#  4. `ward ipsec dynamic show` prints the SAs and the statistics the traffic moved;
#  5. a capture taken on the cable shows that only ESP and IKE crossed it;
#  6. the policy switches to today's choice (AES-GCM, AES/SHA-256/DH group 14) with two
#     `ward ipsec static set` commands; the agents restart with it and renegotiate;
#  7. host A's web console (`wardd --console`): its login URL and a few of its /metrics.
#
# Everything it creates (namespaces, agents, files under /tmp) is removed at the end, also when
# interrupted. Needs root (namespaces, TUN devices, nftables).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
scripts/setup.sh
swift build --product ward
swift build --product wardd
bin="$(swift build --show-bin-path)"
work=$(mktemp -d /tmp/ward-demo.XXXXXX)
A=wdemo$$a B=wdemo$$b
pids=()

cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in $A $B; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

title() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
# Prints a command as an administrator would type it on host A or B, then runs it there.
on() {
  local host=$1; shift
  local ns=$A; [ "$host" = B ] && ns=$B
  printf '\n\033[1m%s$' "$host"; printf ' %q' "${@}" | sed "s|$bin/||g"; printf '\033[0m\n'
  WARD_SOCKET="$work/$host.sock" WARD_STORE="$work/$host.db" ip netns exec "$ns" "$@"
}

title "Two hosts on one cable: A 10.77.1.1, B 10.77.1.2"
ip netns add $A; ip netns add $B
ip -n $A link set lo up; ip -n $B link set lo up
ip link add v0 netns $A type veth peer name v0 netns $B
ip -n $A addr add 10.77.1.1/24 dev v0; ip -n $B addr add 10.77.1.2/24 dev v0
ip -n $A link set v0 up; ip -n $B link set v0 up

title "The policy, in netsh syntax (examples/two-hosts.txt), written to each host's store"
grep -v '^#' examples/two-hosts.txt | sed '/^$/d'
for host in A B; do on $host "$bin/ward" -f examples/two-hosts.txt; done
on A "$bin/ward" ipsec static show rule all policy="Lab Isolation" format=table

start_agents() {
  for host in A B; do
    local ns=$A; [ "$host" = B ] && ns=$B
    local console=(); [ "$host" = A ] && console=(--console 127.0.0.1:8843)
    ip netns exec "$ns" "$bin/wardd" --foreground --store "$work/$host.db" --socket "$work/$host.sock" --config "$work/$host.json" \
      "${console[@]}" > "$work/$host.log" 2>&1 &
    pids+=($!)
  done
  for host in A B; do
    for _ in $(seq 100); do
      WARD_SOCKET="$work/$host.sock" "$bin/ward" ipsec dynamic show config > /dev/null 2>&1 && break
      sleep 0.1
    done
  done
}

stop_agents() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

traffic() {
  title "Traffic: ping, then a 10 MB file over TCP (SHA-256 compared)"
  on A ping -c 3 -i 0.3 10.77.1.2
  head -c 10000000 /dev/urandom > "$work/file"
  ip netns exec $B python3 Tests/Agent/traffic.py serve 10.77.1.2 9000 30 > "$work/received" &
  local server=$!
  sleep 0.5
  ip netns exec $A python3 -c "
import socket, sys
data = open('$work/file', 'rb').read()
c = socket.create_connection(('10.77.1.2', 9000), timeout=30); c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1)"
  wait $server
  local sent received
  sent=$(sha256sum < "$work/file" | cut -d' ' -f1); received=$(cut -d' ' -f2 < "$work/received")
  echo "sent     10000000 bytes, SHA-256 $sent"
  echo "received $(cut -d' ' -f1 < "$work/received") bytes, SHA-256 $received"
  [ "$sent" = "$received" ] && echo "=> identical" || { echo "=> DIFFERENT"; exit 1; }
}

title "Starting wardd on both hosts, with a capture on the cable"
ip netns exec $B dumpcap -q -i v0 -w "$work/wire.pcapng" > /dev/null 2>&1 &
capture=$!
sleep 1
start_agents
grep -h "event=started" "$work/A.log" "$work/B.log" | sed 's/^<[0-9]>//'
traffic
on A "$bin/ward" ipsec dynamic show mmsas
on A "$bin/ward" ipsec dynamic show qmsas
on B "$bin/ward" ipsec dynamic show stats type=ipsec
on A "$bin/ward" ipsec dynamic show stats type=ike

title "Telnet from B to A is blocked by policy"
ip netns exec $A python3 Tests/Agent/traffic.py listen 10.77.1.1 23 3 &
listener=$!
sleep 0.5
on B python3 Tests/Agent/traffic.py connect 10.77.1.1 23 || true
wait $listener
on A "$bin/ward" ipsec dynamic show stats type=ipsec | grep -E "Inbound Blocked"

sleep 1; kill $capture; wait $capture 2>/dev/null || true
title "What crossed the cable (tshark on the capture)"
tshark -r "$work/wire.pcapng" -q -z io,phs 2>/dev/null | sed -n '/^eth/,$p' | grep -v "^=" || true
clear=$(tshark -r "$work/wire.pcapng" -Y 'ip && !esp && !isakmp && !(udp.port==4500)' 2>/dev/null | wc -l)
echo "IP packets between A and B that were neither ESP nor IKE: $clear"
[ "$clear" = 0 ] || { echo "=> clear text crossed the wire"; exit 1; }

title "Today's choice: AES — two set commands on each host's store, agents restarted"
stop_agents
for host in A B; do
  on $host "$bin/ward" ipsec static set filteraction name="Lab Require Security" qmsecmethods="ESP[AES-GCM128,None]:3600s ESP[AES128,SHA1]:3600s"
  on $host "$bin/ward" ipsec static set policy name="Lab Isolation" mmsecmethods="AES128-SHA256-14 AES128-SHA1-14"
done
start_agents
traffic
on A "$bin/ward" ipsec dynamic show qmsas
grep -h "transform=" "$work/A.log" | sed 's/^<[0-9]>//'

title "Host A's web console (wardd --console 127.0.0.1:8843) and its metrics"
WARD_SOCKET="$work/A.sock" "$bin/ward" console url
echo "(the IP Security Monitor, the policy, RSoP and a trace form; from inside A: ip netns exec $A …)"
ip netns exec $A curl -s -H "Authorization: Bearer $(cat "$work/console-readonly.token")" http://127.0.0.1:8843/metrics \
  | grep -E '^ward_ipsec_packets_total\{direction="outbound",result="protected"\}|^ward_ike_negotiations_total|^ward_ipsec_sa_bytes_total' || true

title "Done: namespaces, agents and files are removed"
