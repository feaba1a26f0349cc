#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, golden, script, round-trip and
# process tests of the `ward` binary; the scapy, tshark, kernel and strongSwan interop tests,
# which need root and say so when they skip). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee /tmp/ward-test.log
grep -q "with 0 failures" /tmp/ward-test.log
# Short libFuzzer runs over ESP/AH decapsulation, the ISAKMP decoder and the IKE engine
# (scripts/fuzz.sh for long runs).
scripts/fuzz.sh 15
