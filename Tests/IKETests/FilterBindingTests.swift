import Filtering
import IKE
import Packet
import Policy
import TestSupport
import Transforms
import XCTest

/// Each Quick Mode SA pair is negotiated under the rule of the filter that asked for it and is
/// bound to that filter; a responder answers a proposal with the filter that contains it.
final class FilterBindingTests: XCTestCase {
    let gatewayA = IPAddress("10.77.0.1")!, gatewayB = IPAddress("10.77.0.2")!

    func selector(_ local: String, _ remote: String) -> TrafficSelector { TrafficSelector(local: Subnet(local)!, remote: Subnet(remote)!) }

    func identity(_ running: RunningPolicy, rule: String) throws -> FilterIdentity {
        try XCTUnwrap(running.decider.table.filters.first { $0.origin.rule.name == rule }).identity
    }

    func testNestedRulesEachNegotiateTheirOwnMethodsInEitherOrder() throws {
        for broadFirst in [true, false] {
            let a = try BranchOfficePolicy.running(me: gatewayA, gateway: gatewayB, local: "10.77.1", remote: "10.77.2", broadFirst: broadFirst)
            let b = try BranchOfficePolicy.running(me: gatewayB, gateway: gatewayA, local: "10.77.2", remote: "10.77.1", broadFirst: !broadFirst)
            let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
            let order = broadFirst ? "broad first" : "specific first"

            let specific = selector("10.77.1.128/25", "10.77.2.128/25")
            lab.route("A", lab.a.acquire(specific, local: gatewayA, peer: gatewayB, filter: try identity(a, rule: "specific out"), now: 0))
            let keyedA = try XCTUnwrap(lab.installs("A").last, order), keyedB = try XCTUnwrap(lab.installs("B").last, order)
            XCTAssertEqual(keyedA.transform.cipher, .aesCBC(keyBits: 256), order)
            XCTAssertEqual(keyedA.transform.integrity, .hmacSHA256_128, order)
            XCTAssertNotNil(keyedA.transform.pfsGroup, "\(order): the specific rule's PFS")
            XCTAssertEqual(keyedA.filter, try identity(a, rule: "specific out"), order)
            XCTAssertEqual(keyedB.selector, specific.reversed, order)
            XCTAssertEqual(keyedB.filter, try identity(b, rule: "specific out"), "\(order): the responder binds to the filter containing the IDs")

            let broad = selector("10.77.1.0/24", "10.77.2.0/24")
            lab.route("A", lab.a.acquire(broad, local: gatewayA, peer: gatewayB, filter: try identity(a, rule: "broad out"), now: 1))
            XCTAssertEqual(lab.installs("A").count, 2, order)
            let broadA = try XCTUnwrap(lab.installs("A").last), broadB = try XCTUnwrap(lab.installs("B").last)
            XCTAssertEqual(broadA.transform.cipher, .tripleDESCBC, order)
            XCTAssertEqual(broadA.transform.integrity, .hmacMD5_96, order)
            XCTAssertNil(broadA.transform.pfsGroup, order)
            XCTAssertEqual(broadA.filter, try identity(a, rule: "broad out"), order)
            XCTAssertEqual(broadB.filter, try identity(b, rule: "broad out"),
                           "\(order): a /24 proposal gets the /24 rule's answer although a /25 inside it has its own")
        }
    }

    func testAResponderAnswersWithTheFilterThatContainsTheProposalAndRefusesOneThatOnlyOverlaps() throws {
        let b = try BranchOfficePolicy.running(me: gatewayB, gateway: gatewayA, local: "10.77.2", remote: "10.77.1")
        let provider = RunningPolicyProvider(b)
        // B's view: local is B's side.
        let inside = try XCTUnwrap(provider.quickMode(for: selector("10.77.2.0/25", "10.77.1.0/25"), peer: gatewayA))
        XCTAssertEqual(inside.filter, try identity(b, rule: "broad out"), "inside the /24, outside the /25")
        XCTAssertEqual(inside.offers.map(\.cipher), [.tripleDESCBC])
        let host = try XCTUnwrap(provider.quickMode(for: selector("10.77.2.200", "10.77.1.130"), peer: gatewayA))
        XCTAssertEqual(host.filter, try identity(b, rule: "specific out"), "hosts inside the /25: the most specific filter")
        XCTAssertNil(provider.quickMode(for: selector("10.77.2.0/23", "10.77.1.0/24"), peer: gatewayA), "overlaps, not contained")
        XCTAssertNil(provider.quickMode(for: selector("10.77.2.0/24", "10.77.3.0/24"), peer: gatewayA))

        // As initiator, the acquire's filter decides, even where another filter would contain the selector.
        let asked = try XCTUnwrap(provider.quickMode(for: selector("10.77.2.200", "10.77.1.130"), peer: gatewayA,
                                                     filter: try identity(b, rule: "broad out")))
        XCTAssertEqual(asked.filter, try identity(b, rule: "broad out"))
        // A filter that left the table answers nothing.
        var gone = try identity(b, rule: "broad out")
        gone.filterID = UUID()
        XCTAssertNil(provider.quickMode(for: selector("10.77.2.0/24", "10.77.1.0/24"), peer: gatewayA, filter: gone))
    }

    func testAProposalNoFilterContainsIsRefusedWithInvalidIDInformation() throws {
        let a = try BranchOfficePolicy.running(me: gatewayA, gateway: gatewayB, local: "10.77.1", remote: "10.77.2")
        let b = try BranchOfficePolicy.running(me: gatewayB, gateway: gatewayA, local: "10.77.2", remote: "10.77.1")
        let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
        // A asks for a /23 under its broad rule: B has no filter containing it.
        lab.route("A", lab.a.acquire(selector("10.77.0.0/23", "10.77.2.0/24"), local: gatewayA, peer: gatewayB,
                                     filter: try identity(a, rule: "broad out"), now: 0))
        XCTAssertTrue(lab.installs("B").isEmpty)
        XCTAssertTrue(lab.events("B").contains { if case .negotiationFailed(_, let reason) = $0 { reason.contains("no rule covers") } else { false } })
        // A gives the Quick Mode up on B's notification, not at the retransmission timeout, so
        // the next packet asks again at once.
        XCTAssertTrue(lab.events("A").contains { event in
            if case .negotiationFailed(_, let reason) = event { reason.contains("the peer refused Quick Mode") && reason.contains("notification 18") } else { false }
        }, "\(lab.events("A"))")
        XCTAssertEqual(lab.a.statistics.activeAcquire, 0, "no Quick Mode left waiting")
    }
}
