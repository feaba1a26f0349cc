# A throw-away Active Directory domain controller for the domain store's test and benchmark
# (sourced after Tests/Agent/lib.sh): Samba 4 as AD DC, provisioned into a private directory,
# started in namespace $DC (10.77.51.1, dc1.ward.test) with a client namespace $HOST
# (10.77.51.2); Kerberos for administrator in $KRB5CCNAME. `dc_up` sets DIR, SMBCONF, PASS,
# REALM, NC; `dc_down` stops samba and removes the namespaces and DIR.

DC=wddc HOST=wdhost PASS='Ward-Admin-Pass-1' REALM=WARD.TEST NC="DC=ward,DC=test"
SAMBA_PID=

dc_down() {
  stop "$SAMBA_PID"
  for ns in $DC $HOST; do
    ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del $ns 2>/dev/null
    rm -rf /etc/netns/$ns
  done
  [ -n "${DIR:-}" ] && rm -rf "$DIR"
}

dc_up() {
  DIR=$(mktemp -d /tmp/ward-domain-XXXXXX)
  # 1. The domain controller.
  for ns in $DC $HOST; do ip netns del $ns 2>/dev/null; ip netns add $ns; nsx $ns ip link set lo up; done
  ip link add wd0 netns $DC type veth peer name wh0 netns $HOST
  nsx $DC ip addr add 10.77.51.1/24 dev wd0; nsx $HOST ip addr add 10.77.51.2/24 dev wh0
  nsx $DC ip link set wd0 up; nsx $HOST ip link set wh0 up
  for ns in $DC $HOST; do
    mkdir -p /etc/netns/$ns
    # The machine's own name too: Kerberos and SASL look it up, and Samba's DNS, with nothing
    # to forward to, answers for it only after a long wait.
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n10.77.51.1 dc1.ward.test dc1\n10.77.51.2 host1.ward.test host1\n' "$(hostname)" > /etc/netns/$ns/hosts
    printf 'nameserver 10.77.51.1\nsearch ward.test\n' > /etc/netns/$ns/resolv.conf
  done
  if ! timeout 180 ip netns exec $DC samba-tool domain provision --targetdir="$DIR/samba" --realm=$REALM --domain=WARD \
      --server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 --host-ip=10.77.51.1 --adminpass="$PASS" \
      --option="dns forwarder = 127.0.0.1" --option="interfaces = lo wd0" --option="bind interfaces only = yes" \
      > "$DIR/provision.log" 2>&1; then
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
  }
[domain_realm]
  .ward.test = $REALM
  ward.test = $REALM
KRB
  export KRB5_CONFIG=$DIR/krb5.conf KRB5CCNAME=FILE:$DIR/admin.ccache WARD_STORE=$DIR/local.db
  SMBCONF=$DIR/samba/etc/smb.conf
  nsx $DC samba -i -s "$SMBCONF" > "$DIR/samba.log" 2>&1 < /dev/null &
  SAMBA_PID=$!
  for _ in $(seq 120); do
    nsx $HOST timeout 2 bash -c '</dev/tcp/10.77.51.1/389 && </dev/tcp/10.77.51.1/88 && </dev/tcp/10.77.51.1/445' 2>/dev/null && break
    sleep 0.5
  done
  sleep 2
  echo "$PASS" | nsx $HOST kinit administrator@$REALM > "$DIR/kinit.log" 2>&1 || { fail kinit "$(cat "$DIR/kinit.log")"; return 1; }
}
