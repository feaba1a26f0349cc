#!/usr/bin/env bash
# The Group Policy client's load on a domain controller, for fleets of N simulated hosts (release
# build; Samba AD DC in namespaces; default N = 100 500 2000). For each N the directory holds N
# computer accounts in OU=Fleet under a GPO that assigns a policy, and the run measures:
#   - searches per refresh (GPO list and assignment, then the poll, at each Group Policy
#     refresh) and per poll (the assigned policy's stamp, at its polling interval), each after
#     a sealed GSSAPI bind, as the agent's thread makes one per cycle;
#   - the DC's CPU per refresh and per poll (its processes' utime+stime from /proc), and as a
#     ratio to a bind alone measured in the same run (the yardstick);
#   - at the default intervals (refresh 90 + 0-30 min: every 105 min on average; Windows'
#     default polling interval 180 min): searches per host per hour, DC CPU per host per hour,
#     and how many hosts one DC serves at 10 % of one core.
#   scripts/bench-gp.sh [N...]
set -uo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
SIZES=("${@:-100 500 2000}")
[ $# -eq 0 ] && SIZES=(100 500 2000)
swift build -c release --product ward >/dev/null && swift build -c release --product ward-gp-bench >/dev/null || exit 1
BINS=$(swift build -c release --show-bin-path)
source Tests/Agent/lib.sh
source Tests/Domain/samba-dc.sh
trap dc_down EXIT
dc_up || exit 1

ticks() { local total=0 pid; for pid in $(ip netns pids $DC); do
  read -r -a f < "/proc/$pid/stat" 2>/dev/null || continue; total=$((total + f[13] + f[14])); done; echo $total; }
hz=$(getconf CLK_TCK)
# measure PHASE COUNT: "searches seconds dc_cpu_seconds"
measure() {
  local before after out
  before=$(ticks)
  out=$(nsx $HOST "$BINS/ward-gp-bench" dc1.ward.test "$1" "$2" fleet) || { echo "bench-gp: $1: $out" >&2; return 1; }
  after=$(ticks)
  echo "$(echo "$out" | sed -n 's/.*searches=\([0-9]*\).*/\1/p') $(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p') $(echo "scale=4; ($after - $before) / $hz" | bc)"
}

# The fleet's OU, its GPO and policy (the domain store), and computers added in batches.
nsx $HOST samba-tool ou create "OU=Fleet,$NC" -H ldap://dc1.ward.test --use-kerberos=required > /dev/null 2>&1
nsx $HOST samba-tool dsacl set --objectdn="CN=IP Security,CN=System,$NC" --sddl="(A;CI;RPLCLORC;;;AU)" -H ldap://dc1.ward.test --use-kerberos=required > /dev/null 2>&1
gpo=$(nsx $HOST samba-tool gpo create "GP Fleet" -H ldap://dc1.ward.test --use-kerberos=required 2>/dev/null | grep -o "{[0-9A-F-]*}" | head -1)
nsx $HOST samba-tool gpo setlink "OU=Fleet,$NC" "$gpo" -H ldap://dc1.ward.test --use-kerberos=required > /dev/null 2>&1
printf 'pushd ipsec static\nset store location=domain domain=dc1.ward.test\nadd policy name="Fleet"\nadd filterlist name="Servers"\nadd filter filterlist="Servers" srcaddr=me dstaddr=10.77.60.0 dstmask=24\nadd filteraction name="Require" action=negotiate qmsecmethods="ESP[AES128,SHA1]"\nadd rule name="Servers" policy="Fleet" filterlist="Servers" filteraction="Require" psk="bench"\nset policy name="Fleet" gponame="GP Fleet"\npopd\n' > "$DIR/fleet.txt"
nsx $HOST "$BINS/ward" -f "$DIR/fleet.txt" > "$DIR/fleet.out" 2>&1 || { echo "bench-gp: $(tail -2 "$DIR/fleet.out")"; exit 1; }
made=0
add_computers() {  # up to N
  local n
  : > "$DIR/computers.ldif"
  for n in $(seq "$made" $(($1 - 1))); do
    printf 'dn: CN=fleet%s,OU=Fleet,%s\nobjectClass: computer\nsAMAccountName: fleet%s$\nuserAccountControl: 4096\n\n' "$n" "$NC" "$n" >> "$DIR/computers.ldif"
  done
  [ -s "$DIR/computers.ldif" ] && nsx $HOST ldapadd -Q -Y GSSAPI -H ldap://dc1.ward.test -f "$DIR/computers.ldif" > /dev/null 2>&1
  made=$1
}

printf '%-6s %-9s %-9s %-10s %-10s %-10s %-10s %-12s %-14s %s\n' hosts "srch/refr" "srch/poll" "DC ms/refr" "DC ms/poll" "refr/bind" "poll/bind" "srch/host/h" "DC ms/host/h" "hosts@10%"
for size in "${SIZES[@]}"; do
  add_computers "$size"
  read -r bs bt bc <<<"$(measure baseline 100)"
  read -r ds dt dc <<<"$(measure discover "$size")"
  read -r ps pt pc <<<"$(measure poll "$size")"
  [ -n "$dc" ] && [ -n "$pc" ] || exit 1
  # Per operation (ms of DC CPU), and per host per hour at the default intervals.
  perdisc=$(echo "scale=3; 1000 * $dc / $size" | bc); perpoll=$(echo "scale=3; 1000 * $pc / $size" | bc)
  perbase=$(echo "scale=4; 1000 * $bc / 100" | bc)
  sdisc=$(echo "scale=1; $ds / $size" | bc); spoll=$(echo "scale=1; $ps / $size" | bc)
  hourly=$(echo "scale=2; $sdisc * 60 / 105 + $spoll * 60 / 180" | bc)
  cpuhour=$(echo "scale=3; $perdisc * 60 / 105 + $perpoll * 60 / 180" | bc)
  capacity=$(echo "scale=0; 0.1 * 3600 * 1000 / $cpuhour" | bc 2>/dev/null || echo "-")
  ratio() { [ "$(echo "$perbase > 0" | bc)" = 1 ] && echo "scale=1; $1 / $perbase" | bc || echo "-"; }
  printf '%-6s %-9s %-9s %-10s %-10s %-10s %-10s %-12s %-14s %s\n' "$size" "$sdisc" "$spoll" "$perdisc" "$perpoll" "$(ratio "$perdisc")" "$(ratio "$perpoll")" "$hourly" "$cpuhour" "$capacity"
done
