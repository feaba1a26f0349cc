#!/usr/bin/env bash
# Kerberos in IKEv1 Main Mode against a real KDC: a Samba 4 AD DC (Tests/Domain/samba-dc.sh)
# issues the tickets; host1 (10.77.51.2) and host2 (10.77.51.4) are computers of the domain
# with keytabs exported by samba-tool, each running `wardd --keytab` under a local policy that
# secures host1 <-> host2 with a rule whose methods the case names. The DC's traffic is in no
# rule and stays clear (Kerberos needs it).
#
#   kerberos-ike.sh BINDIR     (BINDIR holds ward and wardd; needs root, samba, krb5-user,
#                               tshark, faketime, python3-scapy)
#
# Cases:
#   kerberos        kerberos=yes only: ping and a checksum-verified transfer; show mmsas says
#                   Kerberos and each peer's principal and realm; a capture shows the vendor IDs
#                   (MS NT5 ISAKMPOAKLEY version 4, GSSAPI), payload 129 in messages 3 and 4,
#                   nothing malformed, and tshark's Kerberos dissector reads the tokens as an
#                   AP-REQ for host2$ in WARD.TEST and an AP-REP
#   fallback        [kerberos, psk] on host1 x [psk] on host2: Preshared key
#   stale-key       host2's password changed after its keytab was exported   host2: "wrong key"
#   unknown         host2 runs with the keytab of a computer deleted from the domain
#                                                                           host1: "unknown principal"
#   clock-skew      host2's clock 20 minutes ahead (libfaketime)           host2: "clock skew"
#   kdc-down        the DC stopped before the first negotiation            host1: "KDC unreachable"
# A refusal checks: no SA on either side, the refusing agent logs "authentication failed" with
# the reason and counts it in show stats (Authentication Failures). "PASS name" / "FAIL name: why";
# the exit status is the number of failures.
set -uo pipefail
BIN=${1:?usage: kerberos-ike.sh BINDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../Agent/lib.sh"
WARD=$BIN/ward WARDD=$BIN/wardd
source "$HERE/samba-dc.sh"
HOST2=wdhost2
AGENT1= AGENT2= CAPTURE=
cleanup() {
  stop "$AGENT1" "$AGENT2" "$CAPTURE"
  [ -n "${KEEP_LOGS:-}" ] && mkdir -p "$KEEP_LOGS" && cp "$DIR"/*.log "$DIR"/*.pcap "$KEEP_LOGS"/ 2>/dev/null
  dc_down
}
trap cleanup EXIT
for tool in tshark faketime; do
  command -v $tool > /dev/null || { echo "SKIP kerberos-ike: $tool is not installed (scripts/setup.sh installs it)"; exit 1; }
done
dc_up || exit 1
dc_member $HOST2 10.77.51.4

admin() { nsx $HOST timeout 60 samba-tool "$@" -H ldap://dc1.ward.test --use-kerberos=required 2>&1 | grep -v "^WARNING"; }
ns_of() { [ "$1" = host1 ] && echo $HOST || echo $HOST2; }
peer_of() { [ "$1" = host1 ] && echo 10.77.51.4 || echo 10.77.51.2; }
on() { local host=$1; shift; WARD_SOCKET=$DIR/$host.sock WARD_STORE=$DIR/$host.db nsx "$(ns_of $host)" timeout 60 "$WARD" "$@"; }
keytab() {  # ACCOUNT FILE
  rm -f "$2"
  samba-tool domain exportkeytab "$2" --principal="$1\$" -s "$SMBCONF" > /dev/null 2>&1
  chmod 600 "$2"
}

# 1. Two computers and a third that will be deleted, each with a keytab.
for n in 1 2 3; do
  admin computer create host$n > /dev/null
  admin user setpassword "host$n\$" --newpassword="Host$n-Kerberos-Pass-1" > /dev/null
  keytab host$n "$DIR/host$n.keytab"
done
[ -s "$DIR/host1.keytab" ] && [ -s "$DIR/host2.keytab" ] && [ -s "$DIR/host3.keytab" ] \
  && pass "host1, host2 and host3 are computers of WARD.TEST with keytabs" || fail "join" "no keytab"

# policy HOST METHODS: the local policy securing traffic with the peer by the rule's methods.
policy() {
  local host=$1 methods=$2 script=$DIR/policy-$1.txt
  rm -f "$DIR/$host.db"
  cat > "$script" <<EOF
pushd ipsec static
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=$(peer_of "$host") description="the other host"
add filteraction name="Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:100000k/3600s"
add policy name="Kerberos lab" mmsecmethods="AES128-SHA1-2"
add rule name="Secure peer" policy="Kerberos lab" filterlist="Peer" filteraction="Secure" $methods
set policy name="Kerberos lab" assign=yes
popd
EOF
  WARD_STORE=$DIR/$host.db "$WARD" -f "$script" > "$DIR/policy-$host.log" 2>&1 || { fail "policy $host" "$(tail -2 "$DIR/policy-$host.log")"; exit $failures; }
}

# agent HOST KEYTAB [PREFIX...]: wardd on HOST with KEYTAB (PREFIX: faketime, say).
agent() {
  local host=$1 keytab=$2 n=${1#host}; shift 2
  ip netns exec "$(ns_of $host)" "$@" "$WARDD" --store "$DIR/$host.db" --socket "$DIR/$host.sock" --config "$DIR/$host.json" \
    --keytab "$keytab" >> "$DIR/$host.log" 2>&1 &
  local pid=$! real p
  for _ in $(seq 100); do on $host ipsec dynamic show config > /dev/null 2>&1 && break; sleep 0.1; done
  # A wrapper (faketime) may fork: the agent to stop is the wardd in the host's namespace.
  for p in $(ip netns pids "$(ns_of $host)"); do
    [ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$WARDD")" ] && real=$p
  done
  eval "AGENT$n=${real:-$pid}"
  on $host ipsec dynamic show config > /dev/null 2>&1 || fail "start $host" "$(tail -5 "$DIR/$host.log")"
}
restart() {  # METHODS1 METHODS2 [KEYTAB2 [PREFIX2...]]
  stop "$AGENT1" "$AGENT2"; AGENT1= AGENT2=
  : > "$DIR/host1.log"; : > "$DIR/host2.log"
  policy host1 "$1"; policy host2 "$2"
  local keytab2=${3:-$DIR/host2.keytab}; shift 2; [ $# -gt 0 ] && shift
  agent host1 "$DIR/host1.keytab"
  agent host2 "$keytab2" "$@"
}
sas() { on "$1" ipsec dynamic show mmsas 2>&1; }

# 2. Kerberos only, with a capture of the negotiation on host2's side.
restart "kerberos=yes" "kerberos=yes"
ip netns exec $HOST2 tshark -i lan0 -f "udp port 500 or udp port 4500 or esp or icmp or tcp port 5101" -w "$DIR/kerberos.pcap" -q > "$DIR/tshark.log" 2>&1 &
CAPTURE=$!
sleep 2
nsx $HOST ping -c 6 -i 0.3 -W 2 10.77.51.4 > "$DIR/ping.log" 2>&1
nsx $HOST ping -c 3 -W 2 10.77.51.4 > "$DIR/ping2.log" 2>&1 && pass "kerberos: host1 pings host2 under Kerberos-authenticated SAs" \
  || fail "kerberos ping" "$(tail -2 "$DIR/ping2.log") / $(grep -E 'failed|Kerberos' "$DIR"/host*.log | tail -3)"
port=5101
nsx $HOST2 python3 "$HERE/../Agent/traffic.py" serve 10.77.51.4 $port 60 > "$DIR/received" &
server=$!
sleep 0.5
sent=$(nsx $HOST timeout 60 python3 "$HERE/../Agent/traffic.py" send 10.77.51.4 $port 2000000 kerberos)
wait $server
received=$(cat "$DIR/received")
[ -n "$sent" ] && [ "$sent" = "$received" ] && pass "kerberos: 2 MB from host1 to host2 arrive intact ($sent)" \
  || fail "kerberos transfer" "sent '$sent' received '$received'"
s1=$(sas host1) s2=$(sas host2)
if echo "$s1" | has "Authentication *: Kerberos" && echo "$s1" | has 'Peer Principal *: host2\$@WARD.TEST' \
   && echo "$s2" | has 'Peer Principal *: host1\$@WARD.TEST' && echo "$s2" | has "Peer Realm *: WARD.TEST"; then
  pass "kerberos: show mmsas says Kerberos, host2\$@WARD.TEST on host1 and host1\$@WARD.TEST on host2"
else
  fail "kerberos mmsas" "$(echo "$s1" | grep -E "Authentication|Principal" | tr '\n' ';') / $(echo "$s2" | grep -E "Principal|Realm" | tr '\n' ';')"
fi
sleep 1; stop "$CAPTURE"; CAPTURE=
# The capture: vendor IDs, payload 129 where the draft puts it, nothing malformed.
fields=$(tshark -r "$DIR/kerberos.pcap" -Y "isakmp.exchtype == 2" -T fields -e frame.number -e isakmp.vid_bytes -e isakmp.nextpayload -e isakmp.flags 2>/dev/null)
vids=$(tshark -r "$DIR/kerberos.pcap" -V -Y isakmp 2>/dev/null | grep -E "Vendor ID: |MS NT5 ISAKMPOAKLEY: " | sort -u)
malformed=$(tshark -r "$DIR/kerberos.pcap" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null | wc -l)
if echo "$vids" | has "MS NT5 ISAKMPOAKLEY" && echo "$vids" | has "Windows 2003" && echo "$vids" | has "GSSAPI" && [ "$malformed" = 0 ]; then
  pass "capture: tshark names the vendor IDs MS NT5 ISAKMPOAKLEY (version 4, Windows 2003) and GSSAPI, nothing malformed"
else
  fail "capture vendor IDs" "malformed=$malformed vids: $(echo "$vids" | tr '\n' ';')"
fi
esp=$(tshark -r "$DIR/kerberos.pcap" -Y "esp && ip.src == 10.77.51.2" 2>/dev/null | wc -l)
clear=$(tshark -r "$DIR/kerberos.pcap" -Y "(icmp || tcp.port == 5101) && ip.src == 10.77.51.2 && ip.dst == 10.77.51.4" 2>/dev/null | wc -l)
[ "$esp" -gt 0 ] && [ "$clear" = 0 ] && pass "capture: host1's ping and transfer went as ESP ($esp packets), none in the clear" \
  || fail "capture ESP" "esp=$esp clear=$clear"
# The GSS payloads of messages 3 and 4 (clear), and the tokens in them, through tshark's
# Kerberos dissector: the token's GSS framing (RFC 2743 §3.1, RFC 4121 §4.1) is removed and
# the Kerberos message sent to port 88 in a made-up packet.
/usr/bin/python3 - "$DIR/kerberos.pcap" "$DIR/tokens.pcap" > "$DIR/tokens.log" 2>&1 <<'PY'
import sys
from scapy.all import rdpcap, wrpcap, IP, UDP, Raw
def der_length(b, i):
    n = b[i]; i += 1
    if n < 0x80: return n, i
    k = n & 0x7F; return int.from_bytes(b[i:i + k], "big"), i + k
out, found = [], []
for p in rdpcap(sys.argv[1]):
    if UDP not in p or p[UDP].dport not in (500,) and p[UDP].sport not in (500,): continue
    d = bytes(p[UDP].payload)
    if len(d) < 28 or d[18] != 2 or d[19] & 1: continue   # Main Mode, clear
    nxt, off = d[16], 28
    while nxt and off + 4 <= len(d):
        plen = int.from_bytes(d[off + 2:off + 4], "big")
        if nxt == 129:
            body = d[off + 4:off + plen]
            token = body[1:] if body[0] != 0x60 else body
            # [APPLICATION 0] { OID, TOK_ID(2 bytes), inner }
            length, i = der_length(token, 1)
            assert token[i] == 0x06; oid_len, j = der_length(token, i + 1); i = j + oid_len
            tok_id = token[i:i + 2].hex(); inner = token[i + 2:]
            found.append(tok_id)
            out.append(IP(src=p[IP].src, dst=p[IP].dst) / UDP(sport=88, dport=88) / Raw(inner))
        nxt, off = d[off], off + plen
wrpcap(sys.argv[2], out)
print(" ".join(found))
PY
tok_ids=$(tail -1 "$DIR/tokens.log")
krb=$(tshark -r "$DIR/tokens.pcap" -T fields -e kerberos.msg_type -e kerberos.realm -e kerberos.SNameString 2>/dev/null | tr '\t' ' ' | tr '\n' ';')
if [ "$tok_ids" = "0100 0200" ] && echo "$krb" | has '^14 WARD.TEST host2\$' && echo "$krb" | has ';15'; then
  pass "capture: payload 129 in messages 3 and 4; tshark reads an AP-REQ for host2\$ in WARD.TEST and an AP-REP ($krb)"
else
  fail "capture tokens" "token ids '$tok_ids' kerberos '$krb' $(head -3 "$DIR/tokens.log")"
fi

# refused CASE HOST WORDS: host1 tries; HOST refuses with WORDS; no SA anywhere.
refused() {
  local case=$1 host=$2 words=$3 failures_seen
  nsx $HOST ping -c 2 -W 2 10.77.51.4 > /dev/null 2>&1
  # The refusal may wait for the KDC's timeouts (a fetch runs beside the packet loop).
  for _ in $(seq 40); do grep -q "authentication failed" "$DIR/$host.log" && break; sleep 1; done
  failures_seen=$(on "$host" ipsec dynamic show stats 2>&1 | label_value "Authentication Failures")
  local logged; logged=$(grep "authentication failed" "$DIR/$host.log" | head -1)
  if echo "$logged" | has "$words" && [ "${failures_seen:-0}" -ge 1 ] && sas host1 | has "No SAs\|negotiating" \
     && ! sas host1 | has "established" && ! sas host2 | has "established" && ! nsx $HOST ping -c 1 -W 1 10.77.51.4 > /dev/null 2>&1; then
    pass "$case: $host refuses, no SA, counted ($failures_seen), logged: $(echo "$logged" | grep -o 'reason=.*' | cut -c1-150)"
  else
    fail "$case" "failures=$failures_seen logged='$logged' $(grep -h -E 'failed' "$DIR"/host*.log | head -2 | cut -c1-300)"
  fi
}

# 3. Fallback: Kerberos first on host1, a preshared key only on host2.
restart 'kerberos=yes psk="lab-secret"' 'psk="lab-secret" kerberos=no'
nsx $HOST ping -c 4 -i 0.3 -W 2 10.77.51.4 > /dev/null 2>&1
if nsx $HOST ping -c 2 -W 2 10.77.51.4 > /dev/null 2>&1 && sas host1 | has "Authentication *: Preshared key"; then
  pass "fallback: [kerberos, psk] x [psk] negotiates with the preshared key"
else
  fail "fallback" "$(sas host1 | grep Authentication) $(grep -h failed "$DIR"/host*.log | head -2)"
fi

# 4. Refusals.
admin user setpassword 'host2$' --newpassword="Host2-Kerberos-Pass-2" > /dev/null
restart "kerberos=yes" "kerberos=yes"
refused stale-key host2 "wrong key"
keytab host2 "$DIR/host2.keytab"

admin computer delete host3 > /dev/null
restart "kerberos=yes" "kerberos=yes" "$DIR/host3.keytab"
refused unknown host1 "unknown principal"

# faketime's own wrapper (a bare LD_PRELOAD loses the Swift program's arguments inside a
# namespace); the monotonic clock stays real so the agent's timers run as usual.
restart "kerberos=yes" "kerberos=yes" "$DIR/host2.keytab" env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+20m"
refused clock-skew host2 "clock skew"

stop "$SAMBA_PID"; dc_stop $DC; SAMBA_PID=
restart "kerberos=yes" "kerberos=yes"
refused kdc-down host1 "KDC unreachable"
for n in 1 2; do
  pid=$(eval echo \$AGENT$n)
  kill -0 "$pid" 2>/dev/null && pass "host$n's agent is still running after the refusals" || fail "host$n agent" "exited: $(tail -3 "$DIR/host$n.log")"
done
exit $failures
