import IKE
import Transforms
import XCTest

/// Quick Mode ESP/AH transforms: written and read back through the wire codec, and each bad
/// attribute refused by name.
final class QuickModeTransformTests: XCTestCase {
    func testRoundTripsThroughTheCodec() throws {
        let cases = [
            QuickModeTransform(ipsecProtocol: .esp, cipher: .tripleDESCBC, integrity: .hmacSHA1_96, encapsulation: .transport),
            QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 256), integrity: .hmacSHA256_128, encapsulation: .tunnel,
                               pfsGroup: .modp2048, lifetimeSeconds: 86_400, lifetimeKilobytes: 250_000, extendedSequenceNumbers: true),
            QuickModeTransform(ipsecProtocol: .esp, cipher: .aesGCM16(keyBits: 128), integrity: nil, encapsulation: .udpTransport, lifetimeKilobytes: nil),
            QuickModeTransform(ipsecProtocol: .esp, cipher: .null, integrity: .hmacMD5_96, encapsulation: .udpTunnel, pfsGroup: .modp768),
            QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacSHA512_256, encapsulation: .transport, lifetimeSeconds: nil),
        ]
        for original in cases {
            let transform = try XCTUnwrap(original.transform(number: 1), "\(original)")
            let sa = SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: original.ipsecProtocol.rawValue, spi: [1, 2, 3, 4], transforms: [transform])])
            let message = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 1, responderCookie: 2, exchange: .quickMode, messageID: 7),
                                        payloads: [.hash([UInt8](repeating: 0, count: 20)), .securityAssociation(sa)])
            guard case .securityAssociation(let decoded) = try ISAKMPMessage.decode(message.encoded()).payloads[1] else { return XCTFail("SA") }
            XCTAssertEqual(try QuickModeTransform(protocolID: decoded.proposals[0].protocolID, transform: decoded.proposals[0].transforms[0]),
                           original, "\(original)")
        }
        XCTAssertNil(QuickModeTransform(ipsecProtocol: .esp, cipher: .chacha20Poly1305, integrity: nil, encapsulation: .transport).transform(number: 1),
                     "IKEv1 has no ChaCha20 transform")
    }

    func testDefaultsAndDraftValues() throws {
        // No Key Length with ESP_AES means 128 (RFC 3602 §5); no Encapsulation Mode reads as transport;
        // draft NAT-T mode 61443 is UDP tunnel.
        let aes = try QuickModeTransform(protocolID: 3, transform: Transform(number: 1, id: 12, attributes: [Attribute(5, 2)]))
        XCTAssertEqual(aes.cipher, .aesCBC(keyBits: 128))
        XCTAssertEqual(aes.encapsulation, .transport)
        let draft = try QuickModeTransform(protocolID: 3, transform: Transform(number: 1, id: 3, attributes: [Attribute(4, 61443), Attribute(5, 1)]))
        XCTAssertEqual(draft.encapsulation, .udpTunnel)
    }

    func testBadTransformsAreNamed() {
        func refusal(_ protocolID: UInt8, _ id: UInt8, _ attributes: [Attribute]) -> String {
            do {
                _ = try QuickModeTransform(protocolID: protocolID, transform: Transform(number: 4, id: id, attributes: attributes))
                return "accepted"
            } catch { return error.description }
        }
        XCTAssertEqual(refusal(1, 3, []), "transform 4: protocol 1 is not AH (2) or ESP (3)")
        XCTAssertEqual(refusal(3, 20, [Attribute(6, 128), Attribute(5, 2)]), "transform 4: AES-GCM takes no Authentication Algorithm")
        XCTAssertEqual(refusal(3, 11, []), "transform 4: ESP with NULL encryption needs an Authentication Algorithm")
        XCTAssertEqual(refusal(3, 12, [Attribute(6, 100)]), "transform 4: ESP transform 12 (key length 100) is not supported")
        XCTAssertEqual(refusal(3, 3, [Attribute(5, 9)]), "transform 4: Authentication Algorithm 9 is not supported")
        XCTAssertEqual(refusal(3, 3, [Attribute(4, 9)]), "transform 4: Encapsulation Mode 9 is not supported")
        XCTAssertEqual(refusal(3, 3, [Attribute(3, 5)]), "transform 4: Group Description 5 is not supported")
        XCTAssertEqual(refusal(3, 3, [Attribute(2, 60)]), "transform 4: SA Life Duration without an SA Life Type before it")
        XCTAssertEqual(refusal(3, 3, [Attribute(1, 1)]), "transform 4: SA Life Type without an SA Life Duration after it")
        XCTAssertEqual(refusal(3, 3, [Attribute(5, 2), Attribute(5, 1)]), "transform 4: attribute type 5 is repeated")
        XCTAssertEqual(refusal(3, 3, [Attribute(9, 1)]), "transform 4: attribute type 9 is not supported")
        XCTAssertEqual(refusal(2, 4, []), "transform 4: AH transform 4 is not supported")
        XCTAssertEqual(refusal(2, 3, [Attribute(5, 1)]), "transform 4: Authentication Algorithm disagrees with AH transform 3")
        XCTAssertEqual(refusal(2, 3, [Attribute(5, 2)]), "accepted")
    }
}

/// A refused Quick Mode transform names the nearest filter action method and what differs.
final class QuickModeDifferenceTests: XCTestCase {
    func testTheNearestMethodAndEachDifferingAttributeAreNamed() throws {
        let filterAction = [
            QuickModeTransform(ipsecProtocol: .esp, cipher: .tripleDESCBC, integrity: .hmacMD5_96, encapsulation: .transport),
            QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 256), integrity: .hmacSHA1_96, encapsulation: .transport),
        ]
        let offered = QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 128), integrity: .hmacSHA1_96, encapsulation: .transport)
        let difference = try XCTUnwrap(QuickModeDifference(offered: offered, acceptable: filterAction))
        XCTAssertEqual(difference.nearest, filterAction[1])
        XCTAssertEqual(difference.attributes.map(\.name), ["key length"])
        XCTAssertEqual(difference.attributes.first?.offered, "128")
        XCTAssertTrue(difference.description.hasPrefix("nearest filter action method ESP AES-CBC-256"), difference.description)
        XCTAssertTrue(difference.description.hasSuffix("differs in key length (offered 128, allowed 256)"), difference.description)
        let ah = QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacMD5_96, encapsulation: .transport)
        let names = QuickModeDifference(offered: ah, acceptable: filterAction)?.attributes.map(\.name)
        XCTAssertEqual(names, ["protocol", "cipher"], "AH[MD5] is nearest ESP[3DES,MD5]: protocol and cipher differ")
        XCTAssertEqual(QuickModeDifference(offered: ah, acceptable: filterAction)?.attributes[1].offered, "none")
        XCTAssertNil(QuickModeDifference(offered: ah, acceptable: []))
    }
}
