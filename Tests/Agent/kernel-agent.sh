#!/usr/bin/env bash
# wardd inside a kernel that has ESP — the user-mode Linux guest (Tests/Kernel/uml-run.sh) — on
# both datapaths, against strongSwan's charon using the kernel's own ESP (XFRM) and against
# another wardd. That kernel has no nftables inet/netdev families, so the userspace datapath
# steers packets by policy routing and tc there. Transport mode host to host, preshared key:
# Ward (10.77.0.1, namespace W) and the peer (10.77.0.2, namespace C). A check prints
# "PASS name" or "FAIL name: why"; the exit status is the number of failures.
#
#   kernel-agent.sh BIN_DIR [CASE...]
#
# Cases (default: all):
#   ward-initiates, charon-initiates          userspace datapath ↔ charon
#   kernel-ward-initiates, kernel-charon-initiates
#                                             `wardd --datapath kernel` ↔ charon
#   kernel-userspace                          Ward (kernel) ↔ Ward (userspace)
#   leak-kernel, leak-userspace               a numbered UDP stream Ward → charon while Ward's
#                                             agent is killed with SIGKILL and restarted 3 times:
#                                             0 clear datagrams of the stream on the wire, and
#                                             the stream resumes after each restart
#   soft-kernel                               soft=yes towards a peer without IKE: clear after 3 s,
#                                             a more specific block still blocks
#   tunnel-kernel                             the kernel datapath in tunnel mode (one rule per
#                                             direction) ↔ charon, subnet to subnet
#   cert-kernel                               the kernel datapath ↔ charon (kernel ESP), both
#                                             authenticating with ECDSA P-256 certificates made
#                                             by strongSwan's pki (Ward's from its store)
#   ports-kernel                              the kernel datapath, transport mode, two rules that
#                                             differ only by port, against charon's two children:
#                                             each rule's own reqid, SA and methods (tshark oracle)
#   receive-kernel                            the same with the stream charon → Ward (2 kills):
#                                             the restarted kernel-datapath agent renegotiates
#                                             what its previous run carried, so a host that only
#                                             receives gets its traffic back by itself
#
# kernel-ward-initiates also serves the web console: its SAs and /metrics are the kernel's.
# Each traffic case: ping both ways, a 5 MB TCP transfer each way checked by SHA-256, the
# kernel's XFRM counters (`ip -s xfrm state`) show who decrypted whose ESP, and `ward ipsec
# dynamic show qmsas` lists the SA.
set -uo pipefail
bin=$(cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(ward-initiates charon-initiates kernel-ward-initiates kernel-charon-initiates kernel-userspace leak-kernel leak-userspace receive-kernel soft-kernel tunnel-kernel cert-kernel ports-kernel)
P=wk$$
W=${P}w C=${P}c
OUT=${LAB_KERNEL_AGENT_OUT:-${WARD_KERNEL_AGENT_OUT:-/tmp/ward-kernel-agent}}/$P
PSK="kernel-agent-psk-not-a-secret"
mkdir -p "$OUT"
. "$here/lib.sh"
wardd_pid= charon_pid= peer_pid= capture_pid=
for module in tun sch_ingress cls_u32 act_mirred esp4 xfrm_user ah4 xfrm4_tunnel; do modprobe "$module" 2>/dev/null; done

cleanup() {
  stop "$wardd_pid" "$charon_pid" "$peer_pid" "$capture_pid"; wardd_pid= charon_pid= peer_pid= capture_pid=
  remove_namespaces $W $C
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dyn() { WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 20 "$bin/ward" ipsec dynamic "$@"; }
peerdyn() { WARD_SOCKET="$OUT/peer.sock" nsx $C timeout 20 "$bin/ward" ipsec dynamic "$@"; }
counter() { dyn show stats | awk -F': ' -v label="$1" '{ sub(/ +$/, "", $1) } $1 == label { print $2; exit }'; }
pings() { nsx "$1" ping -n -c "$3" -i 0.3 -W 3 "$2" 2>/dev/null | awk '/received/ { print $4 }'; }

# policy FILE PEER: secure everything with PEER (transport, AES-128/SHA-1, DH group 14);
# SOFT=yes lets it fall back to clear when the peer does not answer IKE.
policy() {
  cat > "$1" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=$2
add filteraction name="Kernel Secure" action=negotiate inpass=no soft=${SOFT:-no} qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Kernel" mmsecmethods="${MMSEC:-AES128-SHA1-14}"
add rule name="Peer" policy="Kernel" filterlist="Peer" filteraction="Kernel Secure" ${AUTH_ARG:-psk=\"$PSK\"} kerberos=no
set policy name="Kernel" assign=yes
set batch mode=disable
popd
POLICY
}

# start_wardd DATAPATH: Ward's agent in W (again after a kill: same store, same socket).
start_wardd() {
  ip netns exec $W "$bin/wardd" --foreground --datapath "$1" --store "$OUT/ward.db" --socket "$OUT/ward.sock" --config "$OUT/ward.json" \
    --certificates "$OUT/certs" ${WARD_EXTRA:-} >> "$OUT/wardd.log" 2>&1 &
  wardd_pid=$!
  for _ in $(seq 100); do dyn show config > /dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

start_charon() {
  local d=$OUT/charon
  rm -rf "$d"; mkdir -p "$d/swanctl"
  cat > "$d/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf aes sha1 sha2 hmac gcm gmp kernel-netlink socket-default vici
  plugins { vici { socket = unix://$d/charon.vici } }
  syslog { daemon { default = -1 } }
  filelog { lab { path = $d/charon.log
    default = 1
    ike = 2 } }
}
CONF
  local local_auth="auth = psk
    id = 10.77.0.2" remote_auth="auth = psk
    id = 10.77.0.1"
  if [ -n "${CERTS:-}" ]; then
    mkdir -p "$d/swanctl/x509ca" "$d/swanctl/x509" "$d/swanctl/private"
    cp "$OUT/pki/ca.crt" "$d/swanctl/x509ca/"; cp "$OUT/pki/charon.crt" "$d/swanctl/x509/"; cp "$OUT/pki/charon.key" "$d/swanctl/private/"
    local_auth="auth = pubkey
    certs = charon.crt
    id = \"C=CH, O=lab, CN=charon.lab.test\"" remote_auth="auth = pubkey
    id = \"C=CH, O=lab, CN=ward.lab.test\"
    cacerts = ca.crt"
  fi
  cat > "$d/swanctl/swanctl.conf" <<CONF
connections { ward { version = 1
  local_addrs = 10.77.0.2
  remote_addrs = 10.77.0.1
  proposals = ${CHARON_PROPOSALS:-aes128-sha1-modp2048}
  local { $local_auth }
  remote { $remote_auth }
  children { ${CHARON_CHILDREN:-tr { mode = ${CHARON_MODE:-transport}
    esp_proposals = aes128-sha1${CHARON_CHILD_EXTRA:+
    $CHARON_CHILD_EXTRA}${CHARON_TS:+
    $CHARON_TS} \}} } } }
secrets { ike { id-w = 10.77.0.1
  id-c = 10.77.0.2
  secret = "$PSK" } }
CONF
  ip netns exec $C sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$d/strongswan.conf" \
    > "$d/charon.out" 2>&1 < /dev/null &
  charon_pid=$!
  for _ in $(seq 150); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
  SWANCTL_DIR=$d/swanctl swanctl --load-all --noprompt --uri "unix://$d/charon.vici" > "$d/load.txt" 2>&1 || { fail setup "swanctl --load-all: $(tail -2 "$d/load.txt")"; return 1; }
}

# certificates: an ECDSA P-256 CA and host certificates for Ward and charon (strongSwan's pki);
# Ward's go into its certificate store.
certificates() {
  rm -rf "$OUT/certs"
  lab_certificates "$OUT/pki" ecdsa || return 1
  "$bin/ward" certificate --dir "$OUT/certs" import "$OUT/pki/ca.crt" "$OUT/pki/ward.crt" "$OUT/pki/ward.key" > "$OUT/certs.txt" 2>&1
}

# setup NAME DATAPATH PEER: W runs wardd on DATAPATH; C runs charon, or wardd (userspace) when
# PEER is ward. CHARON_CHILD_EXTRA adds a line to charon's CHILD_SA config; CHARON_MODE and
# CHARON_TS set its mode and traffic selectors (start_charon).
setup() {
  local ns
  two_hosts $W wv 10.77.0.1/24 $C cv 10.77.0.2/24
  policy "$OUT/policy.txt" 10.77.0.2
  rm -f "$OUT/ward.db"* "$OUT/wardd.log"
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || { fail setup "ward -f refused the policy"; return 1; }
  if [ "$3" = ward ]; then
    policy "$OUT/peer-policy.txt" 10.77.0.1
    rm -f "$OUT/peer.db"*
    "$bin/ward" --store "$OUT/peer.db" -f "$OUT/peer-policy.txt" || { fail setup "ward -f refused the peer's policy"; return 1; }
    ip netns exec $C "$bin/wardd" --foreground --store "$OUT/peer.db" --socket "$OUT/peer.sock" --config "$OUT/peer.json" > "$OUT/peer.log" 2>&1 &
    peer_pid=$!
  else
    start_charon || return 1
  fi
  start_wardd "$2" || { fail setup "wardd did not start: $(tail -3 "$OUT/wardd.log")"; return 1; }
  if [ "$2" = kernel ]; then
    grep -q "datapath=kernel" "$OUT/wardd.log" && dyn show config | has "Datapath  *: kernel (XFRM" \
      && pass "$1: wardd runs on the kernel's XFRM (log, show config)" || fail "$1: kernel datapath" "$(tail -2 "$OUT/wardd.log")"
    local spd
    spd=$(nsx $W ip xfrm policy)
    [ "$(grep -c "priority 20010" <<< "$spd")" -ge 2 ] && ward_template transport <<< "$spd" \
      && pass "$1: the filter table is in the kernel's SPD (XFRM policies with Ward's reqid)" || fail "$1: XFRM policies" "$(head -20 <<< "$spd")"
  else
    grep -q "steering=tc" "$OUT/wardd.log" && pass "$1: wardd steers by policy routing and tc on this kernel" || fail "$1: steering" "$(grep -o 'steering=[a-z]*' "$OUT/wardd.log")"
  fi
  if [ "$3" = ward ]; then
    for _ in $(seq 100); do peerdyn show config > /dev/null 2>&1 && break; sleep 0.1; done
    peerdyn show config > /dev/null 2>&1 || { fail setup "the peer's wardd did not start: $(tail -3 "$OUT/peer.log")"; return 1; }
  fi
}

transfer() {  # from-ns to-ns to-address
  nsx "$2" python3 "$here/traffic.py" serve "$3" 9000 100 > "$OUT/received" &
  local server=$!
  # Python starts slowly in the guest under load: connect only once the server listens (a
  # refused connection would leave the server waiting out its timeout and the check empty).
  for _ in $(seq 150); do nsx "$2" ss -ltnH "sport = :9000" 2>/dev/null | grep -q 9000 && break; sleep 0.1; done
  local sent
  sent=$(nsx "$1" timeout 120 python3 "$here/traffic.py" send "$3" 9000 5000000 "kernel-agent")
  wait $server
  [ -n "$sent" ] && [ "$sent" = "$(cat "$OUT/received")" ]
}

# Packets on the kernel SA from $2 to $3 in namespace $1 (`ip -s xfrm state`), or nothing.
kernel_packets() {
  nsx "$1" ip -s xfrm state | awk -v head="^src $2 dst $3" '$0 ~ head { mine = 1 } mine && /lifetime current:/ { getline; gsub(/[^0-9]/, "", $NF); print $NF; exit }'
}

traffic_case() {
  local name=$1 datapath=$2 peer=$3 initiator=$4
  echo "== $name"
  setup "$name" "$datapath" "$peer" || { cleanup; return; }
  if [ "$initiator" = charon ]; then
    SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl --initiate --child tr --uri "unix://$OUT/charon/charon.vici" > "$OUT/initiate.txt" 2>&1 \
      && pass "$name: swanctl --initiate: CHILD_SA established with Ward" || fail "$name: swanctl --initiate" "$(tail -2 "$OUT/initiate.txt")"
  fi
  local got
  # The first packet waits for IKE (Diffie-Hellman group 14 is slow in the guest): give it time.
  nsx $W ping -n -c 1 -W 15 10.77.0.2 > /dev/null
  got=$(pings $W 10.77.0.2 3); [ "${got:-0}" = 3 ] && pass "$name: ping Ward→$peer through ESP ($got/3)" || fail "$name: ping Ward→$peer" "${got:-0}/3"
  got=$(pings $C 10.77.0.1 3); [ "${got:-0}" = 3 ] && pass "$name: ping $peer→Ward ($got/3)" || fail "$name: ping $peer→Ward" "${got:-0}/3"
  transfer $W $C 10.77.0.2 && pass "$name: 5 MB TCP Ward→$peer arrives intact (SHA-256)" || fail "$name: TCP Ward→$peer" "received '$(cat "$OUT/received")'"
  transfer $C $W 10.77.0.1 && pass "$name: 5 MB TCP $peer→Ward arrives intact (SHA-256)" \
    || fail "$name: TCP $peer→Ward" "received '$(cat "$OUT/received")'; Ward: $(dyn show stats type=ipsec | grep -vE ': 0$' | grep -E 'Dropped|Blocked|Mismatch|Malformed|Failures|Bad SPI|Not|Replay' | tr -s ' ' | paste -sd ';')"
  # Who decrypted what: a kernel's inbound SA counts the packets it opened.
  local opened
  if [ "$peer" = charon ]; then
    opened=$(kernel_packets $C 10.77.0.1 10.77.0.2)
    [ "${opened:-0}" -gt 3000 ] 2>/dev/null && pass "$name: charon's kernel decrypted Ward's ESP ($opened packets on its inbound SA)" \
      || fail "$name: the peer kernel's XFRM counters" "inbound SA shows '${opened:-none}' packets"
  else
    opened=$(peerdyn show stats | awk -F': ' '$1 ~ /^Inbound Protected/ { print $2; exit }')
    [ "${opened:-0}" -gt 3000 ] 2>/dev/null && pass "$name: the userspace Ward decrypted the kernel Ward's ESP ($opened packets)" \
      || fail "$name: the userspace peer's counters" "Inbound Protected '${opened:-none}'"
  fi
  if [ "$datapath" = kernel ]; then
    opened=$(kernel_packets $W 10.77.0.2 10.77.0.1)
    [ "${opened:-0}" -gt 3000 ] 2>/dev/null && pass "$name: Ward's kernel decrypted the peer's ESP ($opened packets)" || fail "$name: Ward's XFRM counters" "inbound SA shows '${opened:-none}'"
    local received
    received=$(counter "Packets Received")
    [ "${received:-0}" -gt 3000 ] 2>/dev/null && pass "$name: show stats reads the kernel's counters (Packets Received $received)" || fail "$name: show stats" "Packets Received '${received:-none}'"
  else
    opened=$(counter "Inbound Protected")
    [ "${opened:-0}" -gt 3000 ] && pass "$name: Ward decrypted the kernel's ESP ($opened packets)" || fail "$name: Ward's counters" "Inbound Protected ${opened:-none}"
  fi
  dyn show qmsas | has "Quick Mode SA #1" && pass "$name: show qmsas lists the SA" || fail "$name: show qmsas" "no SA listed"
  if [[ "${WARD_EXTRA:-}" == *--console* ]]; then
    # The console on the kernel datapath: the SAs the kernel holds, and the kernel's counters in /metrics.
    local spis shown received_metric token
    sleep 1.5
    token=$(cat "$OUT/console-readonly.token" 2>/dev/null)
    spis=$(dyn show qmsas | awk -F': ' '/Inbound SPI/ { print $2 }' | sort | paste -sd' ')
    shown=$(nsx $W curl -s --max-time 10 -H "Authorization: Bearer $token" http://127.0.0.1:8843/api/monitor \
      | python3 -c 'import json, sys; print(" ".join(sorted(s["inboundSPI"] for s in json.load(sys.stdin)["quickModeSAs"])))' 2>/dev/null)
    [ -n "$spis" ] && [ "$shown" = "$spis" ] && pass "$name: the console lists the kernel's SAs (inbound SPI $shown)" || fail "$name: console SAs" "'$shown' vs '$spis'"
    received_metric=$(nsx $W curl -s --max-time 10 -H "Authorization: Bearer $token" http://127.0.0.1:8843/metrics \
      | awk '$1 == "ward_ipsec_esp_packets_total{direction=\"received\"}" { printf "%d", $2 }')
    [ "${received_metric:-0}" -gt 3000 ] 2>/dev/null && pass "$name: /metrics reads the kernel's counters ($received_metric ESP packets received)" \
      || fail "$name: console metrics" "'${received_metric:-none}'"
  fi
  if [ "$datapath" = kernel ]; then
    stop "$wardd_pid"; wardd_pid=
    [ -z "$(nsx $W ip xfrm policy)" ] && [ -z "$(nsx $W ip xfrm state)" ] && pass "$name: an orderly stop takes Ward's policies and SAs out of the kernel" \
      || fail "$name: orderly stop" "$(nsx $W ip xfrm policy | head -4)"
  fi
  cleanup
}

# A numbered UDP stream Ward → charon (50 datagrams a second) while Ward's agent is killed
# with SIGKILL and restarted three times; a capture on charon's side counts datagrams of the
# stream in the clear (must be 0) and ESP (must flow), and the receiver must see the stream
# after the last restart.
# leak_case NAME DATAPATH [receive]: with "receive" the stream runs charon → Ward instead, and
# Ward (which then only receives) must bring the SA back by itself after its restart.
leak_case() {
  local name=$1 datapath=$2 direction=${3:-send}
  echo "== $name"
  # Receiving, the sender is charon: its trap policies keep its traffic from going out in clear
  # while it replaces the CHILD_SA after Ward's INITIAL-CONTACT (without them charon removes
  # its policies with the SA and sends in clear until the new one is up — its behaviour,
  # not Ward's).
  local extra=; [ "$direction" = receive ] && extra="start_action = trap"
  CHARON_CHILD_EXTRA=$extra setup "$name" "$datapath" charon || { cleanup; return; }
  local sender=$W receiver=$C to=10.77.0.2 wire=cv rounds="1 2 3"
  [ "$direction" = receive ] && { sender=$C receiver=$W to=10.77.0.1 wire=wv rounds="1 2"; }
  ip netns exec $receiver tcpdump -n -i $wire --immediate-mode -U -s 128 -w "$OUT/leak.pcap" 'udp port 9999 or esp' > "$OUT/tcpdump.log" 2>&1 &
  capture_pid=$!
  ip netns exec $receiver python3 "$here/traffic.py" sink $to 9999 300 > "$OUT/sink.txt" &
  local sink=$!
  sleep 1
  [ "$direction" = receive ] && { SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl --initiate --child tr --uri "unix://$OUT/charon/charon.vici" > /dev/null 2>&1; }
  ip netns exec $sender python3 "$here/traffic.py" stream $to 9999 300 50 > "$OUT/stream.txt" &
  local stream=$!
  sleep 10
  local round started resumed
  for round in $rounds; do
    kill -9 "$wardd_pid"; wait "$wardd_pid" 2>/dev/null; wardd_pid=
    echo "kill $round at $(date +%s.%N)" >> "$OUT/restarts.txt"
    sleep 3
    started=$(date +%s%N)
    echo "start $round at $(date +%s.%N)" >> "$OUT/restarts.txt"
    start_wardd "$datapath" || { fail "$name: restart $round" "$(tail -3 "$OUT/wardd.log")"; break; }
    resumed=
    for _ in $(seq 300); do dyn show qmsas 2>/dev/null | has "Quick Mode SA #1" && { resumed=$(( ($(date +%s%N) - started) / 1000000 )); break; }; sleep 0.1; done
    [ -n "$resumed" ] && pass "$name: after SIGKILL $round the restarted agent has an SA again ($resumed ms from restart)" \
      || fail "$name: restart $round" "no SA 30 s after the restart"
    sleep 5
  done
  # 12 s more of stream after the last restart; then the receiver drains.
  sleep 7
  kill -TERM $stream; wait $stream
  sleep 2
  kill -TERM $sink; wait $sink
  stop "$capture_pid"; capture_pid=
  local clear esp received highest tail sent
  clear=$(tcpdump -n -r "$OUT/leak.pcap" 'udp port 9999' 2>/dev/null | wc -l)
  esp=$(tcpdump -n -r "$OUT/leak.pcap" 'esp' 2>/dev/null | wc -l)
  read -r received highest tail < "$OUT/sink.txt"
  sent=$(cat "$OUT/stream.txt")
  [ "$clear" = 0 ] && [ "${esp:-0}" -gt 500 ] && pass "$name: 0 clear datagrams of the stream on the wire across the SIGKILLs ($esp ESP packets)" \
    || fail "$name: leak" "$clear clear datagrams, $esp ESP packets; clear from $(tcpdump -tt -n -r "$OUT/leak.pcap" 'udp port 9999' 2>/dev/null | sed -n '1p;$p' | cut -d' ' -f1 | paste -sd-); restarts: $(paste -sd';' "$OUT/restarts.txt"); tcpdump: $(tail -1 "$OUT/tcpdump.log")"
  # The stream's last 10 s come after the last restart: they must arrive.
  [ "${highest:--1}" -ge $((sent - 5)) ] && [ "${tail:-0}" -ge 450 ] \
    && pass "$name: the receiver sees the stream resume ($received of $sent received, $tail of the last 500)" \
    || fail "$name: stream" "received ${received:-none} of $sent, highest ${highest:-none}, ${tail:-0} of the last 500"
  cleanup
}

# The kernel datapath with soft=yes towards a peer that runs no IKE at all: after 3 s without
# an answer the traffic goes in the clear (reference a.5), through a clear-text policy the
# agent puts just ahead of the negotiate filter; telnet, which a more specific filter blocks,
# stays blocked.
soft_case() {
  local name=$1
  echo "== $name"
  two_hosts $W wv 10.77.0.1/24 $C cv 10.77.0.2/24
  SOFT=yes policy "$OUT/policy.txt" 10.77.0.2
  sed -i 's|^set policy name="Kernel" assign=yes|add filterlist name="Telnet"\nadd filter filterlist="Telnet" srcaddr=me dstaddr=10.77.0.2 protocol=TCP dstport=23\nadd filteraction name="Drop" action=block\nadd rule name="Telnet" policy="Kernel" filterlist="Telnet" filteraction="Drop"\n&|' "$OUT/policy.txt"
  rm -f "$OUT/ward.db"* "$OUT/wardd.log"
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || { fail "$name: setup" "ward -f refused the policy"; cleanup; return; }
  nsx $C python3 "$here/traffic.py" listen 10.77.0.2 23 60 &
  nsx $C python3 "$here/traffic.py" listen 10.77.0.2 80 60 &
  start_wardd kernel || { fail "$name: setup" "wardd did not start: $(tail -3 "$OUT/wardd.log")"; cleanup; return; }
  local started got
  started=$(date +%s%N)
  nsx $W ping -n -c 1 -W 10 10.77.0.2 > /dev/null 2>&1
  got=$(( ($(date +%s%N) - started) / 1000000 ))
  [ "$got" -ge 2500 ] && pass "$name: the first packet waits for the 3-second fallback (${got} ms)" || fail "$name: fallback delay" "answered after $got ms"
  got=$(pings $W 10.77.0.2 3); [ "${got:-0}" = 3 ] && pass "$name: then ping goes in the clear ($got/3)" || fail "$name: clear ping" "${got:-0}/3"
  local spd; spd=$(nsx $W ip xfrm policy)
  # The outbound policies for exactly the two hosts: "priority template?" per policy.
  local pair
  pair=$(awk '/^src/ { host = ($0 ~ /^src 10.77.0.1\/32 dst 10.77.0.2\/32( uid [0-9]+)? *$/) } host && /dir out/ { for (i = 1; i <= NF; i++) if ($i == "priority") p = $(i + 1); getline; print p, ($0 ~ /tmpl/ ? "ipsec" : "clear") }' <<< "$spd" | sort -n | paste -sd' ')
  set -- $pair
  [ "${2:-}" = clear ] && [ "${4:-}" = ipsec ] && [ $(( ${3:-0} - ${1:-0} )) = 1 ] \
    && pass "$name: a clear-text policy sits just ahead of the negotiate filter ($pair)" || fail "$name: soft policy" "'$pair'"
  [ "$(nsx $W python3 "$here/traffic.py" connect 10.77.0.2 80)" = open ] && pass "$name: TCP 80 goes in the clear" || fail "$name: TCP 80" "not open"
  [ "$(nsx $W python3 "$here/traffic.py" connect 10.77.0.2 23)" != open ] && pass "$name: telnet stays blocked by its more specific filter" || fail "$name: telnet" "open"
  cleanup
}

# The kernel datapath in tunnel mode: Ward's 10.77.1.0/24 (10.77.1.1 on W's loopback) and
# charon's 10.77.2.0/24 (10.77.2.1), gateways 10.77.0.1 and 10.77.0.2; one Ward rule per
# direction, each naming the far gateway (reference a.8).
tunnel_case() {
  local name=$1
  echo "== $name"
  two_hosts $W wv 10.77.0.1/24 $C cv 10.77.0.2/24
  nsx $W ip addr add 10.77.1.1/32 dev lo; nsx $C ip addr add 10.77.2.1/32 dev lo
  nsx $W ip route add 10.77.2.0/24 via 10.77.0.2 src 10.77.1.1; nsx $C ip route add 10.77.1.0/24 via 10.77.0.1 src 10.77.2.1
  cat > "$OUT/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Out"
add filter filterlist="Out" srcaddr=10.77.1.0 srcmask=24 dstaddr=10.77.2.0 dstmask=24 mirrored=no
add filterlist name="In"
add filter filterlist="In" srcaddr=10.77.2.0 srcmask=24 dstaddr=10.77.1.0 dstmask=24 mirrored=no
add filteraction name="Tunnel Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Tunnel" mmsecmethods="AES128-SHA1-14"
add rule name="Out" policy="Tunnel" filterlist="Out" filteraction="Tunnel Secure" tunnel=10.77.0.2 psk="$PSK" kerberos=no
add rule name="In" policy="Tunnel" filterlist="In" filteraction="Tunnel Secure" tunnel=10.77.0.1 psk="$PSK" kerberos=no
set policy name="Tunnel" assign=yes
set batch mode=disable
popd
POLICY
  rm -f "$OUT/ward.db"* "$OUT/wardd.log"
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || { fail "$name: setup" "ward -f refused the policy"; cleanup; return; }
  CHARON_MODE=tunnel CHARON_TS="local_ts = 10.77.2.0/24
    remote_ts = 10.77.1.0/24" start_charon || { cleanup; return; }
  start_wardd kernel || { fail "$name: setup" "wardd did not start: $(tail -3 "$OUT/wardd.log")"; cleanup; return; }
  local got
  nsx $W ping -n -c 1 -W 15 -I 10.77.1.1 10.77.2.1 > /dev/null
  got=$(nsx $W ping -n -c 3 -i 0.3 -W 3 -I 10.77.1.1 10.77.2.1 2>/dev/null | awk '/received/ { print $4 }')
  [ "${got:-0}" = 3 ] && pass "$name: ping 10.77.1.1→10.77.2.1 through the tunnel ($got/3)" || fail "$name: ping through the tunnel" "${got:-0}/3"
  got=$(nsx $C ping -n -c 3 -i 0.3 -W 3 -I 10.77.2.1 10.77.1.1 2>/dev/null | awk '/received/ { print $4 }')
  [ "${got:-0}" = 3 ] && pass "$name: ping 10.77.2.1→10.77.1.1 back through it ($got/3)" || fail "$name: ping back" "${got:-0}/3"
  local state; state=$(nsx $W ip -s xfrm state)
  grep -q "mode tunnel" <<< "$state" && pass "$name: Ward's kernel holds tunnel-mode SAs" || fail "$name: tunnel SAs" "$(head -6 <<< "$state")"
  local opened; opened=$(kernel_packets $C 10.77.0.1 10.77.0.2)
  [ "${opened:-0}" -ge 4 ] 2>/dev/null && pass "$name: charon's kernel decrypted Ward's tunnel ESP ($opened packets)" || fail "$name: charon's counters" "'${opened:-none}'"
  cleanup
}

# The kernel datapath in transport mode with two rules towards one host that differ only by
# port: TCP 9000 under ESP[AES256,SHA256], everything else under ESP[AES128,SHA1]; charon has
# one child for each. Each rule's filter binding has its own reqid in its XFRM template and its
# SAs, so the kernel carries each rule's traffic only under that rule's SA. Oracle: Ward's SA
# keys (--oracle-keylog) decrypt the capture; every packet's SPI serves the rule `ward ipsec
# trace` names for its 5-tuple.
ports_case() {
  local name=$1
  echo "== $name"
  two_hosts $W wv 10.77.0.1/24 $C cv 10.77.0.2/24
  cat > "$OUT/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="SQL"
add filter filterlist="SQL" srcaddr=me dstaddr=10.77.0.2 protocol=TCP dstport=9000
add filterlist name="Rest"
add filter filterlist="Rest" srcaddr=me dstaddr=10.77.0.2
add filteraction name="Strong" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES256,SHA256]:3600s"
add filteraction name="Standard" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Ports" mmsecmethods="AES128-SHA1-14"
add rule name="Rest" policy="Ports" filterlist="Rest" filteraction="Standard" psk="$PSK" kerberos=no
add rule name="SQL" policy="Ports" filterlist="SQL" filteraction="Strong" psk="$PSK" kerberos=no
set policy name="Ports" assign=yes
set batch mode=disable
popd
POLICY
  rm -f "$OUT/ward.db"* "$OUT/wardd.log" "$OUT/keys"
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || { fail "$name: setup" "ward -f refused the policy"; cleanup; return; }
  CHARON_CHILDREN="sql { mode = transport
    local_ts = dynamic[tcp/9000]
    remote_ts = dynamic[tcp]
    esp_proposals = aes256-sha256 }
    rest { mode = transport
    esp_proposals = aes128-sha1 }" start_charon || { cleanup; return; }
  ip netns exec $C tcpdump -n -i cv --immediate-mode -U -w "$OUT/ports.pcap" esp > "$OUT/tcpdump.log" 2>&1 &
  capture_pid=$!
  WARD_EXTRA="--oracle-keylog $OUT/keys" start_wardd kernel || { fail "$name: setup" "wardd did not start: $(tail -3 "$OUT/wardd.log")"; cleanup; return; }
  nsx $W ping -n -c 1 -W 15 10.77.0.2 > /dev/null
  local got; got=$(pings $W 10.77.0.2 3)
  [ "${got:-0}" = 3 ] && pass "$name: ping under the general rule ($got/3)" || fail "$name: ping" "${got:-0}/3"
  transfer $W $C 10.77.0.2 && pass "$name: 5 MB TCP to port 9000 under the port rule arrives intact (SHA-256)" || fail "$name: TCP 9000" "received '$(cat "$OUT/received")'"
  local spd sql_reqid rest_reqid
  spd=$(nsx $W ip xfrm policy)
  sql_reqid=$(awk '/^src 10.77.0.1\/32 dst 10.77.0.2\/32 proto tcp dport 9000/ { want = 1 } want && /dir out/ { out = 1 } want && out && /reqid/ { for (i = 1; i < NF; i++) if ($i == "reqid") { print $(i + 1); exit } }' <<< "$spd")
  rest_reqid=$(awk '/^src 10.77.0.1\/32 dst 10.77.0.2\/32 *$/ { want = 1 } want && /dir out/ { out = 1 } want && out && /reqid/ { for (i = 1; i < NF; i++) if ($i == "reqid") { print $(i + 1); exit } }' <<< "$spd")
  [ -n "$sql_reqid" ] && [ -n "$rest_reqid" ] && [ "$sql_reqid" != "$rest_reqid" ] \
    && pass "$name: each rule's XFRM template has its own reqid (TCP 9000: $sql_reqid, the rest: $rest_reqid)" \
    || fail "$name: reqids" "'$sql_reqid' / '$rest_reqid': $(grep -c reqid <<< "$spd") templates"
  # The SA each reqid's traffic used: the port rule's carried the transfer, the other the pings.
  local state sql_packets rest_packets
  state=$(nsx $W ip -s xfrm state)
  reqid_packets() { awk -v head="^src 10.77.0.1 dst 10.77.0.2" -v reqid="$1" '$0 ~ head { mine = 1; next } /^src / { mine = 0 }
    mine && /reqid/ { for (i = 1; i < NF; i++) if ($i == "reqid") { split($(i + 1), r, "("); ours = (r[1] == reqid) } }
    mine && ours && /lifetime current:/ { getline; gsub(/[^0-9]/, "", $NF); print $NF; exit }' <<< "$state"; }
  sql_packets=$(reqid_packets "$sql_reqid") rest_packets=$(reqid_packets "$rest_reqid")
  [ "${sql_packets:-0}" -gt 3000 ] 2>/dev/null && [ "${rest_packets:-0}" -ge 3 ] 2>/dev/null && [ "${rest_packets:-0}" -lt 100 ] 2>/dev/null \
    && pass "$name: the kernel sent the transfer under the port rule's SA ($sql_packets packets) and the pings under the other's ($rest_packets)" \
    || fail "$name: per-SA counters" "port rule's SA '${sql_packets:-none}', the other's '${rest_packets:-none}'"
  local sas; sas=$(SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl --list-sas --uri "unix://$OUT/charon/charon.vici" 2>&1)
  grep "^  sql:" <<< "$sas" | has "AES_CBC-256/HMAC_SHA2_256_128" && grep "^  rest:" <<< "$sas" | has "AES_CBC-128/HMAC_SHA1_96" \
    && pass "$name: charon's two children carry their own proposals" || fail "$name: charon's children" "$(grep -E '^  [a-z]+:' <<< "$sas" | tr '\n' ';')"
  sleep 0.5; stop "$capture_pid"; capture_pid=
  # Oracle: each decrypted packet's SPI serves the rule trace names for its 5-tuple.
  local options=() line rules checked=0 wrong=0 spi source sport dport proto expected served
  while IFS= read -r line; do options+=(-o "uat:esp_sa:$line"); done < "$OUT/keys"
  rules=$(dyn show qmsas | awk -F': ' '{ sub(/ +$/, "", $1); sub(/^ +/, "", $1) } $1 == "Rule" { rule = $2; sub(/ \(.*/, "", rule) }
    $1 == "Inbound SPI" || $1 == "Outbound SPI" { print $2, rule }' | while read -r spi served; do echo "$((spi)) $served"; done)
  # One line per distinct flow: SPI, source, the 9000 side's ports (- for any), protocol. (A
  # file, not a process substitution: the guest has no /dev/fd.)
  tshark -n -r "$OUT/ports.pcap" -o esp.enable_encryption_decode:TRUE "${options[@]}" -T fields -E separator='|' \
    -e esp.spi -e ip.src -e tcp.srcport -e tcp.dstport -e icmp.type 2>/dev/null \
    | awk -F'|' '$3 != "" { print $1, $2, ($3 == 9000 ? 9000 : "-"), ($4 == 9000 ? 9000 : "-"), "tcp"; next }
                 $5 != "" { print $1, $2, "-", "-", "icmp" }' | sort -u > "$OUT/ports.flows"
  while read -r spi source sport dport proto; do
    [ "$sport" = - ] && sport=; [ "$dport" = - ] && dport=
    if [ "$source" = 10.77.0.1 ]; then
      expected=$(WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 20 "$bin/ward" --store "$OUT/ward.db" ipsec trace srcaddr=10.77.0.1 dstaddr=10.77.0.2 protocol="$proto" ${sport:+srcport=$sport} ${dport:+dstport=$dport} direction=out | label_value "Rule")
    else
      expected=$(WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 20 "$bin/ward" --store "$OUT/ward.db" ipsec trace srcaddr=10.77.0.1 dstaddr=10.77.0.2 protocol="$proto" ${dport:+srcport=$dport} ${sport:+dstport=$sport} direction=out | label_value "Rule")
    fi
    served=$(awk -v spi="$((spi))" '$1 == spi { $1 = ""; sub(/^ /, ""); print; exit }' <<< "$rules")
    checked=$((checked + 1))
    [ -n "$expected" ] && [ "$served" = "$expected" ] || { wrong=$((wrong + 1)); echo "oracle: $source $sport→$dport $proto under spi $spi serves '$served', trace names '$expected'"; }
  done < "$OUT/ports.flows"
  [ $checked -ge 4 ] && [ $wrong = 0 ] && pass "$name: tshark decrypted $checked distinct flows; each SPI serves the rule trace names" \
    || fail "$name: oracle" "$wrong of $checked flows under another rule's SA (of 4 expected)"
  cleanup
}

run_case() {
  case $1 in
    ward-initiates) traffic_case "$1" userspace charon ward ;;
    charon-initiates) traffic_case "$1" userspace charon charon ;;
    kernel-ward-initiates) WARD_EXTRA="--console 127.0.0.1:8843" traffic_case "$1" kernel charon ward ;;
    kernel-charon-initiates) traffic_case "$1" kernel charon charon ;;
    kernel-userspace) traffic_case "$1" kernel ward ward ;;
    cert-kernel)
      if certificates; then
        pass "cert-kernel: pki made an ECDSA CA and host certificates; ward certificate import: $(grep -c '^Imported' "$OUT/certs.txt") certificates"
        CERTS=1 AUTH_ARG='rootca="C=CH, O=lab, CN=lab CA"' MMSEC=AES128-SHA256-14 CHARON_PROPOSALS=aes128-sha256-modp2048 \
          traffic_case "$1" kernel charon ward
        grep -q "authentication of 'C=CH, O=lab, CN=ward.lab.test' with ECDSA_WITH_NULL successful" "$OUT/charon/charon.log" \
          && pass "cert-kernel: charon verified Ward's ECDSA certificate and signature" \
          || fail "cert-kernel: charon's view" "$(grep -m2 -E 'authentication of|certificate' "$OUT/charon/charon.log" | tr '\n' ';')"
        grep -q 'event=main mode SA established.*ecdsaP256' "$OUT/wardd.log" \
          && pass "cert-kernel: Ward's Main Mode authenticated with ECDSA P-256 signatures" || fail "cert-kernel: Ward's log" "$(grep -m1 'main mode' "$OUT/wardd.log")"
      else
        fail "cert-kernel: certificates" "$(tail -3 "$OUT/pki/pki.log") $(cat "$OUT/certs.txt" 2>/dev/null)"
      fi ;;
    leak-kernel) leak_case "$1" kernel ;;
    leak-userspace) leak_case "$1" userspace ;;
    receive-kernel) leak_case "$1" kernel receive ;;
    soft-kernel) soft_case "$1" ;;
    tunnel-kernel) tunnel_case "$1" ;;
    ports-kernel) ports_case "$1" ;;
    *) fail "$1" "no such case" ;;
  esac
}

for c in "${cases[@]}"; do run_case "$c"; done
if [ $failures = 0 ]; then rm -rf "$OUT"; echo "kernel agent interop: all checks passed"; else echo "kernel agent interop: $failures failure(s); logs in $OUT"; fi
exit $failures
