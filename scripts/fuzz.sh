#!/usr/bin/env bash
# Fuzzes ESP/AH decapsulation, the ISAKMP decoder, the IKE engine, the CERT payload path
# (certificates, chains, CRLs) and the [MS-GPIPSEC] blob decoders with libFuzzer (AddressSanitizer with --asan).
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
mkdir -p Fuzz/corpus Fuzz/corpus-isakmp Fuzz/corpus-engine Fuzz/corpus-cert Fuzz/corpus-domain Fuzz/corpus-group
[ -n "$(ls -A Fuzz/corpus)" ] || /usr/bin/python3 Fuzz/make_seeds.py Fuzz/corpus
[ -n "$(ls -A Fuzz/corpus-isakmp)" ] || /usr/bin/python3 Fuzz/make_isakmp_seeds.py Fuzz/corpus-isakmp
# Engine seeds: each exchange step, each receiver, the legitimate next message unchanged (mode 2).
if [ -z "$(ls -A Fuzz/corpus-engine)" ]; then
    for step in $(seq 0 11); do for side in 0 1 2 3 6 7; do for port in 0 1; do
        printf "\\x$(printf %02x "$step")\\x0$side\\x02\\x0$port" > "Fuzz/corpus-engine/seed-$step-$side-$port"
    done; done; done
fi
# Certificate seeds: a CA and a host certificate and CRL from strongSwan's pki, in each mode.
if [ -z "$(ls -A Fuzz/corpus-cert)" ] && command -v pki >/dev/null; then
    seeds=$(mktemp -d /tmp/ward-fuzz-pki.XXXXXX)
    printf 'pki {\n load = random openssl pem pkcs1 pkcs8 x509 pubkey gmp sha1 sha2\n}\n' > "$seeds/pki.conf"
    ( export STRONGSWAN_CONF=$seeds/pki.conf; cd "$seeds"
      pki --gen --type ecdsa --size 256 > ca.key && pki --self --ca --in ca.key --type ecdsa --dn "C=CH, O=lab, CN=lab CA" > ca.der
      pki --gen --type ecdsa --size 256 > h.key && pki --pub --in h.key --type ecdsa | pki --issue --cacert ca.der --cakey ca.key --dn "C=CH, O=lab, CN=h.lab.test" --san h.lab.test > h.der
      pki --signcrl --cacert ca.der --cakey ca.key --cert h.der --reason key-compromise > ca.crl )
    python3 - "$seeds" Fuzz/corpus-cert <<'PY'
import sys, pathlib
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
host, ca, crl = (src / "h.der").read_bytes(), (src / "ca.der").read_bytes(), (src / "ca.crl").read_bytes()
item = lambda b: len(b).to_bytes(2, "big") + b
(dst / "cert-chain").write_bytes(b"\x00" + item(host) + item(ca))
(dst / "crl").write_bytes(b"\x01" + crl)
(dst / "cert").write_bytes(b"\x02" + host)
(dst / "dn").write_bytes(b"\x03C=CH, O=lab, CN=lab CA")
PY
    rm -rf "$seeds"
fi
# Directory blob seeds: Windows' own ipsecData blobs, from the default policies Samba provisions.
if [ -z "$(ls -A Fuzz/corpus-domain)" ] && [ -f /usr/share/samba/setup/provision.ldif ]; then
    python3 - /usr/share/samba/setup/provision.ldif Fuzz/corpus-domain <<'PY'
import base64, pathlib, sys
kinds = {"YyEgIk": 0, "uCDcgM": 1, "AKy7EY": 2, "uSDcgM": 3, "tSDcgM": 4}
text = pathlib.Path(sys.argv[1]).read_text()
for n, line in enumerate(l for l in text.splitlines() if l.startswith("ipsecData:: ")):
    value = line.split(":: ", 1)[1]
    kind = kinds.get(value[:6])
    if kind is not None:
        (pathlib.Path(sys.argv[2]) / f"windows-{n}").write_bytes(bytes([0x80 | kind]) + base64.b64decode(value))
PY
fi
# Group Policy seeds: a GPO's DACL as samba-tool gpo create writes it (Samba's NDR, from the
# unit tests' vector), a gPLink with every option, a SID.
if [ -z "$(ls -A Fuzz/corpus-group)" ]; then
    python3 - Fuzz/corpus-group Tests/GroupPolicyTests/GPLinkAndDescriptorTests.swift <<'PY'
import pathlib, re, sys
dst, source = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
for n, vector in enumerate(re.findall(r'Hex\.bytes\("([0-9a-f]+)"\)', source)):
    (dst / f"descriptor-{n}").write_bytes(b"\x00" + bytes.fromhex(vector))
(dst / "gplink").write_bytes(b"\x01[LDAP://cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=ward,DC=test;0][LDAP://cn={2141A40E-A719-4834-B816-027AEC28A1B8},cn=policies,cn=system,DC=ward,DC=test;3]")
(dst / "sid").write_bytes(b"\x02" + bytes.fromhex("01050000000000051500000054451a51f2f32a1d6458f3854f040000"))
PY
fi
for target in ESPFuzz:Fuzz/corpus ISAKMPFuzz:Fuzz/corpus-isakmp IKEEngineFuzz:Fuzz/corpus-engine CertificateFuzz:Fuzz/corpus-cert DomainPolicyFuzz:Fuzz/corpus-domain GroupPolicyFuzz:Fuzz/corpus-group; do
    product=${target%%:*} corpus=${target#*:}
    swift build --package-path Fuzz --scratch-path "$scratch" -c release "${sanitizers[@]}" --product "$product"
    status=0
    SWIFT_BACKTRACE=enable=no timeout $((seconds + 60)) "$scratch/release/$product" "$corpus" \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
    echo "$product:"
    grep -E "stat::number_of_executed_units|DONE|ERROR|SUMMARY|Done|crash-" "$log" || true
    [ "$status" -eq 0 ] || { tail -40 "$log"; exit "$status"; }
done
