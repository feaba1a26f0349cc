import Foundation
import IKE
import TestSupport
import Transforms
import XCTest

/// IKEv1 key derivation checked against published HMAC vectors and against an independent
/// Python implementation of RFC 2409 §5, §5.5 and Appendix B (Oracles/ikev1_keys_oracle.py).
final class KeyDerivationTests: XCTestCase {
    /// RFC 2202 §2/§3 and RFC 4231 §4.3 test case 2 ("Jefe"): the prf itself.
    func testPRFMatchesPublishedHMACVectors() throws {
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        let expected: [IKEHashAlgorithm: String] = [
            .md5: "750c783e6ab0b503eaa86e310a5db738",
            .sha1: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            .sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            .sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
            .sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ]
        for (hash, digest) in expected {
            XCTAssertEqual(Hex.text(try hash.prf(key: key, data)), digest, "\(hash)")
        }
        // FIPS 180 "abc" for the plain hash used by the IVs.
        XCTAssertEqual(Hex.text(try IKEHashAlgorithm.sha1.hash(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    func testEveryDerivationMatchesTheIndependentImplementation() throws {
        for hash in IKEHashAlgorithm.allCases {
            for trial in 0..<3 {
                try compareWithOracle(hash: hash, nonceLength: [8, 16, 256][trial], gxyLength: [96, 128, 256][trial])
            }
        }
    }

    private func compareWithOracle(hash: IKEHashAlgorithm, nonceLength: Int, gxyLength: Int) throws {
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
        let inputs: [String: [UInt8]] = [
            "ni": random(nonceLength), "nr": random(nonceLength), "gxy": random(gxyLength),
            "cky_i": random(8), "cky_r": random(8), "psk": random(Int.random(in: 0...40)),
            "gxi": random(gxyLength), "gxr": random(gxyLength), "last_block": random(16), "mid": random(4),
            "sai_b": random(52), "idii_b": random(8), "idir_b": random(8), "after1": random(120),
            "after2": random(100), "gqm": random(gxyLength), "spi": random(4),
        ]
        let keyLengths = [8, 16, 24, 32, 72]
        let keymatLength = 100  // 3DES (24) + SHA-512 (64) and more: several prf blocks for every hash
        var request: [String: Any] = inputs.mapValues { Hex.text($0) }
        request["hash"] = Int(hash.rawValue)
        request["key_lengths"] = keyLengths
        request["keymat_length"] = keymatLength
        let oracle = try runOracle(request)

        func derive(_ input: SKEYIDInput) throws -> Phase1Keys {
            try Phase1Keys(prf: hash, skeyid: input, Ni_b: inputs["ni"]!, Nr_b: inputs["nr"]!,
                           gxy: inputs["gxy"]!, CKY_I: inputs["cky_i"]!, CKY_R: inputs["cky_r"]!)
        }
        let methods: [(String, SKEYIDInput)] = [("psk", .preSharedKey(inputs["psk"]!)), ("sig", .signatures), ("pke", .publicKeyEncryption)]
        for (name, input) in methods {
            let keys = try derive(input)
            let expected = oracle[name] as! [String: String]
            XCTAssertEqual(Hex.text(keys.SKEYID), expected["skeyid"], "\(hash) \(name) SKEYID")
            XCTAssertEqual(Hex.text(keys.SKEYID_d), expected["d"], "\(hash) \(name) SKEYID_d")
            XCTAssertEqual(Hex.text(keys.SKEYID_a), expected["a"], "\(hash) \(name) SKEYID_a")
            XCTAssertEqual(Hex.text(keys.SKEYID_e), expected["e"], "\(hash) \(name) SKEYID_e")
        }
        let keys = try derive(.preSharedKey(inputs["psk"]!))
        let encryptionKeys = oracle["enc_keys"] as! [String: String]
        for length in keyLengths {
            XCTAssertEqual(Hex.text(try keys.encryptionKey(length: length)), encryptionKeys[String(length)], "\(hash) Appendix B key of \(length)")
        }
        if hash.digestLength >= 16 {
            XCTAssertEqual(Hex.text(try Phase1Keys.initialIV(hash: hash, gxi: inputs["gxi"]!, gxr: inputs["gxr"]!, blockSize: 16)), oracle["iv"] as? String)
            let messageID = inputs["mid"]!.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            XCTAssertEqual(Hex.text(try Phase1Keys.exchangeIV(hash: hash, lastPhase1Block: inputs["last_block"]!, messageID: messageID, blockSize: 16)),
                           oracle["qm_iv"] as? String)
        }
        XCTAssertEqual(Hex.text(try keys.HASH_I(gxi: inputs["gxi"]!, gxr: inputs["gxr"]!, CKY_I: inputs["cky_i"]!, CKY_R: inputs["cky_r"]!,
                                                SAi_b: inputs["sai_b"]!, IDii_b: inputs["idii_b"]!)), oracle["hash_i"] as? String, "\(hash) HASH_I")
        XCTAssertEqual(Hex.text(try keys.HASH_R(gxi: inputs["gxi"]!, gxr: inputs["gxr"]!, CKY_I: inputs["cky_i"]!, CKY_R: inputs["cky_r"]!,
                                                SAi_b: inputs["sai_b"]!, IDir_b: inputs["idir_b"]!)), oracle["hash_r"] as? String, "\(hash) HASH_R")

        let quick = QuickModeKeys(phase1: keys)
        let messageID = inputs["mid"]!.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        XCTAssertEqual(Hex.text(try quick.hash1(messageID: messageID, payloadsAfterHash: inputs["after1"]!)), oracle["hash1"] as? String, "\(hash) HASH(1)")
        XCTAssertEqual(Hex.text(try quick.hash2(messageID: messageID, Ni_b: inputs["ni"]!, payloadsAfterHash: inputs["after2"]!)),
                       oracle["hash2"] as? String, "\(hash) HASH(2)")
        XCTAssertEqual(Hex.text(try quick.hash3(messageID: messageID, Ni_b: inputs["ni"]!, Nr_b: inputs["nr"]!)), oracle["hash3"] as? String, "\(hash) HASH(3)")
        let spi = inputs["spi"]!.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let keymat = oracle["keymat"] as! [String: String]
        for pfs in [false, true] {
            let material = try quick.keyingMaterial(protocolID: 3, spi: spi, Ni_b: inputs["ni"]!, Nr_b: inputs["nr"]!,
                                                    pfsSecret: pfs ? inputs["gqm"]! : nil, length: keymatLength)
            XCTAssertEqual(Hex.text(material), keymat[pfs ? "pfs" : "plain"], "\(hash) KEYMAT pfs=\(pfs)")
        }
    }

    func testBadInputsNameTheField() throws {
        let nonce = [UInt8](repeating: 1, count: 16)
        let cookie = [UInt8](repeating: 2, count: 8)
        XCTAssertThrowsError(try Phase1Keys(prf: .sha1, skeyid: .signatures, Ni_b: nonce, Nr_b: nonce, gxy: [1], CKY_I: [1, 2], CKY_R: cookie)) {
            XCTAssertEqual("\($0)", "CKY-I: 2 bytes, expected 8")
        }
        XCTAssertThrowsError(try Phase1Keys(prf: .sha1, skeyid: .signatures, Ni_b: nonce, Nr_b: [1, 2, 3], gxy: [1], CKY_I: cookie, CKY_R: cookie)) {
            XCTAssertEqual("\($0)", "Nr_b: 3 bytes, expected 8 to 256")
        }
        XCTAssertThrowsError(try Phase1Keys(prf: .md5, skeyid: .signatures, Ni_b: nonce, Nr_b: nonce, gxy: [], CKY_I: cookie, CKY_R: cookie)) {
            XCTAssertEqual("\($0)", "g^xy: 0 bytes, expected at least 1")
        }
        XCTAssertThrowsError(try Phase1Keys.initialIV(hash: .md5, gxi: [1], gxr: [2], blockSize: 32)) {
            XCTAssertEqual("\($0)", "cipher block: 32 bytes, expected 1 to 16")
        }
        XCTAssertThrowsError(try Phase1Keys.exchangeIV(hash: .sha1, lastPhase1Block: [1, 2, 3], messageID: 1, blockSize: 8)) {
            XCTAssertEqual("\($0)", "last phase 1 block: 3 bytes, expected 8")
        }
        let keys = try Phase1Keys(prf: .sha1, skeyid: .preSharedKey([]), Ni_b: nonce, Nr_b: nonce, gxy: [9], CKY_I: cookie, CKY_R: cookie)
        XCTAssertThrowsError(try keys.encryptionKey(length: 0))
        XCTAssertThrowsError(try QuickModeKeys(phase1: keys).keyingMaterial(protocolID: 3, spi: 1, Ni_b: nonce, Nr_b: nonce, pfsSecret: nil, length: -1))
    }

    private func runOracle(_ request: [String: Any]) throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Oracles/ikev1_keys_oracle.py")
        let (output, status) = try Subprocess.run("python3", [script.path], input: try JSONSerialization.data(withJSONObject: request))
        XCTAssertEqual(status, 0, "oracle exit status")
        let data = Data(output.utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
