#!/usr/bin/env bash
# The agent against strongSwan: `wardd` (Ward's agent, policy written in netsh syntax by `ward`)
# and charon (IKEv1, preshared key) in network namespaces, run as root. This host's kernel has
# no ESP, so charon runs with its userspace ESP, kernel-libipsec, which does tunnel mode only and
# always in UDP (it fakes a NAT, both sides float to 4500): every case is a tunnel between
# Ward's protected subnet 10.77.1.0/24 (10.77.1.1 on its loopback) and charon's 10.77.2.0/24
# (10.77.2.1 on its loopback), over the outer link 10.77.0.1 (Ward) ↔ 10.77.0.2 (charon).
# A check prints "PASS name" or "FAIL name: why"; the exit status is the number of failures. On
# success the output directory is deleted (unless WARD_CHARON_AGENT_KEEP is set); on failure its
# logs and captures stay.
#
#   charon-agent.sh BIN_DIR [CASE...]      BIN_DIR holds ward and wardd; default: every case
#
# Cases:
#   ward-initiates     traffic from Ward's subnet starts the negotiation (held, then sent)
#   charon-initiates   `swanctl --initiate --child tun`; Ward's agent responds
#   nat                Ward behind a NAT router (nftables masquerade), Ward initiates; NAT-T
#   cert-rsa-ward      certificates instead of the preshared key: a CA and RSA host certificates
#   cert-rsa-charon    made by strongSwan's `pki`, imported with `ward certificate import`, the
#   cert-ecdsa         rule naming the CA with rootca=; Ward initiates, charon initiates, and
#                      ECDSA P-256 (RFC 4754) with Ward initiating
#
# The certificate cases also check that both sides say how the other authenticated: Ward's
# `show mmsas` (Certificate (RSA signature) / (ECDSA P-256), charon's subject, the root) and
# charon's log (the signature scheme it verified Ward's SIG with).
#
# Every case: ping both ways through the tunnel, a 10 MB TCP transfer each way checked by
# SHA-256, `show qmsas` lists the SA, `show stats` counted protected packets, and a capture on the
# link between the peers read by tshark: no clear text between the protected subnets, nothing
# but ESP-in-UDP, IKE and ARP on the link; wardd's orderly stop deletes the SAs (charon hears
# the Delete) and removes its steering. The NAT case also checks NAT-T: wardd's "NAT detected"
# (local_behind_nat=true), charon seeing Ward at the NAT's address, and captures on both sides
# of the router.
#
# Adapted from Tests/Interop/charon-interop.sh (charon's setup) and Tests/Agent/agent-interop.sh.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BIN_DIR [CASE...]" >&2; exit 1; }
bin=$(cd "$1" && pwd) || exit 1; shift
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin/ward" ] && [ -x "$bin/wardd" ] || { echo "FAIL setup: $bin has no ward and wardd"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL setup: run as root"; exit 1; }
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(ward-initiates charon-initiates nat)
P=wc$$
W=${P}w C=${P}c N=${P}n
OUT=${WARD_CHARON_AGENT_OUT:-/tmp/ward-charon-agent}/$P
PSK="charon-agent-psk-not-a-secret"
SIZE=10000000
mkdir -p "$OUT"; chmod 755 "$(dirname "$OUT")" "$OUT"
. "$here/lib.sh"
wardd_pid= charon_pid= capture_pids=()

cleanup() {
  stop $wardd_pid $charon_pid "${capture_pids[@]}"
  wardd_pid= charon_pid= capture_pids=()
  local ns
  for ns in $W $C $N; do
    # Whatever still runs inside our namespaces was started by this script.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
# A hard bound on the whole run: every step has its own timeout (30 s at most), the watchdog
# catches the rest (SIGUSR1 is handled once the step in progress returns).
deadline=${WARD_CHARON_AGENT_DEADLINE:-170}
( sleep "$deadline"; kill -USR1 $$ ) &
watchdog=$!
finish() {
  cleanup
  kill $(ps -o pid= --ppid "$watchdog" 2>/dev/null) "$watchdog" 2>/dev/null
}
trap finish EXIT
trap 'echo "interrupted; logs and captures in $OUT"; exit 130' INT TERM
trap 'fail "deadline" "the run took more than $deadline s; logs in $OUT"; exit $((failures > 0 ? failures : 1))' USR1

base_ns() {
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# IPv6 off on the links, before they come up: no link-local chatter (MLD, router solicitations)
# on the wire, only what is tested. Per interface: wardd cannot start where IPv6 is off by
# default (its `ip -6 route ... dev ward-out` fails on a TUN device without IPv6).
no_ipv6() { nsx "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"; }

# topology NAT: Ward in W (10.77.0.1; behind the router N at 10.77.10.1 when NAT=1), charon in C
# (10.77.0.2). Ward's route to charon's subnet takes 10.77.1.1 as source, so that every socket
# (the TCP transfer too) speaks from the protected subnet. charon needs no route of its own:
# libipsec installs 10.77.1.0/24 via its ipsec0 device (table 220) with the CHILD_SA.
topology() {
  local nat=$1
  base_ns $W; base_ns $C
  CHARON=10.77.0.2
  if [ "$nat" = 0 ]; then
    ip link add wv netns $W type veth peer name cv netns $C || return 1
    nsx $W ip addr add 10.77.0.1/24 dev wv
    WARD=10.77.0.1 GATEWAY=10.77.0.2
  else
    base_ns $N
    ip link add wv netns $W type veth peer name nw netns $N || return 1
    ip link add nc netns $N type veth peer name cv netns $C || return 1
    nsx $W ip addr add 10.77.10.1/24 dev wv
    nsx $N ip addr add 10.77.10.254/24 dev nw
    nsx $N ip addr add 10.77.0.254/24 dev nc
    nsx $N ip link set nw up; nsx $N ip link set nc up
    nsx $N sysctl -qw net.ipv4.ip_forward=1
    nsx $N nft -f - <<NFT || return 1
table ip wardnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "nc" masquerade
  }
}
NFT
    WARD=10.77.10.1 GATEWAY=10.77.10.254
  fi
  if [ "$nat" = 0 ]; then no_ipv6 $W wv; no_ipv6 $C cv
  else no_ipv6 $W wv; no_ipv6 $N nw; no_ipv6 $N nc; no_ipv6 $C cv; fi
  nsx $W ip addr add 10.77.1.1/32 dev lo
  nsx $C ip addr add 10.77.0.2/24 dev cv
  nsx $C ip addr add 10.77.2.1/32 dev lo
  nsx $W ip link set wv up; nsx $C ip link set cv up
  [ "$nat" = 1 ] && nsx $W ip route add default via $GATEWAY
  nsx $W ip route add 10.77.2.0/24 via $GATEWAY src 10.77.1.1 || return 1
  nsx $W ping -c1 -W2 $CHARON > /dev/null || { echo "topology: no path to $CHARON"; return 1; }
}

# store: Ward's tunnel policy (one rule per direction, each naming the far gateway).
store() {
  local auth="psk=\"$PSK\""
  [ "$AUTH" = psk ] || auth="rootca=\"C=CH, O=lab, CN=lab CA\""
  rm -f "$OUT/ward.db"*
  cat > "$OUT/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Out"
add filter filterlist="Out" srcaddr=10.77.1.0 srcmask=24 dstaddr=10.77.2.0 dstmask=24 mirrored=no
add filterlist name="In"
add filter filterlist="In" srcaddr=10.77.2.0 srcmask=24 dstaddr=10.77.1.0 dstmask=24 mirrored=no
add filteraction name="Tunnel Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Tunnel" mmsecmethods="$MMSEC"
add rule name="Out" policy="Tunnel" filterlist="Out" filteraction="Tunnel Secure" tunnel=$CHARON $auth kerberos=no
add rule name="In" policy="Tunnel" filterlist="In" filteraction="Tunnel Secure" tunnel=$WARD $auth kerberos=no
set policy name="Tunnel" assign=yes
set batch mode=disable
popd
POLICY
  "$bin/ward" --store "$OUT/ward.db" -f "$OUT/policy.txt" > "$OUT/store.txt" 2>&1
}

# certificates KIND (rsa or ecdsa): a CA and host certificates for Ward and charon, made with
# strongSwan's pki; Ward's go into its certificate store with `ward certificate import`,
# charon's into its swanctl directories.
certificates() {
  rm -rf "$OUT/certs"
  lab_certificates "$OUT/pki" "$1" || { cat "$OUT/pki/pki.log"; return 1; }
  "$bin/ward" certificate --dir "$OUT/certs" import "$OUT/pki/ca.crt" "$OUT/pki/ward.crt" "$OUT/pki/ward.key" > "$OUT/certs.txt" 2>&1 || return 1
}

# start_charon REMOTE_ADDRS: charon in C with its own strongswan.conf, vici socket and /run.
start_charon() {
  local d=$OUT/charon
  rm -rf "$d"; mkdir -p "$d/swanctl"
  lab_charon_conf "$d" "random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf aes sha1 sha2 md5 hmac gcm gmp kernel-libipsec kernel-netlink socket-default vici"
  local local_auth="auth = psk
      id = $CHARON" remote_auth="auth = psk
      id = $WARD"
  if [ "$AUTH" != psk ]; then
    mkdir -p "$d/swanctl/x509ca" "$d/swanctl/x509" "$d/swanctl/private"
    cp "$OUT/pki/ca.crt" "$d/swanctl/x509ca/"; cp "$OUT/pki/charon.crt" "$d/swanctl/x509/"; cp "$OUT/pki/charon.key" "$d/swanctl/private/"
    local_auth="auth = pubkey
      certs = charon.crt
      id = \"C=CH, O=lab, CN=charon.lab.test\""
    remote_auth="auth = pubkey
      id = \"C=CH, O=lab, CN=ward.lab.test\"
      cacerts = ca.crt"
  fi
  local proposals=aes128-sha1-modp2048
  [ "$AUTH" = ecdsa ] && proposals=aes128-sha256-modp2048
  cat > "$d/swanctl/swanctl.conf" <<CONF
connections {
  ward {
    version = 1
    local_addrs = $CHARON
    remote_addrs = $1
    proposals = $proposals
    local {
      $local_auth
    }
    remote {
      $remote_auth
    }
    children {
      tun {
        mode = tunnel
        local_ts = 10.77.2.0/24
        remote_ts = 10.77.1.0/24
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-ward {
    id-ward = $WARD
    id-charon = $CHARON
    secret = "$PSK"
  }
}
CONF
  lab_charon_start $C "$d" || return 1
  charon_pid=$lab_charon_pid
  swanctl_c --load-all --noprompt > "$d/load.txt" 2>&1 || { cat "$d/load.txt"; return 1; }
}

swanctl_c() { SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl "$@" --uri "unix://$OUT/charon/charon.vici"; }

dyn() { WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 10 "$bin/ward" ipsec dynamic "$@"; }

# counter "Label": a value from `show stats`; saved FILE "Label": the same from a saved output.
counter() { dyn show stats | label_value "$1"; }
saved() { label_value "$2" < "$1"; }

# capture NS IFACE NAME: dumpcap until capture_stop.
capture() {
  ip netns exec "$1" dumpcap -q -i "$2" -w "$OUT/$3.pcapng" > "$OUT/$3.dumpcap" 2>&1 < /dev/null &
  capture_pids+=($!)
  for _ in $(seq 50); do [ -s "$OUT/$3.pcapng" ] && break; sleep 0.1; done
}

capture_stop() { sleep 0.5; stop "${capture_pids[@]}"; capture_pids=(); }

frames() { tshark -n -r "$OUT/$1.pcapng" -Y "$2" 2>/dev/null | wc -l; }

# pings NS FROM TO COUNT: the number of echo replies.
pings() { nsx "$1" ping -n -c "$4" -i 0.3 -W 3 -I "$2" "$3" 2>/dev/null | awk '/received/ { print $4 }'; }

# transfer FROM_NS TO_NS TO_ADDR PORT: SIZE bytes over TCP through the tunnel; same SHA-256 both ends.
transfer() {
  local from=$1 to=$2 addr=$3 port=$4 sent received server
  nsx "$to" timeout 35 python3 "$here/traffic.py" serve "$addr" "$port" 30 > "$OUT/received-$port" 2>&1 &
  server=$!
  sleep 0.5
  sent=$(nsx "$from" timeout 30 python3 "$here/traffic.py" send "$addr" "$port" "$SIZE" "seed-$port" 2>&1)
  wait $server
  received=$(cat "$OUT/received-$port")
  if [ -n "$sent" ] && [ "$sent" = "$received" ] && [ "${sent%% *}" = "$SIZE" ]; then
    transfer_result="$SIZE bytes, sha256 ${sent#* }"; return 0
  fi
  transfer_result="sent '${sent:0:120}', received '${received:0:120}'"; return 1
}

run_case() {
  local name=$1 who=$2 nat=$3 t0 n
  AUTH=${4:-psk} MMSEC=AES128-SHA1-14
  [ "$AUTH" = ecdsa ] && MMSEC=AES128-SHA256-14
  t0=$(date +%s)
  echo "== $name"
  cleanup
  rm -rf "$OUT/charon" "$OUT/ward.sock" "$OUT/ward.json"
  if ! topology "$nat" > "$OUT/$name.topology" 2>&1; then fail "$name: topology" "$(tail -3 "$OUT/$name.topology")"; return; fi
  if [ "$AUTH" != psk ]; then
    certificates "$AUTH" > "$OUT/$name.pki" 2>&1 || { fail "$name: certificates" "$(tail -3 "$OUT/$name.pki") $(cat "$OUT/certs.txt" 2>/dev/null)"; return; }
    pass "$name: pki made the CA and $AUTH host certificates; ward certificate import: $(grep -c '^Imported' "$OUT/certs.txt") certificates"
  fi
  store || { fail "$name: store" "ward -f refused the policy: $(cat "$OUT/store.txt")"; return; }
  local remote=$WARD; [ "$nat" = 1 ] && remote=%any
  start_charon "$remote" > "$OUT/$name.charon-start" 2>&1 || { fail "$name: charon start" "$(tail -3 "$OUT/$name.charon-start")"; return; }
  capture $C cv "$name"
  [ "$nat" = 1 ] && capture $W wv "$name-private"
  # wardd directly (no function, no subshell): $! is the agent, SIGTERM reaches it.
  ip netns exec $W "$bin/wardd" --foreground --store "$OUT/ward.db" --socket "$OUT/ward.sock" --config "$OUT/ward.json" --certificates "$OUT/certs" \
    > "$OUT/$name.wardd.log" 2>&1 < /dev/null &
  wardd_pid=$!
  local up=0
  for _ in $(seq 100); do
    dyn show config > /dev/null 2>&1 && { up=1; break; }
    kill -0 $wardd_pid 2>/dev/null || break
    sleep 0.1
  done
  if [ $up = 0 ]; then fail "$name: wardd start" "no answer on its control socket: $(tail -3 "$OUT/$name.wardd.log")"; return; fi
  pass "$name: wardd started ($(grep -o 'ike=[^ ]*' "$OUT/$name.wardd.log" | head -1))"

  if [ "$who" = charon ]; then
    if swanctl_c --initiate --child tun --timeout 20 > "$OUT/$name.initiate" 2>&1; then
      pass "$name: swanctl --initiate --child tun: $(grep -o 'CHILD_SA tun{[0-9]*} established.*' "$OUT/$name.initiate" | head -1)"
    else
      fail "$name: swanctl --initiate --child tun" "rc=$?: $(tail -2 "$OUT/$name.initiate" | tr '\n' ' ')"
    fi
    n=$(pings $C 10.77.2.1 10.77.1.1 5)
    [ "${n:-0}" -ge 4 ] && pass "$name: ping charon→Ward through the tunnel ($n/5)" || fail "$name: ping charon→Ward" "${n:-0}/5 replies"
    n=$(pings $W 10.77.1.1 10.77.2.1 5)
    [ "${n:-0}" = 5 ] && pass "$name: ping Ward→charon ($n/5)" || fail "$name: ping Ward→charon" "${n:-0}/5 replies"
  else
    # The first echo request is held while IKE runs, then sent under the new SA.
    n=$(pings $W 10.77.1.1 10.77.2.1 5)
    [ "${n:-0}" -ge 3 ] && pass "$name: ping Ward→charon starts IKE and crosses the tunnel ($n/5)" || fail "$name: ping Ward→charon" "${n:-0}/5 replies"
    n=$(pings $C 10.77.2.1 10.77.1.1 5)
    [ "${n:-0}" = 5 ] && pass "$name: ping charon→Ward ($n/5)" || fail "$name: ping charon→Ward" "${n:-0}/5 replies"
  fi

  local qmsas; qmsas=$(dyn show qmsas 2>&1)
  echo "$qmsas" > "$OUT/$name.qmsas"
  if grep -q "Quick Mode SA #1" <<<"$qmsas"; then
    pass "$name: show qmsas lists Quick Mode SA #1 ($(grep -m1 -E '^ *Mode ' <<<"$qmsas" | sed 's/^ *//' | tr -s ' '); $(grep -m1 -E '^ *Encapsulation ' <<<"$qmsas" | sed 's/^ *//' | tr -s ' '))"
  else
    fail "$name: show qmsas" "no Quick Mode SA #1: $(head -3 <<<"$qmsas" | tr '\n' ' ')"
  fi
  if swanctl_c --list-sas > "$OUT/$name.charon-sas" 2>&1 && grep -q "tun: #.*INSTALLED, TUNNEL-in-UDP" "$OUT/$name.charon-sas"; then
    pass "$name: charon lists the CHILD_SA installed, TUNNEL-in-UDP"
  else
    fail "$name: charon's SAs" "$(grep -E 'ward:|tun:' "$OUT/$name.charon-sas" | tr -s ' ' | tr '\n' ';')"
  fi

  if [ "$AUTH" != psk ]; then
    local method="Certificate (RSA signature)" scheme=RSA_EMSA_PKCS1_NULL
    [ "$AUTH" = ecdsa ] && method="Certificate (ECDSA P-256)" scheme=ECDSA_WITH_NULL
    dyn show mmsas > "$OUT/$name.mmsas" 2>&1
    if grep -q "Authentication *: $method" "$OUT/$name.mmsas" && grep -q "Peer Identity *: CN=charon.lab.test,O=lab,C=CH" "$OUT/$name.mmsas" \
       && grep -q "Peer Root CA *: C=CH, O=lab, CN=lab CA" "$OUT/$name.mmsas"; then
      pass "$name: show mmsas: $method, peer CN=charon.lab.test under rootca lab CA"
    else
      fail "$name: show mmsas" "$(grep -E 'Authentication|Peer' "$OUT/$name.mmsas" | tr -s ' ' | tr '\n' ';')"
    fi
    if grep -q "authentication of 'C=CH, O=lab, CN=ward.lab.test' with $scheme successful" "$OUT/charon/charon.log"; then
      pass "$name: charon verified Ward's certificate and signature ($scheme)"
    else
      fail "$name: charon's view" "$(grep -m2 -E "authentication of|signature|certificate" "$OUT/charon/charon.log" | tr '\n' ';')"
    fi
  fi

  local out_before in_before
  out_before=$(counter "Outbound Protected"); in_before=$(counter "Inbound Protected")
  if transfer $W $C 10.77.2.1 9000; then pass "$name: TCP Ward→charon arrives intact ($transfer_result)"
  else fail "$name: TCP Ward→charon" "$transfer_result"; fi
  if transfer $C $W 10.77.1.1 9001; then pass "$name: TCP charon→Ward arrives intact ($transfer_result)"
  else fail "$name: TCP charon→Ward" "$transfer_result"; fi
  local out_after in_after
  out_after=$(counter "Outbound Protected"); in_after=$(counter "Inbound Protected")
  dyn show stats > "$OUT/$name.stats" 2>&1
  if [ $(( ${out_after:-0} - ${out_before:-0} )) -ge 5000 ] && [ $(( ${in_after:-0} - ${in_before:-0} )) -ge 5000 ]; then
    pass "$name: show stats: Outbound Protected +$(( out_after - out_before )), Inbound Protected +$(( in_after - in_before )) during the transfers"
  else
    fail "$name: show stats" "Outbound Protected ${out_before:-?}→${out_after:-?}, Inbound Protected ${in_before:-?}→${in_after:-?}"
  fi

  local errors=""
  for label in "Bad SPI Packets" "Packets Not Decrypted" "Packets Not Authenticated" "Packets With Replay Detection" \
               "Inbound Policy Mismatch" "Inbound Clear Dropped" "Held Packets Dropped" "Send Failures"; do
    n=$(saved "$OUT/$name.stats" "$label")
    [ "${n:-0}" = 0 ] || errors="$errors $label=$n;"
  done
  [ -z "$errors" ] && pass "$name: show stats: no ESP errors, mismatches, drops or send failures" || fail "$name: show stats" "$errors"
  # Each packet counted once: the IPsec totals agree with the datapath's own counters.
  local stat=$OUT/$name.stats
  if [ "$(saved "$stat" "Packets Sent")" = "$(saved "$stat" "Outbound Protected")" ] && [ "$(saved "$stat" "Packets Received")" = "$(saved "$stat" "Inbound Protected")" ]; then
    pass "$name: show stats: IPsec Packets Sent/Received ($(saved "$stat" "Packets Sent")/$(saved "$stat" "Packets Received")) = Outbound/Inbound Protected"
  else
    fail "$name: show stats" "Packets Sent $(saved "$stat" "Packets Sent") vs Outbound Protected $(saved "$stat" "Outbound Protected"), Packets Received $(saved "$stat" "Packets Received") vs Inbound Protected $(saved "$stat" "Inbound Protected")"
  fi

  if grep -q 'event=quick mode SA installed.*udp=true' "$OUT/$name.wardd.log"; then
    pass "$name: wardd installed the SA in UDP ($(grep -m1 'event=quick mode SA installed' "$OUT/$name.wardd.log" | grep -o 'transform="[^"]*".*'))"
  else
    fail "$name: wardd SA" "no 'quick mode SA installed ... udp=true' in the log: $(grep -m1 -o 'event=quick mode SA installed.*' "$OUT/$name.wardd.log")"
  fi
  if [ "$nat" = 1 ]; then
    if grep -q 'event=NAT detected.*local_behind_nat=true' "$OUT/$name.wardd.log"; then
      pass "$name: wardd detected it is behind the NAT ($(grep -m1 -o 'event=NAT detected.*' "$OUT/$name.wardd.log"))"
    else
      fail "$name: NAT detection" "$(grep -m1 -o 'event=NAT detected.*' "$OUT/$name.wardd.log" || echo "no 'NAT detected' line")"
    fi
    if grep -q "remote '$WARD' @ 10.77.0.254\[4500\]" "$OUT/$name.charon-sas"; then
      pass "$name: charon sees Ward (ID $WARD) at the NAT's address 10.77.0.254[4500]"
    else
      fail "$name: charon's view of Ward" "$(grep -m1 'remote' "$OUT/$name.charon-sas" | tr -s ' ')"
    fi
  fi

  capture_stop
  local clear others esp_udp isakmp
  for cap in "$name" $([ "$nat" = 1 ] && echo "$name-private"); do
    clear=$(frames "$cap" 'ip.addr==10.77.1.0/24 && ip.addr==10.77.2.0/24')
    [ "$clear" = 0 ] && pass "$cap: capture: no clear text between 10.77.1.0/24 and 10.77.2.0/24" \
      || fail "$cap: capture" "$clear clear-text frames between the protected subnets"
    others=$(frames "$cap" '!arp && !esp && !(udp.port==500 || udp.port==4500)')
    [ "$others" = 0 ] && pass "$cap: capture: nothing but ESP, IKE and ARP on the link" \
      || fail "$cap: capture" "$others frames neither ESP, UDP 500/4500 nor ARP: $(tshark -n -r "$OUT/$cap.pcapng" -Y '!arp && !esp && !(udp.port==500 || udp.port==4500)' 2>/dev/null | head -3 | tr -s ' ' | tr '\n' ';')"
    esp_udp=$(frames "$cap" 'udp.port==4500 && esp')
    isakmp=$(frames "$cap" 'isakmp')
    if [ "$esp_udp" -ge 10000 ] && [ "$isakmp" -ge 6 ]; then
      pass "$cap: capture: $esp_udp ESP-in-UDP (4500) frames, $isakmp ISAKMP"
    else
      fail "$cap: capture" "$esp_udp ESP-in-UDP frames (want ≥ 10000), $isakmp ISAKMP (want ≥ 6)"
    fi
  done
  if [ "$nat" = 1 ]; then
    n=$(frames "$name" 'ip.src==10.77.0.254 && udp.srcport==4500 && esp')
    [ "$n" -ge 5000 ] && pass "$name: capture: Ward's ESP-in-UDP leaves the NAT from 10.77.0.254:4500 ($n frames)" \
      || fail "$name: capture" "$n ESP-in-UDP frames from 10.77.0.254:4500 (the NAT) on charon's link"
  fi

  # An orderly stop: Ward deletes its SAs (charon hears it) and removes its steering.
  stop $wardd_pid; wardd_pid=
  if grep -q 'event=stopped' "$OUT/$name.wardd.log" && ! nsx $W nft list tables 2>/dev/null | grep -q ward \
     && ! nsx $W ip link show ward-out > /dev/null 2>&1; then
    pass "$name: wardd stopped in order (steering and TUN devices removed)"
  else
    fail "$name: wardd stop" "$(tail -2 "$OUT/$name.wardd.log" | tr '\n' ' ')"
  fi
  sleep 0.5
  if grep -q "received DELETE for ESP CHILD_SA" "$OUT/charon/charon.log"; then
    pass "$name: charon received Ward's Delete for the CHILD_SA"
  else
    fail "$name: delete" "charon's log has no 'received DELETE for ESP CHILD_SA'"
  fi
  echo "== $name: $(( $(date +%s) - t0 )) s"
  cleanup
}

for c in "${cases[@]}"; do
  case $c in
    ward-initiates) run_case ward-initiates ward 0 ;;
    charon-initiates) run_case charon-initiates charon 0 ;;
    nat) run_case nat ward 1 ;;
    cert-rsa-ward) run_case cert-rsa-ward ward 0 rsa ;;
    cert-rsa-charon) run_case cert-rsa-charon charon 0 rsa ;;
    cert-ecdsa) run_case cert-ecdsa ward 0 ecdsa ;;
    *) fail "unknown case $c" "expected ward-initiates, charon-initiates, nat, cert-rsa-ward, cert-rsa-charon or cert-ecdsa" ;;
  esac
done
if [ $failures = 0 ]; then
  if [ -z "${WARD_CHARON_AGENT_KEEP:-}" ]; then rm -rf "$OUT"; else echo "output kept in $OUT"; fi
  echo "charon agent interop: all checks passed ($SECONDS s)"
else
  echo "charon agent interop: $failures failure(s) ($SECONDS s); logs and captures in $OUT"
fi
exit $failures
