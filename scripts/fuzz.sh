#!/usr/bin/env bash
# Fuzzes ESP/AH decapsulation with libFuzzer (and AddressSanitizer with --asan).
#   scripts/fuzz.sh [SECONDS] [--asan]     default 30 s; the corpus is kept in Fuzz/corpus
# Seeds are valid packets for the fuzz target's SAs, written by scapy (Fuzz/make_seeds.py).
# Exits non-zero when libFuzzer finds a crash (the reproducer is left in the working directory).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
seconds=${1:-30}
sanitizers=(--sanitize=fuzzer)
scratch=Fuzz/.build
if [ "${2:-}" = "--asan" ]; then sanitizers+=(--sanitize=address); scratch=Fuzz/.build-asan; fi
swift build --package-path Fuzz --scratch-path "$scratch" -c release "${sanitizers[@]}" --product ESPFuzz
mkdir -p Fuzz/corpus
[ -n "$(ls -A Fuzz/corpus)" ] || /usr/bin/python3 Fuzz/make_seeds.py Fuzz/corpus
log=$(mktemp /tmp/ward-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
SWIFT_BACKTRACE=enable=no timeout $((seconds + 60)) "$scratch/release/ESPFuzz" Fuzz/corpus \
    -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
grep -E "stat::number_of_executed_units|DONE|ERROR|SUMMARY|Done|crash-" "$log" || true
[ "$status" -eq 0 ] || { tail -40 "$log"; exit "$status"; }
