#!/usr/bin/python3
"""Writes valid ESP/AH packets for the fuzz target's SAs (same SPIs and keys) into the corpus
directory given as argv[1], so the fuzzer starts from packets that pass the ICV checks."""
import os
import sys

from scapy.layers.inet import IP, UDP, ICMP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import AH, ESP, SecurityAssociation
from scapy.compat import raw

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
k1, k2 = b"\x01" * 16, b"\x02"
count = 0
for family, src, dst, tsrc in [(IP, "10.77.1.1", "10.77.2.2", "10.77.1.1"), (IPv6, "fd77::1", "fd77::2", "fd77::1")]:
    inner = family(src=src, dst=dst) / UDP(sport=1234, dport=7) / (b"ward" * 5)
    tunnel = family(src=tsrc, dst=dst)
    sas = [
        SecurityAssociation(ESP, spi=1, crypt_algo="AES-CBC", crypt_key=k1, auth_algo="NULL"),
        SecurityAssociation(ESP, spi=2, crypt_algo="AES-CBC", crypt_key=k1, auth_algo="NULL", tunnel_header=tunnel),
        SecurityAssociation(ESP, spi=3, crypt_algo="AES-GCM", crypt_key=b"\x01" * 20, auth_algo="NULL", esn_en=True, esn=0),
        SecurityAssociation(ESP, spi=4, crypt_algo="NULL", crypt_key=b"", auth_algo="HMAC-SHA1-96", auth_key=k2 * 20),
        SecurityAssociation(AH, spi=5, auth_algo="SHA2-256-128", auth_key=k2 * 32),
        SecurityAssociation(ESP, spi=7, crypt_algo="NULL", crypt_key=b"", auth_algo="HMAC-MD5-96", auth_key=k2 * 16, tunnel_header=tunnel),
    ]
    for sa in sas:
        for seq in (1, 2, 300):
            with open(os.path.join(out, "seed-%d" % count), "wb") as f:
                f.write(raw(sa.encrypt(inner, seq_num=seq)))
            count += 1
print("wrote %d seeds" % count)
