#!/usr/bin/env bash
# The domain store against a real Active Directory domain controller: Samba 4 as AD DC,
# provisioned here into a private directory and started in a network namespace, with
# `ward ipsec static` in a second namespace using Kerberos (kinit) and sealed LDAP.
#
#   domain-store.sh BINDIR     (BINDIR holds ward; needs root, samba, krb5-user, ldap-utils, smbclient)
#
# Cases: Windows' default policies read as Ward's objects; the server-isolation example in the
# domain store equal to the same script in a local store; dump of the domain replayed locally;
# ldapsearch finds objects, references and blobs where [MS-GPIPSEC] puts them; GPO assignment
# (IPSEC object, extension pair, version in the GPO and GPT.INI via smbclient); concurrent
# administrators; bad input (no DC, wrong realm, no ticket, plain user, damaged blob, dangling
# reference). samba-tool dbcheck after each case. Everything is removed at the end.
set -uo pipefail
BIN=${1:?usage: domain-store.sh BINDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../Agent/lib.sh"
WARD=$BIN/ward
source "$HERE/samba-dc.sh"
trap dc_down EXIT
dc_up || exit 1

wardh() { nsx $HOST timeout 120 "$WARD" "$@"; }
domain() { local script=$DIR/cmd-$RANDOM.txt; { echo "pushd ipsec static"; echo "set store location=domain domain=ward.test"; cat; echo popd; } > "$script"; wardh -f "$script"; }
ldap() { nsx $HOST timeout 30 ldapsearch -Q -LLL -o ldif-wrap=no -Y GSSAPI -H ldap://dc1.ward.test "$@" 2>&1; }
IPSEC="CN=IP Security,CN=System,$NC"
dbcheck() {
  local out; out=$(timeout 120 samba-tool dbcheck -s "$SMBCONF" 2>&1)
  if grep -q "(0 errors)" <<<"$out"; then pass "dbcheck after $1"; else fail "dbcheck after $1" "$(tail -3 <<<"$out")"; fi
}
# Every DN the container's references name exists.
dangling() {
  local refs missing=0 dn
  refs=$(ldap -b "$IPSEC" -s one "(objectClass=ipsecBase)" ipsecNFAReference ipsecFilterReference ipsecNegotiationPolicyReference ipsecISAKMPReference \
         | sed -n 's/^ipsec[A-Za-z]*Reference: //p' | sort -u)
  while IFS= read -r dn; do
    [ -z "$dn" ] && continue
    ldap -b "$dn" -s base dn | has "^dn:" || { missing=$((missing + 1)); echo "missing: $dn"; }
  done <<<"$refs"
  [ $missing -eq 0 ]
}
normalise() { grep -v -E "^Store *:|Last Modified|^Current Store" | sed 's/ *$//'; }

# 2. Windows' own default policies, as Samba copies them from Windows Server.
out=$(domain <<<"show all" 2>&1)
for policy in "Client (Respond Only)" "Server (Request Security)" "Secure Server (Require Security)"; do
  echo "$out" | has "Policy Name *: $policy" && pass "default policy $policy" || fail "default policy $policy" "$out"
done
for list in "All IP Traffic" "All ICMP Traffic"; do
  echo "$out" | has "FilterList Name *: $list" && pass "default filter list $list" || fail "default filter list $list" "$out"
done
rules=$(domain <<<'show rule all policy="Secure Server (Require Security)"' 2>&1)
echo "$rules" | has "Require Security" && echo "$rules" | has "All IP Traffic" && echo "$rules" | has "Permit" \
  && echo "$rules" | has "KERBEROS\|Kerberos" && pass "Secure Server rules: All IP -> Require Security, ICMP -> Permit, Kerberos" \
  || fail "Secure Server rules" "$rules"
actions=$(domain <<<"show filteraction all" 2>&1)
echo "$actions" | awk '/Request Security \(Optional\)/,/^$/' | has "AllowUnsecuredComm *: YES" \
  && echo "$actions" | awk '/FilterAction Name *: Require Security/,/^$/' | has "AllowUnsecuredComm *: NO" \
  && echo "$actions" | awk '/FilterAction Name *: Require Security/,/^$/' | has "Inbound Pass Thru *: YES" \
  && pass "Request Security falls back to clear, Require Security does not; both accept inbound clear" || fail "default actions" "$actions"
echo "$actions" | awk '/FilterAction Name *: Require Security/,0' | grep -c "100000/900" | grep -qx 4 \
  && pass "Require Security: four ESP offers of 900 s, as Windows wrote them" || fail "Require Security offers" "$actions"
dbcheck "reading"

# 3. The server-isolation example (IPv6 filters in the blob's second section) in the domain
#    store and in a local store: the same show all; the domain's dump replays locally.
script=$DIR/isolation.txt
# The local script's persistent part and its assign=yes stay out (the domain store assigns
# through GPOs, below). [MS-GPIPSEC] keeps certificate mapping and "no certificate request" per
# policy (ISAKMP-Options), not per root CA (Docs/compatibility.md): both of the example's CAs
# are given the same options so the two stores can hold the same policy.
{ echo "add filteraction name=Permit description=\"Let unsecured IP packets pass.\" action=permit"
  sed '/^set store location=persistent/,$d' "$HERE/../../examples/server-isolation.txt" \
    | grep -v -E "^set batch|^pushd|^popd|^set store|assign=yes" \
    | sed 's/certmap:no excludecaname:no/certmap:yes excludecaname:yes/'; } > "$DIR/body.txt"
{ echo "pushd ipsec static"; echo "set store location=domain domain=ward.test"; echo "delete all"; cat "$DIR/body.txt"; echo popd; } > "$script"
start=$(date +%s.%N)
wardh -f "$script" > "$DIR/isolation.out" 2>&1 && pass "server isolation written to the domain store ($(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s)" \
  || fail "server isolation into the domain" "$(tail -3 "$DIR/isolation.out")"
{ echo "pushd ipsec static"; echo "set store location=local"; echo "delete all"; cat "$DIR/body.txt"; echo popd; } > "$DIR/local.txt"
wardh -f "$DIR/local.txt" > /dev/null 2>&1 || fail "server isolation into a local store" "$(wardh -f "$DIR/local.txt" 2>&1 | tail -2)"
domain <<<"show all" 2>&1 | normalise > "$DIR/domain-show.txt"
wardh ipsec static show all 2>&1 | normalise > "$DIR/local-show.txt"
if diff "$DIR/domain-show.txt" "$DIR/local-show.txt" > "$DIR/show.diff"; then
  pass "show all of the domain store equals the local store's ($(grep -c "Rule Name\|Policy Name\|FilterList Name" "$DIR/local-show.txt") objects)"
else
  fail "show all domain vs local" "$(head -20 "$DIR/show.diff")"
fi
domain <<<"dump" > "$DIR/dump.txt" 2>&1
WARD_STORE=$DIR/replay.db nsx $HOST "$WARD" -f "$DIR/dump.txt" > "$DIR/replay.out" 2>&1 || fail "dump replays" "$(tail -3 "$DIR/replay.out")"
WARD_STORE=$DIR/replay.db nsx $HOST "$WARD" ipsec static show all 2>&1 | normalise > "$DIR/replay-show.txt"
diff "$DIR/replay-show.txt" "$DIR/local-show.txt" > /dev/null && pass "the domain store's dump replays into a local store" \
  || fail "dump replay" "$(diff "$DIR/replay-show.txt" "$DIR/local-show.txt" | head -10)"
dbcheck "writing"

# 4. Where [MS-GPIPSEC] puts things, read by ldapsearch.
policy=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecPolicy)(ipsecName=Server Isolation))" ipsecNFAReference ipsecISAKMPReference ipsecData)
nfas=$(echo "$policy" | grep -c "^ipsecNFAReference:")
rulecount=$(grep -c "^add rule" "$DIR/body.txt")
[ "$nfas" -eq $((rulecount + 1)) ] && pass "the policy object names $nfas NFAs: $rulecount rules and the default response rule" || fail "NFA references" "$nfas vs $rulecount: $policy"
echo "$policy" | has "^ipsecData:: YyEgIkxP0RGGOwCgJI0wIQQAAAA" && pass "the policy blob: type GUID {22202163-...}, 4 bytes" || fail "policy blob" "$policy"
echo "$policy" | has "^ipsecISAKMPReference: CN=ipsecISAKMPPolicy{" && pass "the policy names its ISAKMP object" || fail "ISAKMP reference" "$policy"
nfa=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecNFA)(ipsecName=Block Telnet))" ipsecData ipsecFilterReference ipsecNegotiationPolicyReference ipsecOwnersReference)
echo "$nfa" | has "^ipsecData:: AKy7EY1J0RGGOQCgJI0w" && echo "$nfa" | has "^ipsecFilterReference: CN=ipsecFilter{" \
  && echo "$nfa" | has "^ipsecOwnersReference: CN=ipsecPolicy{" && pass "a rule is an ipsecNFA naming its filter list and owned by its policy" || fail "rule object" "$nfa"
list=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecFilter)(ipsecName=Domain Controllers))" ipsecData ipsecOwnersReference)
echo "$list" | has "^ipsecOwnersReference: CN=ipsecNFA{" && pass "the filter list names the rule that uses it" || fail "filter list owners" "$list"
blob=$(echo "$list" | sed -n 's/^ipsecData:: //p' | base64 -d | od -An -tx1 -v | tr -d ' \n')
# 10.77.0.10 in network order, mask 255.255.255.255, in the first filter's fixed part.
echo "$blob" | has "0a4d000affffffff" && pass "filter addresses in network byte order (10.77.0.10/32)" || fail "filter address bytes" "$blob"
v2=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecFilter)(ipsecName=Isolation Domain))" ipsecData | sed -n 's/^ipsecData:: //p' | base64 -d | od -An -tx1 -v | tr -d ' \n')
# {35FECD3D-AE29-4373-8A6A-C5D8FAB2FB08} in Windows' byte order, then fd77:: in network order.
echo "$v2" | has "3dcdfe3529ae73438a6ac5d8fab2fb08" && echo "$v2" | has "fd77000000000000" \
  && pass "the IPv6 filter is in the second (Vista) section of the blob" || fail "IPv6 section" "$v2"
dangling && pass "every reference in the container resolves" || fail "dangling references" "see above"

# 5. Assignment to a Group Policy object.
echo "$PASS" | nsx $HOST timeout 60 samba-tool gpo create "Ward Isolation" -H ldap://dc1.ward.test --use-kerberos=required > "$DIR/gpo.log" 2>&1
gpo=$(grep -o "{[0-9A-F-]*}" "$DIR/gpo.log" | head -1)
[ -n "$gpo" ] && pass "GPO created ($gpo)" || fail "gpo create" "$(cat "$DIR/gpo.log")"
before=$(ldap -b "CN=$gpo,CN=Policies,CN=System,$NC" -s base versionNumber | sed -n 's/^versionNumber: //p')
domain <<<'set policy name="Server Isolation" gponame="Ward Isolation"' > "$DIR/assign.out" 2>&1 || fail "assign" "$(cat "$DIR/assign.out")"
ipsecobj=$(ldap -b "CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine,CN=$gpo,CN=Policies,CN=System,$NC" -s base ipsecOwnersReference objectClass ipsecName)
echo "$ipsecobj" | has "ipsecOwnersReference: CN=ipsecPolicy{" && echo "$ipsecobj" | has "objectClass: ipsecPolicy" && echo "$ipsecobj" | has "ipsecName: Server Isolation" \
  && pass "the GPO's IPSEC object names the policy" || fail "IPSEC object" "$ipsecobj"
gpc=$(ldap -b "CN=$gpo,CN=Policies,CN=System,$NC" -s base versionNumber gPCMachineExtensionNames)
echo "$gpc" | has "E437BC1C-AA7D-11D2-A382-00C04F991E27}{DEA8AFA0-CC85-11D0-9CE2-0080C7221EBD" && pass "the IPsec extension pair is in gPCMachineExtensionNames" || fail "extension names" "$gpc"
after=$(echo "$gpc" | sed -n 's/^versionNumber: //p')
[ "$after" = $((before + 1)) ] && pass "versionNumber $before -> $after" || fail "versionNumber" "$before -> $after"
nsx $HOST timeout 30 smbclient //dc1.ward.test/sysvol --use-kerberos=required -c "get ward.test/Policies/$gpo/GPT.INI $DIR/GPT.INI" > /dev/null 2>&1
grep -q "^Version=$after" "$DIR/GPT.INI" 2>/dev/null && pass "GPT.INI on SYSVOL says Version=$after (smbclient)" || fail "GPT.INI" "$(cat "$DIR/GPT.INI" 2>&1)"
domain <<<'show gpoassignedpolicy name="Ward Isolation"' 2>&1 | has "Assigned Policy *: Server Isolation" && pass "show gpoassignedpolicy" || fail "show gpoassignedpolicy" "$(domain <<<'show gpoassignedpolicy name="Ward Isolation"' 2>&1)"
domain <<<'set policy name="Server Isolation" assign=yes' 2>&1 | has "no effect in the domain store" && pass "assign= says it has no effect in the domain store" || fail "assign= in domain" ""
dbcheck "assignment"

# 6. Two administrators at once: each adds five rules to the same policy.
for who in a b; do
  { echo "pushd ipsec static"; echo "set store location=domain domain=ward.test"
    echo "add filterlist name=\"List $who\""
    echo "add filter filterlist=\"List $who\" srcaddr=me dstaddr=10.77.9$([ $who = a ] && echo 1 || echo 2).0 dstmask=24"
    for n in 1 2 3 4 5; do echo "add rule name=\"Rule $who$n\" policy=\"Server Isolation\" filterlist=\"List $who\" filteraction=Permit"; done
    echo popd; } > "$DIR/admin-$who.txt"
done
( for try in 1 2 3 4; do wardh -f "$DIR/admin-a.txt" > "$DIR/admin-a.out" 2>&1 && break; sed -i '/add filterlist\|add filter /d' "$DIR/admin-a.txt"; done ) &
pa=$!
( for try in 1 2 3 4; do wardh -f "$DIR/admin-b.txt" > "$DIR/admin-b.out" 2>&1 && break; sed -i '/add filterlist\|add filter /d' "$DIR/admin-b.txt"; done ) &
pb=$!
wait $pa $pb
count=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecPolicy)(ipsecName=Server Isolation))" ipsecNFAReference | grep -c "^ipsecNFAReference:")
[ "$count" -ge $((rulecount + 1)) ] && dangling && pass "concurrent administrators: no dangling reference ($count NFAs referenced)" || fail "concurrency" "$count; $(cat "$DIR"/admin-*.out | tail -4)"
# One deletes a filter list while the other adds a rule that uses it, five times: whichever
# lands, the list and its rule exist together or not at all, and nothing dangles.
consistent=0
for trial in 1 2 3 4 5; do
  domain <<<"add filterlist name=\"Race $trial\"" > /dev/null 2>&1
  domain <<<"delete filterlist name=\"Race $trial\"" > "$DIR/race-del.out" 2>&1 &
  pd=$!
  domain <<<"add rule name=\"Race $trial\" policy=\"Server Isolation\" filterlist=\"Race $trial\" filteraction=Permit" > "$DIR/race-add.out" 2>&1 &
  pr=$!
  wait $pd $pr
  list=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecFilter)(ipsecName=Race $trial))" dn | grep -c "^dn:")
  rule=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecNFA)(ipsecName=Race $trial))" dn | grep -c "^dn:")
  if { [ "$rule" -eq 0 ] || [ "$list" -eq 1 ]; } && dangling; then consistent=$((consistent + 1)); else
    echo "race $trial: list=$list rule=$rule; $(cat "$DIR/race-del.out" "$DIR/race-add.out")"; fi
done
[ $consistent -eq 5 ] && pass "delete filter list against add rule, five races: never a rule without its list" || fail "delete/add race" "$consistent of 5"
dbcheck "concurrent writers"

# 7. Bad input: each a one-line error, nothing written.
objects() { ldap -b "$IPSEC" -s one "(objectClass=ipsecBase)" dn | grep -c "^dn:"; }
n0=$(objects)
# A batch is one change: a script that fails inside it writes nothing; one that ends writes all.
out=$(domain <<<$'set batch mode=enable\nadd policy name="Batch One"\nadd filterlist name="Batch List"\nadd rule name=R policy="Batch One" filterlist="Batch List" filteraction=Nonexistent' 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "Nonexistent" && [ "$(objects)" = "$n0" ] && pass "a batch that fails writes nothing" || fail "failed batch" "$rc $out"
domain <<<$'set batch mode=enable\nadd policy name="Batch One"\nadd filterlist name="Batch List"\nadd rule name=R policy="Batch One" filterlist="Batch List" filteraction=Permit\nset batch mode=disable\nshow store' > "$DIR/batch.out" 2>&1
[ "$(objects)" = $((n0 + 6)) ] && dangling && pass "a batch writes its six objects at the end ($(sed -n 's/^LDAP Operations *: //p' "$DIR/batch.out") LDAP operations)" || fail "batch" "$(objects) vs $n0: $(cat "$DIR/batch.out")"
domain <<<$'delete policy name="Batch One"\ndelete filterlist name="Batch List"' > /dev/null 2>&1
[ "$(objects)" = "$n0" ] && pass "deleting them removes all six" || fail "batch delete" "$(objects) vs $n0"
out=$(nsx $HOST timeout 60 "$WARD" ipsec static set store location=domain domain=10.77.51.99 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | has "10.77.51.99" && pass "unreachable DC: $out" || fail "unreachable DC" "$rc $out"
out=$(nsx $HOST timeout 60 "$WARD" ipsec static set store location=domain domain=nowhere.test 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | has "nowhere.test" && pass "wrong realm: $out" || fail "wrong realm" "$rc $out"
out=$(KRB5CCNAME=FILE:$DIR/none.ccache nsx $HOST timeout 60 "$WARD" ipsec static set store location=domain domain=ward.test 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "bind" && pass "no ticket: $out" || fail "no ticket" "$rc $out"
echo "$PASS" | KRB5CCNAME=FILE:$DIR/short.ccache nsx $HOST kinit -l 5s administrator@$REALM > /dev/null 2>&1
sleep 7
out=$(KRB5CCNAME=FILE:$DIR/short.ccache nsx $HOST timeout 60 "$WARD" ipsec static set store location=domain domain=ward.test 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | has "xpired\|bind" && pass "an expired ticket: $out" || fail "expired ticket" "$rc $out"
timeout 60 samba-tool user create plainuser 'Plain-User-Pass-1' -s "$SMBCONF" > /dev/null 2>&1
echo 'Plain-User-Pass-1' | KRB5CCNAME=FILE:$DIR/user.ccache nsx $HOST kinit plainuser@$REALM > /dev/null 2>&1
out=$(KRB5CCNAME=FILE:$DIR/user.ccache domain <<<'add policy name="Not Allowed"' 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "Insufficient access\|insufficient" && [ "$(objects)" = "$n0" ] && pass "a plain user's ticket: refused, nothing written" || fail "plain user" "$rc $out"
# A blob cut short, written by ldapmodify.
target=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecFilter)(ipsecName=Domain Controllers))" dn | sed -n 's/^dn: //p')
good=$(ldap -b "$target" -s base ipsecData | sed -n 's/^ipsecData:: //p')
short=$(echo "$good" | base64 -d | head -c 40 | base64 -w0)
printf 'dn: %s\nchangetype: modify\nreplace: ipsecData\nipsecData:: %s\n' "$target" "$short" | nsx $HOST ldapmodify -Q -Y GSSAPI -H ldap://dc1.ward.test > /dev/null 2>&1
out=$(domain <<<'add policy name="After Damage"' 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "ipsecFilter{" && echo "$out" | has "ipsecData" && [ "$(objects)" = "$n0" ] && pass "a truncated blob: $(echo "$out" | tail -1)" || fail "truncated blob" "$rc $out"
lying=$(echo "$good" | base64 -d | od -An -tx1 -v | tr -d ' \n' | sed 's/^\(.\{32\}\)..../\1ff7f/' | xxd -r -p | base64 -w0)
printf 'dn: %s\nchangetype: modify\nreplace: ipsecData\nipsecData:: %s\n' "$target" "$lying" | nsx $HOST ldapmodify -Q -Y GSSAPI -H ldap://dc1.ward.test > /dev/null 2>&1
out=$(domain <<<'show all' 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "data length" && pass "a blob lying about its length: $(echo "$out" | tail -1)" || fail "lying blob" "$rc $out"
printf 'dn: %s\nchangetype: modify\nreplace: ipsecData\nipsecData:: %s\n' "$target" "$good" | nsx $HOST ldapmodify -Q -Y GSSAPI -H ldap://dc1.ward.test > /dev/null 2>&1
# A dangling reference: the policy names an NFA that was deleted behind Ward's back.
victim=$(ldap -b "$IPSEC" -s one "(&(objectClass=ipsecNFA)(ipsecName=Rule a1))" dn | sed -n 's/^dn: //p')
[ -n "$victim" ] && nsx $HOST ldapdelete -Q -Y GSSAPI -H ldap://dc1.ward.test "$victim" > /dev/null 2>&1
out=$(domain <<<'add policy name="After Dangling"' 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "dangling" && pass "a dangling reference: $(echo "$out" | tail -1)" || fail "dangling reference" "$rc $out"
dbcheck "bad input"
exit $failures
