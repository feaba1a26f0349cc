#!/usr/bin/env bash
# Fuzzes ESP/AH decapsulation, the ISAKMP decoder and the IKE engine with libFuzzer (AddressSanitizer with --asan).
#   scripts/fuzz.sh [SECONDS] [--asan]     default 30 s per target; corpora in Fuzz/corpus*
# Seeds are valid packets for the ESP target's SAs and IKEv1 messages, written by scapy
# (Fuzz/make_seeds.py, Fuzz/make_isakmp_seeds.py).
# Exits non-zero when libFuzzer finds a crash (the reproducer is left in the working directory).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
seconds=${1:-30}
sanitizers=(--sanitize=fuzzer)
scratch=Fuzz/.build
if [ "${2:-}" = "--asan" ]; then sanitizers+=(--sanitize=address); scratch=Fuzz/.build-asan; fi
log=$(mktemp /tmp/ward-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
mkdir -p Fuzz/corpus Fuzz/corpus-isakmp Fuzz/corpus-engine
[ -n "$(ls -A Fuzz/corpus)" ] || /usr/bin/python3 Fuzz/make_seeds.py Fuzz/corpus
[ -n "$(ls -A Fuzz/corpus-isakmp)" ] || /usr/bin/python3 Fuzz/make_isakmp_seeds.py Fuzz/corpus-isakmp
# Engine seeds: each exchange step, each receiver, the legitimate next message unchanged (mode 2).
if [ -z "$(ls -A Fuzz/corpus-engine)" ]; then
    for step in $(seq 0 11); do for side in 0 1; do for port in 0 1; do
        printf "\\x$(printf %02x "$step")\\x0$side\\x02\\x0$port" > "Fuzz/corpus-engine/seed-$step-$side-$port"
    done; done; done
fi
for target in ESPFuzz:Fuzz/corpus ISAKMPFuzz:Fuzz/corpus-isakmp IKEEngineFuzz:Fuzz/corpus-engine; do
    product=${target%%:*} corpus=${target#*:}
    swift build --package-path Fuzz --scratch-path "$scratch" -c release "${sanitizers[@]}" --product "$product"
    status=0
    SWIFT_BACKTRACE=enable=no timeout $((seconds + 60)) "$scratch/release/$product" "$corpus" \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
    echo "$product:"
    grep -E "stat::number_of_executed_units|DONE|ERROR|SUMMARY|Done|crash-" "$log" || true
    [ "$status" -eq 0 ] || { tail -40 "$log"; exit "$status"; }
done
