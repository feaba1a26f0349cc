import ESP
import Filtering
import IKE
import Packet
import Policy
import TestSupport
import XCTest
@testable import Agent

/// Every SA pair carries only the traffic of the filter it was negotiated for, out and in
/// (the branch-office policy: a broad /24 tunnel rule and a specific /25 inside it, each with
/// its own methods, towards one gateway).
final class SABindingTests: XCTestCase {
    let gatewayA = address("10.77.0.1"), gatewayB = address("10.77.0.2")
    var sink: RecordingSink!

    override func setUp() { sink = RecordingSink() }

    func branch(broadFirst: Bool) throws -> Datapath {
        let running = try BranchOfficePolicy.running(me: gatewayA, gateway: gatewayB, local: "10.77.1", remote: "10.77.2", broadFirst: broadFirst)
        return Datapath(policy: running, sink: sink, ivSource: CountingIVSource(), sourceAddress: { [gatewayA] _ in gatewayA })
    }

    func identity(_ datapath: Datapath, rule: String) -> FilterIdentity? {
        datapath.policy.decider.table.filters.first { $0.origin.rule.name == rule }?.identity
    }

    /// A tunnel pair between the gateways for `selector` (A's view), bound to `filter`.
    func tunnelPair(_ selector: TrafficSelector, inboundSPI: UInt32, outboundSPI: UInt32, filter: FilterIdentity?)
        -> (ours: NegotiatedSAPair, theirs: NegotiatedSAPair) {
        func parameters(_ spi: UInt32, from source: IPAddress, to destination: IPAddress, seed: UInt8) -> SAParameters {
            SAParameters(spi: spi, mode: .tunnel(source: source, destination: destination), destination: destination,
                         encryption: .aesCBC(keyBits: 128), encryptionKey: (0..<16).map { $0 &+ seed },
                         integrity: .hmacSHA1_96, integrityKey: (0..<20).map { $0 &* 3 &+ seed })
        }
        let transform = QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 128), integrity: .hmacSHA1_96, encapsulation: .tunnel)
        let inbound = parameters(inboundSPI, from: gatewayB, to: gatewayA, seed: UInt8(truncatingIfNeeded: inboundSPI))
        let outbound = parameters(outboundSPI, from: gatewayA, to: gatewayB, seed: UInt8(truncatingIfNeeded: outboundSPI))
        return (NegotiatedSAPair(selector: selector, peer: .init(gatewayB, 500), inbound: inbound, outbound: outbound, transform: transform, filter: filter),
                NegotiatedSAPair(selector: selector.reversed, peer: .init(gatewayA, 500), inbound: outbound, outbound: inbound, transform: transform))
    }

    let broad = TrafficSelector(local: Subnet("10.77.1.0/24")!, remote: Subnet("10.77.2.0/24")!)
    let specific = TrafficSelector(local: Subnet("10.77.1.128/25")!, remote: Subnet("10.77.2.128/25")!)

    /// The ESP packet the gateway B sends for `inner` under `pair`.
    func fromGateway(_ inner: [UInt8], pair: NegotiatedSAPair, sequence: UInt64 = 0) throws -> [UInt8] {
        try protected(inner, under: pair, sequence: sequence)
    }

    func lastSPI() -> UInt32? {
        sink.transmitted.last.map { UInt32($0.packet[20]) << 24 | UInt32($0.packet[21]) << 16 | UInt32($0.packet[22]) << 8 | UInt32($0.packet[23]) }
    }

    func testEachNestedRuleGetsItsOwnSAAndNeverRidesTheOthers() throws {
        for broadFirst in [true, false] {
            sink = RecordingSink()
            let datapath = try branch(broadFirst: broadFirst)
            let order = broadFirst ? "broad first" : "specific first"
            let broadFilter = identity(datapath, rule: "broad out"), specificFilter = identity(datapath, rule: "specific out")
            XCTAssertNotNil(broadFilter)
            XCTAssertNotEqual(broadFilter, specificFilter)
            let broadPacket = ipv4(address("10.77.1.5"), address("10.77.2.5"), protocolNumber: 1)
            let specificPacket = ipv4(address("10.77.1.200"), address("10.77.2.200"), protocolNumber: 1)

            // Whichever SA exists first, the other rule's traffic asks for its own.
            let firstPacket = broadFirst ? broadPacket : specificPacket, secondPacket = broadFirst ? specificPacket : broadPacket
            let firstFilter = broadFirst ? broadFilter : specificFilter, secondFilter = broadFirst ? specificFilter : broadFilter
            let firstSelector = broadFirst ? broad : specific, secondSelector = broadFirst ? specific : broad
            let firstRequest = try XCTUnwrap(datapath.send(firstPacket), order)
            XCTAssertEqual(firstRequest, AcquireRequest(selector: firstSelector, local: gatewayA, peer: gatewayB, filter: firstFilter), order)
            let secondRequest = try XCTUnwrap(datapath.send(secondPacket), "\(order): a second negotiation with the same gateway starts at once")
            XCTAssertEqual(secondRequest, AcquireRequest(selector: secondSelector, local: gatewayA, peer: gatewayB, filter: secondFilter), order)

            let first = tunnelPair(firstSelector, inboundSPI: 0x1100, outboundSPI: 0x2100, filter: firstFilter)
            XCTAssertEqual(try datapath.install(first.ours, now: 1), [], order)
            XCTAssertEqual(sink.transmitted.count, 1, "\(order): only the first rule's packet leaves under the first SA")
            XCTAssertEqual(lastSPI(), 0x2100, order)
            XCTAssertNil(datapath.send(secondPacket), "\(order): still waiting for its own SA, already asked for")
            XCTAssertEqual(sink.transmitted.count, 1, "\(order): the other rule's SA covers the addresses but is not used")

            let second = tunnelPair(secondSelector, inboundSPI: 0x1200, outboundSPI: 0x2200, filter: secondFilter)
            try datapath.install(second.ours, now: 2)
            XCTAssertEqual(sink.transmitted.count, 3, "\(order): both held packets of the second rule leave")
            XCTAssertEqual(lastSPI(), 0x2200, order)
            _ = datapath.send(firstPacket, now: 3)
            XCTAssertEqual(lastSPI(), 0x2100, order)
            _ = datapath.send(secondPacket, now: 3)
            XCTAssertEqual(lastSPI(), 0x2200, order)

            // Inbound: each rule's traffic under its own SA is delivered…
            let pairs = broadFirst ? (broad: first, specific: second) : (broad: second, specific: first)
            let broadReply = ipv4(address("10.77.2.5"), address("10.77.1.5"), protocolNumber: 1)
            let specificReply = ipv4(address("10.77.2.200"), address("10.77.1.200"), protocolNumber: 1)
            datapath.receiveProtected(try fromGateway(broadReply, pair: pairs.broad.theirs))
            datapath.receiveProtected(try fromGateway(specificReply, pair: pairs.specific.theirs))
            XCTAssertEqual(sink.delivered.count, 2, order)
            XCTAssertEqual(datapath.counters.inboundProtected, 2, order)
            // …the specific rule's traffic under the broad rule's SA is not (within its selectors,
            // decided by another filter)…
            datapath.receiveProtected(try fromGateway(specificReply, pair: pairs.broad.theirs, sequence: 7))
            XCTAssertEqual(sink.delivered.count, 2, "\(order): /25 traffic under the /24 SA is refused")
            XCTAssertEqual(datapath.counters.inboundPolicyMismatch, 1, order)
            let mismatch = try XCTUnwrap(datapath.lastMismatch, order)
            XCTAssertEqual(mismatch.spi, pairs.broad.ours.inbound.spi, order)
            XCTAssertFalse(mismatch.outsideSelectors, order)
            let table = datapath.policy.decider.table
            XCTAssertEqual(table.filters[mismatch.boundRank].origin.rule.name, "broad out", order)
            XCTAssertTrue(table.filters[mismatch.decidedByRank].origin.rule.name.hasPrefix("specific"), order)
            // …nor the broad rule's under the specific SA (outside its selectors).
            datapath.receiveProtected(try fromGateway(broadReply, pair: pairs.specific.theirs, sequence: 7))
            XCTAssertEqual(sink.delivered.count, 2, order)
            XCTAssertEqual(datapath.counters.inboundPolicyMismatch, 2, order)
            XCTAssertEqual(datapath.lastMismatch?.outsideSelectors, true, order)
        }
    }

    func testAPairTheResponderBoundToTheBroadRuleCarriesOnlyTheBroadRulesTraffic() throws {
        let datapath = try branch(broadFirst: true)
        let broadFilter = identity(datapath, rule: "broad out")
        // The peer proposed the /24 and we answered with the /24 rule: its pair is bound there.
        try datapath.install(tunnelPair(broad, inboundSPI: 0x1100, outboundSPI: 0x2100, filter: broadFilter).ours, now: 0)
        let request = datapath.send(ipv4(address("10.77.1.200"), address("10.77.2.200"), protocolNumber: 6, destinationPort: 80))
        XCTAssertEqual(request?.filter, identity(datapath, rule: "specific out"), "/25 traffic is still negotiated separately")
        XCTAssertEqual(request?.selector, specific)
        XCTAssertTrue(sink.transmitted.isEmpty)
        XCTAssertNil(datapath.send(ipv4(address("10.77.1.1"), address("10.77.2.1"), protocolNumber: 1)))
        XCTAssertEqual(lastSPI(), 0x2100)
    }

    func testATransportRuleForOnePortAndOneForTheRestGetTwoSAs() throws {
        let sql = FilterList(name: "SQL", filters: [Filter(source: .me, destination: .subnet(Subnet(host: peer)), protocolSelector: .tcp, destinationPort: 1433)])
        let rest = FilterList(name: "Rest", filters: [Filter(source: .me, destination: .subnet(Subnet(host: peer)))])
        let strong = FilterAction(name: "Strong", action: .negotiate, securityMethods: try QuickModeSecurityMethod.parseList("ESP[AES256,SHA256]"))
        let weak = FilterAction(name: "Weak", action: .negotiate, securityMethods: try QuickModeSecurityMethod.parseList("ESP[3DES,SHA1]"))
        let running = try runningPolicy("SQL", rules: [("Rest", rest, weak), ("SQL", sql, strong)])
        let datapath = Datapath(policy: running, sink: sink, ivSource: CountingIVSource())
        let tcp1433 = ipv4(me, peer, protocolNumber: 6, sourcePort: 50000, destinationPort: 1433)
        let sqlRequest = try XCTUnwrap(datapath.send(tcp1433))
        XCTAssertEqual(sqlRequest.selector, TrafficSelector(local: Subnet(host: me), remote: Subnet(host: peer), protocolID: 6, remotePort: 1433),
                       "the Quick Mode IDs carry the filter's protocol and port")
        let restRequest = try XCTUnwrap(datapath.send(ipv4(me, peer, protocolNumber: 17)))
        XCTAssertEqual(restRequest.selector, .hosts(me, peer))
        XCTAssertNotEqual(sqlRequest.filter, restRequest.filter)
        // The any-protocol pair arrives first: it covers TCP 1433 but does not carry it.
        try datapath.install(saPair(inboundSPI: 0x1000, outboundSPI: 0x2000, filter: restRequest.filter).ours, now: 1)
        XCTAssertEqual(sink.transmitted.count, 1, "only the UDP packet left")
        XCTAssertNil(datapath.send(tcp1433))
        XCTAssertEqual(sink.transmitted.count, 1)
        try datapath.install(saPair(inboundSPI: 0x1001, outboundSPI: 0x2001, selector: sqlRequest.selector, filter: sqlRequest.filter).ours, now: 2)
        XCTAssertEqual(sink.transmitted.count, 3)
        XCTAssertEqual(sink.transmitted.last?.packet[23], 0x01, "TCP 1433 under its own SA (0x2001)")
    }

    func testARecompiledTableKeepsThePairsBoundAndAnEditedActionRetiresThem() throws {
        let snapshot = try BranchOfficePolicy.snapshot(me: gatewayA, gateway: gatewayB, local: "10.77.1", remote: "10.77.2")
        let running = RunningPolicy()
        try running.update([snapshot], addresses: StaticAddressProvider(local: [gatewayA]))
        let datapath = Datapath(policy: running, sink: sink, ivSource: CountingIVSource(), sourceAddress: { [gatewayA] _ in gatewayA })
        let specificFilter = identity(datapath, rule: "specific out")
        try datapath.install(tunnelPair(specific, inboundSPI: 0x1200, outboundSPI: 0x2200, filter: specificFilter).ours, now: 0)
        // A new address appears: the same policy compiles again, the pair serves on.
        try running.update([snapshot], addresses: StaticAddressProvider(local: [gatewayA, address("10.77.9.9")]))
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 1), [])
        XCTAssertNil(datapath.send(ipv4(address("10.77.1.200"), address("10.77.2.200"), protocolNumber: 1), now: 1))
        XCTAssertEqual(lastSPI(), 0x2200)
        // The specific filter action now asks for other methods: its pair goes.
        var edited = snapshot
        let key = try XCTUnwrap(edited.filterActions.first { $0.value.name == "Specific" }?.key)
        edited.filterActions[key]?.securityMethods = try QuickModeSecurityMethod.parseList("ESP[AES128,SHA1]")
        try running.update([edited], addresses: StaticAddressProvider(local: [gatewayA]))
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 2), [0x1200])
        XCTAssertNotNil(datapath.send(ipv4(address("10.77.1.200"), address("10.77.2.200"), protocolNumber: 1), now: 2),
                        "until it is deleted, the old pair carries nothing: the edited rule negotiates")
    }
}
