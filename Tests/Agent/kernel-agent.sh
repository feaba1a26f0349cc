#!/usr/bin/env bash
# wardd against strongSwan's charon using the Linux kernel's own ESP (XFRM), inside a kernel
# that has ESP — the user-mode Linux guest (Tests/Kernel/uml-run.sh). That kernel has no
# nftables inet/netdev families, so wardd steers packets by policy routing and tc there.
# Transport mode host to host, preshared key: Ward (10.77.0.1, namespace W) and charon
# (10.77.0.2, namespace C). A check prints "PASS name" or "FAIL name: why"; the exit status is
# the number of failures.
#
#   kernel-agent.sh BIN_DIR [CASE...]      cases: ward-initiates charon-initiates (default: both)
#
# Each case: ping both ways, a 5 MB TCP transfer checked by SHA-256, the kernel's XFRM counters
# (`ip -s xfrm state`) show it decrypted Ward's ESP and Ward's counters show it decrypted the
# kernel's, and `ward ipsec dynamic show qmsas` lists the SA.
set -uo pipefail
bin=$(cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(ward-initiates charon-initiates)
P=wk$$
W=${P}w C=${P}c
OUT=${WARD_KERNEL_AGENT_OUT:-/tmp/ward-kernel-agent}/$P
PSK="kernel-agent-psk-not-a-secret"
mkdir -p "$OUT"
failures=0 wardd_pid= charon_pid=
for module in tun sch_ingress cls_u32 act_mirred esp4 xfrm_user ah4 xfrm4_tunnel; do modprobe "$module" 2>/dev/null; done

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

stop() {
  local pid
  for pid in "$@"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
}

cleanup() {
  stop "$wardd_pid" "$charon_pid"; wardd_pid= charon_pid=
  local ns
  for ns in $W $C; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dyn() { WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 20 "$bin/ward" ipsec dynamic "$@"; }
counter() { dyn show stats | awk -F': ' -v label="$1" '{ sub(/ +$/, "", $1) } $1 == label { print $2; exit }'; }
pings() { nsx "$1" ping -n -c "$3" -i 0.3 -W 3 "$2" 2>/dev/null | awk '/received/ { print $4 }'; }

setup() {
  local ns
  for ns in $W $C; do ip netns add $ns; nsx $ns ip link set lo up; done
  ip link add wv netns $W type veth peer name cv netns $C
  nsx $W ip addr add 10.77.0.1/24 dev wv; nsx $C ip addr add 10.77.0.2/24 dev cv
  nsx $W ip link set wv up; nsx $C ip link set cv up
  cat > "$OUT/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=10.77.0.2
add filteraction name="Kernel Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Kernel" mmsecmethods="AES128-SHA1-14"
add rule name="Peer" policy="Kernel" filterlist="Peer" filteraction="Kernel Secure" psk="$PSK" kerberos=no
set policy name="Kernel" assign=yes
set batch mode=disable
popd
POLICY
  rm -f "$OUT/ward.db"*
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" || { fail setup "ward -f refused the policy"; return 1; }
  ip netns exec $W "$bin/wardd" --foreground --store "$OUT/ward.db" --socket "$OUT/ward.sock" --config "$OUT/ward.json" > "$OUT/wardd.log" 2>&1 &
  wardd_pid=$!
  local d=$OUT/charon
  rm -rf "$d"; mkdir -p "$d/swanctl"
  cat > "$d/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey kdf aes sha1 sha2 hmac gcm gmp kernel-netlink socket-default vici
  plugins { vici { socket = unix://$d/charon.vici } }
  syslog { daemon { default = -1 } }
  filelog { lab { path = $d/charon.log
    default = 1
    ike = 2 } }
}
CONF
  cat > "$d/swanctl/swanctl.conf" <<CONF
connections { ward { version = 1
  local_addrs = 10.77.0.2
  remote_addrs = 10.77.0.1
  proposals = aes128-sha1-modp2048
  local { auth = psk
    id = 10.77.0.2 }
  remote { auth = psk
    id = 10.77.0.1 }
  children { tr { mode = transport
    esp_proposals = aes128-sha1 } } } }
secrets { ike { id-w = 10.77.0.1
  id-c = 10.77.0.2
  secret = "$PSK" } }
CONF
  ip netns exec $C sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$d/strongswan.conf" \
    > "$d/charon.out" 2>&1 < /dev/null &
  charon_pid=$!
  for _ in $(seq 150); do [ -S "$d/charon.vici" ] && dyn show config > /dev/null 2>&1 && break; sleep 0.1; done
  SWANCTL_DIR=$d/swanctl swanctl --load-all --noprompt --uri "unix://$d/charon.vici" > "$d/load.txt" 2>&1 || { fail setup "swanctl --load-all: $(tail -2 "$d/load.txt")"; return 1; }
  dyn show config > /dev/null 2>&1 || { fail setup "wardd did not start: $(tail -3 "$OUT/wardd.log")"; return 1; }
  grep -q "steering=tc" "$OUT/wardd.log" && pass "$1: wardd steers by policy routing and tc on this kernel" || fail "$1: steering" "$(grep -o 'steering=[a-z]*' "$OUT/wardd.log")"
}

transfer() {  # from-ns to-ns to-address
  nsx "$2" python3 "$here/traffic.py" serve "$3" 9000 100 > "$OUT/received" &
  local server=$!
  sleep 0.5
  local sent
  sent=$(nsx "$1" timeout 120 python3 "$here/traffic.py" send "$3" 9000 5000000 "kernel-agent")
  wait $server
  [ -n "$sent" ] && [ "$sent" = "$(cat "$OUT/received")" ]
}

run_case() {
  local name=$1
  echo "== $name"
  setup "$name" || { cleanup; return; }
  if [ "$name" = charon-initiates ]; then
    SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl --initiate --child tr --uri "unix://$OUT/charon/charon.vici" > "$OUT/initiate.txt" 2>&1 \
      && pass "$name: swanctl --initiate: CHILD_SA established with Ward" || fail "$name: swanctl --initiate" "$(tail -2 "$OUT/initiate.txt")"
  fi
  local got
  # The first packet waits for IKE (Diffie-Hellman group 14 is slow in the guest): give it time.
  nsx $W ping -n -c 1 -W 15 10.77.0.2 > /dev/null
  got=$(pings $W 10.77.0.2 3); [ "${got:-0}" = 3 ] && pass "$name: ping Ward→charon through ESP ($got/3)" || fail "$name: ping Ward→charon" "${got:-0}/3"
  got=$(pings $C 10.77.0.1 3); [ "${got:-0}" = 3 ] && pass "$name: ping charon→Ward ($got/3)" || fail "$name: ping charon→Ward" "${got:-0}/3"
  transfer $W $C 10.77.0.2 && pass "$name: 5 MB TCP Ward→charon arrives intact (SHA-256)" || fail "$name: TCP Ward→charon" "received '$(cat "$OUT/received")'"
  transfer $C $W 10.77.0.1 && pass "$name: 5 MB TCP charon→Ward arrives intact (SHA-256)" \
    || fail "$name: TCP charon→Ward" "received '$(cat "$OUT/received")'; Ward: $(dyn show stats type=ipsec | grep -vE ': 0$' | grep -E 'Dropped|Blocked|Mismatch|Malformed|Failures|Bad SPI|Not|Replay' | tr -s ' ' | paste -sd ';')"
  local kernel_in
  kernel_in=$(nsx $C ip -s xfrm state | awk '/^src 10.77.0.1 dst 10.77.0.2/ { mine = 1 } mine && /lifetime current:/ { getline; gsub(/[^0-9]/, "", $NF); print $NF; exit }')
  [ "${kernel_in:-0}" -gt 3000 ] 2>/dev/null && pass "$name: the kernel decrypted Ward's ESP ($kernel_in packets on its inbound SA)" \
    || fail "$name: kernel XFRM counters" "inbound SA shows '${kernel_in:-none}' packets"
  local received
  received=$(counter "Inbound Protected")
  [ "${received:-0}" -gt 3000 ] && pass "$name: Ward decrypted the kernel's ESP ($received packets)" || fail "$name: Ward's counters" "Inbound Protected ${received:-none}"
  dyn show qmsas | grep -q "Quick Mode SA #1" && pass "$name: show qmsas lists the SA" || fail "$name: show qmsas" "no SA listed"
  cleanup
}

for c in "${cases[@]}"; do run_case "$c"; done
if [ $failures = 0 ]; then rm -rf "$OUT"; echo "kernel agent interop: all checks passed"; else echo "kernel agent interop: $failures failure(s); logs in $OUT"; fi
exit $failures
