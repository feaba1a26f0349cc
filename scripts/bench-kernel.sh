#!/usr/bin/env bash
# The kernel-backend benchmark (not a test), inside the user-mode Linux guest (this host's
# kernel has no ESP; Tests/Kernel/uml-run.sh): TCP throughput between two namespaces in the
# same run, (i) through plain kernel XFRM with manual keys (`ip xfrm`, no agent), (ii) through
# two `wardd --datapath kernel` and (iii) through two `wardd` on the userspace datapath, all
# ESP transport mode with AES-128-CBC/HMAC-SHA1; reported as ratios against (i). Also the time
# from starting `wardd` to the first protected packet, and from `kill -9` plus a restart to
# traffic resuming, for both datapaths. Release builds. Numbers describe the guest, not a
# native kernel; the ratios are what compare.
#
#   scripts/bench-kernel.sh [SECONDS]
set -euo pipefail
seconds=${1:-8}
if [ "${LAB_IN_UML:-0}" != 1 ]; then
  cd "$(dirname "$0")/.."
  command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
  [ "$(id -u)" -eq 0 ] || { echo "bench-kernel: run as root (user-mode Linux, namespaces)" >&2; exit 1; }
  swift build -c release --product ward > /dev/null
  swift build -c release --product wardd > /dev/null
  share=/tmp/ward-uml; mkdir -p "$share"
  work=$(mktemp -d "$share/bench-kernel.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cp "$(swift build -c release --show-bin-path)"/{ward,wardd} "$work/"
  cp "$0" "$work/bench-kernel.sh"
  exec_status=0
  LAB_SHARE=$share LAB_BENCH_BIN=$work Tests/Kernel/uml-run.sh -t 900 -- "$work/bench-kernel.sh" "$seconds" || exec_status=$?
  exit $exec_status
fi

# Inside the guest.
bin=$LAB_BENCH_BIN
for module in tun sch_ingress cls_u32 act_mirred esp4 xfrm_user; do modprobe "$module" 2>/dev/null || true; done
A=kba B=kbb
work=$(mktemp -d "$bin/run.XXXXXX")
pids=()
cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for ns in $A $B; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  pids=()
}
trap 'cleanup' EXIT

topology() {
  local ns
  for ns in $A $B; do ip netns add $ns; ip -n $ns link set lo up; done
  ip link add v0 netns $A type veth peer name v0 netns $B
  ip -n $A addr add 10.77.0.1/24 dev v0; ip -n $B addr add 10.77.0.2/24 dev v0
  ip -n $A link set v0 up; ip -n $B link set v0 up
  for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
}

throughput() {  # Mbit/s A → B
  ip netns exec $B iperf3 -s -1 > /dev/null 2>&1 &
  sleep 0.5
  ip netns exec $A timeout $((seconds + 30)) iperf3 -c 10.77.0.2 -t "$seconds" -f m 2>/dev/null | awk '/receiver/ { print $7 }'
}

manual() {
  topology
  local key=0x0123456789abcdef0123456789abcdef auth=0x0123456789abcdef0123456789abcdef01234567 ns
  for ns in $A $B; do
    ip -n $ns xfrm state add src 10.77.0.1 dst 10.77.0.2 proto esp spi 0x1001 mode transport enc 'cbc(aes)' $key auth-trunc 'hmac(sha1)' $auth 96
    ip -n $ns xfrm state add src 10.77.0.2 dst 10.77.0.1 proto esp spi 0x1002 mode transport enc 'cbc(aes)' $key auth-trunc 'hmac(sha1)' $auth 96
  done
  ip -n $A xfrm policy add src 10.77.0.1 dst 10.77.0.2 dir out tmpl proto esp mode transport
  ip -n $A xfrm policy add src 10.77.0.2 dst 10.77.0.1 dir in tmpl proto esp mode transport
  ip -n $B xfrm policy add src 10.77.0.2 dst 10.77.0.1 dir out tmpl proto esp mode transport
  ip -n $B xfrm policy add src 10.77.0.1 dst 10.77.0.2 dir in tmpl proto esp mode transport
  throughput
  cleanup
}

policy() {  # FILE PEER
  cat > "$1" <<POLICY
pushd ipsec static
set batch mode=enable
add filterlist name="Peer"
add filter filterlist="Peer" srcaddr=me dstaddr=$2
add filteraction name="Secure" action=negotiate inpass=no soft=no qmpfs=no qmsec="ESP[AES128,SHA1]:3600s"
add policy name="Bench" mmsecmethods="AES128-SHA1-2"
add rule name="Peer" policy="Bench" filterlist="Peer" filteraction="Secure" psk="bench-psk" kerberos=no
set policy name="Bench" assign=yes
set batch mode=disable
popd
POLICY
}

start_wardd() {  # NS DATAPATH TAG
  ip netns exec "$1" "$bin/wardd" --foreground --datapath "$2" --store "$work/$3.db" --socket "$work/$3.sock" --config "$work/$3.json" >> "$work/$3.log" 2>&1 &
  pids+=($!)
  last_wardd=$!
}

wait_agent() {
  for _ in $(seq 300); do WARD_SOCKET="$work/a.sock" ip netns exec $A "$bin/ward" ipsec dynamic show config > /dev/null 2>&1 && return; sleep 0.1; done
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
until_ping() {  # milliseconds from START until A pings B
  local start=$1
  for _ in $(seq 600); do ip netns exec $A ping -n -c 1 -W 0.2 10.77.0.2 > /dev/null 2>&1 && { ms_since "$start"; return; }; done
  echo "never"
}

agents() {  # DATAPATH: throughput, start to first protected packet, kill -9 + restart to resume
  topology
  policy "$work/a.txt" 10.77.0.2; policy "$work/b.txt" 10.77.0.1
  rm -f "$work"/[ab].db* "$work"/[ab].log
  "$bin/ward" --store "$work/a.db" -f "$work/a.txt"; "$bin/ward" --store "$work/b.db" -f "$work/b.txt"
  start_wardd $B "$1" b
  sleep 2
  local start; start=$(date +%s%N)
  start_wardd $A "$1" a
  # A ping that gets through before the agent has its policy in force proves nothing: the
  # first protected packet is the first ping answered once the agent answers its socket.
  wait_agent
  local first; first=$(until_ping "$start")
  local rate; rate=$(throughput)
  # The throughput counts only if it went through ESP: the agent's own count of packets it
  # (or the kernel, for it) sent protected.
  local sent; sent=$(WARD_SOCKET="$work/a.sock" ip netns exec $A "$bin/ward" ipsec dynamic show stats type=ipsec | awk -F': ' '$1 ~ /^Packets Sent/ { print $2; exit }')
  [ "${sent:-0}" -gt 1000 ] 2>/dev/null || { rate="NOT-PROTECTED(${sent:-?})"; cp "$work/a.log" "$bin/failed-$1-a.log" 2>/dev/null || true; }
  kill -9 "$last_wardd"; wait "$last_wardd" 2>/dev/null || true
  start=$(date +%s%N)
  start_wardd $A "$1" a
  # Measured once the new agent answers: on the kernel datapath the old SAs would carry pings
  # until the new agent deletes them.
  wait_agent
  local resume; resume=$(until_ping "$start")
  echo "$rate $first $resume"
  cleanup
}

echo "kernel ESP in the user-mode Linux guest, AES-128-CBC/HMAC-SHA1 transport, $seconds s of iperf3 each"
base=$(manual)
read -r kernel_rate kernel_first kernel_resume <<< "$(agents kernel)"
read -r user_rate user_first user_resume <<< "$(agents userspace)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '%-34s %10s %8s %22s %26s\n' "" "Mbit/s" "ratio" "start→first ESP (ms)" "kill -9+restart→resume (ms)"
# (both: from starting wardd to the first ping answered once the agent is up)
printf '%-34s %10s %8s %22s %26s\n' "plain kernel XFRM, manual keys" "$base" "1.00" "-" "-"
printf '%-34s %10s %8s %22s %26s\n' "wardd --datapath kernel" "$kernel_rate" "$(ratio "$kernel_rate" "$base")" "$kernel_first" "$kernel_resume"
printf '%-34s %10s %8s %22s %26s\n' "wardd (userspace datapath)" "$user_rate" "$(ratio "$user_rate" "$base")" "$user_first" "$user_resume"
rm -rf "$work"
