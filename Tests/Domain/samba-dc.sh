# A throw-away Active Directory domain for the domain tests and benchmarks (sourced after
# Tests/Agent/lib.sh): Samba 4 as AD DC, provisioned into a private directory, on a LAN that a
# bridge in namespace $SWITCH carries (10.77.51.0/24): the DC in $DC (10.77.51.1,
# dc1.ward.test), a client namespace $HOST (10.77.51.2, host1); `dc_member NS IP` adds more
# namespaces (host2 10.77.51.4), `dc_join_second` a second DC in $DC2 (10.77.51.3,
# dc2.ward.test). Kerberos for administrator in $KRB5CCNAME. `dc_up` sets DIR, SMBCONF, PASS,
# REALM, NC; `dc_down` stops the DCs and removes the namespaces and DIR.

DC=wddc DC2=wddc2 HOST=wdhost SWITCH=wdsw PASS='Ward-Admin-Pass-1' REALM=WARD.TEST NC="DC=ward,DC=test"
SAMBA_PID= SAMBA2_PID=
DC_MEMBERS=()

dc_down() {
  stop "$SAMBA_PID" "$SAMBA2_PID"
  for ns in "${DC_MEMBERS[@]}" $SWITCH; do
    ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del $ns 2>/dev/null
    rm -rf /etc/netns/$ns
  done
  DC_MEMBERS=()
  [ -n "${DIR:-}" ] && rm -rf "$DIR"
}

# dc_member NS ADDRESS: a namespace on the LAN (interface lan0) with the domain's hosts file
# and the DC as its DNS server.
dc_member() {
  local ns=$1 address=$2 port="wv${#DC_MEMBERS[@]}"
  ip netns del $ns 2>/dev/null; ip netns add $ns; nsx $ns ip link set lo up
  ip link add lan0 netns $ns type veth peer name $port netns $SWITCH
  nsx $SWITCH ip link set $port master wdbr up
  nsx $ns ip addr add $address/24 dev lan0; nsx $ns ip link set lan0 up
  mkdir -p /etc/netns/$ns
  # The machine's own name too: Kerberos and SASL look it up, and Samba's DNS, with nothing
  # to forward to, answers for it only after a long wait.
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n10.77.51.1 dc1.ward.test dc1\n10.77.51.3 dc2.ward.test dc2\n10.77.51.2 host1.ward.test host1\n10.77.51.4 host2.ward.test host2\n' \
    "$(hostname)" > /etc/netns/$ns/hosts
  printf 'nameserver 10.77.51.1\nsearch ward.test\n' > /etc/netns/$ns/resolv.conf
  DC_MEMBERS+=("$ns")
}

# dc_wait NS ADDRESS: until ADDRESS answers LDAP, Kerberos and SMB from NS (60 s at most).
dc_wait() {
  for _ in $(seq 120); do
    nsx $1 timeout 2 bash -c "</dev/tcp/$2/389 && </dev/tcp/$2/88 && </dev/tcp/$2/445" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

dc_up() {
  DIR=$(mktemp -d /tmp/ward-domain-XXXXXX)
  ip netns del $SWITCH 2>/dev/null; ip netns add $SWITCH
  nsx $SWITCH ip link add wdbr type bridge; nsx $SWITCH ip link set wdbr up
  dc_member $DC 10.77.51.1
  dc_member $HOST 10.77.51.2
  mkdir -p "$DIR/samba/pid" "$DIR/samba2/pid"
  if ! timeout 180 ip netns exec $DC samba-tool domain provision --targetdir="$DIR/samba" --realm=$REALM --domain=WARD \
      --server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 --host-ip=10.77.51.1 --adminpass="$PASS" \
      --option="dns forwarder = 127.0.0.1" --option="interfaces = lo lan0" --option="bind interfaces only = yes" \
      --option="pid directory = $DIR/samba/pid" > "$DIR/provision.log" 2>&1; then
    fail provision "$(tail -3 "$DIR/provision.log")"; return 1
  fi
  cat > "$DIR/krb5.conf" <<KRB
[libdefaults]
  default_realm = $REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
[realms]
  $REALM = {
    kdc = 10.77.51.1
    kdc = 10.77.51.3
  }
[domain_realm]
  .ward.test = $REALM
  ward.test = $REALM
KRB
  export KRB5_CONFIG=$DIR/krb5.conf KRB5CCNAME=FILE:$DIR/admin.ccache WARD_STORE=$DIR/local.db
  SMBCONF=$DIR/samba/etc/smb.conf
  nsx $DC samba -i -s "$SMBCONF" > "$DIR/samba.log" 2>&1 < /dev/null &
  SAMBA_PID=$!
  dc_wait $HOST 10.77.51.1 || { fail "dc1 start" "$(tail -3 "$DIR/samba.log")"; return 1; }
  sleep 2
  echo "$PASS" | nsx $HOST kinit administrator@$REALM > "$DIR/kinit.log" 2>&1 || { fail kinit "$(cat "$DIR/kinit.log")"; return 1; }
}

# A second domain controller, joined to the domain and replicating with the first.
dc_join_second() {
  dc_member $DC2 10.77.51.3
  if ! timeout 300 ip netns exec $DC2 samba-tool domain join ward.test DC --server=dc1.ward.test -U administrator --password="$PASS" \
      --targetdir="$DIR/samba2" --dns-backend=SAMBA_INTERNAL --option="dns forwarder = 127.0.0.1" \
      --option="interfaces = lo lan0" --option="bind interfaces only = yes" --option="netbios name = DC2" \
      --option="pid directory = $DIR/samba2/pid" > "$DIR/join.log" 2>&1; then
    fail "join dc2" "$(tail -3 "$DIR/join.log")"; return 1
  fi
  nsx $DC2 samba -i -s "$DIR/samba2/etc/smb.conf" > "$DIR/samba2.log" 2>&1 < /dev/null &
  SAMBA2_PID=$!
  dc_wait $HOST 10.77.51.3 || { fail "dc2 start" "$(tail -3 "$DIR/samba2.log")"; return 1; }
  # Replicate both ways now rather than at the next KCC run, so DC1's KDC knows DC2's service
  # names; and publish DC2 in the SRV records clients find controllers by (samba_dnsupdate
  # needs nsupdate, which this lab does not install).
  nsx $DC2 timeout 60 samba-tool drs replicate dc1 dc2 "$NC" -U administrator --password="$PASS" > "$DIR/replicate.log" 2>&1
  nsx $DC2 timeout 60 samba-tool drs replicate dc2 dc1 "$NC" -U administrator --password="$PASS" >> "$DIR/replicate.log" 2>&1
  nsx $HOST timeout 30 samba-tool dns add 10.77.51.1 _msdcs.ward.test _ldap._tcp.dc SRV 'dc2.ward.test 389 0 100' \
    -U administrator --password="$PASS" >> "$DIR/replicate.log" 2>&1
  for _ in $(seq 60); do
    nsx $HOST timeout 10 ldapsearch -Q -LLL -Y GSSAPI -H ldap://dc2.ward.test -b "" -s base dnsHostName 2>/dev/null | grep -q dc2 && return 0
    sleep 1
  done
  fail "dc2 answers" "$(tail -3 "$DIR/replicate.log")"; return 1
}

# dc_stop NS: every process of the controller in namespace NS (samba's prefork workers outlive
# their parent for a while and keep answering).
dc_stop() {
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null)
  [ -z "$pids" ] && return 0
  kill $pids 2>/dev/null
  for _ in $(seq 50); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && return 0; sleep 0.1; done
  kill -9 $(ip netns pids "$1" 2>/dev/null) 2>/dev/null
  sleep 0.2
}

# dc_restart_first: DC1 again after `stop $SAMBA_PID` (its database may have been edited offline).
dc_restart_first() {
  nsx $DC samba -i -s "$SMBCONF" >> "$DIR/samba.log" 2>&1 < /dev/null &
  SAMBA_PID=$!
  dc_wait $HOST 10.77.51.1
}
