#!/usr/bin/env bash
# Ward against Ward with certificates: two `wardd` in namespaces A (10.77.0.1) and B
# (10.77.0.2) secure everything between them under a rule whose only method is
# rootca="C=CH, O=Ward Lab, CN=Ward Root". strongSwan's `pki` makes a three-level chain
# (Ward Root → Ward Intermediate → a/b.ward.test, RSA), B sends its host and intermediate
# certificates, A trusts only the root. Cases, each with fresh stores and agents:
#   chain            the good path: ping both ways, show mmsas names the peer and the root
#   expired          B's certificate ended yesterday: B will not present it
#                                                                 B: "expired on"
#   not-yet-valid    B's certificate starts tomorrow              B: "is not valid before"
#                    (A refusing such a certificate when a peer does present it, its clock
#                    being off: Tests/IKETests/CertificateMainModeTests)
#   wrong-ca         B's certificate is under another root (B trusts both roots)
#                                                                 A: "is not a root CA of this rule"
#   revoked          A holds the intermediate's CRL revoking B's certificate (strongcrlcheck=1)
#                                                                 A: "was revoked on"
#   crl-missing      strongcrlcheck=2 and A has no CRL            A: "no CRL from"
#   wrong-subject    A's rule says certmap:yes and A maps only another subject
#                                                                 A: "maps to no computer identity"
#   no-key           B's store has its certificate but not the key: B cannot sign
#                                                                 B: "no certificate with a private key"
#   crl-http         strongcrlcheck=2, A has no CRL, B's certificate and the intermediate name
#                    distribution points (an HTTP server in A's namespace): the first attempt
#                    fails with "no CRL from", A fetches both CRLs into its store, the next
#                    attempt succeeds
# A failure case checks: no reply, no SA on either side, the refusing agent logs
# "authentication failed" with the reason and counts it in show stats (Authentication
# Failures), and both agents are still running. "PASS name" / "FAIL name: why"; the exit
# status is the number of failures.
#
#   cert-agents.sh BIN_DIR [CASE...]
set -uo pipefail
bin=$(cd "$1" && pwd) || exit 1; shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(chain expired not-yet-valid wrong-ca revoked crl-missing wrong-subject no-key crl-http)
P=wk$$
A=${P}a B=${P}b
OUT=/tmp/ward-cert-agents/$P
mkdir -p "$OUT"
. "$here/lib.sh"
a_pid= b_pid= web_pid=

stop_agents() {
  local pid
  for pid in $a_pid $b_pid $web_pid; do kill "$pid" 2>/dev/null; done
  for pid in $a_pid $b_pid $web_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  a_pid= b_pid= web_pid=
}
trap 'stop_agents; remove_namespaces $A $B; [ $failures = 0 ] && rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

# The PKI, once: every certificate the cases need.
pki_out=$OUT/pki
mkdir -p "$pki_out"
printf 'pki {\n  load = random openssl pem pkcs1 pkcs8 x509 pubkey gmp sha1 sha2 revocation\n}\n' > "$pki_out/pki.conf"
(
  export STRONGSWAN_CONF=$pki_out/pki.conf; cd "$pki_out" || exit 1
  form="%Y-%m-%d %H:%M:%S"
  utc() { date -u -d "$1" +"$form"; }
  key() { pki --gen --type rsa --size 2048 --outform pem > "$1.key"; }
  issue() {  # NAME CA DN [pki options...]
    local name=$1 ca=$2 dn=$3; shift 3
    key "$name" && pki --pub --in "$name.key" --type rsa | pki --issue --cacert "$ca.crt" --cakey "$ca.key" --dn "$dn" --outform pem "$@" > "$name.crt"
  }
  key root && pki --self --ca --lifetime 30 --in root.key --type rsa --dn "C=CH, O=Ward Lab, CN=Ward Root" --outform pem > root.crt
  key other && pki --self --ca --lifetime 30 --in other.key --type rsa --dn "C=CH, O=Ward Lab, CN=Other Root" --outform pem > other.crt
  issue inter root "C=CH, O=Ward Lab, CN=Ward Intermediate" --ca --lifetime 30 --crl http://10.77.0.1:8088/root.crl
  issue a inter "C=CH, O=Ward Lab, CN=a.ward.test" --san a.ward.test --lifetime 10
  issue b inter "C=CH, O=Ward Lab, CN=b.ward.test" --san b.ward.test --lifetime 10
  issue expired inter "C=CH, O=Ward Lab, CN=b.ward.test" --dateform "$form" --not-before "$(utc '-10 days')" --not-after "$(utc '-1 day')"
  issue future inter "C=CH, O=Ward Lab, CN=b.ward.test" --dateform "$form" --not-before "$(utc '+1 day')" --not-after "$(utc '+10 days')"
  issue stranger other "C=CH, O=Ward Lab, CN=b.ward.test" --san b.ward.test --lifetime 10
  pki --signcrl --cacert inter.crt --cakey inter.key --cert b.crt --reason key-compromise --outform der > inter-revokes-b.crl
  issue bcdp inter "C=CH, O=Ward Lab, CN=b.ward.test" --san b.ward.test --lifetime 10 --crl http://10.77.0.1:8088/inter.crl
  mkdir -p www && pki --signcrl --cacert inter.crt --cakey inter.key --lifetime 7 --outform der > www/inter.crl &&
  pki --signcrl --cacert root.crt --cakey root.key --lifetime 7 --outform der > www/root.crl
) > "$OUT/pki.log" 2>&1 && pass "pki made a three-level chain and the broken certificates" || { fail "pki" "$(tail -3 "$OUT/pki.log")"; exit 1; }

two_hosts $A va 10.77.0.1/24 $B vb 10.77.0.2/24

ROOT="C=CH, O=Ward Lab, CN=Ward Root"
# policy SIDE PEER ROOTCA...: a rule securing everything with PEER, methods rootca=... in order.
policy() {
  local side=$1 peer=$2 methods="" root; shift 2
  for root in "$@"; do methods="$methods rootca=\"$root\""; done
  rm -f "$OUT/$side.db"*
  cat > "$OUT/$side.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=$peer
add filteraction name="Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Certificates" mmsecmethods="AES128-SHA1-14"
add rule name="Peer" policy="Certificates" filterlist="Peer" filteraction="Secure"$methods kerberos=no
set policy name="Certificates" assign=yes
set batch mode=disable
popd
POLICY
  "$bin/ward" --store "$OUT/$side.db" -f "$OUT/$side.txt" > "$OUT/$side.store" 2>&1
}

# certs SIDE FILE...: a fresh certificate store holding FILEs (from the PKI directory).
certs() {
  local side=$1 file files=(); shift
  rm -rf "$OUT/$side.certs"
  for file in "$@"; do files+=("$pki_out/$file"); done
  "$bin/ward" certificate --dir "$OUT/$side.certs" import "${files[@]}" > "$OUT/$side.import" 2>&1
}

dyn() { WARD_SOCKET="$OUT/$1.sock" ip netns exec "$2" timeout 5 "$bin/ward" ipsec dynamic "${@:3}"; }
start() {  # SIDE NAMESPACE: starts wardd, prints its pid once it answers
  rm -f "$OUT/$1.sock"
  ip netns exec "$2" "$bin/wardd" --foreground --store "$OUT/$1.db" --socket "$OUT/$1.sock" --config "$OUT/$1.json" \
    --certificates "$OUT/$1.certs" ${WARD_CERT_AGENTS_VERBOSE:+--verbose} > "$OUT/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do dyn "$1" "$2" show config > /dev/null 2>&1 && break; sleep 0.1; done
  echo $pid
}
replies() { ip netns exec "$1" ping -n -c "$3" -i 0.3 -W 2 "$2" 2>/dev/null | awk '/received/ { print $4 }'; }
counter() { dyn "$1" "$2" show stats | awk -F': ' -v label="$3" '{ sub(/ +$/, "", $1) } $1 == label { print $2; exit }'; }

run_case() {
  local name=$1 refuser=$2 reason=$3 n
  echo "== $name"
  rm -f "$OUT"/a.json "$OUT"/b.json
  a_pid=$(start a $A); b_pid=$(start b $B)
  if [ -n "${A_CRLCHECK:-}" ]; then
    dyn a $A set config property=strongcrlcheck value=$A_CRLCHECK > /dev/null
    sleep 1.5  # the agent reads the store again within a second of the change
  fi
  if [ "$refuser" = none ]; then
    n=$(replies $A 10.77.0.2 5)
    [ "${n:-0}" -ge 3 ] && pass "$name: ping A→B through ESP ($n/5, the first held during IKE)" || fail "$name: ping A→B" "${n:-0}/5 replies; $(grep -m1 'failed' "$OUT/a.log" "$OUT/b.log")"
    n=$(replies $B 10.77.0.1 3)
    [ "${n:-0}" = 3 ] && pass "$name: ping B→A ($n/3)" || fail "$name: ping B→A" "${n:-0}/3"
    dyn a $A show mmsas > "$OUT/$name.mmsas" 2>&1
    if has "Authentication *: Certificate (RSA signature)" < "$OUT/$name.mmsas" && has "Peer Identity *: CN=b.ward.test,O=Ward Lab,C=CH" < "$OUT/$name.mmsas" \
       && has "Peer Root CA *: $ROOT" < "$OUT/$name.mmsas"; then
      pass "$name: show mmsas: RSA certificate of CN=b.ward.test under $ROOT (via the intermediate B sent)"
    else
      fail "$name: show mmsas" "$(grep -E 'Authentication|Peer' "$OUT/$name.mmsas" | tr -s ' ' | tr '\n' ';')"
    fi
    if dyn a $A show config | has "Certificate store *: $OUT/a.certs: 3 certificates (1 with a key), 0 CRLs, 0 certmap entries"; then
      pass "$name: show config summarizes A's certificate store"
    else
      fail "$name: show config" "$(dyn a $A show config | grep -i certificate)"
    fi
  else
    n=$(replies $A 10.77.0.2 3)
    [ "${n:-0}" = 0 ] && pass "$name: no reply from B (no SA, nothing in the clear)" || fail "$name: ping" "$n replies without an SA"
    local side=a ns=$A; [ "$refuser" = b ] && side=b ns=$B
    local line; line=$(grep -m1 'event=authentication failed' "$OUT/$side.log")
    if [ -n "$line" ] && grep -q "$reason" <<<"$line"; then
      pass "$name: $side logs the refusal: ...$(grep -o "$reason.\{0,60\}" <<<"$line" | head -1)"
    else
      fail "$name: $side's log" "no 'authentication failed' with '$reason': $(grep -m2 -E 'failed|certificate' "$OUT/$side.log" | tr '\n' ';')"
    fi
    n=$(counter $side $ns "Authentication Failures")
    [ "${n:-0}" -ge 1 ] && pass "$name: $side's show stats counts it (Authentication Failures $n)" || fail "$name: show stats" "Authentication Failures ${n:-?}"
    if dyn a $A show qmsas | has "No SAs" && dyn b $B show qmsas | has "No SAs"; then pass "$name: no Quick Mode SA on either side"
    else fail "$name: SAs" "an SA was installed"; fi
    kill -0 $a_pid 2>/dev/null && kill -0 $b_pid 2>/dev/null && pass "$name: both agents still running" || fail "$name: agents" "one exited"
  fi
  stop_agents
}

policy a 10.77.0.2 "$ROOT" || fail setup "$(cat "$OUT/a.store")"
policy b 10.77.0.1 "$ROOT" || fail setup "$(cat "$OUT/b.store")"
for c in "${cases[@]}"; do
  A_CRLCHECK=
  certs a root.crt inter.crt a.crt a.key
  certs b root.crt inter.crt b.crt b.key
  case $c in
    chain) run_case chain none "" ;;
    expired) certs b root.crt inter.crt expired.crt expired.key; run_case expired b "expired on" ;;
    not-yet-valid) certs b root.crt inter.crt future.crt future.key; run_case not-yet-valid b "is not valid before" ;;
    wrong-ca)
      certs b root.crt other.crt inter.crt stranger.crt stranger.key
      policy b 10.77.0.1 "C=CH, O=Ward Lab, CN=Other Root" "$ROOT"
      run_case wrong-ca a "is not a root CA of this rule"
      policy b 10.77.0.1 "$ROOT" ;;
    revoked) certs a root.crt inter.crt a.crt a.key inter-revokes-b.crl; run_case revoked a "was revoked on" ;;
    crl-missing) A_CRLCHECK=2; run_case crl-missing a "no CRL from 'CN=Ward Intermediate,O=Ward Lab,C=CH' to check 'CN=b.ward.test" ;;
    wrong-subject)
      policy a 10.77.0.2 "$ROOT certmap:yes"
      "$bin/ward" certificate --dir "$OUT/a.certs" map "C=CH, O=Ward Lab, CN=c.ward.test" C-COMPUTER > /dev/null
      run_case wrong-subject a "maps to no computer identity"
      policy a 10.77.0.2 "$ROOT" ;;
    no-key) certs b root.crt inter.crt b.crt; run_case no-key b "no certificate with a private key" ;;
    crl-http)
      echo "== crl-http"
      certs b root.crt inter.crt bcdp.crt bcdp.key
      ip netns exec $A python3 -m http.server 8088 --bind 10.77.0.1 --directory "$pki_out/www" > "$OUT/web.log" 2>&1 &
      web_pid=$!
      a_pid=$(start a $A); b_pid=$(start b $B)
      dyn a $A set config property=strongcrlcheck value=2 > /dev/null
      sleep 1.5
      n=$(replies $A 10.77.0.2 2)
      grep -q 'event=authentication failed.*no CRL from' "$OUT/a.log" && [ "${n:-0}" = 0 ] \
        && pass "crl-http: without a CRL the first attempt fails (no CRL from, strongcrlcheck=2)" || fail "crl-http: first attempt" "$n replies; $(grep -m1 'failed' "$OUT/a.log")"
      for _ in $(seq 50); do [ "$(grep -c 'event=CRL fetched' "$OUT/a.log")" = 2 ] && break; sleep 0.2; done
      if grep -q 'event=CRL fetched url=http://10.77.0.1:8088/inter.crl' "$OUT/a.log" && grep -q 'event=CRL fetched url=http://10.77.0.1:8088/root.crl' "$OUT/a.log" \
         && [ "$(ls "$OUT/a.certs/crl" | wc -l)" = 2 ]; then
        pass "crl-http: A fetched both CRLs from the distribution points into its store ($(grep -o 'result=.*' "$OUT/a.log" | tr '\n' ' '))"
      else
        fail "crl-http: fetch" "$(grep -m1 -E 'CRL fetch' "$OUT/a.log"); web: $(tail -2 "$OUT/web.log" | tr '\n' ' ')"
      fi
      sleep 1.5  # the agent reloads the store within a second
      n=$(replies $A 10.77.0.2 5)
      [ "${n:-0}" -ge 3 ] && pass "crl-http: with the CRL the next negotiation succeeds ($n/5)" || fail "crl-http: retry" "${n:-0}/5; $(grep 'failed' "$OUT/a.log" | tail -1)"
      stop_agents ;;
    *) fail "unknown case $c" "expected chain, expired, not-yet-valid, wrong-ca, revoked, crl-missing, wrong-subject, no-key or crl-http" ;;
  esac
done
echo "certificate agents: $failures failure(s) ($SECONDS s)"
exit $failures
