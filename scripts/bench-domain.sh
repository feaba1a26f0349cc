#!/usr/bin/env bash
# The domain store against a Samba AD DC, beside the local store, in one run (release build):
#   1. the server-isolation example, command by command and as one batch: seconds and LDAP
#      operations per netsh command;
#   2. a generated policy of N rules (default 1,000; each its own filter list), as one batch;
#   3. reading either back whole (`show all`; the goal is at most 2 s for 1,000 rules).
# Ratios are domain / local, measured in the same run. Needs root and the test packages.
#   scripts/bench-domain.sh [RULES]
set -uo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
RULES=${1:-1000}
swift build -c release --product ward >/dev/null || exit 1
WARD=$(swift build -c release --show-bin-path)/ward
source Tests/Agent/lib.sh
source Tests/Domain/samba-dc.sh
trap dc_down EXIT
dc_up || exit 1

now() { date +%s.%N; }
# run STORE SCRIPT-BODY-FILE: runs the body in STORE, prints "seconds operations commands".
run() {
  local store=$1 body=$2 script=$DIR/run-$RANDOM.txt start end
  { echo "pushd ipsec static"
    if [ "$store" = domain ]; then echo "set store location=domain domain=ward.test"; else echo "set store location=local"; fi
    cat "$body"; echo "show store"; echo popd; } > "$script"
  start=$(now)
  nsx $HOST "$WARD" -f "$script" > "$script.out" 2>&1 || { echo "bench-domain: $store: $(tail -2 "$script.out")" >&2; return 1; }
  end=$(now)
  echo "$(echo "$end - $start" | bc) $(sed -n 's/^LDAP Operations *: //p' "$script.out") $(grep -cv '^#\|^$\|^set batch' "$body")"
}
show() {
  local store=$1 start end
  start=$(now)
  if [ "$store" = domain ]; then
    printf 'pushd ipsec static\nset store location=domain domain=ward.test\nshow all\npopd\n' > "$DIR/show.txt"
    nsx $HOST "$WARD" -f "$DIR/show.txt" > "$DIR/show-$store.out" 2>&1
  else
    nsx $HOST "$WARD" ipsec static show all > "$DIR/show-$store.out" 2>&1
  fi
  end=$(now)
  echo "$end - $start" | bc
}
ratio() { echo "scale=1; $1 / $2" | bc; }

sed '/^set store location=persistent/,$d' examples/server-isolation.txt | grep -v -E "^pushd|^popd|^set store" > "$DIR/isolation.txt"
grep -v "^set batch" "$DIR/isolation.txt" > "$DIR/isolation-each.txt"
{ echo "set batch mode=enable"; echo "add policy name=\"Generated\""
  for n in $(seq 1 "$RULES"); do
    echo "add filterlist name=\"List $n\""
    echo "add filter filterlist=\"List $n\" srcaddr=me dstaddr=10.77.$((n / 250 + 100)).$((n % 250 + 1)) protocol=TCP dstport=$((1000 + n))"
    echo "add rule name=\"Rule $n\" policy=Generated filterlist=\"List $n\" filteraction=Permit"
  done
  echo "set batch mode=disable"; } > "$DIR/generated.txt"

printf 'pushd ipsec static\nset store location=domain domain=ward.test\ndelete all\nadd filteraction name=Permit action=permit\npopd\n' > "$DIR/reset.txt"
reset() { nsx $HOST "$WARD" -f "$DIR/reset.txt" >/dev/null 2>&1; WARD_STORE=$DIR/local.db nsx $HOST "$WARD" ipsec static delete all >/dev/null 2>&1
          nsx $HOST "$WARD" ipsec static add filteraction name=Permit action=permit >/dev/null 2>&1; }

printf '%-44s %10s %10s %8s %12s\n' case "domain s" "local s" ratio "LDAP ops/cmd"
for case in isolation-each isolation generated; do
  reset
  read -r dsec dops dcmd < <(run domain "$DIR/$case.txt") || exit 1
  read -r lsec _ _ < <(run local "$DIR/$case.txt") || exit 1
  label=$case
  [ $case = isolation-each ] && label="server isolation, command by command"
  [ $case = isolation ] && label="server isolation, one batch"
  [ $case = generated ] && label="$RULES-rule policy, one batch"
  printf '%-44s %10.2f %10.2f %8s %12s\n' "$label" "$dsec" "$lsec" "$(ratio "$dsec" "$lsec")" "$(echo "scale=1; $dops / $dcmd" | bc)"
done
dshow=$(show domain); lshow=$(show local)
printf '%-44s %10.2f %10.2f %8s %12s\n' "show all, $RULES rules" "$dshow" "$lshow" "$(ratio "$dshow" "$lshow")" "1 search"
grep -c "^Rule Name" "$DIR/show-domain.out" | xargs -I{} echo "(the domain's show all listed {} rules)"
