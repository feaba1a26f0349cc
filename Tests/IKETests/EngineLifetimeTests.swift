import IKE
import Packet
import Transforms
import XCTest

/// Rekeying, lifetimes and master-key PFS.
final class EngineLifetimeTests: XCTestCase {
    func lab(main: MainModePolicy = .psk("k", [.psk(.aesCBC(keyBits: 128), .sha1, .modp2048)]),
             quickA: QuickModePolicy = QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]),
             quickB: QuickModePolicy? = nil) -> EnginePair {
        EnginePair(a: FixedPolicy(main: main, quick: quickA), b: FixedPolicy(main: main, quick: quickB ?? quickA))
    }

    func testRekeyRunsQuickModeOnlyUnderTheSameMainMode() throws {
        let lab = lab()
        lab.acquire()
        let first = try XCTUnwrap(lab.installs("A").first)
        let sentBefore = lab.sent.count
        lab.advance(to: 3240)  // the agent reports the soft lifetime (90 % of 3600 s) and acquires again
        lab.acquire()
        XCTAssertEqual(lab.sent.count - sentBefore, 3, "three Quick Mode messages, no Main Mode")
        let second = try XCTUnwrap(lab.installs("A").last)
        XCTAssertEqual(lab.installs("A").count, 2)
        XCTAssertNotEqual(first.inbound.spi, second.inbound.spi)
        XCTAssertNotEqual(first.outbound.encryptionKey, second.outbound.encryptionKey)
        XCTAssertEqual(lab.a.statistics.mainModeSAs, 1)
        XCTAssertEqual(first.inbound.lifetime.softSeconds, 3240, accuracy: 0.001)
        XCTAssertEqual(first.inbound.lifetime.hardSeconds, 3600)
    }

    func testMasterKeyPFSNegotiatesAMainModeForEveryQuickMode() throws {
        var main = MainModePolicy.psk("k", [.psk(.aesCBC(keyBits: 128), .sha1, .modp2048)])
        main.quickModesPerMainMode = 1
        let lab = lab(main: main)
        lab.acquire()
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 2)
        XCTAssertEqual(lab.sent.count, 18, "two full Main Mode + Quick Mode negotiations")
        XCTAssertEqual(lab.a.statistics.mainModeSAs, 2)
        lab.advance(to: 120)
        XCTAssertEqual(lab.a.statistics.isadbListSize, 0, "spent ISAKMP SAs are retired")
        XCTAssertEqual(lab.b.statistics.isadbListSize, 0)
    }

    func testExpiredMainModeSAIsDeletedOnBothSides() throws {
        let main = MainModePolicy.psk("k", [Phase1Transform(cipher: .tripleDESCBC, hash: .sha1, authentication: .preSharedKey,
                                                            group: .modp1024, lifetimeSeconds: 600)])
        let lab = lab(main: main)
        lab.acquire()
        lab.advance(to: 601)
        XCTAssertTrue(lab.events("B").contains(.peerDeleted(peer: lab.addressA, spi: nil)))
        XCTAssertEqual(lab.a.statistics.isadbListSize, 0)
        XCTAssertEqual(lab.b.statistics.isadbListSize, 0)
        lab.acquire()
        XCTAssertEqual(lab.a.statistics.mainModeSAs, 2, "the next acquire negotiates a new Main Mode")
        XCTAssertEqual(lab.installs("B").count, 2)
    }

    func testInitialContactClearsWhatARestartedPeerLeftBehind() throws {
        let policy = FixedPolicy(main: .psk("k", [.psk(.aesCBC(keyBits: 128), .sha1, .modp2048)]),
                                 quick: QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)]))
        let lab = EnginePair(a: policy, b: policy)
        lab.acquire()
        let before = try XCTUnwrap(lab.installs("B").first)
        // A restarts: a fresh engine, no memory of its SAs; B still holds them.
        lab.a = IKEEngine(policy: policy)
        lab.acquire()
        let deletes = lab.actions.compactMap { if $0.0 == "B", case .delete(let inbound, _, _) = $0.1 { inbound } else { nil } }
        XCTAssertEqual(deletes, [before.inbound.spi], "B drops the pair A no longer has")
        XCTAssertEqual(lab.b.statistics.isadbListSize, 1, "and the old ISAKMP SA")
        XCTAssertEqual(lab.installs("B").count, 2)
        // A second acquire under the same Main Mode is not a first contact.
        lab.acquire(TrafficSelector(local: Subnet("10.77.0.1")!, remote: Subnet("10.77.0.2")!, protocolID: 6))
        XCTAssertEqual(lab.actions.filter { if $0.0 == "B", case .delete = $0.1 { true } else { false } }.count, 1)
    }

    func testResponderLifetimeShortensTheInitiatorsSA() throws {
        var short = QuickModeTransform.esp(.aesCBC(keyBits: 128), .hmacSHA1_96)
        short.lifetimeSeconds = 900
        short.lifetimeKilobytes = 250_000
        let lab = lab(quickB: QuickModePolicy(offers: [short]))
        lab.acquire()
        let a = try XCTUnwrap(lab.installs("A").first)
        let b = try XCTUnwrap(lab.installs("B").first)
        XCTAssertEqual(b.inbound.lifetime.hardSeconds, 900)
        XCTAssertEqual(a.outbound.lifetime.hardSeconds, 900, "RESPONDER-LIFETIME told the initiator")
        XCTAssertEqual(a.outbound.lifetime.hardBytes, 100_000 * 1024, "the initiator's own kilobytes were shorter")
        XCTAssertEqual(b.inbound.lifetime.hardBytes, 100_000 * 1024)
    }
}
