import Foundation
import IKE
import Packet
import TestSupport
import XCTest

/// A Main Mode first message as Windows Server 2003 sends it: four offers (3DES-SHA1-2,
/// 3DES-MD5-2, DES-SHA1-1, DES-MD5-1), PSK, 8 hours, and vendor IDs.
func windowsMainMode1() -> ISAKMPMessage {
    let offers: [(UInt16, UInt16, UInt16)] = [(5, 2, 2), (5, 1, 2), (1, 2, 1), (1, 1, 1)]
    let transforms = offers.enumerated().map { index, offer in
        Transform(number: UInt8(index + 1), id: 1, attributes: [
            Attribute(1, offer.0), Attribute(2, offer.1), Attribute(3, 1), Attribute(4, offer.2),
            Attribute(11, 1), Attribute(12, bytes: [0, 0, 0x70, 0x80]),
        ])
    }
    return ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 0x0123_4567_89AB_CDEF, exchange: .identityProtection), payloads: [
        .securityAssociation(SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: transforms)])),
        .vendorID(hexBytes("1e2b516905991c7d7c96fcbfb587e461000000040000000")),  // MS NT5 ISAKMPOAKLEY (truncated form)
        .vendorID(hexBytes("4a131c81070358455c5728f20e95452f")),                  // RFC 3947 NAT-T
    ])
}

/// A self-signed P-256 certificate (CN=ward-test), DER, so tshark's X.509 dissector is satisfied.
let testCertificateHex = "3082017c30820123a00302010202142b9d96a9de96e2cb01103dc652a8427133e771aa300a06082a8648ce3d04030230143112301006035504030c09776172642d74657374301e170d3236313132393034323031365a170d3336313132363034323031365a30143112301006035504030c09776172642d746573743059301306072a8648ce3d020106082a8648ce3d030107034200049a1c4b9d5e04f69b5d83dfc16508221d6d418dbc3056c97d51a04b787bbc9190a360390d57cefa917ed2970612baf2a29401236ef4c16f9255cd91025e3ce513a3533051301d0603551d0e04160414a12ddca4f27562a29e891f0e49aa8fbbf6eff129301f0603551d23041830168014a12ddca4f27562a29e891f0e49aa8fbbf6eff129300f0603551d130101ff040530030101ff300a06082a8648ce3d040302034700304402204c5e7ace2994d80ad4b37238a67d69e127706a05c89e66a64073fbd822966be702202f85f6aefdd7eaea795519cc1efde26fe725f43a4e22b5c75a69a769d45f027f"

func hexBytes(_ text: String) -> [UInt8] { Hex.bytes(text) }

func everyPayloadMessage() -> ISAKMPMessage {
    let esp = Proposal(number: 1, protocolID: 3, spi: [0xC0, 0xFF, 0xEE, 0x01], transforms: [
        Transform(number: 1, id: 12, attributes: [Attribute(1, 1), Attribute(2, bytes: [0, 0, 0x0E, 0x10]), Attribute(5, 1), Attribute(6, 128)]),
        Transform(number: 2, id: 3, attributes: [Attribute(5, 2)]),
    ])
    return ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 1, responderCookie: 2, exchange: .quickMode, messageID: 0xDEAD_BEEF), payloads: [
        .hash(Array(repeating: 0x11, count: 20)),
        .securityAssociation(SecurityAssociationPayload(proposals: [esp])),
        .nonce(Array(repeating: 0x22, count: 16)),
        .keyExchange(Array(repeating: 0x33, count: 128)),
        .identification(.address(IPAddress("10.77.1.1")!, protocolID: 17, port: 500)),
        .identification(Identification(kind: .ipv4Subnet, data: [10, 77, 0, 0, 255, 255, 0, 0])),
        .natOriginalAddress(.address(IPAddress("fd77::1")!)),
        // RESPONDER-LIFETIME (RFC 2407 §4.6.3.1): its data are SA attributes — seconds, 3600.
        .notification(Notification(protocolID: 3, type: 24576, spi: [1, 2, 3, 4], data: [0x80, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04, 0, 0, 0x0E, 0x10])),
        .delete(Delete(protocolID: 3, spiSize: 4, spis: [[1, 2, 3, 4], [5, 6, 7, 8]])),
        .certificate(encoding: 4, data: hexBytes(testCertificateHex)),
        .certificateRequest(type: 4, authority: []),
        .signature([0x44, 0x55]),
        .natDiscovery(Array(repeating: 0x66, count: 20)),
    ])
}

final class CodecTests: XCTestCase {
    func testRoundTrips() throws {
        for message in [windowsMainMode1(), everyPayloadMessage()] {
            let bytes = message.encoded()
            XCTAssertEqual(Int(bytes[24]) << 24 | Int(bytes[25]) << 16 | Int(bytes[26]) << 8 | Int(bytes[27]), bytes.count)
            let decoded = try ISAKMPMessage.decode(bytes)
            XCTAssertEqual(decoded, message)
            XCTAssertEqual(decoded.encoded(), bytes)
        }
        let main = try ISAKMPMessage.decode(windowsMainMode1().encoded())
        guard case .securityAssociation(let sa) = main.payloads[0] else { return XCTFail("SA first") }
        XCTAssertEqual(sa.proposals[0].transforms.map { $0.attribute(4)?.number }, [2, 2, 1, 1])
        XCTAssertEqual(sa.proposals[0].transforms[0].attribute(12)?.number, 28_800, "variable-length life duration")
    }

    /// Found by the fuzzer: a draft-numbered NAT-D payload (130) first, minor version 1.
    func testDraftNATPayloadNumbersRoundTrip() throws {
        let bytes = hexBytes("0c273027160160000100002c8c2c25118211010000000400000000290000000d2735271a0000000000")
        let message = try ISAKMPMessage.decode(bytes)
        XCTAssertEqual(message.payloads, [.natDiscovery([0x27, 0x35, 0x27, 0x1A, 0, 0, 0, 0, 0])])
        XCTAssertEqual(try ISAKMPMessage.decode(message.encoded()), message)
        XCTAssertEqual(message.encoded()[16], 20, "re-encoded with RFC 3947's number")
    }

    func testEncryptedBodyIsKeptUndecoded() throws {
        var message = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 9, responderCookie: 8, exchange: .identityProtection, encrypted: true),
                                    payloads: [])
        message.encryptedBody = Array(repeating: 0xAB, count: 48)
        message.firstPayloadType = 5
        let decoded = try ISAKMPMessage.decode(message.encoded())
        XCTAssertEqual(decoded.encryptedBody, message.encryptedBody)
        XCTAssertEqual(decoded.firstPayloadType, 5)
        XCTAssertTrue(decoded.header.encrypted)
    }

    func testMalformedMessagesNameThePayloadAndField() {
        let good = windowsMainMode1().encoded()
        func mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] { var copy = good; change(&copy); return copy }
        let cases: [(String, [UInt8], String)] = [
            ("short header", Array(good.prefix(20)), "ISAKMP header: message ID at byte 20"),
            ("IKEv2 version", mutated { $0[17] = 0x20 }, "ISAKMP header: version at byte 17: major version 2"),
            ("unknown exchange", mutated { $0[18] = 99 }, "exchange type at byte 18"),
            ("reserved flags", mutated { $0[19] = 0x10 }, "flags at byte 19"),
            ("length beyond datagram", mutated { $0[27] &+= 1 }, "ISAKMP header: length at byte 24"),
            ("zero cookie", mutated { for i in 0..<8 { $0[i] = 0 } }, "initiator cookie at byte 0: must not be zero"),
            ("payload length < 4", mutated { $0[30] = 0; $0[31] = 3 }, "payload 1 (type 1): payload length at byte 30"),
            ("reserved byte", mutated { $0[29] = 1 }, "payload 1 (type 1): reserved at byte 29"),
            ("unknown payload type", mutated { $0[16] = 99 }, "unknown payload type 99"),
            ("SA DOI", mutated { $0[35] = 2 }, "SA payload: DOI at byte 32"),
            ("transform count", mutated { $0[47] = 5 }, "proposal 1 transform 4: next payload"),
            ("trailing bytes", mutated { $0 += [0, 0, 0, 0]; $0[27] &+= 4 }, "4 bytes follow the last payload"),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertThrowsError(try ISAKMPMessage.decode(bytes), name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
            }
        }
        // A nonce outside 8-256 bytes, a delete whose count lies.
        var badNonce = everyPayloadMessage()
        badNonce.payloads[2] = .nonce([1, 2, 3])
        XCTAssertThrowsError(try ISAKMPMessage.decode(badNonce.encoded())) { XCTAssertTrue("\($0)".contains("NONCE payload")) }
        var badDelete = everyPayloadMessage().encoded()
        let deleteStart = try! findPayload(12, in: badDelete)
        badDelete[deleteStart + 4 + 7] = 3
        XCTAssertThrowsError(try ISAKMPMessage.decode(badDelete)) { XCTAssertTrue("\($0)".contains("D payload: number of SPIs"), "\($0)") }
    }

    func testEveryTruncationThrowsAndNeverTraps() {
        for message in [windowsMainMode1(), everyPayloadMessage()] {
            let bytes = message.encoded()
            for length in 0..<bytes.count {
                var truncated = Array(bytes.prefix(length))
                if length >= 28 {  // keep the header's length honest so the payload parser is reached
                    truncated[24] = UInt8(length >> 24); truncated[25] = UInt8(length >> 16 & 0xFF)
                    truncated[26] = UInt8(length >> 8 & 0xFF); truncated[27] = UInt8(length & 0xFF)
                }
                XCTAssertThrowsError(try ISAKMPMessage.decode(truncated), "length \(length)")
            }
        }
    }

    /// Offset of the generic header of the first payload of `type` in an unencrypted message.
    func findPayload(_ type: UInt8, in bytes: [UInt8]) throws -> Int {
        var next = bytes[16], offset = 28
        while next != 0 {
            if next == type { return offset }
            next = bytes[offset]
            offset += Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        throw ISAKMPError("test", "search", offset: 0, "no payload \(type)")
    }
}
