import ESP
import Filtering
import IKE
import Packet
import Policy
import XCTest
@testable import Agent

/// The userspace IPsec driver, sans-I/O: packets in, a recording sink out, the clock injected.
final class DatapathTests: XCTestCase {
    var sink: RecordingSink!
    var datapath: Datapath!

    override func setUpWithError() throws {
        sink = RecordingSink()
        datapath = Datapath(policy: try labPolicy(), sink: sink, ivSource: CountingIVSource())
    }

    /// The lab rule's filter for `me → peer`, which the tests' pairs serve.
    var labFilter: FilterIdentity? { datapath.policy.filterIdentity(for: .hosts(me, peer)) }

    func testPermittedAndUnruledTrafficLeavesAsItIs() {
        let web = ipv4(me, peer, protocolNumber: 6, sourcePort: 50000, destinationPort: 8080)
        let unruled = ipv4(me, outsider, protocolNumber: 1)
        XCTAssertNil(datapath.send(web))
        XCTAssertNil(datapath.send(unruled))
        XCTAssertEqual(sink.transmitted.map(\.packet), [web, unruled], "sent byte for byte")
        XCTAssertEqual(sink.transmitted.map(\.to), [peer, outsider])
        XCTAssertEqual(datapath.counters.outboundPermitted, 2)
    }

    func testNegotiatedTrafficWaitsForIKEThenLeavesAsESP() throws {
        let first = ipv4(me, peer, protocolNumber: 1), second = ipv4(me, peer, protocolNumber: 17)
        let request = try XCTUnwrap(datapath.send(first), "the first packet asks for an SA")
        XCTAssertNotNil(labFilter)
        XCTAssertEqual(request, AcquireRequest(selector: .hosts(me, peer), local: me, peer: peer, filter: labFilter))
        XCTAssertNil(datapath.send(second), "one acquire per peer while IKE runs")
        XCTAssertTrue(sink.transmitted.isEmpty, "nothing leaves in the clear")
        XCTAssertEqual(datapath.counters.queued, 2)

        let pair = saPair(filter: labFilter)
        try datapath.install(pair.ours, now: 1)
        XCTAssertEqual(sink.transmitted.count, 2, "held packets flushed under the new SA")
        XCTAssertEqual(datapath.counters.queueFlushed, 2)
        // The peer's SAD opens them back into the original packets.
        let theirs = SecurityAssociationDatabase()
        theirs.add(inbound: try SecurityAssociation(pair.theirs.inbound, now: 0))
        for ((packet, destination), original) in zip(sink.transmitted, [first, second]) {
            XCTAssertEqual(destination, peer)
            XCTAssertEqual(packet[9], 50, "ESP")
            let buffer = PacketBuffer()
            try buffer.load(packet)
            guard case .packet(spi: 0x2000, innerSPI: nil, event: nil) = try theirs.decapsulate(buffer, now: 1) else { return XCTFail("not ESP for 0x2000") }
            XCTAssertEqual(buffer.array.dropFirst(20), original.dropFirst(20), "payload intact")
        }
        // Steady state: the next packet goes straight out.
        XCTAssertNil(datapath.send(first, now: 2))
        XCTAssertEqual(sink.transmitted.count, 3)
        XCTAssertEqual(datapath.counters.outboundProtected, 3)
    }

    func testBlockedTrafficIsDroppedBothWays() {
        datapath.receiveClear(ipv4(peer, me, protocolNumber: 6, sourcePort: 40000, destinationPort: 23))
        XCTAssertTrue(sink.delivered.isEmpty)
        XCTAssertEqual(datapath.counters.inboundBlocked, 1)
    }

    func testClearTextThatPolicySaysMustBeSecuredIsDropped() {
        datapath.receiveClear(ipv4(peer, me, protocolNumber: 1))
        XCTAssertTrue(sink.delivered.isEmpty)
        XCTAssertEqual(datapath.counters.inboundClearDropped, 1)
        datapath.receiveClear(ipv4(outsider, me, protocolNumber: 1))
        XCTAssertEqual(sink.delivered.count, 1, "a host in no rule is delivered")
    }

    func testInboundPassthroughAcceptsClearButRepliesAreSecured() throws {
        datapath = Datapath(policy: try labPolicy(inpass: true), sink: sink)
        datapath.receiveClear(ipv4(peer, me, protocolNumber: 1))
        XCTAssertEqual(sink.delivered.count, 1)
        XCTAssertNotNil(datapath.send(ipv4(me, peer, protocolNumber: 1)), "the reply negotiates")
        XCTAssertTrue(sink.transmitted.isEmpty)
    }

    /// Builds the ESP packet the peer would send us for `inner`.
    func fromPeer(_ inner: [UInt8], pair: NegotiatedSAPair, sequence: UInt64 = 0) throws -> [UInt8] {
        try protected(inner, under: pair, sequence: sequence)
    }

    func testInboundESPIsCheckedAgainstItsSAAndPolicyThenDelivered() throws {
        let pair = saPair(filter: labFilter)
        try datapath.install(pair.ours, now: 0)
        let echo = ipv4(peer, me, protocolNumber: 1)
        let esp = try fromPeer(echo, pair: pair.theirs)
        datapath.receiveProtected(esp)
        XCTAssertEqual(sink.delivered.first?.dropFirst(20), echo.dropFirst(20))
        XCTAssertEqual(datapath.counters.inboundProtected, 1)

        datapath.receiveProtected(esp)
        XCTAssertEqual(sink.delivered.count, 1, "a replay is dropped")
        XCTAssertEqual(datapath.sad.lookup(spi: 0x1000, destination: me, securityProtocol: .esp)?.statistics.packetsWithReplayDetection, 1)

        // Protected, but from an address outside the SA's selectors (RFC 4301 §5.2).
        datapath.receiveProtected(try fromPeer(ipv4(outsider, me, protocolNumber: 1), pair: pair.theirs, sequence: 5))
        XCTAssertEqual(sink.delivered.count, 1)
        XCTAssertEqual(datapath.counters.inboundPolicyMismatch, 1)

        // Protected and inside the selectors, but policy blocks it (telnet).
        datapath.receiveProtected(try fromPeer(ipv4(peer, me, protocolNumber: 6, destinationPort: 23), pair: pair.theirs, sequence: 9))
        XCTAssertEqual(sink.delivered.count, 1)
        XCTAssertEqual(datapath.counters.inboundBlocked, 1)
    }

    func testTotalsCountEachPacketOnceAndOutliveRemovedPairs() throws {
        let pair = saPair(filter: labFilter)
        try datapath.install(pair.ours, now: 0)
        datapath.receiveProtected(try fromPeer(ipv4(peer, me, protocolNumber: 1), pair: pair.theirs))
        _ = datapath.send(ipv4(me, peer, protocolNumber: 1))
        var total = datapath.totalStatistics
        XCTAssertEqual([total.packetsReceived, total.packetsSent], [1, 1])
        let bytes = total.confidentialBytesReceived
        XCTAssertGreaterThan(bytes, 0)
        datapath.remove(inboundSPI: 0x1000)
        total = datapath.totalStatistics
        XCTAssertEqual([total.packetsReceived, total.packetsSent, total.confidentialBytesReceived], [1, 1, bytes], "cumulative since start")
    }

    func testUnknownSPIAndGarbageAreCountedNotDelivered() throws {
        var esp = ipv4(peer, me, protocolNumber: 50, payload: [0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 1] + Array(repeating: 7, count: 48))
        datapath.receiveProtected(esp)
        XCTAssertEqual(datapath.sad.statistics.badSPIPackets, 1)
        esp = Array(esp.prefix(23))
        datapath.receiveProtected(esp)
        datapath.receiveClear([0x45, 0, 0])
        XCTAssertNil(datapath.send([0x60]))
        XCTAssertTrue(sink.delivered.isEmpty && sink.transmitted.isEmpty)
        XCTAssertEqual(datapath.counters.malformed, 2, "unparseable clear packets are dropped, fail closed")
    }

    func testFailedNegotiationDropsTheHeldPackets() {
        XCTAssertNotNil(datapath.send(ipv4(me, peer, protocolNumber: 1)))
        _ = datapath.send(ipv4(me, peer, protocolNumber: 1))
        datapath.negotiationFailed(peer: peer)
        XCTAssertEqual(datapath.counters.queueDropped, 2)
        XCTAssertNotNil(datapath.send(ipv4(me, peer, protocolNumber: 1)), "the next packet tries again")
    }

    func testTheHoldQueueIsBounded() {
        datapath.queue.perNegotiationLimit = 3
        for _ in 0..<10 { _ = datapath.send(ipv4(me, peer, protocolNumber: 1)) }
        XCTAssertEqual(datapath.queue.total, 3)
        XCTAssertEqual(datapath.counters.queueDropped, 7, "oldest dropped first, counted")
    }

    func testSoftLifetimeAsksForOneRekeyAndHardLifetimeRemovesThePair() throws {
        let pair = saPair(lifetime: Lifetime(softSeconds: 90, hardSeconds: 100), filter: labFilter)
        try datapath.install(pair.ours, now: 0)
        XCTAssertTrue(datapath.tick(now: 50).rekeys.isEmpty)
        let soft = datapath.tick(now: 91)
        XCTAssertEqual(soft.rekeys, [AcquireRequest(selector: .hosts(me, peer), local: me, peer: peer, filter: labFilter, rekey: true)])
        XCTAssertTrue(datapath.tick(now: 95).rekeys.isEmpty, "asked once")
        XCTAssertEqual(datapath.tick(now: 100).expired, [0x1000])
        XCTAssertTrue(datapath.securityAssociations.isEmpty)
        XCTAssertNil(datapath.sad.lookup(spi: 0x1000, destination: me, securityProtocol: .esp))
    }

    func testTheNewestSAPairCarriesOutboundTrafficAfterARekey() throws {
        try datapath.install(saPair(inboundSPI: 0x1000, outboundSPI: 0x2000, filter: labFilter).ours, now: 0)
        try datapath.install(saPair(inboundSPI: 0x1001, outboundSPI: 0x2001, filter: labFilter).ours, now: 5)
        _ = datapath.send(ipv4(me, peer, protocolNumber: 1), now: 6)
        let spi = sink.transmitted.last.map { UInt32($0.packet[20]) << 24 | UInt32($0.packet[21]) << 16 | UInt32($0.packet[22]) << 8 | UInt32($0.packet[23]) }
        XCTAssertEqual(spi, 0x2001)
        datapath.remove(inboundSPI: 0x1001)
        _ = datapath.send(ipv4(me, peer, protocolNumber: 1), now: 7)
        XCTAssertEqual(sink.transmitted.last?.packet[23], 0x00, "falls back to the older pair (SPI 0x2000) while it lives")
    }

    func testAPolicyChangeThatPermitsOrBlocksTheTrafficRetiresItsSAs() throws {
        try datapath.install(saPair(filter: labFilter).ours, now: 0)
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 1), [], "still negotiated")
        let policy = IPsecPolicy(name: "Open", assigned: true)
        let lab = FilterList(name: "Lab", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!))])
        let permit = FilterAction(name: "Permit", action: .permit, securityMethods: [])
        try datapath.policy.update([PolicySnapshot(store: "local", policy: policy,
                                                   rules: [Rule(policyID: policy.id, name: "Open lab", filterListID: lab.id, filterActionID: permit.id)],
                                                   filterLists: [lab], filterActions: [permit])],
                                   addresses: StaticAddressProvider(local: [me]))
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 1), [0x1000])
        try datapath.policy.update([], addresses: StaticAddressProvider(local: [me]))
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 1), [0x1000], "its filter went away")
        try datapath.install(saPair(inboundSPI: 0x1001, outboundSPI: 0x2001).ours, now: 2)
        XCTAssertEqual(datapath.pairsNoLongerCovered(now: 2), [0x1000], "no filter at all: the default response rule's pair stays")
    }

    func testTunnelRulesNegotiateTheirSubnetsWithTheEndpoint() throws {
        let policy = IPsecPolicy(name: "Tunnel", assigned: true)
        let out = FilterList(name: "Out", filters: [Filter(source: .subnet(Subnet("10.77.1.0/24")!), destination: .subnet(Subnet("10.77.2.0/24")!),
                                                           mirrored: false)])
        let action = FilterAction(name: "Tunnel Secure", action: .negotiate)
        let rule = Rule(policyID: policy.id, name: "Out", filterListID: out.id, filterActionID: action.id, tunnelEndpoint: address("10.77.0.2"))
        let running = RunningPolicy()
        try running.update([PolicySnapshot(store: "local", policy: policy, rules: [rule], filterLists: [out], filterActions: [action])],
                           addresses: StaticAddressProvider(local: [me]))
        datapath = Datapath(policy: running, sink: sink, sourceAddress: { $0 == address("10.77.0.2") ? address("10.77.0.1") : nil })
        let request = datapath.send(ipv4(me, outsider, protocolNumber: 1))
        XCTAssertEqual(request, AcquireRequest(selector: TrafficSelector(local: Subnet("10.77.1.0/24")!, remote: Subnet("10.77.2.0/24")!),
                                               local: address("10.77.0.1"), peer: address("10.77.0.2"), filter: running.decider.table.filters[0].identity),
                       "IKE speaks from the address that routes to the endpoint, not the inner source")
    }
}
