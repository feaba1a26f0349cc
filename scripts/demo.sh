#!/usr/bin/env bash
# The demo: installs what is missing, builds `ward`, applies the server isolation policy script
# (examples/server-isolation.txt) to a fresh store, shows the result the way an administrator
# would look at it, and traces how the policy decides two packets. The store lives in a temporary directory, never in
# /var/lib/ward.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh
swift build --product ward
ward="$(swift build --show-bin-path)/ward"
export WARD_STORE="$(mktemp -d /tmp/ward-demo.XXXXXX)/policy.db"
# Prints a command as an administrator would type it, then runs it.
step() {
    local shown=("ward" "${@:2}")
    printf '\n\033[1m$'; printf ' %q' "${shown[@]}"; printf '\033[0m\n'
    "$@"
}

step "$ward" -f examples/server-isolation.txt
step "$ward" ipsec static show policy all format=table
step "$ward" ipsec static show rule all policy="Server Isolation" format=table
step "$ward" ipsec static show filterlist name=Infrastructure format=table level=verbose
step "$ward" ipsec static show filteraction name="Isolation Secure"
step "$ward" ipsec static show rule default policy="Server Isolation"
# Which rule decides a packet, and why (this machine's own address stands for `me`).
step "$ward" ipsec trace srcaddr=192.0.2.7 dstaddr=me protocol=tcp srcport=40000 dstport=23
step "$ward" ipsec trace srcaddr=me dstaddr=10.77.5.5 protocol=tcp srcport=40000 dstport=445
printf '\n\033[1m$ %s\033[0m\n' "ward ipsec static set store location=persistent + show policy all"
printf 'ipsec static set store location=persistent\nipsec static show policy all format=table\n' | "$ward"
printf '\n\033[1m$ %s\033[0m\n' "ward ipsec static add rule ... (a mistake: a mirrored list in a tunnel rule)"
"$ward" ipsec static add rule name=Oops policy="Server Isolation" filterlist="Isolation Domain" filteraction=Permit tunnel=10.77.9.9 || true
step "$ward" ipsec static exportpolicy file="$(dirname "$WARD_STORE")/isolation.json"
printf '\n\033[1m$ %s\033[0m\n' "ward ipsec static dump | head -20"
"$ward" ipsec static dump | head -20
printf '\nStore: %s (remove the directory when done)\n' "$WARD_STORE"
