#!/usr/bin/env bash
# Group Policy on every host, against a real Active Directory domain: two Samba 4 AD DCs (the
# second joined with `samba-tool domain join … DC`, replicating), two Linux hosts joined as
# computers in OU=Finance and OU=Lab, each running `wardd --domain` bound as its computer
# account from its keytab.
#
#   group-policy.sh BINDIR     (BINDIR holds ward and wardd; needs root, samba, krb5-user,
#                               ldap-utils, tcpdump)
#
# Cases: the precedence table (site, domain, OU; enforced, disabled link, blocked inheritance,
# security filtering, computer settings disabled, local only), each host's policy in force and
# `show rsop`'s reasons; planning mode; two hosts carrying traffic under a domain policy that an
# administrator changes with `ward ipsec static` in the domain store (applied by polling, and
# at once by `ward ipsec gpupdate`); faults: a corrupt blob, DC1 stopped (DC2 answers, with a
# change replicated from DC1), both stopped (the cache, across an agent restart), the GPO
# unlinked while the DCs are down; a capture on the LAN counting clear packets that policy says
# must be secured (0). Everything is removed at the end.
set -uo pipefail
BIN=${1:?usage: group-policy.sh BINDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../Agent/lib.sh"
WARD=$BIN/ward WARDD=$BIN/wardd
source "$HERE/samba-dc.sh"
HOST2=wdhost2
AGENT1= AGENT2= CAPTURE= PINGER=
cleanup() {
  stop "$PINGER" "$AGENT1" "$AGENT2" "$CAPTURE"
  [ -n "${KEEP_LOGS:-}" ] && mkdir -p "$KEEP_LOGS" && cp "$DIR"/*.log "$KEEP_LOGS"/ 2>/dev/null
  dc_down
}
trap cleanup EXIT
dc_up || exit 1
dc_member $HOST2 10.77.51.4

admin() { nsx $HOST timeout 60 samba-tool "$@" -H ldap://dc1.ward.test --use-kerberos=required 2>&1 | grep -v "^WARNING"; }
ldapmod() { nsx $HOST timeout 30 ldapmodify -Q -Y GSSAPI -H ldap://dc1.ward.test > /dev/null 2>&1; }
# The administrator's `ward ipsec static` on the domain store, at DC1, from host1's namespace
# (ADMIN_NS overrides).
domain() { local script=$DIR/cmd-$RANDOM.txt; { echo "pushd ipsec static"; echo "set store location=domain domain=dc1.ward.test"; cat; echo popd; } > "$script"; nsx "${ADMIN_NS:-$HOST}" timeout 120 "$WARD" -f "$script"; }
ns_of() { [ "$1" = host1 ] && echo $HOST || echo $HOST2; }
on() { local host=$1; shift; WARD_SOCKET=$DIR/$host.sock WARD_STORE=$DIR/$host.db WARD_DOMAIN_CACHE=$DIR/$host-cache.json nsx "$(ns_of $host)" timeout 90 "$WARD" "$@"; }

# 1. The domain: computers may read IPsec objects, OUs, two computers with keytabs, a site.
# Samba provisions CN=IP Security with read for Authenticated Users on the container only;
# the IPsec client reads the objects in it as the computer (Docs/group-policy.md).
admin dsacl set --objectdn="CN=IP Security,CN=System,$NC" --sddl="(A;CI;RPLCLORC;;;AU)" > /dev/null
for ou in Finance Lab; do admin ou create "OU=$ou,$NC" > /dev/null; done
for n in 1 2; do
  ou=$([ $n = 1 ] && echo Finance || echo Lab)
  admin computer create host$n --computerou="OU=$ou" > /dev/null
  admin user setpassword "host$n\$" --newpassword="Host$n-Machine-Pass-1" > /dev/null
  samba-tool domain exportkeytab "$DIR/host$n.keytab" --principal="host$n\$" -s "$SMBCONF" > /dev/null 2>&1
  chmod 600 "$DIR/host$n.keytab"
done
[ -s "$DIR/host1.keytab" ] && [ -s "$DIR/host2.keytab" ] && pass "host1 in OU=Finance and host2 in OU=Lab joined, keytabs exported" \
  || fail "join hosts" "no keytab"
admin sites subnet create 10.77.51.0/24 Default-First-Site-Name > /dev/null
SITE="CN=Default-First-Site-Name,CN=Sites,CN=Configuration,$NC"

# 2. Four policies that secure host1 <-> host2, told apart by their ESP transform: three in the
#    domain store, one in each host's local store.
policy() {  # NAME ACTION QMSECMETHODS
  cat <<EOF
add policy name="$1" pollinginterval=5
add filteraction name="$2" action=negotiate qmsecmethods="$3"
add rule name="$1 hosts" policy="$1" filterlist="Host pair" filteraction="$2" psk="lab-psk-one"
EOF
}
{ echo 'add filterlist name="Host pair"'
  echo 'add filter filterlist="Host pair" srcaddr=10.77.51.2 dstaddr=10.77.51.4 mirrored=yes'
  policy "Site Policy" "Require AES128" "ESP[AES128,SHA1]"
  policy "Domain Policy" "Require 3DES" "ESP[3DES,SHA1]"
  policy "Finance Policy" "Require AES256" "ESP[AES256,SHA1]"; } | domain > "$DIR/policies.out" 2>&1 \
  && pass "three policies written to the domain store" || fail "domain policies" "$(tail -3 "$DIR/policies.out")"
for host in host1 host2; do
  { echo "pushd ipsec static"; echo "set store location=local"
    echo 'add filterlist name="Host pair"'
    echo 'add filter filterlist="Host pair" srcaddr=10.77.51.2 dstaddr=10.77.51.4 mirrored=yes'
    policy "Local Only" "Require AES192" "ESP[AES192,SHA1]"
    echo 'set policy name="Local Only" assign=yes'; echo popd; } > "$DIR/local-$host.txt"
  on $host -f "$DIR/local-$host.txt" > /dev/null 2>&1 || fail "local policy $host" "$(on $host -f "$DIR/local-$host.txt" 2>&1 | tail -2)"
done
declare -A GPO
for name in Site Domain Finance; do
  GPO[$name]=$(admin gpo create "GP $name" | grep -o "{[0-9A-F-]*}" | head -1)
  out=$(domain <<<"set policy name=\"$name Policy\" gponame=\"GP $name\"" 2>&1) || fail "assign $name" "$out"
done
[ -n "${GPO[Site]}" ] && [ -n "${GPO[Finance]}" ] && pass "GPOs GP Site, GP Domain, GP Finance created and assigned" || fail "gpo create" "${GPO[*]}"

# 3. The agents: each host's computer account, a short poll (the policies say 5 minutes).
agent() {  # HOST
  local host=$1 n=${1#host}
  ip netns exec "$(ns_of $host)" "$WARDD" --store "$DIR/$host.db" --socket "$DIR/$host.sock" --config "$DIR/$host.json" \
    --domain ward.test --machine-account "host$n\$" --keytab "$DIR/$host.keytab" --domain-cache "$DIR/$host-cache.json" \
    --gp-poll 2 --gp-refresh 3600 ${CONSOLE[$host]:+--console ${CONSOLE[$host]}} >> "$DIR/$host.log" 2>&1 &
  eval "AGENT$n=$!"
  for _ in $(seq 100); do on $host ipsec dynamic show config > /dev/null 2>&1 && return 0; sleep 0.1; done
  fail "start $host" "$(tail -5 "$DIR/$host.log")"
}
# host1 also serves the web console (its RSoP page is checked against show rsop).
declare -A CONSOLE=([host1]=127.0.0.1:8843)
agent host1; agent host2

# expect CASE HOST POLICY [RSOP-PATTERN]: after gpupdate, the host's table holds POLICY's rule
# (as the domain layer, or the local one for "Local Only") and show rsop matches the pattern.
expect() {
  local case=$1 host=$2 want=$3 pattern=${4:-} update rsop filters
  update=$(on $host ipsec gpupdate 2>&1)
  rsop=$(on $host ipsec show rsop 2>&1)
  filters=$(on $host ipsec dynamic show qmfilter 2>&1)
  local layer="domain     : policy '$want' from GPO"
  [ "$want" = "Local Only" ] && layer="local      : policy 'Local Only' (1 rules), in force"
  if echo "$rsop" | has "$layer" && echo "$filters" | has "policy '$want')" && { [ -z "$pattern" ] || echo "$rsop" | has "$pattern"; }; then
    pass "$case: $host puts '$want' in force${pattern:+ (rsop: $pattern)}"
  else
    fail "$case: $host expected '$want'${pattern:+ and '$pattern'}" "$update / $(echo "$rsop" | grep -E "GPO Name|Status|domain  |local  " | tr '\n' ';') / $(echo "$filters" | grep -m2 "Rule")"
  fi
}
relink() {  # CONTAINER GPO [OPTIONS...]
  admin gpo dellink "$1" "$2" > /dev/null 2>&1
  admin gpo setlink "$1" "$2" "${@:3}" > /dev/null
}

# 4. The precedence table.
expect "no GPO" host1 "Local Only" "No GPO linked to these containers assigns an IPsec policy"
admin gpo setlink "$SITE" "${GPO[Site]}" > /dev/null
expect "site only" host1 "Site Policy" "Site              : $SITE"
expect "site only" host2 "Site Policy"
admin gpo setlink "$NC" "${GPO[Domain]}" > /dev/null
expect "site + domain" host1 "Domain Policy" "not applied: lower precedence than GPO 'GP Domain'"
admin gpo setlink "OU=Finance,$NC" "${GPO[Finance]}" > /dev/null
expect "domain + OU" host1 "Finance Policy" "SOM               : OU=Finance,$NC (OU)"
expect "domain + OU" host2 "Domain Policy"
relink "$NC" "${GPO[Domain]}" --enforce
expect "enforced domain over OU" host1 "Domain Policy" "SOM               : $NC (domain, enforced)"
on host1 ipsec show rsop | awk '/GPO Name *: GP Finance/,/Status/' | has "lower precedence than GPO 'GP Domain'" \
  && pass "rsop: GP Finance loses to the enforced GP Domain" || fail "rsop enforced" "$(on host1 ipsec show rsop)"
sleep 1.5   # the console follows the agent's snapshot a second
page=$(ip netns exec "$(ns_of host1)" curl -s --max-time 10 -H "Authorization: Bearer $(cat "$DIR/console.token")" http://127.0.0.1:8843/rsop)
rows=$(sed 's/<tr>/\n<tr>/g' <<<"$page")
grep -q "^<tr><td>GP Finance</td>.*<td>no</td><td>lower precedence than GPO &#39;GP Domain&#39;</td></tr>" <<<"$rows" \
  && grep -q "^<tr><td>GP Domain</td><td>DC=ward,DC=test</td><td>yes</td><td>Domain Policy</td><td>1</td><td>yes</td>" <<<"$rows" \
  && grep -q "^<tr><td>domain</td><td>policy &#39;Domain Policy&#39; from GPO &#39;GP Domain&#39;</td><td>yes</td>" <<<"$rows" \
  && pass "console: host1's RSoP page shows GP Domain applied (enforced, precedence 1), GP Finance not and why, the domain layer in force" \
  || fail "console rsop" "$(grep -E "GP |domain" <<<"$rows" | head -12)"
relink "$NC" "${GPO[Domain]}"
relink "OU=Finance,$NC" "${GPO[Finance]}" --disable
expect "disabled link" host1 "Domain Policy" "not applied: the link is disabled"
relink "OU=Finance,$NC" "${GPO[Finance]}"
admin gpo setinheritance "OU=Lab,$NC" block > /dev/null
expect "blocked inheritance" host2 "Local Only" "inheritance is blocked at OU=Lab,$NC and the link is not enforced"
expect "blocked inheritance" host1 "Finance Policy"
admin gpo setinheritance "OU=Lab,$NC" inherit > /dev/null
sid=$(admin computer show host1 --attributes=objectSid | sed -n 's/^objectSid: //p')
admin dsacl set --objectdn="CN=${GPO[Finance]},CN=Policies,CN=System,$NC" --sddl="(OD;;CR;edacfd8f-ffb3-11d1-b41d-00a0c968f939;;$sid)" > /dev/null
expect "security filtering" host1 "Domain Policy" "security filtering: an ACE denies Read or Apply Group Policy to $sid"
expect "security filtering" host2 "Domain Policy"
printf 'dn: CN=%s,CN=Policies,CN=System,%s\nchangetype: modify\nreplace: flags\nflags: 2\n' "${GPO[Domain]}" "$NC" | ldapmod
expect "computer settings disabled" host2 "Site Policy" "the GPO's computer settings are disabled"
printf 'dn: CN=%s,CN=Policies,CN=System,%s\nchangetype: modify\nreplace: flags\nflags: 0\n' "${GPO[Domain]}" "$NC" | ldapmod
for link in "$SITE ${GPO[Site]}" "$NC ${GPO[Domain]}" "OU=Finance,$NC ${GPO[Finance]}"; do admin gpo dellink ${link% *} ${link##* } > /dev/null; done
expect "local only" host1 "Local Only"
expect "local only" host2 "Local Only"
[ ! -e "$DIR/host1-cache.json" ] && pass "no GPO assigns a policy: the domain cache is removed" || fail "cache removed" "$(ls -la "$DIR/host1-cache.json")"

# 5. Planning mode, with the administrator's tickets: a computer in OU=Lab, and host1 itself.
admin gpo setlink "$NC" "${GPO[Domain]}" > /dev/null
admin gpo setlink "OU=Finance,$NC" "${GPO[Finance]}" > /dev/null
plan=$(nsx $HOST timeout 60 "$WARD" ipsec show rsop som="OU=Lab,$NC" domain=ward.test 2>&1)
echo "$plan" | has "would receive policy 'Domain Policy' from GPO 'GP Domain'" && pass "planning: a computer in OU=Lab would receive Domain Policy" \
  || fail "planning som" "$plan"
plan=$(nsx $HOST timeout 60 "$WARD" ipsec show rsop computer=host1 domain=ward.test 2>&1)
echo "$plan" | has "security filtering: an ACE denies" && echo "$plan" | has "would receive policy 'Domain Policy'" \
  && pass "planning: host1 with its own token is filtered out of GP Finance" || fail "planning computer" "$plan"
admin gpo dellink "OU=Finance,$NC" "${GPO[Finance]}" > /dev/null

# 6. A second DC, joined now (the precedence table above reads one DC, so no replication delay
#    decides a case); from here each change written on DC1 is replicated to DC2 at once.
start=$(date +%s)
dc_join_second || exit 1
pass "second DC joined and replicating ($(( $(date +%s) - start )) s)"
sync_dcs() {
  local out
  out=$(nsx $DC2 timeout 60 samba-tool drs replicate dc2 dc1 "$NC" -U administrator --password="$PASS" 2>&1)
  echo "$out" | has "was successful" || fail "replicate dc1 -> dc2" "$(echo "$out" | tail -2)"
}
write() { domain > /dev/null 2>&1 || fail "write" "$1"; sync_dcs; }

# Traffic under the domain policy; the capture counts what crosses the LAN between the hosts.
ip netns exec $SWITCH tcpdump -i wdbr -n -w "$DIR/lan.pcap" host 10.77.51.2 and host 10.77.51.4 > /dev/null 2>&1 &
CAPTURE=$!
sleep 1
expect "traffic" host1 "Domain Policy"
expect "traffic" host2 "Domain Policy"
nsx $HOST ping -c 3 -W 2 10.77.51.4 > /dev/null 2>&1  # the first packets wait for IKE
out=$(nsx $HOST ping -c 3 -W 2 10.77.51.4 2>&1)
sas=$(on host1 ipsec dynamic show qmsas 2>&1)
echo "$out" | has " 0% packet loss" && echo "$sas" | has "3DES" && pass "host1 -> host2 under the domain policy's ESP 3DES" \
  || fail "domain traffic" "$out / $sas"
pinger() { ip netns exec $HOST ping -i 0.5 -W 1 10.77.51.4 >> "$DIR/ping.log" 2>&1 & PINGER=$!; }
pinger
applied() { grep -c "event=domain policy applied" "$DIR/$1.log"; }

# The administrator changes the domain policy; both hosts apply it by polling (2 s here).
before1=$(applied host1) before2=$(applied host2)
write "AES256" <<<'set filteraction name="Require 3DES" qmsecmethods="ESP[AES256,SHA256]"'
for _ in $(seq 60); do [ "$(applied host1)" -gt "$before1" ] && [ "$(applied host2)" -gt "$before2" ] && break; sleep 0.5; done
[ "$(applied host1)" -gt "$before1" ] && [ "$(applied host2)" -gt "$before2" ] \
  && pass "a change in the directory reached both hosts by polling, no restart" || fail "poll" "$(tail -3 "$DIR/host1.log")"
sleep 3
sas=$(on host1 ipsec dynamic show qmsas 2>&1)
echo "$sas" | has "AES-CBC-256 HMAC-SHA2-256" && pass "the SAs were renegotiated with the new transform (AES256/SHA256)" || fail "new transform" "$sas"
# gpupdate applies at once, without waiting for the poll.
before1=$(applied host1)
write "AES128" <<<'set filteraction name="Require 3DES" qmsecmethods="ESP[AES128,SHA256]"'
on host1 ipsec gpupdate > /dev/null 2>&1
[ "$(applied host1)" -gt "$before1" ] && pass "gpupdate applied the change before it returned" || fail "gpupdate" "$(tail -3 "$DIR/host1.log")"

# 7. Faults. A corrupt blob: the old policy stays, the error names the object.
filter=$(nsx $HOST timeout 30 ldapsearch -Q -LLL -o ldif-wrap=no -Y GSSAPI -H ldap://dc1.ward.test -b "CN=IP Security,CN=System,$NC" -s one \
         "(&(objectClass=ipsecFilter)(ipsecName=Host pair))" dn ipsecData)
filterdn=$(echo "$filter" | sed -n 's/^dn: //p'); blob=$(echo "$filter" | sed -n 's/^ipsecData:: //p')
printf 'dn: %s\nchangetype: modify\nreplace: ipsecData\nipsecData:: %s\n' "$filterdn" "$(echo "$blob" | base64 -d | head -c 40 | base64 -w0)" | ldapmod
sync_dcs
on host1 ipsec gpupdate > /dev/null 2>&1
grep "domain policy not applied" "$DIR/host1.log" | tail -1 | has "ipsecFilter{" && on host1 ipsec dynamic show qmfilter | has "policy 'Domain Policy')" \
  && pass "a corrupt blob: the running policy stays, the log names $(grep -o "ipsecFilter{[^}]*}" "$DIR/host1.log" | tail -1)" \
  || fail "corrupt blob" "$(grep "not applied" "$DIR/host1.log" | tail -2)"
printf 'dn: %s\nchangetype: modify\nreplace: ipsecData\nipsecData:: %s\n' "$filterdn" "$blob" | ldapmod
sync_dcs
on host1 ipsec gpupdate > /dev/null 2>&1

# DC1 out of the hosts' reach (and their DNS with it): a change written on DC1 reaches them
# through DC2's replica. Then DC1 stops.
for ns in $HOST $HOST2; do nsx $ns ip route add prohibit 10.77.51.1/32; done
before1=$(applied host1)
ADMIN_NS=$DC write "3DES" <<<'set filteraction name="Require 3DES" qmsecmethods="ESP[3DES,SHA1]"'
out=$(on host1 ipsec gpupdate 2>&1)
on host1 ipsec show rsop | has "Read from *: dc2.ward.test" && [ "$(applied host1)" -gt "$before1" ] \
  && pass "DC1 unreachable: DC2 answers, with the change written on DC1 and replicated" || fail "dc2 serves" "$out / $(tail -3 "$DIR/host1.log")"
on host2 ipsec gpupdate > /dev/null 2>&1
sleep 2
out=$(nsx $HOST ping -c 3 -W 2 10.77.51.4 2>&1)
sas=$(on host1 ipsec dynamic show qmsas 2>&1)
echo "$out" | has " 0% packet loss" && echo "$sas" | has "3DES" && pass "both hosts renegotiated under the replicated change (3DES)" || fail "replicated change traffic" "$out / $sas"
dc_stop $DC; SAMBA_PID=
for ns in $HOST $HOST2; do nsx $ns ip route del prohibit 10.77.51.1/32; done

# Both stopped: the cached policy stays in force, across an agent restart too.
dc_stop $DC2; SAMBA2_PID=
out=$(on host1 ipsec gpupdate 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | has "no domain controller answered; cached copy of the domain policy from GPO 'GP Domain'" \
  && on host1 ipsec dynamic show qmfilter | has "policy 'Domain Policy')" && pass "both DCs stopped: gpupdate fails and says the cached copy stays in force" \
  || fail "cache in force" "$out"
stop "$PINGER"; PINGER=   # wardd's restart leaves the host unfiltered for a moment (no boot-time filter here)
stop "$AGENT1"; AGENT1=
lines=$(wc -l < "$DIR/host1.log")
agent host1
tail -n +$((lines + 1)) "$DIR/host1.log" | grep "event=applied cached copy of the domain policy" | has 'gpo="GP Domain"' \
  && on host1 ipsec dynamic show qmfilter | has "policy 'Domain Policy')" && pass "restarted with no DC: the cached copy in force from the start, and logged" \
  || fail "cache at start" "$(tail -4 "$DIR/host1.log")"
[ "$(stat -c %a "$DIR/host1-cache.json")" = 600 ] && pass "the domain cache is root-only (0600)" || fail "cache mode" "$(stat -c %a "$DIR/host1-cache.json")"
pinger

# The GPO unlinked while the DCs are down (on DC1's database, offline): nothing changes until
# a controller answers again; then the domain policy goes and the local one applies.
samba-tool gpo dellink "$NC" "${GPO[Domain]}" -H "$DIR/samba/private/sam.ldb" > /dev/null 2>&1
on host1 ipsec gpupdate > /dev/null 2>&1
on host1 ipsec dynamic show qmfilter | has "policy 'Domain Policy')" && pass "unlinked while the DCs are down: the cached domain policy stays" \
  || fail "unlinked while down" "$(on host1 ipsec show rsop | tail -5)"
dc_restart_first || fail "dc1 restart" "$(tail -3 "$DIR/samba.log")"
expect "DC1 back, GPO unlinked" host1 "Local Only"
expect "DC1 back, GPO unlinked" host2 "Local Only"
sleep 2
out=$(nsx $HOST ping -c 3 -W 2 10.77.51.4 2>&1)
echo "$out" | has " 0% packet loss" && pass "host1 -> host2 under the local policies again" || fail "local traffic" "$out"

# 8. What crossed the LAN: ESP, and no clear packet between the hosts.
stop "$PINGER" "$CAPTURE"; PINGER= CAPTURE=
clear=$(tcpdump -n -r "$DIR/lan.pcap" 'icmp or (tcp and not port 500 and not port 4500)' 2>/dev/null | wc -l)
esp=$(tcpdump -n -r "$DIR/lan.pcap" 'ip proto 50' 2>/dev/null | wc -l)
replies=$(grep -c "bytes from 10.77.51.4" "$DIR/ping.log")
[ "$clear" -eq 0 ] && [ "$esp" -gt 0 ] && [ "$replies" -gt 0 ] \
  && pass "the capture: $esp ESP packets, 0 clear packets between the hosts ($replies echo replies through every fault)" \
  || fail "capture" "clear=$clear esp=$esp replies=$replies"

# Secrets never reach show or the logs.
if on host1 ipsec show rsop 2>&1 | grep -q "lab-psk-one" || grep -q "lab-psk-one" "$DIR/host1.log" "$DIR/host2.log"; then
  fail "secrets" "the preshared key appears in show rsop or a log"
else
  pass "the preshared key appears in neither show rsop nor the logs"
fi

exit $failures
