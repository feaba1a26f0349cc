#!/usr/bin/python3
"""Writes IKEv1 messages (scapy's ISAKMP layer) into the corpus directory argv[1]."""
import os
import sys

from scapy.layers.isakmp import ISAKMP, ISAKMP_payload_SA, ISAKMP_payload_Proposal, ISAKMP_payload_Transform
from scapy.layers.isakmp import ISAKMP_payload_VendorID, ISAKMP_payload_KE, ISAKMP_payload_Nonce, ISAKMP_payload_ID, ISAKMP_payload_Hash
from scapy.compat import raw

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
transform = ISAKMP_payload_Transform(transforms=[("Encryption", "3DES-CBC"), ("Hash", "SHA"), ("Authentication", "PSK"),
                                                 ("GroupDesc", "1024MODPgr"), ("LifeType", "Seconds"), ("LifeDuration", 28800)])
messages = [
    ISAKMP(init_cookie=b"\x01" * 8, exch_type="identity prot.") / ISAKMP_payload_SA(prop=ISAKMP_payload_Proposal(trans=transform))
        / ISAKMP_payload_VendorID(load=bytes.fromhex("4a131c81070358455c5728f20e95452f")),
    ISAKMP(init_cookie=b"\x01" * 8, resp_cookie=b"\x02" * 8, exch_type="identity prot.") / ISAKMP_payload_KE(load=b"\x05" * 128)
        / ISAKMP_payload_Nonce(load=b"\x06" * 20),
    ISAKMP(init_cookie=b"\x01" * 8, resp_cookie=b"\x02" * 8, exch_type=32, id=7) / ISAKMP_payload_Hash(load=b"\x07" * 20)
        / ISAKMP_payload_ID(IDtype=1, load=bytes([10, 77, 1, 1])),
]
for index, message in enumerate(messages):
    with open(os.path.join(out, "seed-%d" % index), "wb") as f:
        f.write(raw(message))
print("wrote %d seeds" % len(messages))
