import Foundation
import IKE
import Packet
import TestSupport
import Transforms
import XCTest

/// Wireshark decrypts Ward's Main Mode messages 5 and 6 and Quick Mode 1 given only the cookie and the Appendix B key:
/// it derives the IV itself from the KE payloads (hash(g^xi | g^xr)), so agreement checks Ward's
/// initial IV, key expansion length, IV chaining into message 6, the Quick Mode IV (last phase 1
/// block and message ID), and the CBC encryption of ISAKMP payloads.
final class TsharkDecryptionTests: XCTestCase {
    private let initiator: [UInt8] = [10, 77, 1, 1]
    private let responder: [UInt8] = [10, 77, 2, 2]

    /// 3DES with SHA1 (SKEYID_e 20 bytes, key 24: Appendix B expansion), AES-256 with MD5 (16 → 32),
    /// AES-128 with SHA2-256 (the leading 16 bytes of SKEYID_e).
    func testTsharkDecryptsMainModeAndQuickMode() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") else {
            throw XCTSkip("tshark oracle needs /usr/bin/tshark (scripts/setup.sh installs it)")
        }
        try checkMainMode5(cipherAttributes: [Attribute(1, 5)], cipher: .tripleDESCBC, hash: .sha1)
        try checkMainMode5(cipherAttributes: [Attribute(1, 7), Attribute(14, 256)], cipher: .aesCBC(keyBits: 256), hash: .md5)
        try checkMainMode5(cipherAttributes: [Attribute(1, 7), Attribute(14, 128)], cipher: .aesCBC(keyBits: 128), hash: .sha256)
    }

    private func checkMainMode5(cipherAttributes: [Attribute], cipher algorithm: EncryptionAlgorithm, hash: IKEHashAlgorithm) throws {
        let cookieI = UInt64.random(in: 1...UInt64.max), cookieR = UInt64.random(in: 1...UInt64.max)
        let chosen = Transform(number: 1, id: 1, attributes: cipherAttributes + [
            Attribute(2, hash.rawValue), Attribute(3, 1), Attribute(4, 2), Attribute(11, 1), Attribute(12, bytes: [0, 0, 0x70, 0x80]),
        ])  // PSK, group 2, 8 hours
        let blockSize = algorithm == .tripleDESCBC ? 8 : 16
        let sa = SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: [chosen])])
        let dhI = try DiffieHellman(group: .modp1024), dhR = try DiffieHellman(group: .modp1024)
        let gxy = try dhI.sharedSecret(peer: dhR.publicValue)
        let Ni_b = (0..<20).map { _ in UInt8.random(in: 0...255) }, Nr_b = (0..<20).map { _ in UInt8.random(in: 0...255) }
        func header(_ responderCookie: UInt64, encrypted: Bool = false) -> ISAKMPHeader {
            ISAKMPHeader(initiatorCookie: cookieI, responderCookie: responderCookie, exchange: .identityProtection, encrypted: encrypted)
        }
        let cookieBytes = { (value: UInt64) in (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
        let keys = try Phase1Keys(prf: hash, skeyid: .preSharedKey(Array("ward lab secret".utf8)), Ni_b: Ni_b, Nr_b: Nr_b,
                                  gxy: gxy, CKY_I: cookieBytes(cookieI), CKY_R: cookieBytes(cookieR))
        let encryptionKey = try keys.encryptionKey(length: algorithm.keyMaterialLength)
        let identity = Identification.address(.v4(IPv4Address(10, 77, 1, 1)))
        let hashI = try keys.HASH_I(gxi: dhI.publicValue, gxr: dhR.publicValue, CKY_I: cookieBytes(cookieI), CKY_R: cookieBytes(cookieR),
                                    SAi_b: Array(ISAKMPMessage.encodePayloads([.securityAssociation(sa)]).dropFirst(4)), IDii_b: [1, 0, 0, 0] + initiator)

        let iv = try Phase1Keys.initialIV(hash: hash, gxi: dhI.publicValue, gxr: dhR.publicValue, blockSize: blockSize)
        let protection = try MessageProtection(algorithm: algorithm, key: encryptionKey)
        let sealed = try protection.seal(ISAKMPMessage(header: header(cookieR), payloads: [.identification(identity), .hash(hashI)]), iv: iv)
        let message5 = try ISAKMPMessage.decode(sealed.datagram)
        XCTAssertEqual(protection.blockSize, blockSize)
        let hashR = try keys.HASH_R(gxi: dhI.publicValue, gxr: dhR.publicValue, CKY_I: cookieBytes(cookieI), CKY_R: cookieBytes(cookieR),
                                    SAi_b: Array(ISAKMPMessage.encodePayloads([.securityAssociation(sa)]).dropFirst(4)), IDir_b: [1, 0, 0, 0] + responder)
        let sealed6 = try protection.seal(ISAKMPMessage(header: header(cookieR), payloads: [
            .identification(.address(.v4(IPv4Address(10, 77, 2, 2)))), .hash(hashR)]), iv: sealed.nextIV)

        // Quick Mode 1: its own IV from the last phase 1 block and the message ID (Appendix B).
        let messageID = UInt32.random(in: 1...UInt32.max)
        let espProposal = Proposal(number: 1, protocolID: 3, spi: [0xC0, 0x01, 0x02, 0x03], transforms: [
            Transform(number: 1, id: 12, attributes: [Attribute(1, 1), Attribute(2, 0x0E10), Attribute(4, 1), Attribute(5, 2), Attribute(6, 128)]),
        ])  // ESP AES-CBC-128, HMAC-SHA1, transport, 1 hour
        let quickIV = try Phase1Keys.exchangeIV(hash: hash, lastPhase1Block: sealed6.nextIV, messageID: messageID, blockSize: blockSize)
        let quickHash = [UInt8](repeating: 0x3C, count: hash.digestLength)
        let quick1 = try protection.seal(ISAKMPMessage(
            header: ISAKMPHeader(initiatorCookie: cookieI, responderCookie: cookieR, exchange: .quickMode, messageID: messageID),
            payloads: [.hash(quickHash), .securityAssociation(SecurityAssociationPayload(proposals: [espProposal])), .nonce(Ni_b),
                       .identification(.address(.v4(IPv4Address(10, 77, 1, 1)), protocolID: 17)),
                       .identification(.address(.v4(IPv4Address(10, 77, 2, 2)), protocolID: 17))]), iv: quickIV)

        let exchange: [(fromInitiator: Bool, ISAKMPMessage)] = [
            (true, ISAKMPMessage(header: header(0), payloads: [.securityAssociation(sa)])),
            (false, ISAKMPMessage(header: header(cookieR), payloads: [.securityAssociation(sa)])),
            (true, ISAKMPMessage(header: header(cookieR), payloads: [.keyExchange(dhI.publicValue), .nonce(Ni_b)])),
            (false, ISAKMPMessage(header: header(cookieR), payloads: [.keyExchange(dhR.publicValue), .nonce(Nr_b)])),
            (true, message5),
            (false, try ISAKMPMessage.decode(sealed6.datagram)),
            (true, try ISAKMPMessage.decode(quick1.datagram)),
        ]
        let pcap = Pcap.raw(exchange.map { Pcap.ipv4UDP($0.1.encoded(), from: $0.fromInitiator ? initiator : responder, to: $0.fromInitiator ? responder : initiator) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ward-mm-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try pcap.write(to: file)

        func dissect(key: [UInt8]) throws -> [String] {
            try Subprocess.run("/usr/bin/tshark", ["-n", "-r", file.path, "-o", "uat:ikev1_decryption_table:\(String(format: "%016llx", cookieI)),\(Hex.text(key))",
                                                   "-T", "fields", "-E", "separator=|", "-e", "isakmp.typepayload", "-e", "isakmp.id.data.ipv4_addr",
                                                   "-e", "isakmp.hash"]).output.split(separator: "\n").map(String.init)
        }
        let lines = try dissect(key: encryptionKey)
        XCTAssertEqual(lines.count, 7, "\(algorithm) \(hash): \(lines)")
        guard lines.count == 7 else { return }
        XCTAssertEqual(lines[4], "5,8|10.77.1.1|\(Hex.text(hashI))", "tshark's decryption of message 5 under \(algorithm) \(hash): \(lines)")
        XCTAssertEqual(lines[5], "5,8|10.77.2.2|\(Hex.text(hashR))", "message 6, IV chained from message 5: \(lines)")
        XCTAssertEqual(lines[6], "8,1,2,3,10,5,5|10.77.1.1,10.77.2.2|\(Hex.text(quickHash))", "Quick Mode 1, IV from the last phase 1 block and M-ID: \(lines)")
        // The oracle can fail: with a wrong key the same capture does not decrypt to ID + HASH.
        var wrongKey = encryptionKey
        wrongKey[wrongKey.count - 1] ^= 0x80  // not bit 0: DES ignores its parity bits
        XCTAssertNotEqual(try dissect(key: wrongKey).dropFirst(4).first, lines[4], "\(algorithm) \(hash) with a wrong key")
    }
}
