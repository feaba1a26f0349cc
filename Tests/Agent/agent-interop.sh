#!/usr/bin/env bash
# The agent end to end: two network namespaces, each running `wardd` with the policy of
# Tests/Agent/policy.txt written in netsh syntax; real traffic between them. A check prints
# "PASS name" or "FAIL name: why"; the exit status is the number of failures.
#
#   agent-interop.sh BIN_DIR [CASE...]      BIN_DIR holds ward and wardd; default: every case
#
# Cases:
#   ward-3des   Ward ↔ Ward, 3DES-SHA1 with DH group 2 (as Windows Server 2003 negotiates)
#   ward-aes    Ward ↔ Ward, AES-GCM-128 ESP under AES-SHA256 with group 14 (today's choice);
#               also bad input, the control socket's refusals, a policy that fails to load,
#               a peer that vanishes and comes back
#   tc          as ward-3des (AES-CBC/SHA-1) with the agents steering packets by policy routing
#               and tc instead of nftables (the mechanism for kernels without nftables' inet
#               and netdev families)
#   rekey       a 60 MB TCP transfer across SAs that rekey every ~18 MB (20480 KB lifetime)
#   dynamic     no stored policy: `ipsec dynamic add mmpolicy/qmpolicy/rule` secure the traffic,
#               `delete rule` puts it back in the clear, errors name their tag, a restart forgets
#
# Every check reads what really happened: ping replies, a SHA-256 of the bytes received, a
# capture on the wire read by tshark, and the counters `ward ipsec dynamic show stats` prints.
set -uo pipefail
bin=$(cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(ward-3des ward-aes tc rekey dynamic)
P=wa$$
A=${P}a B=${P}b
OUT=${WARD_AGENT_OUT:-/tmp/ward-agent}/$P
mkdir -p "$OUT"; chmod 755 "$(dirname "$OUT")" "$OUT"
failures=0
wardd_pid_a= wardd_pid_b= capture_pid=

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

stop_agents() {
  local pid
  for pid in $wardd_pid_a $wardd_pid_b $capture_pid; do kill "$pid" 2>/dev/null; done
  for pid in $wardd_pid_a $wardd_pid_b $capture_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  wardd_pid_a= wardd_pid_b= capture_pid=
}

cleanup() {
  stop_agents
  local ns
  for ns in $A $B; do
    # Whatever still runs inside our namespaces was started by this script.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A ↔ B on one link: 10.77.1.0/24 (the policy's lab network) and 10.77.2.0/24 (in no rule).
topology() {
  local ns
  for ns in $A $B; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
  ip link add v0 netns $A type veth peer name v0 netns $B
  nsx $A ip addr add 10.77.1.1/24 dev v0; nsx $A ip addr add 10.77.2.1/24 dev v0
  nsx $B ip addr add 10.77.1.2/24 dev v0; nsx $B ip addr add 10.77.2.2/24 dev v0
  nsx $A ip -6 addr add fd77:1::1/64 dev v0 nodad; nsx $B ip -6 addr add fd77:1::2/64 dev v0 nodad
  nsx $A ip -6 addr add fd77:2::1/64 dev v0 nodad; nsx $B ip -6 addr add fd77:2::2/64 dev v0 nodad
  nsx $A ip link set v0 up; nsx $B ip link set v0 up
}

# store NAME QMSEC MMSEC: a policy database written by `ward -f` from policy.txt.
store() {
  rm -f "$OUT/$1.db"*
  sed -e "s|@QMSEC@|$2|" -e "s|@MMSEC@|$3|" "$here/policy.txt" > "$OUT/policy-$1.txt"
  "$bin/ward" --store "$OUT/$1.db" -f "$OUT/policy-$1.txt" || { fail "store $1: ward -f refused the policy"; return 1; }
}

# start NAME NS: wardd in the namespace, waiting (10 s at most) for its control socket.
start() {
  local name=$1 ns=$2
  ip netns exec "$ns" "$bin/wardd" --foreground ${STEERING:+--steering $STEERING} --store "$OUT/$name.db" --socket "$OUT/$name.sock" --config "$OUT/$name.json" \
    >> "$OUT/$name.log" 2>&1 &
  eval "wardd_pid_$name=$!"
  for _ in $(seq 100); do
    dyn "$name" show config > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "start $name: wardd did not answer on its control socket"; cat "$OUT/$name.log"; return 1
}

dyn() { local name=$1; shift; local ns=$A; [ "$name" = b ] && ns=$B; WARD_SOCKET="$OUT/$name.sock" nsx "$ns" "$bin/ward" ipsec dynamic "$@"; }

# counter NAME "Label": a value from `show stats`.
counter() { dyn "$1" show stats | awk -F': ' -v label="$2" '{ sub(/ +$/, "", $1) } $1 == label { print $2; exit }'; }

pings() { nsx "$1" ping -c "$3" -i 0.2 -W 3 "$2" 2>/dev/null | awk '/received/ { print $4 }'; }

capture_start() {
  ip netns exec $B dumpcap -q -i v0 -w "$OUT/$1.pcapng" > /dev/null 2>&1 &
  capture_pid=$!
  sleep 1
}

capture_stop() { sleep 1; kill "$capture_pid" 2>/dev/null; wait "$capture_pid" 2>/dev/null; capture_pid=; }

frames() { tshark -r "$OUT/$1.pcapng" -Y "$2" 2>/dev/null | wc -l; }

transfer() {
  local size=$1 port=$2
  nsx $B python3 "$here/traffic.py" serve 10.77.1.2 "$port" 90 > "$OUT/received" &
  local server=$!
  sleep 0.5
  local sent
  sent=$(nsx $A timeout 120 python3 "$here/traffic.py" send 10.77.1.2 "$port" "$size" "seed-$port")
  wait $server
  [ -n "$sent" ] && [ "$sent" = "$(cat "$OUT/received")" ]
}

pair_case() {
  local name=$1 qmsec=$2 mmsec=$3 extended=$4
  echo "== $name: $qmsec / $mmsec"
  topology
  store a "$qmsec" "$mmsec" && store b "$qmsec" "$mmsec" || return
  capture_start "$name"
  start a $A && start b $B || return
  check "$name: ping A→B through ESP (held during IKE, then sent)" [ "$(pings $A 10.77.1.2 4)" -ge 3 ]
  check "$name: ping B→A" [ "$(pings $B 10.77.1.1 3)" = 3 ]
  check "$name: show qmsas lists the SA pair" grep -q "Quick Mode SA #1" <(dyn a show qmsas)
  check "$name: show mmsas names the peer" grep -q "10.77.1.2" <(dyn a show mmsas)
  local out_a in_b
  out_a=$(counter a "Outbound Protected"); in_b=$(counter b "Inbound Protected")
  pings $A 10.77.1.2 5 > /dev/null
  check "$name: show stats: 5 echo requests = A's Outbound Protected +5" [ $(( $(counter a "Outbound Protected") - out_a )) = 5 ]
  check "$name: show stats: B's Inbound Protected +5" [ $(( $(counter b "Inbound Protected") - in_b )) = 5 ]
  check "$name: show stats: B's Packets Received matches what A's SA sent" \
    [ "$(counter b "Packets Received")" = "$(dyn a show qmsas | awk -F': ' '/Packets Sent/ { sum += $2 } END { print sum }')" ]
  check "$name: 20 MB TCP transfer arrives intact (SHA-256)" transfer 20000000 9000
  nsx $A python3 "$here/traffic.py" listen 10.77.1.1 23 5 &
  local listener=$! blocked
  sleep 0.5
  blocked=$(counter a "Inbound Blocked")
  check "$name: telnet from the lab network is blocked" grep -q closed <(nsx $B python3 "$here/traffic.py" connect 10.77.1.1 23)
  check "$name: show stats: A's Inbound Blocked moved" [ "$(counter a "Inbound Blocked")" -gt "$blocked" ]
  wait $listener
  nsx $B python3 "$here/traffic.py" listen 10.77.1.2 8080 3 &
  listener=$!
  sleep 0.5
  check "$name: port 8080 is permitted in the clear" grep -q open <(nsx $A python3 "$here/traffic.py" connect 10.77.1.2 8080)
  wait $listener
  check "$name: a host in no rule is reached in the clear" [ "$(pings $A 10.77.2.2 3)" = 3 ]
  check "$name: IPv6 in no rule is reached in the clear (neighbour discovery passes)" [ "$(pings $A fd77:2::2 3)" = 3 ]
  local out6
  out6=$(counter a "Outbound Protected")
  nsx $A ping -n -c 1 -W 5 fd77:1::2 > /dev/null
  check "$name: IPv6 to the lab goes through ESP over IPv6 (IKE over IPv6 first)" [ "$(pings $A fd77:1::2 3)" = 3 ]
  check "$name: ... counted as protected" [ $(( $(counter a "Outbound Protected") - out6 )) -ge 4 ]
  [ "$extended" = yes ] && faults "$name"
  capture_stop
  local clear
  # IKE (and the bad-input test's junk on its ports) may be clear; nothing else between the two.
  clear=$(frames "$name" '((ip.addr==10.77.1.1 && ip.addr==10.77.1.2) || (ipv6.addr==fd77:1::1 && ipv6.addr==fd77:1::2)) && !esp && !(udp.port==500 || udp.port==4500) && !(tcp.port==8080) && !icmpv6.type in {133 134 135 136 137 143}')
  check "$name: capture: no clear text between A and B outside the permitted port ($clear frames)" [ "$clear" = 0 ]
  check "$name: capture: ESP crossed the wire" [ "$(frames "$name" esp)" -gt 1000 ]
  check "$name: capture: ISAKMP crossed the wire" [ "$(frames "$name" isakmp)" -ge 9 ]
  check "$name: capture: port 8080 crossed in the clear" [ "$(frames "$name" 'tcp.port==8080')" -ge 3 ]
  check "$name: capture: the unruled network crossed in the clear" [ "$(frames "$name" 'icmp && ip.addr==10.77.2.2')" -ge 6 ]
  stop_agents
  check "$name: orderly stop deletes the SAs" grep -q "quick mode SA deleted" "$OUT/a.log"
  check "$name: orderly stop removes the steering rules" bash -c "! ip netns exec $A nft list tables | grep -q ward && ! ip netns exec $A tc qdisc show dev v0 | grep -q clsact && ! ip -n $A rule | grep -q 5741"
  cleanup
}

# Bad input and faults (inside a running pair).
faults() {
  local name=$1 bad invalid
  bad=$(counter a "Bad SPI Packets"); invalid=$(counter a "Invalid Packets Received")
  nsx $B python3 -c "
import socket, random
rng = random.Random(7)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_SOCKET, 36, 0x57410001)
for port in (500, 4500):
    for size in (1, 7, 28, 60, 300):
        u.sendto((b'\0\0\0\0' if port == 4500 else b'') + rng.randbytes(size), ('10.77.1.1', port))
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50); r.setsockopt(socket.SOL_SOCKET, 36, 0x57410001)
for spi in (0x0badbeef, 0x12345678):
    r.sendto(spi.to_bytes(4, 'big') + (1).to_bytes(4, 'big') + rng.randbytes(64), ('10.77.1.1', 0))
r.sendto(b'\0\1', ('10.77.1.1', 0))
"
  sleep 0.5
  check "$name: unknown SPIs are dropped and counted" [ $(( $(counter a "Bad SPI Packets") - bad )) -ge 2 ]
  check "$name: garbage on UDP 500/4500 is dropped and counted" [ "$(counter a "Invalid Packets Received")" -gt "$invalid" ]
  check "$name: the agent survives garbage and still carries traffic" [ "$(pings $A 10.77.1.2 2)" = 2 ]
  check "$name: control socket: a malformed request is refused" grep -q "malformed request" \
    <(nsx $A python3 -c "
import socket; s = socket.socket(socket.AF_UNIX); s.connect('$OUT/a.sock'); s.sendall(b'{not json\n'); print(s.recv(4096).decode())")
  check "$name: control socket: mode 0600, owned by root" [ "$(stat -c %a:%u "$OUT/a.sock")" = 600:0 ]
  chmod 666 "$OUT/a.sock"
  check "$name: control socket: a non-root client is refused even when the file allows it" grep -q "access denied" \
    <(WARD_SOCKET="$OUT/a.sock" nsx $A setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/ward" ipsec dynamic show stats 2>&1)
  chmod 600 "$OUT/a.sock"
  check "$name: set config checks its value" grep -q "out of range" <(dyn a set config property=ipsecexempt value=9 2>&1)
  dyn a set config property=ikelogging value=1 > /dev/null
  check "$name: set config is kept and shown" grep -qE "ikelogging +: 1" <(dyn a show config)
  # A policy change that does not compile (a mirrored filter list in a tunnel rule, written
  # behind ward's back): reported, and the running table stays.
  sqlite3 "$OUT/a.db" "UPDATE rule SET tunnel = '10.77.9.9' WHERE name = 'Secure lab'"
  sleep 2.5
  check "$name: a policy change that does not compile is reported with its reason" grep -q "policy not applied.*tunnel" "$OUT/a.log"
  check "$name: ... and the running table stays (no tunnel filter in force)" bash -c "! WARD_SOCKET=$OUT/a.sock ip netns exec $A $bin/ward ipsec dynamic show qmfilter | grep -q 10.77.9.9"
  check "$name: ... and protected traffic still flows" [ "$(pings $A 10.77.1.2 2)" = 2 ]
  sqlite3 "$OUT/a.db" "UPDATE rule SET tunnel = NULL WHERE name = 'Secure lab'"
  cp "$OUT/a.db" "$OUT/a.db.good"
  head -c 4096 /dev/urandom > "$OUT/a.db"
  sleep 2.5
  check "$name: a store that cannot be loaded is reported" [ "$(grep -c "policy not applied" "$OUT/a.log")" -ge 2 ]
  check "$name: ... and the running table stays in force" grep -q "Secure lab" <(dyn a show qmfilter)
  check "$name: ... and protected traffic still flows" [ "$(pings $A 10.77.1.2 2)" = 2 ]
  cp "$OUT/a.db.good" "$OUT/a.db"; rm -f "$OUT/a.db-wal" "$OUT/a.db-shm"
  # B vanishes: its host must fail closed, A must carry on.
  kill -9 "$wardd_pid_b"; wait "$wardd_pid_b" 2>/dev/null; wardd_pid_b=
  check "$name: with B's agent dead, B cannot reach A (fails closed)" [ "$(pings $B 10.77.1.1 2)" = 0 ]
  check "$name: A survives a peer that vanished mid-negotiation" bash -c "ip netns exec $A ping -c 1 -W 1 10.77.1.3 >/dev/null; kill -0 $wardd_pid_a"
  start b $B
  check "$name: B's restarted agent renegotiates (INITIAL-CONTACT) and traffic resumes" [ "$(pings $B 10.77.1.1 4)" -ge 3 ]
  check "$name: ... both ways" [ "$(pings $A 10.77.1.2 3)" = 3 ]
  check "$name: ikelogging=1 (set earlier) logs each IKE message by header only" \
    bash -c "grep -q 'event=ike message direction=received peer=10.77.1.2' '$OUT/a.log' && ! grep -qi 'nonce\|key=' '$OUT/a.log'"
}

rekey_case() {
  echo "== rekey"
  topology
  store a "ESP[AES128,SHA1]:20480k/3600s" "AES128-SHA1-14" && store b "ESP[AES128,SHA1]:20480k/3600s" "AES128-SHA1-14" || return
  start a $A && start b $B || return
  check "rekey: SAs up" [ "$(pings $A 10.77.1.2 3)" -ge 2 ]
  check "rekey: a 60 MB transfer across rekeys arrives intact (SHA-256)" transfer 60000000 9001
  check "rekey: the agent rekeyed during the transfer" [ "$(grep -c 'event=rekey' "$OUT/a.log")" -ge 2 ]
  check "rekey: show stats counts the new SAs" [ "$(counter a "Key Additions")" -ge 3 ]
  stop_agents
  cleanup
}

dynamic_case() {
  echo "== dynamic"
  topology
  rm -f "$OUT"/[ab].db*
  start a $A && start b $B || return
  check "dynamic: no policy: clear text passes" [ "$(pings $A 10.77.1.2 2)" = 2 ]
  local host
  for host in a b; do
    dyn $host add mmpolicy name=mm mmsecmethods="AES128-SHA1-14 3DES-SHA1-2" mmlifetime=60 > /dev/null
    dyn $host add qmpolicy name=qm qmsecmethods="ESP[AES128,SHA1]:3600s" pfsgroup=GRPMM > /dev/null
    dyn $host add rule srcaddr=me dstaddr=10.77.1.0 dstmask=24 mmpolicy=mm qmpolicy=qm kerberos=no psk="dynamic-secret" > /dev/null
  done
  check "dynamic: show rule lists the rule" grep -q "Main Mode Policy *: mm" <(dyn a show rule)
  check "dynamic: show rule never shows the preshared key" bash -c "! WARD_SOCKET=$OUT/a.sock ip netns exec $A $bin/ward ipsec dynamic show all | grep -q dynamic-secret"
  local protected
  protected=$(counter a "Outbound Protected")
  check "dynamic: the added rule secures the traffic (IKE with PFS, then ESP)" [ "$(pings $A 10.77.1.2 4)" -ge 3 ]
  check "dynamic: show stats: protected packets moved" [ "$(counter a "Outbound Protected")" -gt "$protected" ]
  check "dynamic: show qmsas lists the SA pair" grep -q "Quick Mode SA #1" <(dyn a show qmsas)
  check "dynamic: a policy a rule uses cannot be deleted" grep -q "used by a rule" <(dyn a delete mmpolicy name=mm 2>&1)
  check "dynamic: a bad action is refused naming its tag" grep -q "actioninbound: 'maybe'" \
    <(dyn a add rule srcaddr=me dstaddr=10.77.2.0 dstmask=24 mmpolicy=mm qmpolicy=qm actioninbound=maybe 2>&1)
  check "dynamic: a duplicate rule is refused" grep -q "already exists" \
    <(dyn a add rule srcaddr=me dstaddr=10.77.1.0 dstmask=24 mmpolicy=mm qmpolicy=qm kerberos=no psk=x 2>&1)
  dyn a set rule srcaddr=me dstaddr=10.77.1.0 dstmask=24 actionoutbound=block actioninbound=block > /dev/null
  check "dynamic: set rule changes the action (now blocked)" [ "$(pings $A 10.77.1.2 2)" = 0 ]
  check "dynamic: ... and the SAs the rule no longer asks for are deleted" grep -q "No SAs" <(dyn a show qmsas)
  check "dynamic: ... the peer is told (Delete)" grep -q "peer sent delete" "$OUT/b.log"
  for host in a b; do dyn $host delete rule srcaddr=me dstaddr=10.77.1.0 dstmask=24 > /dev/null; done
  check "dynamic: after delete rule the traffic is no longer decided by it (clear)" [ "$(pings $A 10.77.1.2 2)" = 2 ]
  dyn a delete all > /dev/null
  check "dynamic: delete all empties the dynamic policy" grep -q "No policies" <(dyn a show mmpolicy)
  dyn a add mmpolicy name=gone > /dev/null
  kill "$wardd_pid_a"; wait "$wardd_pid_a" 2>/dev/null; wardd_pid_a=
  start a $A
  check "dynamic: a restart forgets the dynamic policy (not stored)" grep -q "No policies" <(dyn a show mmpolicy)
  stop_agents
  cleanup
}

for c in "${cases[@]}"; do
  case $c in
    ward-3des) pair_case ward-3des "ESP[3DES,SHA1]:3600s" "3DES-SHA1-2" no ;;
    tc) STEERING=tc pair_case tc "ESP[AES128,SHA1]:3600s" "AES128-SHA1-14" no ;;
    ward-aes) pair_case ward-aes "ESP[AES-GCM128,None]:3600s ESP[AES128,SHA1]:3600s" "AES128-SHA256-14" yes ;;
    rekey) rekey_case ;;
    dynamic) dynamic_case ;;
    *) fail "unknown case $c" ;;
  esac
done
if [ $failures = 0 ]; then
  rm -rf "$OUT"
  echo "agent interop: all checks passed"
else
  echo "agent interop: $failures failure(s); logs and captures in $OUT"
fi
exit $failures
