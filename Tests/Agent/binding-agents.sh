#!/usr/bin/env bash
# Every SA carries only its own rule's traffic. The branch-office policy of the SA-binding
# issue — two tunnel rule pairs towards one gateway, a broad one (10.77.1.0/24 ↔ 10.77.2.0/24,
# ESP[3DES,MD5]) and a specific one inside it (10.77.1.128/25 ↔ 10.77.2.128/25,
# ESP[AES256,SHA256] with PFS) — between wardd on gateway W (10.77.0.1; 10.77.1.1 and
# 10.77.1.200 on its loopback) and a peer gateway P (10.77.0.2; 10.77.2.1 and 10.77.2.200):
# strongSwan's charon (userspace ESP, kernel-libipsec: tunnel mode in UDP 4500) with one child
# per rule, or a second wardd. Run as root; a check prints "PASS name" or "FAIL name: why"; the
# exit status is the number of failures. On success the output directory is deleted.
#
#   binding-agents.sh BIN_DIR [CASE...]      BIN_DIR holds ward and wardd; default: every case
#
# Cases:
#   charon-broad-first      Ward's rules broad first; Ward initiates both rules' traffic
#   charon-specific-first   Ward's rules specific first; charon initiates both children
#   ward-ward               two wardd, each side's rules in the other order
#   charon-wider            charon has only the broad child: the specific rule's traffic it sends
#                           under the broad SA is refused packet by packet, counted and logged,
#                           and Ward's own negotiation for the specific rule fails (charon's /24
#                           child offers 3DES/MD5) rather than riding the broad SA
#
# The oracle of each traffic case: wardd writes its SA keys (--oracle-keylog, test only);
# tshark decrypts the capture of the link; for every decrypted inner packet the SPI it travelled
# under belongs (show qmsas) to the rule that `ward ipsec trace` names for its addresses. With
# charon, `swanctl --list-sas` shows each child with its rule's proposal, and each child's
# packet counters move only with its own traffic.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BIN_DIR [CASE...]" >&2; exit 1; }
bin=$(cd "$1" && pwd) || exit 1; shift
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin/ward" ] && [ -x "$bin/wardd" ] || { echo "FAIL setup: $bin has no ward and wardd"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL setup: run as root"; exit 1; }
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(charon-broad-first charon-specific-first ward-ward charon-wider)
P=wb$$
W=${P}w C=${P}p
OUT=${WARD_BINDING_OUT:-/tmp/ward-binding}/$P
PSK="binding-psk-not-a-secret"
mkdir -p "$OUT"; chmod 755 "$(dirname "$OUT")" "$OUT"
. "$here/lib.sh"
wardd_pid= peer_pid= capture_pid=

cleanup() {
  stop "$wardd_pid" "$peer_pid" "$capture_pid"
  wardd_pid= peer_pid= capture_pid=
  remove_namespaces $W $C
}
deadline=${WARD_BINDING_DEADLINE:-240}
( sleep "$deadline"; kill -USR1 $$ ) &
watchdog=$!
finish() {
  cleanup
  kill $(ps -o pid= --ppid "$watchdog" 2>/dev/null) "$watchdog" 2>/dev/null
}
trap finish EXIT
trap 'echo "interrupted; logs and captures in $OUT"; exit 130' INT TERM
trap 'fail "deadline" "the run took more than $deadline s; logs in $OUT"; exit $((failures > 0 ? failures : 1))' USR1

# topology: the two gateways on one veth pair, IPv6 off on it (only what is tested on the wire),
# each side's hosts on its loopback.
topology() {
  two_hosts $W wv 10.77.0.1/24 $C cv 10.77.0.2/24 || return 1
  local ns
  for ns in $W $C; do nsx $ns sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
  nsx $W sysctl -qw net.ipv6.conf.wv.disable_ipv6=1; nsx $C sysctl -qw net.ipv6.conf.cv.disable_ipv6=1
  nsx $W ip addr add 10.77.1.1/32 dev lo; nsx $W ip addr add 10.77.1.200/32 dev lo
  nsx $C ip addr add 10.77.2.1/32 dev lo; nsx $C ip addr add 10.77.2.200/32 dev lo
  nsx $W ip route add 10.77.2.0/24 via 10.77.0.2 src 10.77.1.1 || return 1
  nsx $W ping -c1 -W2 10.77.0.2 > /dev/null || { echo "topology: no path to 10.77.0.2"; return 1; }
}

# store DB ME GATEWAY LOCAL REMOTE ORDER: the branch-office policy (ORDER broad or specific first).
store() {
  local db=$1 me=$2 gateway=$3 local=$4 remote=$5 order=$6 name
  local broad="add rule name=\"broad out\" policy=\"Branch\" filterlist=\"broad out\" filteraction=\"Broad\" tunnel=$gateway psk=\"$PSK\" kerberos=no
add rule name=\"broad in\" policy=\"Branch\" filterlist=\"broad in\" filteraction=\"Broad\" tunnel=$me psk=\"$PSK\" kerberos=no"
  local specific="add rule name=\"specific out\" policy=\"Branch\" filterlist=\"specific out\" filteraction=\"Specific\" tunnel=$gateway psk=\"$PSK\" kerberos=no
add rule name=\"specific in\" policy=\"Branch\" filterlist=\"specific in\" filteraction=\"Specific\" tunnel=$me psk=\"$PSK\" kerberos=no"
  local rules="$broad
$specific"
  [ "$order" = specific ] && rules="$specific
$broad"
  rm -f "$db"*
  cat > "$db.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="broad out"
add filter filterlist="broad out" srcaddr=$local.0 srcmask=24 dstaddr=$remote.0 dstmask=24 mirrored=no
add filterlist name="broad in"
add filter filterlist="broad in" srcaddr=$remote.0 srcmask=24 dstaddr=$local.0 dstmask=24 mirrored=no
add filterlist name="specific out"
add filter filterlist="specific out" srcaddr=$local.128 srcmask=25 dstaddr=$remote.128 dstmask=25 mirrored=no
add filterlist name="specific in"
add filter filterlist="specific in" srcaddr=$remote.128 srcmask=25 dstaddr=$local.128 dstmask=25 mirrored=no
add filteraction name="Broad" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[3DES,MD5]:3600s"
add filteraction name="Specific" action=negotiate inpass=no soft=no qmpfs=yes qmsec="ESP[AES256,SHA256]:3600s"
add policy name="Branch" mmsecmethods="AES128-SHA1-14"
$rules
set policy name="Branch" assign=yes
set batch mode=disable
popd
POLICY
  "$bin/ward" --store "$db" -f "$db.txt" > "$db.log" 2>&1 || { cat "$db.log"; return 1; }
}

# start_wardd NS NAME [EXTRA...]: wardd with its own store, socket and config under $OUT/NAME.
start_wardd() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" "$bin/wardd" --foreground --store "$OUT/$name.db" --socket "$OUT/$name.sock" --config "$OUT/$name.json" \
    --certificates "$OUT/$name.certs" "$@" > "$OUT/$case.$name.log" 2>&1 < /dev/null &
  started_pid=$!
  for _ in $(seq 100); do
    WARD_SOCKET="$OUT/$name.sock" nsx "$ns" timeout 5 "$bin/ward" ipsec dynamic show config > /dev/null 2>&1 && return 0
    kill -0 $started_pid 2>/dev/null || break
    sleep 0.1
  done
  echo "no answer on $name's control socket: $(tail -3 "$OUT/$case.$name.log")"; return 1
}

dyn() { WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 10 "$bin/ward" ipsec dynamic "$@"; }
trace() { WARD_SOCKET="$OUT/ward.sock" nsx $W timeout 10 "$bin/ward" --store "$OUT/ward.db" ipsec trace "$@"; }

# start_charon CHILDREN: charon in P with its own strongswan.conf, vici socket and /run, the
# children named in CHILDREN ("broad specific" or "broad").
start_charon() {
  local d=$OUT/charon children="" child
  rm -rf "$d"; mkdir -p "$d/swanctl"
  lab_charon_conf "$d" "random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf aes des sha1 sha2 md5 hmac gmp kernel-libipsec kernel-netlink socket-default vici"
  for child in $1; do
    case $child in
      broad) children+="
      broad {
        mode = tunnel
        local_ts = 10.77.2.0/24
        remote_ts = 10.77.1.0/24
        esp_proposals = 3des-md5
      }" ;;
      specific) children+="
      specific {
        mode = tunnel
        local_ts = 10.77.2.128/25
        remote_ts = 10.77.1.128/25
        esp_proposals = aes256-sha256-modp2048
      }" ;;
    esac
  done
  cat > "$d/swanctl/swanctl.conf" <<CONF
connections {
  ward {
    version = 1
    local_addrs = 10.77.0.2
    remote_addrs = 10.77.0.1
    proposals = aes128-sha1-modp2048
    local {
      auth = psk
      id = 10.77.0.2
    }
    remote {
      auth = psk
      id = 10.77.0.1
    }
    children {$children
    }
  }
}
secrets {
  ike-ward {
    id-ward = 10.77.0.1
    id-charon = 10.77.0.2
    secret = "$PSK"
  }
}
CONF
  lab_charon_start $C "$d" || return 1
  peer_pid=$lab_charon_pid
  swanctl_c --load-all --noprompt > "$d/load.txt" 2>&1 || { cat "$d/load.txt"; return 1; }
}

swanctl_c() { SWANCTL_DIR=$OUT/charon/swanctl timeout 30 swanctl "$@" --uri "unix://$OUT/charon/charon.vici"; }

# child_packets CHILD in|out: the packets charon's child counted that way (0 when absent).
child_packets() {
  swanctl_c --list-sas 2>/dev/null | awk -v child="  $1:" -v way="$2" '
    index($0, child) == 1 { inside = 1; next }
    inside && /^  [^ ]/ { inside = 0 }
    inside && $1 == way { for (i = 1; i <= NF; i++) if ($(i) ~ /^packets/) { print $(i - 1); found = 1; exit } }
    END { if (!found) print 0 }'
}

# pings NS FROM TO COUNT: the number of echo replies.
pings() { nsx "$1" ping -n -c "$4" -i 0.2 -W 3 -I "$2" "$3" 2>/dev/null | awk '/received/ { print $4 }'; }

# wait_sas N: until Ward's show qmsas lists N SAs (10 s at most).
wait_sas() {
  for _ in $(seq 100); do [ "$(dyn show qmsas | grep -c '^Quick Mode SA #')" -ge "$1" ] && return 0; sleep 0.1; done
  return 1
}

# sa_rules: "SPI RULE" for each SPI (inbound and outbound) of Ward's SAs, from show qmsas.
sa_rules() {
  local spi rule
  dyn show qmsas | awk -F': ' '
    { sub(/ +$/, "", $1); sub(/^ +/, "", $1) }
    $1 == "Rule" { rule = $2; sub(/ \(.*/, "", rule) }
    $1 == "Inbound SPI" || $1 == "Outbound SPI" { print $2, rule }' | while read -r spi rule; do echo "$((spi)) $rule"; done
}

# sa_offer RULE: the offer of Ward's SA serving RULE.
sa_offer() {
  dyn show qmsas | awk -F': ' -v want="$1" '
    { sub(/ +$/, "", $1); sub(/^ +/, "", $1) }
    $1 == "Rule" { rule = $2; sub(/ \(.*/, "", rule) }
    $1 == "Offer" && rule == want { print $2; exit }'
}

# oracle NAME [SPIS [sent]]: decrypts the capture with Ward's keys; every inner packet's SPI
# must serve the rule that `ward ipsec trace` names for its addresses (traced from Ward's
# side, outbound), and SPIS SPIs (4) must have carried traffic. With "sent", only what Ward
# sent is held to it (the peer's forgeries are checked by the case itself).
oracle() {
  local name=$1 options=() line spi source destination ward_side remote expected traced checked=0 wrong=0
  while IFS= read -r line; do options+=(-o "uat:esp_sa:$line"); done < "$OUT/keys"
  [ ${#options[@]} -gt 0 ] || { fail "$name: oracle" "wardd wrote no keys"; return; }
  sa_rules > "$OUT/$name.sa-rules"
  tshark -n -r "$OUT/$name.pcapng" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE "${options[@]}" \
    -Y "esp && ip.src == 10.77.0.0/16 && icmp" -T fields -E separator=' ' -e esp.spi -e ip.src -e ip.dst 2>/dev/null \
    | awk '{ n = split($2, s, ","); split($3, d, ","); if (n == 2) print $1, s[2], d[2] }' | sort -u > "$OUT/$name.inner"
  while read -r spi source destination; do
    case $source in 10.77.1.*) ward_side=$source remote=$destination ;; *) ward_side=$destination remote=$source ;; esac
    [ "${3:-}" = sent ] && [ "$ward_side" != "$source" ] && continue
    expected=$(trace srcaddr="$ward_side" dstaddr="$remote" protocol=icmp direction=out | label_value "Rule")
    traced=$(awk -v spi="$((spi))" '$1 == spi { $1 = ""; sub(/^ /, ""); print; exit }' "$OUT/$name.sa-rules")
    checked=$((checked + 1))
    if [ -z "$expected" ] || [ "$traced" != "$expected" ]; then
      wrong=$((wrong + 1)); echo "oracle: $source → $destination under spi $spi (serves '${traced:-no SA}'), trace names '${expected:-nothing}'"
    fi
  done < "$OUT/$name.inner"
  local spis; spis=$(awk -v sent="${3:-}" 'sent == "" || $2 ~ /^10\.77\.1\./ { print $1 }' "$OUT/$name.inner" | sort -u | wc -l)
  if [ $checked -gt 0 ] && [ $wrong = 0 ] && [ "$spis" -ge "${2:-4}" ]; then
    pass "$name: tshark decrypted $checked distinct flows under $spis SPIs; each SPI serves the rule trace names"
  else
    fail "$name: oracle" "$wrong of $checked flows under another rule's SA, $spis SPIs (expected ${2:-4}); see $OUT/$name.inner"
  fi
}

# trace_sa NAME: `ward ipsec trace` names the SA the specific rule's packet would use now.
trace_sa() {
  local name=$1 text spi
  text=$(trace srcaddr=10.77.1.200 dstaddr=10.77.2.200 protocol=icmp direction=out)
  spi=$(dyn show qmsas | awk -F': ' '{ sub(/ +$/, "", $1); sub(/^ +/, "", $1) } $1 == "Rule" { rule = $2 } $1 == "Outbound SPI" && rule ~ /^specific out/ { print $2; exit }')
  if [ -n "$spi" ] && label_value "SA now" <<< "$text" | has "leaves under SPI $spi"; then
    pass "$name: trace says the specific rule's packet leaves under its SA ($spi)"
  else
    fail "$name: trace SA" "$(grep 'SA now' <<< "$text") (specific SA ${spi:-none})"
  fi
}

# both_rules NAME: both rules' traffic crosses, each under an SA with its own rule's methods.
both_rules() {
  local name=$1 got offer
  for pair in "10.77.1.1 10.77.2.1" "10.77.1.200 10.77.2.200"; do
    set -- $pair
    got=$(pings $W "$1" "$2" 4)
    [ "${got:-0}" -ge 3 ] && pass "$name: ping $1 → $2 ($got/4)" || fail "$name: ping $1 → $2" "${got:-0}/4; $(tail -3 "$OUT/$name.ward.log")"
  done
  wait_sas 2 || true
  offer=$(sa_offer "broad out")
  has "3DES" <<< "$offer" && has "MD5" <<< "$offer" && pass "$name: the broad rule's SA is ESP 3DES/MD5 ($offer)" \
    || fail "$name: broad SA" "'${offer:-none}': $(dyn show qmsas | grep -E 'Rule|Offer' | tr -s ' ' | tr '\n' ';')"
  offer=$(sa_offer "specific out")
  has "AES" <<< "$offer" && has "256" <<< "$offer" && pass "$name: the specific rule's SA is ESP AES-256/SHA-256 with PFS ($offer)" \
    || fail "$name: specific SA" "'${offer:-none}': $(dyn show qmsas | grep -E 'Rule|Offer' | tr -s ' ' | tr '\n' ';')"
}

# charon_children NAME: charon's two children carry their rules' proposals, and each child's
# counters move only with its own traffic.
charon_children() {
  local name=$1 sas before_broad before_specific after_broad after_specific got
  sas=$(swanctl_c --list-sas 2>&1)
  grep -A0 "^  broad:" <<< "$sas" | has "3DES_CBC/HMAC_MD5_96" && pass "$name: charon's broad child: $(grep "^  broad:" <<< "$sas" | grep -o 'ESP:[^ ]*')" \
    || fail "$name: charon broad child" "$(grep -E '^  [a-z]+:' <<< "$sas" | tr '\n' ';')"
  grep "^  specific:" <<< "$sas" | has "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" \
    && pass "$name: charon's specific child: $(grep "^  specific:" <<< "$sas" | grep -o 'ESP:[^ ]*')" \
    || fail "$name: charon specific child" "$(grep -E '^  [a-z]+:' <<< "$sas" | tr '\n' ';')"
  before_broad=$(child_packets broad in) before_specific=$(child_packets specific in)
  got=$(pings $W 10.77.1.1 10.77.2.1 5)
  after_broad=$(child_packets broad in) after_specific=$(child_packets specific in)
  [ "$((after_broad - before_broad))" -ge 5 ] && [ "$after_specific" = "$before_specific" ] \
    && pass "$name: broad traffic moves only the broad child's counters (+$((after_broad - before_broad)) in, specific +0)" \
    || fail "$name: broad child counters" "broad $before_broad→$after_broad, specific $before_specific→$after_specific ($got replies)"
  before_broad=$after_broad before_specific=$after_specific
  got=$(pings $W 10.77.1.200 10.77.2.200 5)
  after_broad=$(child_packets broad in) after_specific=$(child_packets specific in)
  [ "$((after_specific - before_specific))" -ge 5 ] && [ "$after_broad" = "$before_broad" ] \
    && pass "$name: specific traffic moves only the specific child's counters (+$((after_specific - before_specific)) in, broad +0)" \
    || fail "$name: specific child counters" "broad $before_broad→$after_broad, specific $before_specific→$after_specific ($got replies)"
}

begin() {
  case=$1
  echo "== $case"
  cleanup
  rm -rf "$OUT/charon" "$OUT"/*.sock "$OUT"/*.json "$OUT/keys"
  topology > "$OUT/$case.topology" 2>&1 || { fail "$case: topology" "$(tail -3 "$OUT/$case.topology")"; return 1; }
  ip netns exec $C dumpcap -q -i cv -f "not arp" -w "$OUT/$case.pcapng" > "$OUT/$case.dumpcap" 2>&1 < /dev/null &
  capture_pid=$!
  for _ in $(seq 50); do [ -s "$OUT/$case.pcapng" ] && break; sleep 0.1; done
}

# start_ward ORDER: Ward on W with the branch-office policy and its oracle key log.
start_ward() {
  store "$OUT/ward.db" 10.77.0.1 10.77.0.2 10.77.1 10.77.2 "$1" > "$OUT/$case.store" 2>&1 || { fail "$case: store" "$(cat "$OUT/$case.store")"; return 1; }
  start_wardd $W ward --oracle-keylog "$OUT/keys" > "$OUT/$case.start" 2>&1 || { fail "$case: wardd start" "$(cat "$OUT/$case.start")"; return 1; }
  wardd_pid=$started_pid
}

end_capture() { sleep 0.5; stop "$capture_pid"; capture_pid=; }

charon_case() {
  local name=$1 order=$2 initiator=$3
  begin "$name" || return
  start_charon "broad specific" > "$OUT/$name.charon" 2>&1 || { fail "$name: charon start" "$(tail -3 "$OUT/$name.charon")"; return; }
  start_ward "$order" || return
  if [ "$initiator" = charon ]; then
    swanctl_c --initiate --child specific > "$OUT/$name.initiate" 2>&1 && swanctl_c --initiate --child broad >> "$OUT/$name.initiate" 2>&1 \
      && pass "$name: charon initiated both children" || fail "$name: charon initiate" "$(tail -3 "$OUT/$name.initiate")"
  fi
  both_rules "$name"
  charon_children "$name"
  trace_sa "$name"
  end_capture
  oracle "$name"
}

ward_ward_case() {
  local name=$1
  begin "$name" || return
  store "$OUT/peer.db" 10.77.0.2 10.77.0.1 10.77.2 10.77.1 specific > "$OUT/$name.peer-store" 2>&1 || { fail "$name: peer store" "$(cat "$OUT/$name.peer-store")"; return; }
  nsx $C ip route add 10.77.1.0/24 via 10.77.0.1 src 10.77.2.1
  start_wardd $C peer > "$OUT/$name.peer-start" 2>&1 || { fail "$name: peer start" "$(cat "$OUT/$name.peer-start")"; return; }
  peer_pid=$started_pid
  start_ward broad || return
  both_rules "$name"
  local rules
  rules=$(WARD_SOCKET="$OUT/peer.sock" nsx $C timeout 10 "$bin/ward" ipsec dynamic show qmsas | awk -F': ' '$1 ~ /Rule/ { print $2 }' | sort | tr '\n' ';')
  has "broad out" <<< "$rules" && has "specific out" <<< "$rules" && pass "$name: the peer bound its SAs to its own two rules ($rules)" \
    || fail "$name: peer SAs" "'$rules'"
  trace_sa "$name"
  end_capture
  oracle "$name"
}

wider_case() {
  local name=$1 got mismatches
  begin "$name" || return
  start_charon "broad" > "$OUT/$name.charon" 2>&1 || { fail "$name: charon start" "$(tail -3 "$OUT/$name.charon")"; return; }
  start_ward broad || return
  got=$(pings $W 10.77.1.1 10.77.2.1 4)
  [ "${got:-0}" -ge 3 ] && pass "$name: the broad rule's traffic crosses ($got/4)" || fail "$name: broad ping" "${got:-0}/4"
  # charon sends the specific rule's traffic under its broad child's SA.
  got=$(pings $C 10.77.2.200 10.77.1.200 5)
  mismatches=$(dyn show stats type=ipsec | label_value "Inbound Policy Mismatch")
  [ "${got:-0}" = 0 ] && [ "${mismatches:-0}" -ge 5 ] && pass "$name: charon's /25 traffic under the /24 SA is refused packet by packet ($mismatches counted, $got replies)" \
    || fail "$name: refused" "${got:-?} replies, ${mismatches:-?} mismatches counted"
  for _ in $(seq 30); do grep -q "inbound policy mismatch" "$OUT/$name.ward.log" && break; sleep 0.1; done
  grep "inbound policy mismatch" "$OUT/$name.ward.log" | head -1 | has "sa_serves=.*broad out.*decided_by=.*specific" \
    && pass "$name: logged with the SA, the rule it serves and the rule that decided the packet" \
    || fail "$name: mismatch log" "$(grep -m1 'mismatch' "$OUT/$name.ward.log")"
  # Ward's own specific traffic asks for its own SA, which charon (only a 3DES/MD5 child) refuses
  # with NO-PROPOSAL-CHOSEN (notify 14).
  got=$(pings $W 10.77.1.200 10.77.2.200 3)
  [ "${got:-0}" = 0 ] && grep "event=acquire" "$OUT/$name.ward.log" | has "rule 'specific out'" && grep -q "type=14" "$OUT/$name.ward.log" \
    && pass "$name: Ward's specific traffic asks for its own SA (charon refuses the proposal), never rides the broad one" \
    || fail "$name: specific negotiation" "${got:-?} replies; $(grep 'event=acquire\|type=14' "$OUT/$name.ward.log" | tr '\n' ';')"
  end_capture
  # The forgery was real: charon's /25 packets are on the wire under the broad SA.
  oracle "$name" 1 sent
  awk '$2 == "10.77.2.200" { found = 1 } END { exit !found }' "$OUT/$name.inner" \
    && pass "$name: tshark shows charon's /25 packets under the broad SA on the wire (the refused ones)" \
    || fail "$name: forgery" "no /25 packet from charon in the capture"
}

for c in "${cases[@]}"; do
  t0=$(date +%s)
  case $c in
    charon-broad-first) charon_case "$c" broad ward ;;
    charon-specific-first) charon_case "$c" specific charon ;;
    ward-ward) ward_ward_case "$c" ;;
    charon-wider) wider_case "$c" ;;
    *) fail "$c" "no such case" ;;
  esac
  echo "($c: $(( $(date +%s) - t0 )) s)"
done
[ $failures = 0 ] && [ -z "${WARD_BINDING_KEEP:-}" ] && rm -rf "$OUT"
[ $failures = 0 ] || echo "logs and captures in $OUT"
exit $failures
