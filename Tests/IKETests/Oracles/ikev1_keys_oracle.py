#!/usr/bin/env python3
"""Independent IKEv1 key derivation (RFC 2409 §5, §5.5, Appendix B) with Python's hmac and
hashlib, as an oracle for Ward's Phase1Keys/QuickModeKeys. Reads one JSON object of hex inputs on
stdin, writes one JSON object of hex outputs."""
import hashlib, hmac, json, sys

HASHES = {1: "md5", 2: "sha1", 4: "sha256", 5: "sha384", 6: "sha512"}

def main():
    given = json.load(sys.stdin)
    name = HASHES[given["hash"]]
    x = {k: bytes.fromhex(v) for k, v in given.items() if isinstance(v, str)}
    prf = lambda key, data: hmac.new(key, data, name).digest()
    digest = lambda data: hashlib.new(name, data).digest()
    ni, nr, gxy, ci, cr = x["ni"], x["nr"], x["gxy"], x["cky_i"], x["cky_r"]
    out = {}
    for method in ("psk", "sig", "pke"):
        if method == "psk":
            skeyid = prf(x["psk"], ni + nr)
        elif method == "sig":
            skeyid = prf(ni + nr, gxy)
        else:
            skeyid = prf(digest(ni + nr), ci + cr)
        d = prf(skeyid, gxy + ci + cr + b"\x00")
        a = prf(skeyid, d + gxy + ci + cr + b"\x01")
        e = prf(skeyid, a + gxy + ci + cr + b"\x02")
        out[method] = {"skeyid": skeyid.hex(), "d": d.hex(), "a": a.hex(), "e": e.hex()}
        if method != "psk":
            continue
        keys = {}
        for length in given["key_lengths"]:
            if len(e) >= length:
                keys[str(length)] = e[:length].hex()
            else:
                block = prf(e, b"\x00")
                material = block
                while len(material) < length:
                    block = prf(e, block)
                    material += block
                keys[str(length)] = material[:length].hex()
        out["enc_keys"] = keys
        out["iv"] = digest(x["gxi"] + x["gxr"])[:16].hex()
        mid = x["mid"]
        out["qm_iv"] = digest(x["last_block"] + mid)[:16].hex()
        out["hash_i"] = prf(skeyid, x["gxi"] + x["gxr"] + ci + cr + x["sai_b"] + x["idii_b"]).hex()
        out["hash_r"] = prf(skeyid, x["gxr"] + x["gxi"] + cr + ci + x["sai_b"] + x["idir_b"]).hex()
        out["hash1"] = prf(a, mid + x["after1"]).hex()
        out["hash2"] = prf(a, mid + ni + x["after2"]).hex()
        out["hash3"] = prf(a, b"\x00" + mid + ni + nr).hex()
        keymat = {}
        for pfs in (False, True):
            seed = (x["gqm"] if pfs else b"") + bytes([3]) + x["spi"] + ni + nr
            block = prf(d, seed)
            material = block
            while len(material) < given["keymat_length"]:
                block = prf(d, block + seed)
                material += block
            keymat["pfs" if pfs else "plain"] = material[:given["keymat_length"]].hex()
        out["keymat"] = keymat
    json.dump(out, sys.stdout)

main()
