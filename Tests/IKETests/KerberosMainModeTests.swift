import IKE
import Packet
import Policy
import Transforms
import XCTest

/// Ward against Ward in Main Mode with Kerberos (draft-ietf-ipsec-isakmp-gss-auth-07) over a
/// fake realm: the wire shape (vendor IDs, GSS identity attribute, GSS payloads in messages 3
/// and 4, wrapped hashes), extra legs, the fallback to a preshared key, and each refusal
/// counted with its reason and no SA.
final class KerberosMainModeTests: XCTestCase {
    let quick = QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA256_128)])
    var realm = FakeRealm()

    override func setUp() {
        realm = FakeRealm()
        realm.add("HOST1$")
        realm.add("HOST2$")
    }

    func policy(_ methods: [AuthenticationMethod], kerberos: FakeKerberos?) -> FixedPolicy {
        var isakmp = ISAKMPSettings()
        isakmp.securityMethods = [MainModeSecurityMethod(.aes128, .sha256, .modp2048), MainModeSecurityMethod(.tripleDES, .sha1, .modp2048)]
        return FixedPolicy(main: MainModePolicy(isakmp: isakmp, authentication: methods, kerberos: kerberos), quick: quick)
    }

    func lab(a: FakeKerberos? = nil, b: FakeKerberos? = nil, methodsA: [AuthenticationMethod] = [.kerberos],
             methodsB: [AuthenticationMethod] = [.kerberos]) -> EnginePair {
        EnginePair(a: policy(methodsA, kerberos: a ?? realm.mechanism("HOST1$")), b: policy(methodsB, kerberos: b ?? realm.mechanism("HOST2$")))
    }

    /// The i-th Main Mode datagram (0-based) as sent, decoded where it is clear.
    func mainMode(_ lab: EnginePair, _ index: Int) throws -> ISAKMPMessage {
        let messages = lab.sent.map(\.1).filter { (try? ISAKMPMessage.decode($0.payload))?.header.exchange == .identityProtection }
        return try ISAKMPMessage.decode(messages[index].payload)
    }

    func testKerberosMainModeEstablishesWithTheWireShapeWindowsUses() throws {
        let lab = lab()
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 1, "\(failureReasons(lab))")
        XCTAssertEqual(lab.installs("B").count, 1)

        // Message 1: 65001 with GIi in UTF-16LE, the Microsoft (version 4) and GSSAPI vendor IDs.
        let first = try mainMode(lab, 0)
        guard case .securityAssociation(let offer) = first.payloads[0] else { return XCTFail("no SA in message 1") }
        let transform = offer.proposals[0].transforms[0]
        XCTAssertEqual(transform.attribute(3), Attribute(3, 65001))
        XCTAssertEqual(transform.attribute(16384), Attribute(16384, bytes: GSSAuthentication.encodeIdentity("HOST1$@WARD.TEST")))
        XCTAssertEqual(GSSAuthentication.decodeIdentity(GSSAuthentication.encodeIdentity("HOST1$@WARD.TEST")), "HOST1$@WARD.TEST")
        XCTAssertTrue(first.payloads.contains(.vendorID(GSSAuthentication.microsoftVendorID)))
        XCTAssertTrue(first.payloads.contains(.vendorID(GSSAuthentication.gssapiVendorID)))
        XCTAssertEqual(GSSAuthentication.microsoftVersion(GSSAuthentication.microsoftVendorID), 4)
        // Message 2 echoes the transform with the responder's identity instead.
        guard case .securityAssociation(let reply) = try mainMode(lab, 1).payloads[0] else { return XCTFail("no SA in message 2") }
        XCTAssertEqual(reply.proposals[0].transforms[0].attribute(16384),
                       Attribute(16384, bytes: GSSAuthentication.encodeIdentity("HOST2$@WARD.TEST")))
        // Messages 3 and 4: KE, nonce, then the GSS payload (vendor encoding 0, then the token).
        for index in [2, 3] {
            let message = try mainMode(lab, index)
            XCTAssertEqual(message.payloads.map(\.typeNumber).prefix(3), [4, 10, 129], "message \(index + 1)")
            guard case .gssToken(let body)? = message.payloads.first(where: { $0.typeNumber == 129 }) else { return XCTFail("no GSS payload") }
            XCTAssertEqual(body.first, 0)
            XCTAssertEqual(GSSAuthentication.token(fromBody: body).first, 0x60)
        }
        let summaryA = try XCTUnwrap(lab.a.mainModeSummaries.first), summaryB = try XCTUnwrap(lab.b.mainModeSummaries.first)
        XCTAssertEqual(summaryA.authentication, "Kerberos")
        XCTAssertEqual(summaryA.peerPrincipal, "HOST2$@WARD.TEST")
        XCTAssertEqual(summaryB.peerPrincipal, "HOST1$@WARD.TEST")
        XCTAssertEqual(summaryB.peerRealm, "WARD.TEST")
        XCTAssertEqual(lab.a.statistics.authenticationFailures + lab.b.statistics.authenticationFailures, 0)
    }

    func testMessageTwoWaitsForTicketsAndIsTakenWhenTheResponderRepeatsIt() {
        realm.fetchFirst = true
        let lab = lab()
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty, "message 2 is left unanswered while tickets are fetched")
        lab.advance(to: 1.5)  // A repeats message 1, B repeats message 2, the tickets are there
        XCTAssertEqual(lab.installs("A").count, 1)
        XCTAssertEqual(lab.installs("B").count, 1)
        XCTAssertEqual(lab.a.statistics.invalidPacketsReceived + lab.b.statistics.invalidPacketsReceived, 0)
    }

    func testAMechanismThatNeedsMoreLegsRepeatsMessagesFiveAndSix() throws {
        realm.extraLegs = 2
        let lab = lab()
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 1)
        XCTAssertEqual(lab.installs("B").count, 1)
        let mainModeCount = lab.sent.filter { (try? ISAKMPMessage.decode($0.1.payload))?.header.exchange == .identityProtection }.count
        XCTAssertEqual(mainModeCount, 6 + 2 * 2, "each extra leg is one more message 5 and 6")
        XCTAssertEqual(lab.b.mainModeSummaries.first?.peerPrincipal, "HOST1$@WARD.TEST")
    }

    func testTooManyLegsIsRefused() {
        realm.extraLegs = 5
        let lab = lab()
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty)
        XCTAssertTrue(failureReasons(lab).contains { $0.contains("more than 3 GSS tokens") }, "\(failureReasons(lab))")
    }

    func testKerberosFirstFallsBackToThePresharedKeyThePeerHas() throws {
        let lab = lab(methodsA: [.kerberos, .preSharedKey("lab")], methodsB: [.preSharedKey("lab")])
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 1)
        XCTAssertEqual(lab.a.mainModeSummaries.first?.authentication, "Preshared key")
        XCTAssertNil(lab.a.mainModeSummaries.first?.peerPrincipal)
    }

    func testTheInitiatorsOrderDecides() throws {
        let lab = lab(methodsA: [.preSharedKey("lab"), .kerberos], methodsB: [.kerberos, .preSharedKey("lab")])
        lab.acquire()
        XCTAssertEqual(lab.b.mainModeSummaries.first?.authentication, "Preshared key")
        let reversed = self.lab(methodsA: [.kerberos, .preSharedKey("lab")], methodsB: [.preSharedKey("lab"), .kerberos])
        reversed.acquire()
        XCTAssertEqual(reversed.b.mainModeSummaries.first?.authentication, "Kerberos")
    }

    func failureReasons(_ lab: EnginePair) -> [String] {
        (lab.events("A") + lab.events("B")).compactMap { event in
            switch event {
            case .authenticationFailed(_, let reason), .negotiationFailed(_, let reason): reason
            default: nil
            }
        }
    }

    /// A refusal: no SA on either side, the failure counted on `side` and its reason logged.
    func assertRefused(_ lab: EnginePair, by side: String, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(lab.installs("A").isEmpty && lab.installs("B").isEmpty, "no SA", file: file, line: line)
        let engine = side == "A" ? lab.a : lab.b
        XCTAssertEqual(engine.statistics.authenticationFailures, 1, file: file, line: line)
        let reasons = lab.events(side).compactMap { if case .authenticationFailed(_, let reason) = $0 { reason } else { nil } }
        XCTAssertTrue(reasons.contains { $0.contains(words) }, "\(side) logged \(reasons)", file: file, line: line)
        XCTAssertFalse(engine.mainModeSummaries.contains { $0.established }, file: file, line: line)
    }

    func testAPeerPrincipalTheRealmDoesNotKnowIsRefusedByTheInitiator() {
        realm.keys.removeValue(forKey: "HOST2$@WARD.TEST")
        let lab = lab()
        lab.acquire()
        assertRefused(lab, by: "A", "unknown principal: Server HOST2$@WARD.TEST not found")
    }

    func testAStaleKeytabOnTheResponderIsRefusedThere() {
        let lab = lab(b: realm.mechanism("HOST2$", staleKey: true))
        lab.acquire()
        assertRefused(lab, by: "B", "wrong key: Key version number")
    }

    func testAnUnreachableKDCIsRefusedInWords() {
        realm.kdcReachable = false
        let lab = lab()
        lab.acquire()
        assertRefused(lab, by: "A", "KDC unreachable")
    }

    func testATamperedMessageFiveIsRefused() {
        // Message 5 (A's third Main Mode datagram) with a byte of its ciphertext flipped where
        // the wrapped HASH_I lies (after the ID payload).
        let lab = lab()
        var seen = 0
        lab.deliver = { name, datagram in
            guard name == "A", (try? ISAKMPMessage.decode(datagram.payload))?.header.exchange == .identityProtection else { return true }
            seen += 1
            guard seen == 3 else { return true }
            var tampered = datagram
            tampered.payload[ISAKMPHeader.length + 40] ^= 0x40
            lab.route("A", [.send(tampered)])
            return false
        }
        lab.acquire()
        XCTAssertTrue(lab.installs("B").isEmpty)
        XCTAssertFalse(lab.b.mainModeSummaries.contains { $0.established })
        XCTAssertEqual(lab.b.statistics.authenticationFailures, 1)
        XCTAssertTrue(failureReasons(lab).contains { $0.contains("HASH_I from 10.77.0.1 does not unwrap") }, "\(failureReasons(lab))")
    }

    func testAnInitiatorAnnouncingAnotherNameThanItsPrincipalIsRefused() {
        let lab = lab(a: realm.mechanism("HOST1$", announce: "ADMIN$@WARD.TEST"))
        lab.acquire()
        assertRefused(lab, by: "B", "announced itself as ADMIN$@WARD.TEST but Kerberos authenticated HOST1$@WARD.TEST")
    }

    func testALostMessageSixIsAnsweredWithTheSameBytesAndTheExchangeStillCompletes() throws {
        let lab = lab()
        var sixthDropped = false
        lab.deliver = { name, datagram in
            guard name == "B", !sixthDropped, (try? ISAKMPMessage.decode(datagram.payload))?.header.encrypted == true else { return true }
            sixthDropped = true
            return false
        }
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty)
        lab.advance(to: 1.5)  // A resends message 5; B repeats message 6 from its record, not a new wrap
        XCTAssertEqual(lab.installs("A").count, 1)
        func encryptedMainMode(_ name: String) -> [[UInt8]] {
            lab.sent.filter { sent in
                guard sent.0 == name, let header = (try? ISAKMPMessage.decode(sent.1.payload))?.header else { return false }
                return header.exchange == .identityProtection && header.encrypted
            }.map(\.1.payload)
        }
        let fifth = encryptedMainMode("A"), sixth = encryptedMainMode("B")
        XCTAssertEqual(fifth.count, 2)
        XCTAssertEqual(sixth.count, 2)
        XCTAssertEqual(fifth.first, fifth.last, "message 5 is resent byte for byte")
        XCTAssertEqual(sixth.first, sixth.last, "message 6 is resent byte for byte")
        XCTAssertEqual(lab.a.statistics.authenticationFailures + lab.b.statistics.authenticationFailures, 0)
    }

    func testMethod65001WithoutGSSIsXAUTHAndNotChosen() throws {
        let kerberos = Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha256, authentication: .kerberos, group: .modp2048)
        let offer = SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: [Transform(number: 1, id: 1, attributes: kerberos.attributes)])])
        var refusals: [String] = []
        XCTAssertNil(Phase1Selection.choose(from: offer, acceptable: [kerberos], refusals: &refusals))
        XCTAssertTrue(refusals.joined().contains("XAUTH InitPreShared"), "\(refusals)")
        XCTAssertNotNil(Phase1Selection.choose(from: offer, acceptable: [kerberos], peerAnnouncesGSS: true, refusals: &refusals))
        var named = kerberos
        named.gssIdentity = GSSAuthentication.encodeIdentity("HOST1$@WARD.TEST")
        let namedOffer = SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: [Transform(number: 1, id: 1, attributes: named.attributes)])])
        XCTAssertNotNil(Phase1Selection.choose(from: namedOffer, acceptable: [kerberos], refusals: &refusals))
    }

    func testVendorIDsAndIdentitiesAreRecognisedInEveryForm() {
        XCTAssertTrue(GSSAuthentication.announcesGSS(GSSAuthentication.microsoftVendorIDPrefix + [0, 0, 0, 2]))
        XCTAssertTrue(GSSAuthentication.announcesGSS(GSSAuthentication.gssapiVendorID))
        XCTAssertTrue(GSSAuthentication.draftVendorIDs.allSatisfy(GSSAuthentication.announcesGSS))
        XCTAssertFalse(GSSAuthentication.announcesGSS(GSSAuthentication.microsoftVendorIDPrefix))
        XCTAssertNil(GSSAuthentication.decodeIdentity([0x41]), "odd length")
        XCTAssertNil(GSSAuthentication.decodeIdentity([0x00, 0xD8]), "a lone surrogate")
        XCTAssertEqual(GSSAuthentication.decodeIdentity([0x41, 0, 0x42, 0, 0, 0]), "AB", "a trailing NUL is dropped")
        XCTAssertEqual(GSSAuthentication.token(fromBody: [0x60, 1, 2]), [0x60, 1, 2], "racoon's bare token")
        XCTAssertEqual(GSSAuthentication.token(fromBody: [0, 0x60, 1]), [0x60, 1], "draft-07's vendor encoding byte")
    }
}

extension Payload {
    /// The payload's type number, as the header's next-payload field names it.
    var typeNumber: UInt8 {
        ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: 1, exchange: .identityProtection), payloads: [self]).encoded()[16]
    }
}
