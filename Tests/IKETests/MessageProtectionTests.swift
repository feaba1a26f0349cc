import IKE
import Packet
import Transforms
import XCTest

/// Encrypted ISAKMP bodies: round trips with IV chaining, and every bad datagram refused by
/// name without moving the IV. (tshark checks the same encryption in TsharkDecryptionTests.)
final class MessageProtectionTests: XCTestCase {
    private let key = (0..<32).map { UInt8($0 &* 7 &+ 3) }
    private let message = ISAKMPMessage(
        header: ISAKMPHeader(initiatorCookie: 0x0102_0304_0506_0708, responderCookie: 0x1112_1314_1516_1718, exchange: .quickMode, messageID: 0xDEAD_BEEF),
        payloads: [.hash([UInt8](repeating: 0xAA, count: 20)), .nonce([UInt8](repeating: 0x55, count: 17)),
                   .identification(.address(.v4(IPv4Address(10, 77, 1, 1)), protocolID: 17, port: 500))])

    func testRoundTripsAndChainsTheIV() throws {
        for (algorithm, keyLength) in [(EncryptionAlgorithm.desCBC, 8), (.tripleDESCBC, 24), (.aesCBC(keyBits: 128), 16), (.aesCBC(keyBits: 256), 32)] {
            let protection = try MessageProtection(algorithm: algorithm, key: Array(key.prefix(keyLength)))
            let iv = [UInt8](repeating: 0x42, count: protection.blockSize)
            let first = try protection.seal(message, iv: iv)
            XCTAssertEqual((first.datagram.count - ISAKMPHeader.length) % protection.blockSize, 0, "\(algorithm) body padded to the block")
            XCTAssertEqual(first.datagram[19] & 1, 1, "flag E")
            XCTAssertEqual(first.nextIV, Array(first.datagram.suffix(protection.blockSize)), "next IV is the last ciphertext block")
            let opened = try protection.open(first.datagram, iv: iv)
            XCTAssertEqual(opened.message.payloads, message.payloads, "\(algorithm)")
            XCTAssertEqual(opened.message.header.messageID, 0xDEAD_BEEF)
            XCTAssertEqual(opened.nextIV, first.nextIV, "both sides chain to the same IV")
            // The second message of the exchange uses the chained IV; the first IV no longer opens it.
            let second = try protection.seal(message, iv: first.nextIV)
            XCTAssertEqual(try protection.open(second.datagram, iv: first.nextIV).message.payloads, message.payloads)
            XCTAssertNotEqual(try? protection.open(second.datagram, iv: iv).message.payloads, message.payloads)
        }
    }

    func testBadDatagramsAreRefusedByName() throws {
        let protection = try MessageProtection(algorithm: .aesCBC(keyBits: 128), key: Array(key.prefix(16)))
        let iv = [UInt8](repeating: 1, count: 16)
        let sealed = try protection.seal(message, iv: iv).datagram

        XCTAssertThrowsError(try protection.open(sealed, iv: [1, 2])) { XCTAssertEqual("\($0)", "encrypted body: IV at byte 28: 2 bytes, the cipher block is 16") }
        var short = Array(sealed.dropLast(3))
        short[27] = UInt8(short.count & 0xFF); short[26] = UInt8(short.count >> 8)
        XCTAssertThrowsError(try protection.open(short, iv: iv)) { XCTAssertTrue("\($0)".hasPrefix("encrypted body: length at byte 28:"), "\($0)") }
        var clear = try ISAKMPMessage.decode(message.encoded()).encoded()
        clear[19] = 0
        XCTAssertThrowsError(try protection.open(clear, iv: iv)) { XCTAssertTrue("\($0)".contains("encryption flag not set"), "\($0)") }
        // A wrong key decrypts to garbage: the payload chain is refused, naming a payload field.
        let other = try MessageProtection(algorithm: .aesCBC(keyBits: 128), key: Array(key.suffix(16)))
        XCTAssertThrowsError(try other.open(sealed, iv: iv)) { XCTAssertTrue("\($0)".contains("payload"), "\($0)") }
        XCTAssertThrowsError(try MessageProtection(algorithm: .aesGCM16(keyBits: 128), key: Array(key.prefix(20))))
        XCTAssertThrowsError(try MessageProtection(algorithm: .tripleDESCBC, key: Array(key.prefix(16))))
    }
}
