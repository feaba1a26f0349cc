# Shared by the agent test scripts (sourced): check reporting and namespace plumbing. Each
# script stays runnable alone, and inside the user-mode Linux guest, next to this file.

# A check prints "PASS name" or "FAIL name: why" and counts failures (the exit status).
failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# COMMAND | has PATTERN: whether the output holds PATTERN. It reads all of its input first:
# `grep -q` would stop at the first match, and under pipefail the writer's SIGPIPE would then
# fail a check that matched.
has() { local text; text=$(cat); grep -q -- "$1" <<<"$text"; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# stop PID...: SIGTERM, up to 5 s for an orderly exit, then SIGKILL (empty PIDs are skipped).
stop() {
  local pid
  for pid in "$@"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
}

# lab_charon_conf DIR PLUGINS: DIR/strongswan.conf for a charon that loads PLUGINS (no
# modular loading), answers on DIR/charon.vici, retransmits briefly (3 tries from 2 s), logs
# IKE detail to DIR/charon.log and nothing to syslog.
lab_charon_conf() {
  cat > "$1/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = $2
  retransmit_tries = 3
  retransmit_timeout = 2.0
  retransmit_base = 1.4
  plugins {
    vici {
      socket = unix://$1/charon.vici
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  filelog {
    lab {
      path = $1/charon.log
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
}

# lab_charon_start NS DIR: charon in namespace NS with DIR/strongswan.conf, until its vici
# socket answers (10 s at most); its PID in lab_charon_pid. charon has /var/run/charon.pid
# compiled in: a private /run (ip netns exec already runs the command in its own mount
# namespace); exec, so that the PID is charon itself.
lab_charon_start() {
  local ns=$1 d=$2
  ip netns exec "$ns" sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$d/strongswan.conf" \
    > "$d/charon.out" 2>&1 < /dev/null &
  lab_charon_pid=$!
  for _ in $(seq 100); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
  [ -S "$d/charon.vici" ] || { echo "no vici socket: $(tail -3 "$d/charon.out")"; return 1; }
}

# COMMAND | ward_template MODE: whether `ip xfrm policy` output holds an ESP template of Ward's
# (a reqid of Ward's range 0x57410000–0x5741FFFF, one per filter binding) in MODE.
ward_template() {
  awk -v mode="$1" '/proto esp reqid/ { for (i = 1; i < NF; i++) if ($i == "reqid" && $(i + 1) >= 1463877632 && $(i + 1) <= 1463943167 && $(i + 3) == mode) found = 1 }
    END { exit !found }'
}

# label_value "Label": the value of a `Label : value` line of netsh-style output (show stats).
label_value() { awk -F': ' -v label="$1" '{ sub(/ +$/, "", $1) } $1 == label { print $2; exit }'; }

# two_hosts NS_A IF_A ADDR_A NS_B IF_B ADDR_B: two namespaces with loopback up, joined by a
# veth pair whose ends carry the given addresses (CIDR).
two_hosts() {
  local ns
  for ns in "$1" "$4"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}

# remove_namespaces NS...: end every process left in each namespace, then delete it (processes
# first: once the namespace is gone they can no longer be found by it).
remove_namespaces() {
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

# lab_certificates DIR KIND: with strongSwan's pki, a CA "C=CH, O=lab, CN=lab CA" and host
# certificates for ward.lab.test and charon.lab.test (subjectAltName the FQDN), KIND rsa
# (2048 bits) or ecdsa (P-256), as DIR/{ca,ward,charon}.{key,crt} in PEM. Fails with pki's
# output in DIR/pki.log.
lab_certificates() {
  local d=$1 kind=$2 size=2048
  [ "$kind" = ecdsa ] && size=256
  rm -rf "$d"; mkdir -p "$d"
  printf 'pki {\n  load = random openssl pem pkcs1 pkcs8 x509 pubkey gmp sha1 sha2\n}\n' > "$d/pki.conf"
  (
    export STRONGSWAN_CONF=$d/pki.conf; cd "$d" || exit 1
    pki --gen --type "$kind" --size $size --outform pem > ca.key &&
    pki --self --ca --lifetime 30 --in ca.key --type "$kind" --dn "C=CH, O=lab, CN=lab CA" --outform pem > ca.crt || exit 1
    for host in ward charon; do
      pki --gen --type "$kind" --size $size --outform pem > $host.key &&
      pki --pub --in $host.key --type "$kind" | pki --issue --lifetime 30 --cacert ca.crt --cakey ca.key \
        --dn "C=CH, O=lab, CN=$host.lab.test" --san $host.lab.test --flag serverAuth --outform pem > $host.crt || exit 1
    done
  ) > "$d/pki.log" 2>&1
}
