import ESP
import IKE
import Packet
import TestSupport
import Transforms
import XCTest

/// Two Ward engines negotiate with each other in memory; the keys are proven by ESP traffic.
final class EngineTests: XCTestCase {
    let windows2003 = Phase1Transform.psk(.tripleDESCBC, .sha1, .modp1024)

    func pair(mainA: [Phase1Transform]? = nil, mainB: [Phase1Transform]? = nil, keyA: String = "lab secret", keyB: String = "lab secret",
              quickA: QuickModePolicy = QuickModePolicy(offers: [.esp(.tripleDESCBC, .hmacSHA1_96)]),
              quickB: QuickModePolicy? = nil, configuration: IKEConfiguration = IKEConfiguration()) -> EnginePair {
        EnginePair(a: FixedPolicy(main: .psk(keyA, mainA ?? [windows2003]), quick: quickA),
                   b: FixedPolicy(main: .psk(keyB, mainB ?? [windows2003]), quick: quickB ?? quickA), configuration: configuration)
    }

    /// A's outbound SA must open what it seals in B's inbound SA, and the other way round.
    func assertTrafficFlows(_ lab: EnginePair, file: StaticString = #filePath, line: UInt = #line) throws {
        let fromA = try XCTUnwrap(lab.installs("A").first, "A installed nothing", file: file, line: line)
        let fromB = try XCTUnwrap(lab.installs("B").first, "B installed nothing", file: file, line: line)
        XCTAssertEqual(fromA.outbound.spi, fromB.inbound.spi, file: file, line: line)
        XCTAssertEqual(fromB.outbound.spi, fromA.inbound.spi, file: file, line: line)
        XCTAssertNotEqual(fromA.inbound.encryptionKey + fromA.inbound.integrityKey, fromA.outbound.encryptionKey + fromA.outbound.integrityKey,
                          "each direction has its own KEYMAT", file: file, line: line)
        for (sender, receiver, from, to) in [(fromA.outbound, fromB.inbound, lab.addressA, lab.addressB),
                                             (fromB.outbound, fromA.inbound, lab.addressB, lab.addressA)] {
            let out = try SecurityAssociation(sender, now: 0)
            let sad = SecurityAssociationDatabase()
            sad.add(inbound: try SecurityAssociation(receiver, now: 0))
            let payload = Array("ping through Ward's negotiated keys".utf8)
            let packet = Pcap.ipv4UDP(payload, from: octets(from), to: octets(to), port: 7)
            let buffer = PacketBuffer()
            try buffer.load(packet)
            try out.encapsulate(buffer, now: 1, ivSource: RandomIVSource())
            XCTAssertNotEqual(Array(buffer.bytes), packet, file: file, line: line)
            guard case .packet = try sad.decapsulate(buffer, now: 1) else { return XCTFail("not decapsulated", file: file, line: line) }
            XCTAssertEqual(Array(buffer.bytes), packet, "decapsulated packet differs", file: file, line: line)
        }
    }

    func octets(_ address: IPAddress) -> [UInt8] {
        guard case .v4(let v4) = address else { return [] }
        return v4.octets
    }

    // MARK: Suites

    func testWindows2003SuiteNegotiatesAndKeysAgree() throws {
        let lab = pair()
        lab.acquire()
        try assertTrafficFlows(lab)
        XCTAssertEqual(lab.sent.count, 9, "6 Main Mode + 3 Quick Mode messages")
        XCTAssertEqual(lab.a.statistics.mainModeSAs, 1)
        XCTAssertEqual(lab.b.statistics.quickModeSAs, 1)
        XCTAssertTrue(lab.events("A").contains { if case .mainModeEstablished = $0 { true } else { false } })
        XCTAssertEqual(lab.installs("A").first?.transform.cipher, .tripleDESCBC)
        XCTAssertNil(lab.installs("A").first?.outbound.udpEncapsulation.map { $0.sourcePort })
    }

    func testAESSuitesWithPFSAndEveryGroup() throws {
        let suites: [(Phase1Transform, QuickModePolicy)] = [
            (.psk(.aesCBC(keyBits: 128), .sha1, .modp2048), QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)], pfsGroup: .modp2048)),
            (.psk(.aesCBC(keyBits: 256), .sha256, .modp2048), QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 256), .hmacSHA256_128)])),
            (.psk(.desCBC, .md5, .modp768), QuickModePolicy(offers: [.esp(.desCBC, .hmacMD5_96)], pfsGroup: .modp768)),
            (.psk(.aesCBC(keyBits: 192), .sha384, .ecp256), QuickModePolicy(offers: [.esp(.aesGCM16(keyBits: 128), nil)], pfsGroup: .ecp384)),
            (.psk(.aesCBC(keyBits: 128), .sha512, .ecp384),
             QuickModePolicy(offers: [QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacSHA256_128, encapsulation: .transport)])),
        ]
        for (main, quick) in suites {
            let lab = pair(mainA: [main], mainB: [main], quickA: quick)
            lab.acquire()
            try assertTrafficFlows(lab)
            XCTAssertEqual(lab.installs("B").first?.transform.pfsGroup, quick.pfsGroup, "\(main)")
        }
    }

    func testResponderPicksInitiatorsFirstAcceptableOffer() throws {
        let lab = pair(mainA: [.psk(.desCBC, .md5, .modp768), .psk(.aesCBC(keyBits: 128), .sha1, .modp2048), windows2003],
                       mainB: [windows2003, .psk(.aesCBC(keyBits: 128), .sha1, .modp2048)],
                       quickA: QuickModePolicy(offers: [.esp(.desCBC, .hmacMD5_96), .esp(.aesCBC(keyBits: 128), .hmacSHA1_96), .esp(.tripleDESCBC, .hmacSHA1_96)]),
                       quickB: QuickModePolicy(offers: [.esp(.tripleDESCBC, .hmacSHA1_96), .esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]))
        lab.acquire()
        try assertTrafficFlows(lab)
        XCTAssertTrue(lab.events("A").contains(.mainModeEstablished(peer: lab.addressB, cookies: lab.a.mainModeSummaries[0].cookies,
                                                                    transform: Phase1Transform.psk(.aesCBC(keyBits: 128), .sha1, .modp2048).description)))
        XCTAssertEqual(lab.installs("A").first?.transform.cipher, .aesCBC(keyBits: 128))
    }

    func testAnESPAnswerToAnAHFirstOfferUsesTheESPSPI() throws {
        let ah = QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacSHA1_96, encapsulation: .transport)
        let lab = pair(quickA: QuickModePolicy(offers: [ah, .esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]),
                       quickB: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]))
        lab.acquire()
        try assertTrafficFlows(lab)
        XCTAssertEqual(lab.installs("A").first?.transform.ipsecProtocol, .esp)
    }

    func testTunnelModeCarriesSubnetSelectors() throws {
        let quick = QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)], mode: .tunnel)
        let lab = pair(quickA: quick)
        let selector = TrafficSelector(local: Subnet("10.77.1.0/24")!, remote: Subnet("10.77.2.0/24")!)
        lab.acquire(selector)
        let a = try XCTUnwrap(lab.installs("A").first)
        let b = try XCTUnwrap(lab.installs("B").first)
        XCTAssertEqual(a.selector, selector)
        XCTAssertEqual(b.selector, selector.reversed)
        XCTAssertEqual(a.outbound.mode, .tunnel(source: lab.addressA, destination: lab.addressB))
        XCTAssertEqual(b.inbound.mode, .tunnel(source: lab.addressA, destination: lab.addressB))
    }

    func testIPv6Endpoints() throws {
        let lab = pair(mainA: [.psk(.aesCBC(keyBits: 256), .sha256, .ecp256)], mainB: [.psk(.aesCBC(keyBits: 256), .sha256, .ecp256)],
                       quickA: QuickModePolicy(offers: [.esp(.aesGCM16(keyBits: 256), nil)], pfsGroup: .ecp256))
        lab.addressA = IPAddress("fd77::1")!
        lab.addressB = IPAddress("fd77::2")!
        lab.acquire()
        let a = try XCTUnwrap(lab.installs("A").first)
        let b = try XCTUnwrap(lab.installs("B").first)
        XCTAssertEqual(a.outbound.spi, b.inbound.spi)
        XCTAssertEqual(a.outbound.encryptionKey, b.inbound.encryptionKey)
        XCTAssertEqual(a.outbound.destination, lab.addressB)
        XCTAssertEqual(b.selector, .hosts(lab.addressB, lab.addressA))
        XCTAssertNil(lab.a.mainModeSummaries.first { $0.natDetected }, "NAT-D over IPv6 finds no NAT")
    }

    // MARK: Failures

    func testWrongPresharedKeyIsAnAuthenticationFailureAndInstallsNothing() throws {
        let lab = pair(keyB: "another secret")
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty && lab.installs("B").isEmpty)
        XCTAssertEqual(lab.b.statistics.authenticationFailures, 1)
        XCTAssertTrue(lab.events("B").contains { if case .authenticationFailed(_, let reason) = $0 { reason.contains("preshared") } else { false } })
        for second in stride(from: 1.0, through: 70, by: 1) { lab.advance(to: second) }
        XCTAssertTrue(lab.events("A").contains { if case .negotiationFailed = $0 { true } else { false } })
        XCTAssertEqual(lab.a.statistics.isadbListSize, 0)
        XCTAssertEqual(lab.a.statistics.acquireFailures, 1)
    }

    func testProposalMismatchIsDiagnosedOnBothSides() throws {
        let lab = pair(mainA: [.psk(.desCBC, .md5, .modp768)], mainB: [.psk(.aesCBC(keyBits: 256), .sha256, .modp2048)])
        lab.acquire()
        let responder = lab.events("B").compactMap { if case .negotiationFailed(_, let reason) = $0 { reason } else { nil } }
        XCTAssertEqual(responder.count, 1)
        XCTAssertTrue(responder[0].contains("DES-CBC-MD5-1") && responder[0].contains("AES-CBC-256-SHA2-256-14"), responder[0])
        let initiator = lab.events("A").compactMap { if case .negotiationFailed(_, let reason) = $0 { reason } else { nil } }
        XCTAssertTrue(initiator.first?.contains("NO-PROPOSAL-CHOSEN") == true, "\(initiator)")
        XCTAssertEqual(lab.b.statistics.negotiationFailures, 1)
        XCTAssertEqual(lab.a.statistics.isadbListSize, 0)
    }

    func testQuickModeMismatchKeepsTheMainModeSA() throws {
        let lab = pair(quickA: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]),
                       quickB: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)], pfsGroup: .modp2048))
        lab.acquire()
        XCTAssertTrue(lab.installs("B").isEmpty)
        let reason = lab.events("B").compactMap { if case .negotiationFailed(_, let reason) = $0 { reason } else { nil } }.first ?? ""
        XCTAssertTrue(reason.contains("requires PFS with group 14"), reason)
        XCTAssertEqual(lab.b.mainModeSummaries.filter(\.established).count, 1)
        XCTAssertTrue(lab.events("A").contains(.notified(peer: lab.addressB, type: 14)))
    }

    func testLostMessagesAreRetransmitted() throws {
        let lab = pair()
        var dropped: Set<Int> = []
        lab.deliver = { name, datagram in
            // Drop the first copy of message 3 (A) and of Quick Mode message 2 (B).
            let index = lab.sent.count
            if name == "A" && lab.sent.filter({ $0.0 == "A" }).count == 2 && dropped.insert(index).inserted { return false }
            if name == "B" && lab.sent.filter({ $0.0 == "B" }).count == 4 && dropped.insert(index).inserted { return false }
            return true
        }
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty)
        for second in stride(from: 0.5, through: 10, by: 0.5) { lab.advance(to: second) }
        try assertTrafficFlows(lab)
        XCTAssertEqual(dropped.count, 2)
    }

    func testNATFloatsTo4500AndEncapsulatesInUDP() throws {
        let lab = pair(quickA: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96),
                                                       QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacSHA1_96, encapsulation: .transport)]))
        lab.nat = true
        lab.acquire()
        let a = try XCTUnwrap(lab.installs("A").first)
        let b = try XCTUnwrap(lab.installs("B").first)
        XCTAssertEqual(a.transform.encapsulation, .udpTransport)
        XCTAssertEqual(a.outbound.udpEncapsulation?.destinationPort, 4500)
        XCTAssertEqual(b.outbound.udpEncapsulation?.destinationPort, 31001, "B answers the NAT's mapping of A's port 4500")
        XCTAssertTrue(lab.events("A").contains(.natDetected(peer: lab.addressB, localBehindNAT: true, peerBehindNAT: false)))
        // From message 5 on, everything goes to 4500 with the non-ESP marker.
        let floated = lab.sent.dropFirst(4)
        XCTAssertTrue(floated.allSatisfy { $0.1.payload.prefix(4) == [0, 0, 0, 0] && ($0.1.local.port == 4500 || $0.1.remote.port == 4500) })
        lab.advance(to: 21)
        XCTAssertTrue(lab.sent.contains { $0.0 == "A" && $0.1.payload == [0xFF] }, "A is behind the NAT and sends keepalives")
        XCTAssertFalse(lab.sent.contains { $0.0 == "B" && $0.1.payload == [0xFF] })
    }

    func testDeleteReachesThePeer() throws {
        let lab = pair()
        lab.acquire()
        let a = try XCTUnwrap(lab.installs("A").first)
        lab.route("A", lab.a.delete(inboundSPI: a.inbound.spi, now: 1))
        let deletes = lab.actions.compactMap { if $0.0 == "B", case .delete(let inbound, let outbound, _) = $0.1 { (inbound, outbound) } else { nil } }
        XCTAssertEqual(deletes.count, 1)
        XCTAssertEqual(deletes.first?.1, a.inbound.spi)
        XCTAssertEqual(deletes.first?.0, a.outbound.spi)
    }
}
