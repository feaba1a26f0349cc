#!/usr/bin/env bash
# Responder capacity (issue 5): Ward's load generator (ward-ike-peer --load) runs N concurrent
# Main Mode + Quick Mode negotiations (PSK, aes128-sha1-modp2048, ESP aes128-sha1) against a
# responder in another namespace — first Ward (ward-ike-peer --serve), then strongSwan's charon
# (kernel-libipsec, as it runs on this host) — same run, same proposals, and reports completed
# negotiations per second, their ratio, and Ward against the Diffie-Hellman bound measured
# here (one key pair + one shared secret per negotiation, one core). Release build; root.
#   scripts/bench-ike.sh [CONCURRENT=32] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
concurrent=${1:-32} seconds=${2:-10} warmup=2
[ "$(id -u)" = 0 ] || { echo "bench-ike.sh: needs root (network namespaces)" >&2; exit 2; }
swift build -c release --product ward-ike-peer >/dev/null
peer=$PWD/.build/release/ward-ike-peer
L=wbl$$ R=wbr$$ out=$(mktemp -d /tmp/ward-bench-ike.XXXXXX)
charon_pid=
cleanup() {
  [ -n "$charon_pid" ] && kill "$charon_pid" 2>/dev/null
  for ns in $L $R; do ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $ns 2>/dev/null; done
  rm -rf "$out"
}
trap cleanup EXIT
ip netns add $L; ip netns add $R
ip link add lv netns $L type veth peer name rv netns $R
for ns in $L $R; do ip -n $ns link set lo up; done
for i in $(seq 0 $((concurrent - 1))); do ip -n $L addr add 10.77.0.$((100 + i))/24 dev lv; done
ip -n $R addr add 10.77.0.2/24 dev rv
ip -n $L link set lv up; ip -n $R link set rv up
ip netns exec $L ping -c1 -W2 10.77.0.2 >/dev/null
psk=ward-bench-psk
# Tunnel mode between the hosts: what charon's userspace ESP (libipsec) can install.
proposal=(--psk $psk --ike aes128-sha1-modp2048 --esp aes128-sha1 --mode tunnel)
load() { ip netns exec $L "$peer" --load "$concurrent" --local 10.77.0.100 --remote 10.77.0.2 "${proposal[@]}" --duration "$seconds" --warmup $warmup; }
rate() { sed -n 's/.* = \([0-9.]*\) per second.*/\1/p' <<<"$1"; }

dh=$("$peer" --load -1 --local 10.77.0.1 --remote 10.77.0.2 "${proposal[@]}" --duration 3)
echo "$dh"

ip netns exec $R "$peer" --serve --local 10.77.0.2 --remote 10.77.0.100 "${proposal[@]}" --timeout $((seconds + warmup + 3)) > "$out/ward.txt" 2>&1 &
sleep 0.3
ward=$(load); echo "Ward responder:   $ward"
wait

d=$out/charon; mkdir -p "$d/swanctl"
cat > "$d/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf aes sha1 sha2 md5 hmac gmp kernel-libipsec kernel-netlink socket-default vici
  plugins { vici { socket = unix://$d/charon.vici } }
  syslog { daemon { default = -1 } }
  filelog { bench { path = $d/charon.log  default = 0  ike = 1 } }
}
CONF
cat > "$d/swanctl/swanctl.conf" <<CONF
connections {
  bench {
    version = 1
    local_addrs = 10.77.0.2
    remote_addrs = %any
    proposals = aes128-sha1-modp2048
    local {
      auth = psk
      id = 10.77.0.2
    }
    remote {
      auth = psk
    }
    children {
      host {
        mode = tunnel
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-bench {
    secret = "$psk"
  }
}
CONF
ip netns exec $R sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$d/strongswan.conf" \
  > "$d/charon.out" 2>&1 < /dev/null &
charon_pid=$!
for i in $(seq 100); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
SWANCTL_DIR=$d/swanctl swanctl --load-all --noprompt --uri "unix://$d/charon.vici" > "$d/load.txt" 2>&1 || { cat "$d/load.txt"; exit 1; }
charon=$(load) || { echo "charon responder: $charon"; tail -20 "$d/charon.log"; exit 1; }
echo "charon responder: $charon"

w=$(rate "$ward") c=$(rate "$charon") bound=$(sed -n 's/.* = \([0-9.]*\) negotiations.*/\1/p' <<<"$dh")
echo "ratio Ward / charon: $(echo "scale=2; $w / $c" | bc) (goal >= 1.5)"
echo "Ward / Diffie-Hellman bound of one core: $(echo "scale=2; $w / $bound" | bc)"
