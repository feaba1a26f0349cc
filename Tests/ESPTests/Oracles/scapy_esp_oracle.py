#!/usr/bin/python3
"""scapy as an independent ESP/AH implementation for Ward's tests.

Reads a JSON list of cases from argv[1]; for each case
  * decrypts Ward's packet ("wire") with scapy and returns the inner packet ("decrypted");
  * encrypts the plain packet ("plain") with scapy at sequence number "seq" and returns it
    ("encrypted") for Ward to decapsulate.
Writes a JSON list of results to stdout. Errors are reported per case, never hidden.
"""
import json
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import AH, ESP, SecurityAssociation
from scapy.compat import raw


def ip_packet(data):
    return IP(data) if data[0] >> 4 == 4 else IPv6(data)


def fix_nat_t_length(data):
    """scapy 2.5.0 builds the NAT-T UDP header before the ESP payload is attached, so its length
    field says 8 (RFC 768 would have the receiver truncate the datagram). Patch the length to
    cover the payload; the IPv4 UDP checksum stays zero (RFC 3948 section 2.1)."""
    packet = bytearray(data)
    ihl = (packet[0] & 0x0F) * 4
    length = len(packet) - ihl
    packet[ihl + 4:ihl + 6] = length.to_bytes(2, "big")
    return bytes(packet)


def make_sa(case):
    kwargs = dict(spi=case["spi"])
    if case["protocol"] == "esp":
        kwargs.update(crypt_algo=case["crypt"], crypt_key=bytes.fromhex(case["crypt_key"]))
        kwargs.update(auth_algo=case["auth"], auth_key=bytes.fromhex(case["auth_key"]) if case["auth_key"] else None)
    else:
        kwargs.update(auth_algo=case["auth"], auth_key=bytes.fromhex(case["auth_key"]))
    if case.get("tunnel"):
        source, destination = case["tunnel"]
        kwargs["tunnel_header"] = IP(src=source, dst=destination) if ":" not in source else IPv6(src=source, dst=destination)
    if case.get("udp"):
        kwargs["nat_t_header"] = UDP(sport=4500, dport=4500)
    if case.get("esn"):
        kwargs.update(esn_en=True, esn=case.get("esn_high", 0))
    return SecurityAssociation(ESP if case["protocol"] == "esp" else AH, **kwargs)


def main():
    cases = json.load(open(sys.argv[1]))
    results = []
    for case in cases:
        result = {"name": case["name"]}
        try:
            sa = make_sa(case)
            decrypted = sa.decrypt(ip_packet(bytes.fromhex(case["wire"])))
            result["decrypted"] = raw(decrypted).hex()
            sa = make_sa(case)
            encrypted = raw(sa.encrypt(ip_packet(bytes.fromhex(case["plain"])), seq_num=case["seq"]))
            if case.get("udp"):
                encrypted = fix_nat_t_length(encrypted)
            result["encrypted"] = encrypted.hex()
        except Exception as error:  # reported to the test, which fails on it
            result["error"] = "%s: %s" % (type(error).__name__, error)
        results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
