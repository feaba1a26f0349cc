#!/usr/bin/env bash
# Kernel interop, run inside the UML guest (uml-run.sh): the Linux kernel's XFRM in namespace
# "kb" (keys set with ip xfrm state) pings Ward (ward-esp-probe, raw sockets) in namespace "wa";
# Ward answers each echo request with an ESP/AH-protected echo reply. A case passes when
# Ward answered 3 requests and the kernel accepted at least 3 replies: both directions work.
# (10 requests are sent: in the guest, the first use of an algorithm can drop the first few
# while the kernel instantiates the crypto template.)
#   esp-interop.sh PROBE [CASE...]      (default: every case)
set -uo pipefail
probe=$1; shift
only=("$@")
A=10.77.0.1 B=10.77.0.2
ip netns add wa; ip netns add kb
trap 'ip netns del wa 2>/dev/null; ip netns del kb 2>/dev/null' EXIT
ip link add wv type veth peer name kv
ip link set wv netns wa; ip link set kv netns kb
ip -n wa addr add $A/24 dev wv; ip -n wa link set wv up; ip -n wa link set lo up
ip -n kb addr add $B/24 dev kv; ip -n kb link set kv up; ip -n kb link set lo up
ip -n kb addr add 10.77.20.2/32 dev lo
ip -n kb route add 10.77.10.0/24 via $A

key() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# name | ward enc | kernel enc (or aead) | enc bytes | ward auth | kernel auth | auth bytes | trunc bits | mode | extra
cases=(
  "aes128-sha1|aes128|enc cbc(aes)|16|sha1|hmac(sha1)|20|96|transport|"
  "3des-md5|3des|enc des3_ede|24|md5|hmac(md5)|16|96|transport|"
  "des-sha256|des|enc cbc(des)|8|sha256|hmac(sha256)|32|128|transport|"
  "aes192-sha384|aes192|enc cbc(aes)|24|sha384|hmac(sha384)|48|192|transport|"
  "null-sha512|null|enc ecb(cipher_null)|0|sha512|hmac(sha512)|64|256|transport|"
  "gcm128|gcm128|aead rfc4106(gcm(aes))|20|none||0|128|transport|"
  "chacha20poly1305|chacha|aead rfc7539esp(chacha20,poly1305)|36|none||0|128|transport|"
  "aes256-sha256-tunnel|aes256|enc cbc(aes)|32|sha256|hmac(sha256)|32|128|tunnel|"
  "gcm256-tunnel|gcm256|aead rfc4106(gcm(aes))|36|none||0|128|tunnel|"
  "aes128-sha1-udp4500|aes128|enc cbc(aes)|16|sha1|hmac(sha1)|20|96|transport|udp"
  "gcm128-udp4500-tunnel|gcm128|aead rfc4106(gcm(aes))|20|none||0|128|tunnel|udp"
  "ah-sha256|none||0|sha256|hmac(sha256)|32|128|transport|ah"
  "ah-sha1-tunnel|none||0|sha1|hmac(sha1)|20|96|tunnel|ah"
)

failed=0 passed=0
for entry in "${cases[@]}"; do
  IFS='|' read -r name wenc kenc ebytes wauth kauth abytes trunc mode extra <<<"$entry"
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
  ek=$(key "$ebytes"); ak=$(key "$abytes")
  proto=esp; [ "$extra" = ah ] && proto=ah
  algs=()
  if [ -n "$kenc" ]; then
    read -r kind alg <<<"$kenc"
    if [ "$kind" = aead ]; then algs+=(aead "$alg" "0x$ek" "$trunc"); else algs+=(enc "$alg" "0x${ek}"); fi
  fi
  [ -n "$kauth" ] && algs+=(auth-trunc "$kauth" "0x$ak" "$trunc")
  [ "$ebytes" = 0 ] && [ -n "$kenc" ] && algs=(enc "ecb(cipher_null)" "" auth-trunc "$kauth" "0x$ak" "$trunc")
  encap=(); [ "$extra" = udp ] && encap=(encap espinudp 4500 4500 0.0.0.0)
  # Kernel → Ward uses SPI 0x1001, Ward → kernel 0x2002.
  ip -n kb xfrm state add src $B dst $A proto $proto spi 0x1001 reqid 1 mode $mode "${algs[@]}" "${encap[@]}" || { echo "FAIL $name: state out"; failed=$((failed+1)); continue; }
  ip -n kb xfrm state add src $A dst $B proto $proto spi 0x2002 reqid 1 mode $mode replay-window 32 "${algs[@]}" "${encap[@]}" || { echo "FAIL $name: state in"; failed=$((failed+1)); continue; }
  if [ "$mode" = tunnel ]; then
    ip -n kb xfrm policy add src 10.77.20.0/24 dst 10.77.10.0/24 dir out tmpl src $B dst $A proto $proto reqid 1 mode tunnel
    ip -n kb xfrm policy add src 10.77.10.0/24 dst 10.77.20.0/24 dir in tmpl src $A dst $B proto $proto reqid 1 mode tunnel
    target=10.77.10.1 source=(-I 10.77.20.2)
  else
    ip -n kb xfrm policy add src $B dst $A proto icmp dir out tmpl proto $proto reqid 1 mode transport
    ip -n kb xfrm policy add src $A dst $B proto icmp dir in tmpl proto $proto reqid 1 mode transport
    target=$A source=()
  fi
  holder=
  if [ "$extra" = udp ]; then
    # The kernel decapsulates ESP-in-UDP only on a socket marked UDP_ENCAP_ESPINUDP (what IKE
    # daemons open on port 4500).
    ip netns exec kb /usr/bin/python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",4500)); s.setsockopt(socket.IPPROTO_UDP,100,2); time.sleep(60)' &
    holder=$!
    sleep 0.5
  fi
  wflags=(--enc "$wenc" --auth "$wauth" --local $A --remote $B --spi-in 0x1001 --spi-out 0x2002 --mode $mode --count 3 --timeout 20)
  [ "$ebytes" != 0 ] && wflags+=(--enc-key "$ek")
  [ "$abytes" != 0 ] && wflags+=(--auth-key "$ak")
  [ "$extra" = udp ] && wflags+=(--udp)
  [ "$extra" = ah ] && wflags+=(--ah)
  ip netns exec wa "$probe" "${wflags[@]}" > /tmp/probe.$$ 2>&1 &
  wpid=$!
  sleep 0.3
  out=$(ip netns exec kb ping -n -c 10 -i 0.3 -W 2 "${source[@]}" $target 2>&1)
  received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
  wait $wpid; wrc=$?
  [ -n "$holder" ] && kill $holder 2>/dev/null
  if [ "$wrc" = 0 ] && [ "${received:-0}" -ge 3 ]; then
    echo "PASS $name: kernel got ${received}/10 replies; $(tail -1 /tmp/probe.$$)"; passed=$((passed+1))
  else
    echo "FAIL $name: kernel got ${received:-0}/10 replies, probe rc=$wrc"; cat /tmp/probe.$$; ip -n kb -s xfrm state | head -30
    failed=$((failed+1))
  fi
  ip -n kb xfrm state flush; ip -n kb xfrm policy flush
done
rm -f /tmp/probe.$$
echo "kernel interop: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
