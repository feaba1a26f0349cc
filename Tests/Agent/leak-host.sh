#!/usr/bin/env bash
# The leak test on this host's default steering (nftables) with the userspace datapath: two
# `wardd` in namespaces A (10.77.0.1) and B (10.77.0.2) secure everything between them; a
# numbered UDP stream A → B runs while A's agent is killed with SIGKILL and restarted three
# times. A capture on B's side must hold 0 clear datagrams of the stream, ESP must flow, and
# B must see the stream resume. (The same test for both datapaths inside a kernel with ESP:
# kernel-agent.sh, cases leak-kernel and leak-userspace.) "PASS name" / "FAIL name: why";
# the exit status is the number of failures.
#
#   leak-host.sh BIN_DIR
set -uo pipefail
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
P=wl$$
A=${P}a B=${P}b
OUT=/tmp/ward-leak-host/$P
mkdir -p "$OUT"
. "$here/lib.sh"
a_pid= b_pid= capture= stream= sink=

cleanup() {
  local pid
  for pid in $a_pid $b_pid $capture $stream $sink; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  remove_namespaces $A $B
}
trap 'cleanup; [ $failures = 0 ] && rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

two_hosts $A va 10.77.0.1/24 $B vb 10.77.0.2/24

for side in a b; do
  peer=10.77.0.2; [ $side = b ] && peer=10.77.0.1
  cat > "$OUT/$side.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=$peer
add filteraction name="Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Leak" mmsecmethods="AES128-SHA1-2"
add rule name="Peer" policy="Leak" filterlist="Peer" filteraction="Secure" psk="leak-test-psk" kerberos=no
set policy name="Leak" assign=yes
set batch mode=disable
popd
POLICY
  "$bin/ward" --store "$OUT/$side.db" -f "$OUT/$side.txt" || fail setup "ward -f refused the policy"
done

dyn() { WARD_SOCKET="$OUT/$1.sock" ip netns exec "$2" timeout 5 "$bin/ward" ipsec dynamic "${@:3}"; }
start() {  # side namespace
  ip netns exec "$2" "$bin/wardd" --foreground --store "$OUT/$1.db" --socket "$OUT/$1.sock" --config "$OUT/$1.json" >> "$OUT/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do dyn "$1" "$2" show config > /dev/null 2>&1 && break; sleep 0.1; done
  echo $pid
}
b_pid=$(start b $B)
a_pid=$(start a $A)
grep -q "steering=nftables" "$OUT/a.log" && pass "the agents steer with nftables on this host" || fail "steering" "$(grep -o 'steering=[a-z]*' "$OUT/a.log")"

ip netns exec $B dumpcap -q -i vb -f "udp port 9999 or esp" -w "$OUT/leak.pcapng" > "$OUT/dumpcap.log" 2>&1 &
capture=$!
ip netns exec $B python3 "$here/traffic.py" sink 10.77.0.2 9999 300 > "$OUT/sink.txt" &
sink=$!
sleep 1.5
ip netns exec $A python3 "$here/traffic.py" stream 10.77.0.2 9999 300 100 > "$OUT/stream.txt" &
stream=$!
sleep 5
for round in 1 2 3; do
  kill -9 "$a_pid"; wait "$a_pid" 2>/dev/null
  sleep 2
  started=$(date +%s%N)
  a_pid=$(start a $A)
  resumed=
  for _ in $(seq 200); do dyn a $A show qmsas 2>/dev/null | has "Quick Mode SA #1" && { resumed=$(( ($(date +%s%N) - started) / 1000000 )); break; }; sleep 0.1; done
  [ -n "$resumed" ] && pass "after SIGKILL $round the restarted agent has an SA again ($resumed ms from restart)" || fail "restart $round" "no SA 20 s after the restart"
  sleep 3
done
sleep 5
kill -TERM $stream; wait $stream; stream=
sleep 1
kill -TERM $sink; wait $sink; sink=
kill $capture; wait $capture 2>/dev/null; capture=
clear=$(tshark -r "$OUT/leak.pcapng" -Y "udp.dstport == 9999" 2>/dev/null | wc -l)
esp=$(tshark -r "$OUT/leak.pcapng" -Y "esp" 2>/dev/null | wc -l)
read -r received highest tail < "$OUT/sink.txt"
sent=$(cat "$OUT/stream.txt")
[ "$clear" = 0 ] && [ "${esp:-0}" -gt 500 ] && pass "0 clear datagrams of the stream on the wire across 3 SIGKILLs ($esp ESP packets)" \
  || fail "leak" "$clear clear datagrams, $esp ESP packets"
[ "${highest:--1}" -ge $((sent - 5)) ] && [ "${tail:-0}" -ge 450 ] \
  && pass "B sees the stream resume ($received of $sent received, $tail of the last 500)" \
  || fail "stream" "received ${received:-none} of $sent, highest ${highest:-none}, ${tail:-0} of the last 500"
echo "leak (host): $failures failure(s)"
exit $failures
