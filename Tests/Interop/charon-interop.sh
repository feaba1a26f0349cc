#!/usr/bin/env bash
# IKEv1 interop between Ward (ward-ike-peer) and strongSwan's charon, each in its own network
# namespace. On this host's kernel (no ESP) charon runs with its userspace ESP, kernel-libipsec,
# which does tunnel mode in ESP-in-UDP only: so every case is a tunnel 10.77.1.0/24 <->
# 10.77.2.0/24 and both sides float to UDP 4500. A case passes when the negotiation completes
# and ICMP echo crosses the tunnel both ways (Ward's ESP <-> charon's ESP), tshark finds no
# malformed ISAKMP message, and tshark decrypts Ward's encrypted messages with the keys Ward
# logged. Adapted from the lab recipes (strongswan-peer.sh, strongswan-cases.sh).
#
#   charon-interop.sh [--kernel] PEER_BINARY [CASE...]     (default: every case)
#
# --kernel: inside a kernel with ESP (the UML guest, Tests/Kernel/uml-run.sh), charon uses the
# kernel's XFRM (kernel-netlink) and the cases are transport mode, host to host, plain ESP:
# Ward's ESP on raw sockets against the Linux kernel's, keyed by IKE between Ward and charon.
#
# Case fields: name | who initiates (ward|charon) | IKE proposal | ESP proposal | PFS group |
#              network (0: same link; 1: through the NAT router; v6: same link over IPv6) | psk (same|wrong) | IDs (ip: addresses; fqdn: names; wrong-id: Ward
#              expects a name charon does not present)
set -uo pipefail
kernel=0
[ "${1:-}" = --kernel ] && { kernel=1; shift; }
peer=$1; shift
only=("$@")
P=wi$$
W=${P}w C=${P}c N=${P}n
OUT=${WARD_INTEROP_OUT:-/tmp/ward-interop}/$P
PSK="ward-interop-psk-not-a-secret"
mkdir -p "$OUT"
pids=()

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$OUT/charon.pid" ] && kill "$(cat "$OUT/charon.pid")" 2>/dev/null
  sleep 0.2
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  [ -f "$OUT/charon.pid" ] && kill -9 "$(cat "$OUT/charon.pid")" 2>/dev/null
  rm -f "$OUT/charon.pid"
  pids=()
  # Whatever still runs inside our namespaces was started by this script.
  local ns
  for ns in $W $C $N; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT

base_ns() {
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# Ward in W (10.77.0.1, or 10.77.10.1 behind the NAT router N), charon in C (10.77.0.2) with the
# protected subnet 10.77.2.0/24 on its loopback.
topology() {
  local nat=$1
  base_ns $W; base_ns $C
  CHARON=10.77.0.2
  if [ "$nat" = 0 ] || [ "$nat" = v6 ]; then
    ip link add wv netns $W type veth peer name cv netns $C
    nsx $W ip addr add 10.77.0.1/24 dev wv
    WARD=10.77.0.1
    if [ "$nat" = v6 ]; then
      nsx $W ip -6 addr add fd77::1/64 dev wv nodad
      nsx $C ip -6 addr add fd77::2/64 dev cv nodad
      WARD=fd77::1 CHARON=fd77::2
    fi
  else
    base_ns $N
    ip link add wv netns $W type veth peer name nw netns $N
    ip link add nc netns $N type veth peer name cv netns $C
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
    WARD=10.77.10.1
  fi
  nsx $C ip addr add 10.77.0.2/24 dev cv
  nsx $C ip addr add 10.77.2.1/24 dev lo
  nsx $W ip link set wv up; nsx $C ip link set cv up
  [ "$nat" = 1 ] && nsx $W ip route add default via 10.77.10.254
  nsx $W ping -c1 -W2 $CHARON >/dev/null || { echo "topology: no path to $CHARON"; return 1; }
}

start_charon() {  # ike esp remote-id remote-addrs local-id
  local d=$OUT/charon
  rm -rf "$d"; mkdir -p "$d/swanctl"
  cat > "$d/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf aes sha1 sha2 md5 hmac gcm gmp $BACKEND socket-default vici
  retransmit_tries = 3
  retransmit_timeout = 2.0
  retransmit_base = 1.4
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  filelog {
    lab {
      path = $d/charon.log
      time_format = %H:%M:%S
      append = no
      flush_line = yes
      default = 1
      ike = 2
      cfg = 1
    }
  }
}
CONF
  cat > "$d/swanctl/swanctl.conf" <<CONF
connections {
  ward {
    version = 1
    local_addrs = $CHARON
    remote_addrs = $4
    proposals = $1
    local {
      auth = psk
      id = $5
    }
    remote {
      auth = psk
      id = $3
    }
    children {
      tun {
        mode = tunnel
        local_ts = 10.77.2.0/24
        remote_ts = 10.77.1.0/24
        esp_proposals = $2$CHILD_LIFETIME
      }
      tr {
        mode = transport
        esp_proposals = $2
      }
    }
  }
}
secrets {
  ike-ward {
    id-ward = $3
    id-charon = $5
    secret = "$PSK"
  }
}
CONF
  # charon has /var/run/charon.pid compiled in: give it a private /run (ip netns exec already
  # runs the command in its own mount namespace).
  ip netns exec $C sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$d/strongswan.conf" \
    > "$d/charon.out" 2>&1 < /dev/null &
  echo $! > "$OUT/charon.pid"
  local i
  for i in $(seq 100); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
  [ -S "$d/charon.vici" ] || { cat "$d/charon.out"; return 1; }
  swanctl_c --load-all --noprompt > "$d/load.txt" 2>&1 || { cat "$d/load.txt"; return 1; }
}

swanctl_c() { SWANCTL_DIR=$OUT/charon/swanctl timeout 40 swanctl "$@" --uri "unix://$OUT/charon/charon.vici"; }

capture_start() {
  rm -f "$OUT/$1.pcap"
  ip netns exec $W dumpcap -q -i wv -f udp -w "$OUT/$1.pcap" > /dev/null 2>&1 < /dev/null &
  capture_pid=$!
  pids+=("$capture_pid")
  local i
  for i in $(seq 50); do [ -s "$OUT/$1.pcap" ] && break; sleep 0.1; done
}

capture_stop() { sleep 0.3; kill "$capture_pid" 2>/dev/null; wait "$capture_pid" 2>/dev/null; }

# tshark: no malformed ISAKMP; Ward's encrypted messages decrypt (HASH payloads appear).
check_tshark() {  # name ward-address minimum-messages
  local pcap=$OUT/$1.pcap
  local malformed; malformed=$(tshark -n -r "$pcap" -Y 'isakmp && _ws.malformed' 2>/dev/null | wc -l)
  local options=()
  local line
  while IFS= read -r line; do [ -n "$line" ] && options+=(-o "uat:ikev1_decryption_table:$line"); done < "$OUT/keys"
  local src=ip.src; [[ $2 == *:* ]] && src=ipv6.src
  local total; total=$(tshark -n -r "$pcap" -Y "isakmp && $src == $2" 2>/dev/null | wc -l)
  local hashes; hashes=$(tshark -n -r "$pcap" "${options[@]}" -Y "isakmp.typepayload == 8 && $src == $2" 2>/dev/null | wc -l)
  local plain; plain=$(tshark -n -r "$pcap" -Y "isakmp.typepayload == 8 && $src == $2" 2>/dev/null | wc -l)
  tshark_summary="tshark: $total ISAKMP from Ward, $malformed malformed, $hashes with HASH decrypted (without keys: $plain)"
  [ "$malformed" = 0 ] && [ "$total" -ge "$3" ] && [ "$hashes" -ge 2 ] && [ "$plain" = 0 ]
}

if [ "$kernel" = 1 ]; then
  BACKEND=kernel-netlink CHILD=tr
  cases=(
    "transport 3des-sha1-modp1024 ward|ward|3des-sha1-modp1024|3des-sha1||0|same"
    "transport aes128-sha1-modp2048-pfs charon|charon|aes128-sha1-modp2048|aes128-sha1|modp2048|0|same"
    "transport aes256-sha256-modp2048 charon|charon|aes256-sha256-modp2048|aes256-sha256||0|same"
    "transport aes128gcm16 ward|ward|aes128-sha1-modp2048|aes128gcm16||0|same"
  )
else
  BACKEND="kernel-libipsec kernel-netlink" CHILD=tun
  cases=(
  "3des-sha1-modp1024 ward|ward|3des-sha1-modp1024|3des-sha1||0|same"
  "3des-sha1-modp1024 charon|charon|3des-sha1-modp1024|3des-sha1||0|same"
  "aes128-sha1-modp2048-pfs ward|ward|aes128-sha1-modp2048|aes128-sha1|modp2048|0|same"
  "aes128-sha1-modp2048-pfs charon|charon|aes128-sha1-modp2048|aes128-sha1|modp2048|0|same"
  "aes256-sha256-modp2048 ward|ward|aes256-sha256-modp2048|aes256-sha256||0|same"
  "aes256-sha256-modp2048 charon|charon|aes256-sha256-modp2048|aes256-sha256||0|same"
  "nat aes128-sha1-modp2048 ward|ward|aes128-sha1-modp2048|aes128-sha1||1|same"
  "wrong-psk ward|ward|3des-sha1-modp1024|3des-sha1||0|wrong"
  "wrong-psk charon|charon|3des-sha1-modp1024|3des-sha1||0|wrong"
  "fqdn-ids ward|ward|aes128-sha1-modp2048|aes128-sha1||0|same|fqdn"
  "fqdn-ids charon|charon|aes128-sha1-modp2048|aes128-sha1||0|same|fqdn"
  "wrong-peer-id ward|ward|aes128-sha1-modp2048|aes128-sha1||0|same|wrong-id"
  "ipv6 aes256-sha256-modp2048 ward|ward|aes256-sha256-modp2048|aes256-sha256||v6|same"
  "ipv6 aes128-sha1-modp2048-pfs charon|charon|aes128-sha1-modp2048|aes128-sha1|modp2048|v6|same"
  "rekey charon|charon|aes128-sha1-modp2048|aes128-sha1||0|same|rekey"
  )
fi

passed=0 failed=0
for entry in "${cases[@]}"; do
  IFS='|' read -r name who ike esp pfs nat psk ids <<<"$entry"
  ids=${ids:-ip}
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" ${name// /-} "* ]]; then continue; fi
  slug=${name// /-}
  cleanup
  rm -f "$OUT/keys"
  if ! topology "$nat" > "$OUT/$slug.topology" 2>&1; then
    echo "FAIL $name: topology: $(cat "$OUT/$slug.topology")"; failed=$((failed+1)); continue
  fi
  charon_esp=$esp; [ -n "$pfs" ] && charon_esp="$esp-$pfs"
  remote_addrs=$WARD; [ "$nat" = 1 ] && remote_addrs=%any
  # rekey: charon rekeys the tunnel every 4 s (a new Quick Mode under the same Main Mode SA)
  # while it pings through it for 12 s; every ping must be answered.
  CHILD_LIFETIME="" pings=5 answers=3 rekey=0
  if [ "$ids" = rekey ]; then
    CHILD_LIFETIME=$'\n        rekey_time = 4s\n        life_time = 8s\n        rand_time = 0s'
    pings=30 answers=30 rekey=1
    ids=ip
  fi
  ward_id=$WARD charon_id=$CHARON
  [ "$ids" != ip ] && ward_id=initiator.ward.test charon_id=responder.ward.test
  if ! start_charon "$ike" "$charon_esp" "$ward_id" "$remote_addrs" "$charon_id" > "$OUT/$slug.charon-start" 2>&1; then
    echo "FAIL $name: charon did not start: $(tail -3 "$OUT/$slug.charon-start")"; failed=$((failed+1)); continue
  fi
  key=$PSK; [ "$psk" = wrong ] && key="not-$PSK"
  flags=(--local "$WARD" --remote "$CHARON" --psk "$key" --ike "$ike" --esp "$esp" --keylog "$OUT/keys")
  if [ "$CHILD" = tun ]; then
    flags+=(--mode tunnel --local-ts 10.77.1.0/24 --remote-ts 10.77.2.0/24)
    ping_from=10.77.2.1 ping_to=10.77.1.1
  else
    ping_from=10.77.0.2 ping_to=$WARD
  fi
  [ -n "$pfs" ] && flags+=(--pfs "$pfs")
  [ "$ids" = fqdn ] && flags+=(--id initiator.ward.test --peer-id responder.ward.test)
  [ "$ids" = wrong-id ] && flags+=(--id initiator.ward.test --peer-id someone-else.ward.test)
  [ "$kernel" = 0 ] && capture_start "$slug"
  started=$(date +%s.%N)
  if [ "$who" = ward ]; then
    nsx $W timeout 40 "$peer" "${flags[@]}" --initiate --pings 3 --timeout 20 > "$OUT/$slug.ward" 2>&1
    rc=$?
    initiate="ward initiated"
  else
    ip netns exec $W timeout 40 "$peer" "${flags[@]}" --answer $answers --timeout 30 > "$OUT/$slug.ward" 2>&1 < /dev/null &
    wpid=$!; pids+=("$wpid")
    sleep 0.3
    swanctl_c --initiate --child $CHILD --timeout 15 > "$OUT/$slug.initiate" 2>&1
    initiated=$?
    initiate="charon initiate rc=$initiated"
    if [ "$initiated" = 0 ]; then
      nsx $C ping -n -c $pings -i 0.4 -W 2 -I $ping_from $ping_to > "$OUT/$slug.ping" 2>&1
      initiate="$initiate, charon ping: $(grep -o '[0-9]* received' "$OUT/$slug.ping")"
    fi
    wait "$wpid"; rc=$?
  fi
  elapsed=$(echo "$(date +%s.%N) - $started" | bc)
  [ "$kernel" = 0 ] && capture_stop
  summary=$(tail -1 "$OUT/$slug.ward")
  if [ "$ids" = wrong-id ]; then
    # Charon proves the key but is not who the policy names: no SA, the reason says who it was.
    if [ "$rc" != 0 ] && ! grep -q '^installed' "$OUT/$slug.ward" && grep -q 'identified itself as responder.ward.test' "$OUT/$slug.ward"; then
      echo "PASS $name: no SA, $(grep -o 'identified itself as [^,]*, the policy expects [^"]*' "$OUT/$slug.ward" | head -1)"
      passed=$((passed+1))
    else
      echo "FAIL $name: rc=$rc; $summary"; cat "$OUT/$slug.ward"; failed=$((failed+1))
    fi
    continue
  fi
  if [ "$psk" = wrong ]; then
    # Fail closed: no SA, an authentication failure reported by Ward or by charon.
    if [ "$rc" != 0 ] && ! grep -q '^installed' "$OUT/$slug.ward" \
       && { grep -q 'authenticationFailed\|Authentication Failures' "$OUT/$slug.ward" || grep -qi 'integrity check\|AUTHENTICATION_FAILED\|INVALID_HASH' "$OUT/charon/charon.log"; }; then
      echo "PASS $name: no SA, $(grep -o 'event: authenticationFailed[^)]*' "$OUT/$slug.ward" | head -1 || true) $(grep -o 'Authentication Failures=[0-9]*' "$OUT/$slug.ward")"
      passed=$((passed+1))
    else
      echo "FAIL $name: rc=$rc; $summary"; cat "$OUT/$slug.ward"; tail -20 "$OUT/charon/charon.log"; failed=$((failed+1))
    fi
    continue
  fi
  # Ward sends 5 messages as initiator (MM1, MM3, MM5, QM1, QM3), 4 as responder.
  minimum=5; [ "$who" = charon ] && minimum=4
  rekey_ok=1
  if [ "$rekey" = 1 ]; then
    # At least two rekeys under one Main Mode, charon deleted the old SAs, no ping lost.
    installs=$(grep -c '^installed' "$OUT/$slug.ward"); deletes=$(grep -c '^delete SPI' "$OUT/$slug.ward")
    initiate="$initiate; $installs SA pairs installed, $deletes deleted by charon"
    [ "$installs" -ge 3 ] && [ "$deletes" -ge 1 ] && grep -q "$pings received" "$OUT/$slug.ping" || rekey_ok=0
  fi
  nat_ok=1
  [ "$nat" = 1 ] && ! grep -q 'natDetected(peer: 10.77.0.2, localBehindNAT: true' "$OUT/$slug.ward" && nat_ok=0
  if [ "$kernel" = 1 ]; then
    # tshark takes ~15 s to start in the guest: the host cases check the wire; here the
    # kernel's own counters show it decrypted Ward's ESP.
    kernel_in=$(nsx $C ip -s xfrm state 2>/dev/null | grep -A14 "^src $WARD dst 10.77.0.2" | sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p' | head -1)
    if [ "$rc" = 0 ] && grep -q '^installed' "$OUT/$slug.ward" && ! grep -q 'ESP-in-UDP' "$OUT/$slug.ward" && [ "${kernel_in:-0}" -ge 3 ]; then
      echo "PASS $name: $initiate; $(grep '^installed' "$OUT/$slug.ward" | head -1); $summary; kernel SA from Ward: ${kernel_in:-?} packets; $(printf '%.2f' "$elapsed") s"
      passed=$((passed+1))
    else
      echo "FAIL $name: rc=$rc; $initiate"; cat "$OUT/$slug.ward"; nsx $C ip -s xfrm state; tail -30 "$OUT/charon/charon.log"
      failed=$((failed+1))
    fi
    continue
  fi
  if [ "$rc" = 0 ] && [ "$nat_ok" = 1 ] && [ "$rekey_ok" = 1 ] && check_tshark "$slug" "$WARD" "$minimum"; then
    floated=$(tshark -n -r "$OUT/$slug.pcap" -Y 'udp.port == 4500 && isakmp' 2>/dev/null | wc -l)
    esp_in_udp=$(tshark -n -r "$OUT/$slug.pcap" -Y 'esp' 2>/dev/null | wc -l)
    echo "PASS $name: $initiate; $(grep '^installed' "$OUT/$slug.ward" | head -1); $summary; $tshark_summary; $floated ISAKMP on 4500, $esp_in_udp ESP-in-UDP; $(printf '%.2f' "$elapsed") s"
    passed=$((passed+1))
  else
    echo "FAIL $name: rc=$rc; $initiate; NAT seen by Ward: $nat_ok; ${tshark_summary:-}"; cat "$OUT/$slug.ward"; tail -30 "$OUT/charon/charon.log"
    failed=$((failed+1))
  fi
done
echo "charon interop: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
