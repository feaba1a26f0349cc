import IKE
import Transforms
import XCTest

/// Main Mode offers: reading transforms, writing them back, and the responder's choice.
final class Phase1SelectionTests: XCTestCase {
    private func windowsOffer() -> SecurityAssociationPayload {
        guard case .securityAssociation(let sa) = windowsMainMode1().payloads[0] else { fatalError("windowsMainMode1 starts with its SA") }
        return sa
    }

    func testReadsWindowsOffers() throws {
        let transforms = try windowsOffer().proposals[0].transforms.map { try Phase1Transform(transform: $0) }
        XCTAssertEqual(transforms.map(\.description), [
            "3DES-CBC-SHA1-2 preSharedKey", "3DES-CBC-MD5-2 preSharedKey", "DES-CBC-SHA1-1 preSharedKey", "DES-CBC-MD5-1 preSharedKey",
        ])
        XCTAssertEqual(transforms[0].lifetimeSeconds, 28_800, "Windows' 8 hours, sent as a 4-byte variable attribute")
        XCTAssertNil(transforms[0].lifetimeKilobytes)
    }

    func testResponderTakesTheInitiatorsFirstAcceptableTransform() throws {
        let acceptable = [
            Phase1Transform(cipher: .desCBC, hash: .md5, authentication: .preSharedKey, group: .modp768),
            Phase1Transform(cipher: .tripleDESCBC, hash: .md5, authentication: .preSharedKey, group: .modp1024, lifetimeSeconds: 3_600),
        ]
        var refusals: [String] = []
        let selection = try XCTUnwrap(Phase1Selection.choose(from: windowsOffer(), acceptable: acceptable, refusals: &refusals))
        XCTAssertEqual(selection.reply.proposals.count, 1)
        XCTAssertEqual(selection.reply.proposals[0].number, 1)
        XCTAssertEqual(selection.reply.proposals[0].transforms.map(\.number), [2], "3DES-MD5-2 comes before DES-MD5-1 in the initiator's order")
        XCTAssertEqual(selection.reply.proposals[0].transforms[0], windowsOffer().proposals[0].transforms[1], "the transform is echoed unchanged")
        XCTAssertEqual(selection.chosen.cipher, .tripleDESCBC)
        XCTAssertEqual(selection.effectiveLifetimeSeconds, 3_600, "our shorter lifetime governs")
        XCTAssertEqual(refusals, ["proposal 1 transform 1: 3DES-CBC-SHA1-2 preSharedKey is not in the policy (nearest policy method "
                                  + "3DES-CBC-MD5-2 preSharedKey; differs in hash (offered SHA1, allowed MD5))"])
    }

    /// The attribute that differed, named, with what was offered and what the policy allows.
    func testTheNearestPolicyMethodAndEachDifferingAttributeAreNamed() throws {
        let policy = [Phase1Transform(cipher: .tripleDESCBC, hash: .sha1, authentication: .preSharedKey, group: .modp1024),
                      Phase1Transform(cipher: .aesCBC(keyBits: 256), hash: .sha256, authentication: .rsaSignatures, group: .modp2048)]
        let offered = Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha256, authentication: .preSharedKey, group: .modp2048)
        let difference = try XCTUnwrap(Phase1Difference(offered: offered, acceptable: policy))
        XCTAssertEqual(difference.nearest, policy[1])
        XCTAssertEqual(difference.attributes.map(\.name), ["key length", "authentication"])
        XCTAssertEqual(difference.attributes[0].offered, "128")
        XCTAssertEqual(difference.attributes[0].allowed, "256")
        XCTAssertEqual(difference.description, "nearest policy method AES-CBC-256-SHA2-256-14 rsaSignatures; differs in key length (offered 128, "
                       + "allowed 256), authentication (offered preSharedKey, allowed rsaSignatures)")
        let windows = Phase1Transform(cipher: .tripleDESCBC, hash: .sha1, authentication: .preSharedKey, group: .modp768)
        XCTAssertEqual(Phase1Difference(offered: windows, acceptable: policy)?.attributes.map(\.name), ["group"], "ties go to the policy's order")
        XCTAssertNil(Phase1Difference(offered: windows, acceptable: []))
    }

    func testNoAcceptableTransformGivesEveryReason() {
        var refusals: [String] = []
        let modern = [Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha256, authentication: .preSharedKey, group: .modp2048)]
        XCTAssertNil(Phase1Selection.choose(from: windowsOffer(), acceptable: modern, refusals: &refusals))
        XCTAssertEqual(refusals.count, 4)
        XCTAssertTrue(refusals.allSatisfy { $0.contains("is not in the policy (nearest policy method AES-CBC-128-SHA2-256-14 preSharedKey; differs in cipher") },
                      "\(refusals)")
        // Same algorithms, different authentication: not chosen either.
        refusals = []
        let certificates = [Phase1Transform(cipher: .tripleDESCBC, hash: .sha1, authentication: .rsaSignatures, group: .modp1024)]
        XCTAssertNil(Phase1Selection.choose(from: windowsOffer(), acceptable: certificates, refusals: &refusals))
        var ah = windowsOffer()
        ah.proposals[0].protocolID = 2
        refusals = []
        XCTAssertNil(Phase1Selection.choose(from: ah, acceptable: certificates, refusals: &refusals))
        XCTAssertEqual(refusals, ["proposal 1: protocol 2 is not PROTO_ISAKMP (1)"])
    }

    func testAttributesRoundTrip() throws {
        let cases = [
            Phase1Transform(cipher: .aesCBC(keyBits: 256), hash: .sha512, authentication: .rsaSignatures, group: .ecp384, lifetimeSeconds: 86_400, lifetimeKilobytes: 100_000),
            Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha256, authentication: .kerberos, group: .modp2048, lifetimeSeconds: 600),
            Phase1Transform(cipher: .desCBC, hash: .md5, authentication: .dssSignatures, group: .modp768, lifetimeSeconds: nil),
        ]
        for original in cases {
            let transform = Transform(number: 3, id: 1, attributes: original.attributes)
            let reread = try Phase1Transform(transform: transform)
            XCTAssertEqual(reread, original)
            // And through the wire codec.
            let sa = SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: [transform])])
            let message = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 1, exchange: .identityProtection), payloads: [.securityAssociation(sa)])
            guard case .securityAssociation(let decoded) = try ISAKMPMessage.decode(message.encoded()).payloads[0] else { return XCTFail("SA") }
            XCTAssertEqual(try Phase1Transform(transform: decoded.proposals[0].transforms[0]), original)
        }
        XCTAssertEqual(cases[0].attributes.first { $0.type == 12 }?.value, .variable([0, 1, 0x51, 0x80]), "86,400 s needs a variable attribute")
    }

    func testBadTransformsAreNamed() {
        func refusal(_ attributes: [Attribute], id: UInt8 = 1) -> String {
            do {
                _ = try Phase1Transform(transform: Transform(number: 7, id: id, attributes: attributes))
                return "accepted"
            } catch { return error.description }
        }
        let base = [Attribute(2, 2), Attribute(3, 1), Attribute(4, 2)]
        XCTAssertEqual(refusal([Attribute(1, 7)] + base), "transform 7: AES without a Key Length")
        XCTAssertEqual(refusal([Attribute(1, 3)] + base), "transform 7: Encryption Algorithm 3 (key length none) is not supported")
        XCTAssertEqual(refusal(base), "transform 7: Encryption Algorithm missing")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(99, 1)] + base), "transform 7: attribute type 99 is not supported")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(12, 60)] + base), "transform 7: Life Duration without a Life Type before it")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(11, 1)] + base), "transform 7: Life Type without a Life Duration after it")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(2, bytes: [0, 2]), Attribute(3, 1), Attribute(4, 2)]), "transform 7: Hash Algorithm must be a basic attribute")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(2, 2), Attribute(3, 64_221), Attribute(4, 2)]), "transform 7: Authentication Method 64221 is not supported")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(2, 2), Attribute(3, 1), Attribute(4, 5)]), "transform 7: Group Description 5 is not supported")
        XCTAssertEqual(refusal([Attribute(1, 5)] + base, id: 3), "transform 7: transform ID 3 is not KEY_IKE (1)")
        XCTAssertEqual(refusal([Attribute(1, 5), Attribute(1, 1)] + base), "transform 7: attribute type 1 is repeated")
        XCTAssertEqual(refusal([Attribute(1, 5)] + base), "accepted")
    }
}
