#!/usr/bin/env bash
# Benchmark (release build, not a test): apply a generated script of N rules (default 10000),
# once command by command and once inside `set batch`, each into a fresh store.
# Prints seconds for both and their ratio (batched / unbatched), measured in the same run.
# Goal: the batched run takes at most 2 s for 10,000 rules.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-10000}
swift build -c release --product ward >/dev/null
ward=$(swift build -c release --show-bin-path)/ward
work=$(mktemp -d /tmp/ward-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

generate() {  # $1 = 1 for batched
    echo "pushd ipsec static"
    [ "$1" = 1 ] && echo "set batch mode=enable"
    echo 'add policy name="Bench" description="generated" mmsecmethods="AES256-SHA256-14 3DES-SHA1-2"'
    echo 'add filteraction name="Bench Secure" action=negotiate qmsecmethods="ESP[AES-GCM256,None] ESP[AES128,SHA256]:3600s"'
    awk -v n="$rules" 'BEGIN {
        for (i = 0; i < n; i++) {
            a = int(i / 250) % 250; b = i % 250 + 1
            printf "add filterlist name=\"List %d\"\n", i
            printf "add filter filterlist=\"List %d\" srcaddr=me dstaddr=10.%d.%d.0 dstmask=24 protocol=TCP dstport=%d\n", i, 77, a, 1024 + i % 60000
            printf "add rule name=\"Rule %d\" policy=Bench filterlist=\"List %d\" filteraction=\"Bench Secure\" psk=\"k%d\"\n", i, i, i
        }
    }'
    [ "$1" = 1 ] && echo "set batch mode=disable"
    echo "popd"
}
generate 0 >"$work/plain.txt"
generate 1 >"$work/batched.txt"

measure() {  # $1 = script; prints seconds
    local start end
    start=$(date +%s.%N)
    "$ward" --store "$work/$(basename "$1" .txt).db" -f "$1"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
plain=$(measure "$work/plain.txt")
batched=$(measure "$work/batched.txt")
count=$("$ward" --store "$work/batched.db" ipsec static show rule all policy=Bench format=table | grep -c '^[0-9]')
printf 'rules: %d (%d commands per script)\n' "$rules" "$(wc -l <"$work/plain.txt")"
printf 'unbatched: %.2f s\nbatched:   %.2f s\nratio batched/unbatched: %.3f\n' "$plain" "$batched" "$(echo "$batched / $plain" | bc -l)"
[ "$count" = "$rules" ] || { echo "expected $rules rules in the store, found $count" >&2; exit 1; }
