import IKE
import Packet
import Transforms
import XCTest

/// Hostile and broken datagrams: each is counted under the monitor's names, none traps, none
/// installs an SA, and a legitimate negotiation still completes afterwards.
final class EngineBadInputTests: XCTestCase {
    let suite = Phase1Transform.psk(.aesCBC(keyBits: 128), .sha1, .modp2048)

    func lab(_ configuration: IKEConfiguration = IKEConfiguration()) -> EnginePair {
        let quick = QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)])
        return EnginePair(a: FixedPolicy(main: .psk("k", [suite]), quick: quick), b: FixedPolicy(main: .psk("k", [suite]), quick: quick),
                          configuration: configuration)
    }

    func toB(_ lab: EnginePair, _ payload: [UInt8], from: IPAddress? = nil, port: UInt16 = 500) -> [IKEAction] {
        lab.b.receive(IKEDatagram(payload: payload, local: .init(lab.addressB, port), remote: .init(from ?? lab.addressA, port)), now: lab.now)
    }

    /// Main Mode message 1 as A sends it (a fresh A each time, so fresh cookies).
    func firstMessage(_ lab: EnginePair) throws -> [UInt8] {
        let other = IKEEngine(policy: FixedPolicy(main: .psk("k", [suite]), quick: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)])))
        let actions = other.acquire(.hosts(lab.addressA, lab.addressB), local: lab.addressA, peer: lab.addressB, now: 0)
        guard case .send(let datagram)? = actions.first else { throw XCTSkip("no message 1") }
        return datagram.payload
    }

    func testRandomAndTruncatedDatagramsAreCountedAndHarmless() throws {
        let lab = lab()
        var generator = SystemRandomNumberGenerator()
        let message1 = try firstMessage(lab)
        for round in 0..<2000 {
            var payload: [UInt8]
            if round % 2 == 0 {
                payload = (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                // A real first message cut short, or with one byte changed.
                payload = Array(message1.prefix(Int.random(in: 0..<message1.count, using: &generator)))
                if round % 4 == 1, !payload.isEmpty { payload[Int.random(in: 0..<payload.count, using: &generator)] ^= 0xA5 }
            }
            let actions = toB(lab, payload, port: round % 3 == 0 ? 4500 : 500)
            XCTAssertFalse(actions.contains { if case .install = $0 { true } else { false } })
        }
        XCTAssertGreaterThan(lab.b.statistics.invalidPacketsReceived, 1000)
        lab.advance(to: 100)  // any half-open SA a mutation created times out
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 1, "a legitimate peer still negotiates")
        XCTAssertEqual(lab.installs("B").count, 1)
    }

    func testUnknownCookiesAreCounted() throws {
        let lab = lab()
        lab.acquire()
        guard let quick = lab.sent.first(where: { $0.0 == "A" && $0.1.payload.count > 28 && $0.1.payload[18] == 32 }) else { return XCTFail("no Quick Mode message") }
        var forged = quick.1.payload
        forged[3] ^= 0xFF  // another initiator cookie
        _ = toB(lab, forged, port: quick.1.remote.port)
        XCTAssertEqual(lab.b.statistics.invalidCookiesReceived, 1)
    }

    func testExchangesWardDoesNotSpeakAreRefused() throws {
        let lab = lab()
        var aggressive = try firstMessage(lab)
        aggressive[18] = 4  // Aggressive Mode: Windows does not offer it and neither does Ward
        XCTAssertTrue(toB(lab, aggressive).isEmpty)
        XCTAssertEqual(lab.b.statistics.invalidCookiesReceived + lab.b.statistics.invalidPacketsReceived, 1)
        XCTAssertEqual(lab.b.statistics.isadbListSize, 0)
    }

    func testReplayedAndOutOfStateMessagesChangeNothing() throws {
        let lab = lab()
        lab.acquire()
        XCTAssertEqual(lab.installs("B").count, 1)
        let fromA = lab.sent.filter { $0.0 == "A" }.map(\.1)
        XCTAssertEqual(fromA.count, 5)
        let before = lab.b.statistics
        // Message 5 again: the answer (message 6) was lost, so B sends it again and nothing else.
        let replay5 = toB(lab, fromA[2].payload, port: fromA[2].remote.port)
        XCTAssertEqual(replay5.count, 1)
        // Quick Mode message 1 again after the exchange ended: message 2 again, no new SA.
        let replayQM1 = toB(lab, fromA[3].payload, port: fromA[3].remote.port)
        XCTAssertEqual(replayQM1.count, 1)
        XCTAssertFalse(replayQM1.contains { if case .install = $0 { true } else { false } })
        // Message 3 long after Main Mode ended: out of state.
        _ = toB(lab, fromA[1].payload, port: 500)
        XCTAssertEqual(lab.b.statistics.quickModeSAs, before.quickModeSAs)
        XCTAssertEqual(lab.b.statistics.invalidPacketsReceived, before.invalidPacketsReceived + 1)
        XCTAssertEqual(lab.b.mainModeSummaries.filter(\.established).count, 1)
    }

    func testHalfOpenFloodFromSpoofedAddressesLeavesRoomForARealPeer() throws {
        var configuration = IKEConfiguration()
        configuration.maxHalfOpen = 64
        let lab = lab(configuration)
        let template = try firstMessage(lab)
        var answered = 0
        for index in 0..<5000 {
            var spoofed = template
            for byte in 0..<8 { spoofed[byte] = UInt8.random(in: 1...255) }
            let source = IPAddress.v4(IPv4Address(0x0A4D_0000 | UInt32(index % 60000 + 3)))
            answered += toB(lab, spoofed, from: source).count
        }
        XCTAssertEqual(answered, 5000, "each first message gets a message 2: no Diffie-Hellman work yet")
        XCTAssertLessThanOrEqual(lab.b.statistics.isadbListSize, 64)
        XCTAssertGreaterThanOrEqual(lab.b.statistics.receiveFailures, 5000 - 64)
        // The flood goes on while the real peer negotiates: its SA moves past half-open at once.
        lab.acquire()
        for index in 0..<200 {
            var spoofed = template
            for byte in 0..<8 { spoofed[byte] = UInt8.random(in: 1...255) }
            _ = toB(lab, spoofed, from: .v4(IPv4Address(0x0A4E_0000 | UInt32(index + 3))))
        }
        XCTAssertEqual(lab.installs("A").count, 1)
        XCTAssertEqual(lab.installs("B").count, 1)
        XCTAssertLessThanOrEqual(lab.b.statistics.isadbListSize, 65)
    }

    func testAForgedQuickModeHashIsDropped() throws {
        let lab = lab()
        lab.acquire()
        let a = try XCTUnwrap(lab.installs("A").first)
        // A second acquire, its message 1 corrupted in the encrypted body.
        lab.deliver = { name, _ in name != "A" || lab.sent.filter { $0.0 == "A" }.count != 6 }
        lab.acquire()
        let quick = try XCTUnwrap(lab.sent.last { $0.0 == "A" }?.1)
        var forged = quick.payload
        forged[forged.count - 1] ^= 0x01
        let invalid = lab.b.statistics.invalidPacketsReceived
        XCTAssertTrue(toB(lab, forged, port: quick.remote.port).isEmpty)
        XCTAssertEqual(lab.b.statistics.invalidPacketsReceived, invalid + 1)
        XCTAssertEqual(lab.installs("B").count, 1)
        XCTAssertNotNil(a)
    }
}
