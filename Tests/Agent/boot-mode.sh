#!/usr/bin/env bash
# The boot-time filter with no agent running (reference c.8), and the kernel datapath's SPD on
# this host's kernel (which has XFRM policies but no ESP). Namespaces H (the host under test,
# 10.77.0.1) and N (a neighbour, 10.77.0.2). A check prints "PASS name" or "FAIL name: why";
# the exit status is the number of failures.
#
#   boot-mode.sh BIN_DIR
#
# Boot modes, each installed by `wardd --boot` from config.json and then probed from both
# sides with no agent running:
#   stateful  H's own pings and TCP connections work (replies come back); N cannot ping H, nor
#             reach TCP 23; N reaches TCP 22, an inbound boot exemption;
#   block     nothing either way, except TCP 22 (exempted inbound, and its replies outbound);
#   permit    everything; no table in the kernel.
# Then: a bootmode that does not parse still leaves the default (stateful) in force and says
# why; starting wardd puts the persistent store's policy in force before the local one, and
# removes the boot table once its policy is in force.
# Kernel SPD (`wardd --datapath kernel`): the filter table is in the kernel; after SIGKILL the
# policies stay and H's pings to N leave no clear packet on the wire; a restarted agent adopts
# them (no duplicates); an orderly stop removes them.
set -uo pipefail
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
P=wb$$
H=${P}h N=${P}n
OUT=/tmp/ward-boot-mode/$P
mkdir -p "$OUT"
. "$here/lib.sh"
wardd_pid= listener_pids=()

cleanup() {
  [ -n "$wardd_pid" ] && { kill "$wardd_pid" 2>/dev/null; sleep 0.5; kill -9 "$wardd_pid" 2>/dev/null; }
  for pid in "${listener_pids[@]}"; do kill "$pid" 2>/dev/null; done
  wardd_pid= listener_pids=()
  remove_namespaces $H $N
}
trap 'cleanup; [ $failures = 0 ] && rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

two_hosts $H hv 10.77.0.1/24 $N nv 10.77.0.2/24
for port in 22 23; do
  nsx $H python3 "$here/traffic.py" listen 10.77.0.1 $port 600 & listener_pids+=($!)
done
nsx $N python3 "$here/traffic.py" listen 10.77.0.2 80 600 & listener_pids+=($!)
sleep 0.5

ping_ok() { nsx "$1" ping -n -c 1 -W 1 "$2" > /dev/null 2>&1; }
tcp() { nsx "$1" python3 "$here/traffic.py" connect "$2" "$3"; }

# boot MODE EXEMPTIONS: config.json as `set config` writes it, then `wardd --boot`.
boot() {
  cat > "$OUT/ward.json" <<JSON
{"ipsecdiagnostics":0,"ikelogging":0,"strongcrlcheck":1,"ipsecloginterval":3600,"ipsecexempt":3,"bootmode":"$1","bootexemptions":"$2"}
JSON
  nsx $H "$bin/wardd" --boot --config "$OUT/ward.json" > "$OUT/boot.log" 2>&1
}

expect() {  # expect NAME yes|no COMMAND...
  local name=$1 want=$2; shift 2
  local got=no
  "$@" && got=yes
  [ "$got" = "$want" ] && pass "$name" || fail "$name" "expected $want, got $got"
}
open() { [ "$(tcp "$@")" = open ]; }

echo "== stateful"
boot stateful "tcp:0:22:inbound" || fail "stateful: wardd --boot" "$(cat "$OUT/boot.log")"
nsx $H nft list table inet ward-boot > /dev/null 2>&1 && pass "stateful: the boot table is in the kernel with no agent running" || fail "stateful: table" "missing"
expect "stateful: H pings N (the reply is part of H's flow)" yes ping_ok $H 10.77.0.2
expect "stateful: H connects to N's TCP 80" yes open $H 10.77.0.2 80
expect "stateful: N cannot ping H" no ping_ok $N 10.77.0.1
expect "stateful: N cannot reach H's TCP 23" no open $N 10.77.0.1 23
expect "stateful: N reaches H's TCP 22 (bootexemptions tcp:0:22:inbound)" yes open $N 10.77.0.1 22
expect "stateful: H reaches itself over loopback" yes ping_ok $H 127.0.0.1

echo "== block"
boot block "tcp:0:22:inbound tcp:22:0:outbound" || fail "block: wardd --boot" "$(cat "$OUT/boot.log")"
expect "block: H cannot ping N" no ping_ok $H 10.77.0.2
expect "block: H cannot connect to N's TCP 80" no open $H 10.77.0.2 80
expect "block: N cannot ping H" no ping_ok $N 10.77.0.1
expect "block: N reaches H's TCP 22 (exempted inbound, replies exempted outbound)" yes open $N 10.77.0.1 22
expect "block: N cannot reach H's TCP 23" no open $N 10.77.0.1 23

echo "== permit"
boot permit none || fail "permit: wardd --boot" "$(cat "$OUT/boot.log")"
nsx $H nft list table inet ward-boot > /dev/null 2>&1 && fail "permit: table" "a boot table is still there" || pass "permit: no boot table"
expect "permit: N pings H" yes ping_ok $N 10.77.0.1
expect "permit: N reaches H's TCP 23" yes open $N 10.77.0.1 23

echo "== bad value"
if boot sideways none; then fail "bad bootmode" "wardd --boot accepted 'sideways'"; else
  grep -q "bootmode" "$OUT/boot.log" && pass "bad bootmode: refused, naming bootmode ($(grep -o "reason=.*" "$OUT/boot.log" | head -1))" || fail "bad bootmode" "$(cat "$OUT/boot.log")"
fi
expect "bad bootmode: the default (stateful) is in force anyway: N cannot ping H" no ping_ok $N 10.77.0.1
expect "bad bootmode: H still pings N" yes ping_ok $H 10.77.0.2

echo "== agent takes over"
boot stateful none
# The persistent store blocks telnet from H; the local store secures H ↔ N.
cat > "$OUT/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
set store location=persistent
add filterlist name="Telnet"
add filter filterlist="Telnet" srcaddr=me dstaddr=any protocol=TCP srcport=23
add filteraction name="Drop" action=block
add policy name="Persistent" assign=yes
add rule name="Telnet" policy="Persistent" filterlist="Telnet" filteraction="Drop"
set store location=local
add filterlist name="Neighbour"
add filter filterlist="Neighbour" srcaddr=me dstaddr=10.77.0.2
add filteraction name="Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Boot" mmsecmethods="AES128-SHA1-14"
add rule name="Neighbour" policy="Boot" filterlist="Neighbour" filteraction="Secure" psk="boot-mode-psk" kerberos=no
set policy name="Boot" assign=yes
set batch mode=disable
popd
POLICY
"$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || fail "policy" "ward -f refused it"
start_wardd() {
  ip netns exec $H "$bin/wardd" --foreground --datapath "$1" --store "$OUT/ward.db" --socket "$OUT/ward.sock" --config "$OUT/ward.json" >> "$OUT/wardd.log" 2>&1 &
  wardd_pid=$!
  for _ in $(seq 100); do WARD_SOCKET="$OUT/ward.sock" nsx $H timeout 5 "$bin/ward" ipsec dynamic show config > /dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
start_wardd kernel || fail "wardd --datapath kernel" "did not start: $(tail -3 "$OUT/wardd.log")"
nsx $H nft list table inet ward-boot > /dev/null 2>&1 && fail "agent: boot table" "still there after the agent started" \
  || pass "agent: wardd removed the boot table once its policy was in force"
grep -q "boot-time filter removed" "$OUT/wardd.log" && pass "agent: the log says so" || fail "agent: log" "$(cat "$OUT/wardd.log")"
grep -n "policy applied\|persistent policy in force" "$OUT/wardd.log" | head -3 | tr '\n' ' ' > "$OUT/order.txt"
grep -q 'policies="Persistent (persistent)".*persistent policy in force.*policies="Persistent (persistent), Boot (local)"' "$OUT/order.txt" \
  && pass "agent: the persistent policy went in force first, then the local one joined" || fail "agent: startup order" "$(cat "$OUT/order.txt")"

echo "== kernel SPD on this host"
spd() { nsx $H ip xfrm policy; }
before=$(spd | grep -c "^src")
spd | grep -A3 "src 10.77.0.1/32 dst 10.77.0.2/32" | ward_template transport \
  && pass "kernel: H→N negotiates (an ESP template with Ward's reqid)" || fail "kernel: negotiate policy" "$(spd | head -20)"
spd | grep -A1 "proto tcp sport 23" | has "action block" && pass "kernel: telnet from H is an XFRM block policy" || fail "kernel: block policy" "$(spd | grep -A1 'sport 23')"
spd | has "proto udp sport 500" && pass "kernel: IKE is exempt ahead of the filters" || fail "kernel: IKE exemption" "no UDP 500 policy"
kill -9 "$wardd_pid"; wait "$wardd_pid" 2>/dev/null; wardd_pid=
[ "$(spd | grep -c "^src")" = "$before" ] && pass "kernel: after SIGKILL the $before policies stay in the kernel" || fail "kernel: after SIGKILL" "$(spd | grep -c '^src') of $before policies"
nsx $N dumpcap -q -i nv -a duration:5 -w "$OUT/wire.pcapng" > /dev/null 2>&1 &
capture=$!
sleep 1.5
nsx $H ping -n -c 3 -i 0.3 -W 1 10.77.0.2 > /dev/null 2>&1
tcp $H 10.77.0.2 80 > /dev/null
wait $capture
clear=$(tshark -r "$OUT/wire.pcapng" -Y "ip.src == 10.77.0.1 && (icmp.type == 8 || tcp.flags.syn == 1)" 2>/dev/null | wc -l)
[ "$clear" = 0 ] && pass "kernel: with the agent dead, H's pings and TCP to N leave no clear packet on the wire" || fail "kernel: leak" "$clear clear packets"
start_wardd kernel || fail "kernel: restart" "$(tail -3 "$OUT/wardd.log")"
grep -q "adopted_policies=$before" "$OUT/wardd.log" && [ "$(spd | grep -c "^src")" = "$before" ] \
  && pass "kernel: the restarted agent adopted the $before policies in place (no window, no duplicates)" \
  || fail "kernel: adoption" "$(grep -o 'adopted_policies=[0-9]*' "$OUT/wardd.log" | tail -1), $(spd | grep -c '^src') policies"
kill "$wardd_pid"; wait "$wardd_pid" 2>/dev/null; wardd_pid=
[ -z "$(spd)" ] && pass "kernel: an orderly stop removes Ward's policies" || fail "kernel: orderly stop" "$(spd | head -4)"

cleanup
echo "boot mode: $failures failure(s)"
exit $failures
