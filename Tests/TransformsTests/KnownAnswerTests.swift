import TestSupport
import Transforms
import XCTest

func hex(_ text: String) -> [UInt8] { Hex.bytes(text) }

extension Array where Element == UInt8 {
    var hexString: String { Hex.text(self) }
}

/// Known-answer tests from the RFCs and NIST, each run twice on the same transform object so
/// that reusing a context per SA is proven to reset correctly.
final class KnownAnswerTests: XCTestCase {
    func cbc(_ algorithm: EncryptionAlgorithm, key: String, iv: String, plaintext: [UInt8], ciphertext: String,
             file: StaticString = #filePath, line: UInt = #line) throws {
        let cipher = try TransformFactory.cipher(algorithm, key: hex(key))
        let ivBytes = hex(iv)
        for _ in 0..<2 {
            var buffer = plaintext
            try buffer.withUnsafeMutableBytes { data in try ivBytes.withUnsafeBytes { try cipher.encrypt(data, iv: $0) } }
            XCTAssertEqual(buffer.hexString, ciphertext, "\(algorithm) encrypt", file: file, line: line)
            try buffer.withUnsafeMutableBytes { data in try ivBytes.withUnsafeBytes { try cipher.decrypt(data, iv: $0) } }
            XCTAssertEqual(buffer, plaintext, "\(algorithm) decrypt", file: file, line: line)
        }
    }

    func testDESCBCFIPS81() throws {
        // FIPS 81 Appendix C, CBC example.
        try cbc(.desCBC, key: "0123456789abcdef", iv: "1234567890abcdef", plaintext: Array("Now is the time for all ".utf8),
                ciphertext: "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6")
    }

    func testTripleDESCBCSP80067() throws {
        // NIST SP 800-67 example, first block (CBC with a zero IV equals ECB on one block).
        try cbc(.tripleDESCBC, key: "0123456789abcdef23456789abcdef01456789abcdef0123", iv: "0000000000000000",
                plaintext: Array("The qufc".utf8), ciphertext: "a826fd8ce53b855f")
    }

    func testAESCBCRFC3602() throws {
        // RFC 3602 §4, case #1 and case #2.
        try cbc(.aesCBC(keyBits: 128), key: "06a9214036b8a15b512e03d534120006", iv: "3dafba429d9eb430b422da802c9fac41",
                plaintext: Array("Single block msg".utf8), ciphertext: "e353779c1079aeb82708942dbe77181a")
        try cbc(.aesCBC(keyBits: 128), key: "c286696d887c9aa0611bbb3e2025a45a", iv: "562e17996d093d28ddb3ba695a2e6f58",
                plaintext: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
                ciphertext: "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1")
    }

    func testAESCBC192And256RoundTrip() throws {
        for bits in [192, 256] {
            let cipher = try TransformFactory.cipher(.aesCBC(keyBits: bits), key: Array(repeating: 7, count: bits / 8))
            let plaintext = (0..<64).map { UInt8($0) }
            var buffer = plaintext
            let iv = [UInt8](repeating: 1, count: 16)
            try buffer.withUnsafeMutableBytes { data in try iv.withUnsafeBytes { try cipher.encrypt(data, iv: $0) } }
            XCTAssertNotEqual(buffer, plaintext)
            try buffer.withUnsafeMutableBytes { data in try iv.withUnsafeBytes { try cipher.decrypt(data, iv: $0) } }
            XCTAssertEqual(buffer, plaintext)
        }
    }

    func aead(_ algorithm: EncryptionAlgorithm, key: String, nonce: String, aad: [UInt8], plaintext: [UInt8], sealed: String,
              file: StaticString = #filePath, line: UInt = #line) throws {
        let nonceBytes = hex(nonce)
        // ESP key material = key ‖ salt; nonce = salt ‖ explicit IV.
        let cipher = try TransformFactory.aead(algorithm, key: hex(key) + nonceBytes.prefix(4))
        let iv = Array(nonceBytes.suffix(8))
        for _ in 0..<2 {
            var buffer = plaintext
            var tag = [UInt8](repeating: 0, count: 16)
            try buffer.withUnsafeMutableBytes { data in
                try iv.withUnsafeBytes { iv in try aad.withUnsafeBytes { aad in try tag.withUnsafeMutableBytes {
                    try cipher.seal(data, iv: iv, aad: aad, tag: $0)
                } } }
            }
            XCTAssertEqual((buffer + tag).hexString, sealed, "\(algorithm) seal", file: file, line: line)
            let opened = try buffer.withUnsafeMutableBytes { data in
                try iv.withUnsafeBytes { iv in try aad.withUnsafeBytes { aad in try tag.withUnsafeBytes {
                    try cipher.open(data, iv: iv, aad: aad, tag: $0)
                } } }
            }
            XCTAssertTrue(opened, file: file, line: line)
            XCTAssertEqual(buffer, plaintext, "\(algorithm) open", file: file, line: line)
        }
        // A flipped tag bit fails.
        var buffer = hex(String(sealed.dropLast(32)))
        var tag = hex(String(sealed.suffix(32)))
        tag[0] ^= 1
        XCTAssertFalse(try buffer.withUnsafeMutableBytes { data in
            try iv.withUnsafeBytes { iv in try aad.withUnsafeBytes { aad in try tag.withUnsafeBytes {
                try cipher.open(data, iv: iv, aad: aad, tag: $0)
            } } }
        }, "a flipped tag bit fails", file: file, line: line)
    }

    static let gcmPlaintext = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")

    func testAESGCMMcGrewViega() throws {
        // The GCM specification's test cases 3 (AES-128) and 15 (AES-256).
        try aead(.aesGCM16(keyBits: 128), key: "feffe9928665731c6d6a8f9467308308", nonce: "cafebabefacedbaddecaf888", aad: [],
                 plaintext: Self.gcmPlaintext,
                 sealed: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
                    + "4d5c2af327cd64a62cf35abd2ba6fab4")
        try aead(.aesGCM16(keyBits: 256), key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                 nonce: "cafebabefacedbaddecaf888", aad: [], plaintext: Self.gcmPlaintext,
                 sealed: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
                    + "b094dac5d93471bdec1a502270e3cc6c")
    }

    func testChaCha20Poly1305RFC7539() throws {
        // RFC 7539 §2.8.2.
        try aead(.chacha20Poly1305, key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", nonce: "070000004041424344454647",
                 aad: hex("50515253c0c1c2c3c4c5c6c7"),
                 plaintext: Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8),
                 sealed: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
                    + "1ae10b594f09e26a7e902ecbd0600691")
    }

    func mac(_ algorithm: IntegrityAlgorithm, key: [UInt8], data: [UInt8], full: String,
             file: StaticString = #filePath, line: UInt = #line) throws {
        // The KATs give the full HMAC; ESP/AH keys are fixed-length, so test the HMAC core with
        // the RFC key padded the way HMAC pads it (zeros to the block size give the same MAC).
        var paddedKey = key
        paddedKey += [UInt8](repeating: 0, count: algorithm.keyLength - key.count)
        let authenticator = try TransformFactory.authenticator(algorithm, key: paddedKey)
        for _ in 0..<2 {
            try authenticator.begin()
            try data.prefix(3).withUnsafeBytes { try authenticator.update($0) }  // in pieces
            try data.dropFirst(3).withUnsafeBytes { try authenticator.update($0) }
            var icv = [UInt8](repeating: 0, count: algorithm.icvLength)
            try icv.withUnsafeMutableBytes { try authenticator.finish(into: $0) }
            XCTAssertEqual(icv.hexString, String(full.prefix(algorithm.icvLength * 2)), "\(algorithm)", file: file, line: line)
            try authenticator.begin()
            try data.withUnsafeBytes { try authenticator.update($0) }
            XCTAssertTrue(try icv.withUnsafeBytes { try authenticator.verify($0) }, file: file, line: line)
            icv[icv.count - 1] ^= 0x80
            try authenticator.begin()
            try data.withUnsafeBytes { try authenticator.update($0) }
            XCTAssertFalse(try icv.withUnsafeBytes { try authenticator.verify($0) }, file: file, line: line)
        }
    }

    func testHMACRFC2202And4231() throws {
        let jefe = Array("Jefe".utf8), question = Array("what do ya want for nothing?".utf8)
        try mac(.hmacMD5_96, key: [UInt8](repeating: 0x0b, count: 16), data: Array("Hi There".utf8), full: "9294727a3638bb1c13f48ef8158bfc9d")
        try mac(.hmacMD5_96, key: jefe, data: question, full: "750c783e6ab0b503eaa86e310a5db738")
        try mac(.hmacSHA1_96, key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8), full: "b617318655057264e28bc0b6fb378c8ef146be00")
        try mac(.hmacSHA1_96, key: jefe, data: question, full: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        try mac(.hmacSHA256_128, key: jefe, data: question, full: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        try mac(.hmacSHA384_192, key: jefe, data: question,
                full: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649")
        try mac(.hmacSHA512_256, key: jefe, data: question,
                full: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
    }

    func testNullCipherAndErrors() throws {
        let null = try TransformFactory.cipher(.null, key: [])
        var data: [UInt8] = [1, 2, 3, 4]
        try data.withUnsafeMutableBytes { try null.encrypt($0, iv: UnsafeRawBufferPointer(start: nil, count: 0)) }
        XCTAssertEqual(data, [1, 2, 3, 4])
        XCTAssertEqual(null.blockSize, 4)
        XCTAssertThrowsError(try TransformFactory.cipher(.aesCBC(keyBits: 128), key: [UInt8](repeating: 0, count: 15))) { error in
            XCTAssertEqual("\(error)", "AES-CBC-128 needs 16 bytes of key material, got 15")
        }
        XCTAssertThrowsError(try TransformFactory.aead(.aesGCM16(keyBits: 128), key: [UInt8](repeating: 0, count: 16)))
        XCTAssertThrowsError(try TransformFactory.authenticator(.hmacSHA1_96, key: [UInt8](repeating: 0, count: 16)))
        let aes = try TransformFactory.cipher(.aesCBC(keyBits: 128), key: [UInt8](repeating: 0, count: 16))
        var unaligned = [UInt8](repeating: 0, count: 15)
        let iv = [UInt8](repeating: 0, count: 16)
        XCTAssertThrowsError(try unaligned.withUnsafeMutableBytes { data in try iv.withUnsafeBytes { try aes.encrypt(data, iv: $0) } }) {
            XCTAssertEqual($0 as? TransformError, .notBlockAligned(length: 15, blockSize: 16))
        }
        XCTAssertThrowsError(try unaligned.withUnsafeMutableBytes { data in try iv.prefix(8).withUnsafeBytes { try aes.decrypt(data, iv: $0) } })
    }
}
