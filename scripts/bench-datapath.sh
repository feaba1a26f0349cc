#!/usr/bin/env bash
# The datapath benchmark (not a test): TCP throughput between two network namespaces, in the
# same run, (i) in the clear, (ii) through Ward's userspace ESP (two `wardd` agents, transport
# mode) and (iii) through strongSwan's userspace ESP (two charons with kernel-libipsec, which
# does tunnel mode in UDP 4500 only), with the same algorithm; reported as ratios, with the
# agents' CPU time per ESP packet. Release builds.
#
#   scripts/bench-datapath.sh [SECONDS] [--perf]
#
# --perf also records a perf profile of the sending wardd under load and prints where the time
# goes (symbols, kernel and user).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "bench-datapath: run as root (namespaces)" >&2; exit 1; }
seconds=${1:-5}
profile=no; [ "${2:-}" = --perf ] && profile=yes
swift build -c release --product ward > /dev/null
swift build -c release --product wardd > /dev/null
bin="$(swift build -c release --show-bin-path)"
work=$(mktemp -d /tmp/ward-bench.XXXXXX)
A=wbench$$a B=wbench$$b
pids=()

cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for ns in $A $B; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  pids=()
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

topology() {
  local ns
  for ns in $A $B; do ip netns add $ns; ip -n $ns link set lo up; done
  ip link add v0 netns $A type veth peer name v0 netns $B
  ip -n $A addr add 10.77.0.1/24 dev v0; ip -n $B addr add 10.77.0.2/24 dev v0
  ip -n $A addr add 10.77.1.1/32 dev lo; ip -n $B addr add 10.77.2.1/32 dev lo
  ip -n $A link set v0 up; ip -n $B link set v0 up
  for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
}

# cpu PID...: user+system clock ticks so far.
cpu() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' /proc/$pid/stat))); done; echo $total; }

# iperf FROM TO: Mbit/s received, after a 1 s warm-up excluded by --omit.
iperf() {
  ip netns exec $B iperf3 -s -1 -B "$2" > /dev/null 2>&1 &
  local server=$!
  sleep 0.3
  ip netns exec $A iperf3 -c "$2" -B "$1" -t "$seconds" -O 1 -J 2>/dev/null \
    | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
  wait $server 2>/dev/null || true
}

policy() {  # qmsec
  cat > "$work/policy.txt" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=10.77.0.0 dstmask=24
add filteraction name="Bench" action=negotiate inpass=no soft=no qmpfs=no qmsec="$1:3600s"
add policy name="Bench" mmsecmethods="AES128-SHA1-14"
add rule name="Peer" policy="Bench" filterlist="Peer" filteraction="Bench" psk="bench-only" kerberos=no
set policy name="Bench" assign=yes
set batch mode=disable
popd
POLICY
}

ward_run() {  # qmsec → prints "mbits cpu_us_per_packet"
  topology
  policy "$1"
  local ns host
  for host in a b; do
    ns=$A; [ $host = b ] && ns=$B
    rm -f "$work/$host.db"*
    "$bin/ward" --store "$work/$host.db" -f "$work/policy.txt"
    ip netns exec $ns "$bin/wardd" --foreground --store "$work/$host.db" --socket "$work/$host.sock" --config "$work/$host.json" \
      > "$work/$host.log" 2>&1 &
    pids+=($!)
  done
  sleep 1.5
  ip netns exec $A ping -c 2 -W 3 10.77.0.2 > /dev/null || { echo "0 0"; cleanup; return; }
  local before packets_before mbits after packets
  before=$(cpu "${pids[@]}")
  packets_before=$(WARD_SOCKET="$work/a.sock" "$bin/ward" ipsec dynamic show stats type=ipsec | awk -F': ' '/^(Outbound|Inbound) Protected/ { s += $2 } END { print s }')
  local perf_pid=
  if [ $profile = yes ]; then
    perf record -F 1999 -g -o "$work/perf.data" -p "${pids[0]}" -- sleep $((seconds - 1)) > /dev/null 2>&1 &
    perf_pid=$!
  fi
  mbits=$(iperf 10.77.0.1 10.77.0.2)
  after=$(cpu "${pids[@]}")
  packets=$(WARD_SOCKET="$work/a.sock" "$bin/ward" ipsec dynamic show stats type=ipsec | awk -F': ' '/^(Outbound|Inbound) Protected/ { s += $2 } END { print s }')
  [ -n "$perf_pid" ] && { wait "$perf_pid" 2>/dev/null || true; }
  # Both agents' CPU over the packets each handled once (A's out + in = B's in + out).
  echo "$mbits $(python3 -c "print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / max(1, 2 * ($packets - $packets_before)), 2))")"
  cleanup
}

charon_conf() {  # dir local remote local_ts remote_ts esp
  mkdir -p "$1/swanctl"
  cat > "$1/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey kdf aes sha1 sha2 hmac gcm gmp kernel-libipsec kernel-netlink socket-default vici
  plugins { vici { socket = unix://$1/charon.vici } }
  syslog { daemon { default = -1 } }
}
CONF
  cat > "$1/swanctl/swanctl.conf" <<CONF
connections { bench { version = 1
  local_addrs = $2
  remote_addrs = $3
  proposals = aes128-sha1-modp2048
  local { auth = psk
    id = $2 }
  remote { auth = psk
    id = $3 }
  children { tun { mode = tunnel
    local_ts = $4
    remote_ts = $5
    esp_proposals = $6 } } } }
secrets { ike { id-a = 10.77.0.1
  id-b = 10.77.0.2
  secret = "bench-only" } }
CONF
}

charon_run() {  # esp proposal → prints "mbits cpu_us_per_packet"
  topology
  charon_conf "$work/ca" 10.77.0.1 10.77.0.2 10.77.1.1/32 10.77.2.1/32 "$1"
  charon_conf "$work/cb" 10.77.0.2 10.77.0.1 10.77.2.1/32 10.77.1.1/32 "$1"
  local ns dir
  for ns in $A $B; do
    dir=$work/ca; [ $ns = $B ] && dir=$work/cb
    ip netns exec $ns sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && STRONGSWAN_CONF="$1" exec /usr/lib/ipsec/charon' sh "$dir/strongswan.conf" \
      > "$dir/out" 2>&1 < /dev/null &
    pids+=($!)
  done
  for dir in "$work/ca" "$work/cb"; do
    for _ in $(seq 100); do [ -S "$dir/charon.vici" ] && break; sleep 0.1; done
    SWANCTL_DIR=$dir/swanctl swanctl --load-all --noprompt --uri "unix://$dir/charon.vici" > /dev/null 2>&1
  done
  SWANCTL_DIR=$work/ca/swanctl timeout 30 swanctl --initiate --child tun --uri "unix://$work/ca/charon.vici" > /dev/null 2>&1 || { echo "0 0"; cleanup; return; }
  sleep 0.5
  local before mbits after
  before=$(cpu "${pids[@]}")
  mbits=$(iperf 10.77.1.1 10.77.2.1)
  after=$(cpu "${pids[@]}")
  # Packets estimated from the bytes (1,448-byte segments one way, an ACK per two back).
  echo "$mbits $(python3 -c "
packets = $mbits * 1e6 * $seconds / 8 / 1448 * 1.5
print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / max(1, 2 * packets), 2))")"
  cleanup
}

printf '%-26s %10s %10s %12s %10s %10s %8s %8s\n' algorithm "clear" "Ward" "strongSwan" "Ward/clr" "sS/clr" "Ward/sS" "µs/pkt W|sS"
for algorithm in "AES-GCM-128|ESP[AES-GCM128,None]|aes128gcm16" "AES-CBC-128+HMAC-SHA1|ESP[AES128,SHA1]|aes128-sha1" "3DES+HMAC-SHA1|ESP[3DES,SHA1]|3des-sha1"; do
  IFS='|' read -r name qmsec esp <<< "$algorithm"
  topology; clear=$(iperf 10.77.0.1 10.77.0.2); cleanup
  read -r ward ward_cpu <<< "$(ward_run "$qmsec")"
  read -r sswan sswan_cpu <<< "$(charon_run "$esp")"
  printf '%-26s %10s %10s %12s %10s %10s %8s %8s\n' "$name" "$clear" "$ward" "$sswan" \
    "$(python3 -c "print(f'{$ward / max(1, $clear):.3f}')")" "$(python3 -c "print(f'{$sswan / max(1, $clear):.3f}')")" \
    "$(python3 -c "print(f'{$ward / max(1, $sswan):.2f}')")" "$ward_cpu|$sswan_cpu"
done
echo "(Mbit/s over ${seconds} s after a 1 s warm-up; Ward in transport mode, strongSwan's libipsec in tunnel mode over UDP 4500;"
echo " µs/pkt: both agents' CPU time per ESP packet each handled — Ward's counted, strongSwan's estimated from the bytes)"
if [ $profile = yes ] && [ -f "$work/perf.data" ]; then
  echo; echo "Where the sending wardd's time goes (perf, last algorithm):"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -25
fi
