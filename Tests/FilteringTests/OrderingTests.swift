import Filtering
import Packet
import Policy
import XCTest

/// The documented guarantees of the ordering (reference e.2): most specific wins whatever the
/// order of entry, and ties go block > permit > negotiate, persistent before local.
final class OrderingTests: XCTestCase {
    func verdict(_ builder: PolicyBuilder, _ packet: PacketSelector, _ direction: Direction = .outbound) throws -> (Verdict, String?) {
        var d = try decider([builder.snapshot()])
        let decision = d.decide(packet, direction: direction)
        return (decision.verdict, decision.rank.map { d.table.filters[$0].origin.rule.name })
    }

    func testHostBeatsSubnetBeatsAnyInEitherEntryOrder() throws {
        for reversed in [false, true] {
            var b = PolicyBuilder()
            var entries: [(String, FilterAddress, FilterAction.Action)] = [
                ("any", .any, .negotiate), ("subnet", subnet("10.77.2.0/24"), .block), ("host", subnet("10.77.2.9"), .permit),
            ]
            if reversed { entries.reverse() }
            for (name, destination, action) in entries {
                b.rule(name, [Filter(source: .me, destination: destination, mirrored: false)], action: action)
            }
            XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.2.9"))).1, "host")
            XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.2.8"))).1, "subnet")
            XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.3.8"))).1, "any")
        }
    }

    func testPortAndProtocolBeatAnyAndSourceWeighsFirst() throws {
        var b = PolicyBuilder()
        b.rule("all tcp", [Filter(source: .me, destination: subnet("10.77.2.0/24"), protocolSelector: .tcp, mirrored: false)], action: .negotiate)
        b.rule("web", [Filter(source: .me, destination: subnet("10.77.2.0/24"), protocolSelector: .tcp, destinationPort: 80, mirrored: false)], action: .permit)
        b.rule("everything", [Filter(source: .me, destination: subnet("10.77.2.0/24"), mirrored: false)], action: .block)
        b.rule("to host", [Filter(source: .any, destination: subnet("10.77.2.5"), mirrored: false)], action: .permit)
        XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.2.7"), 1, 80)).1, "web")
        XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.2.7"), 1, 443)).1, "all tcp")
        XCTAssertEqual(try verdict(b, PacketSelector(source: me4, destination: address("10.77.2.7"), protocolNumber: 1)).1, "everything")
        // Source /32 (me) outweighs destination /32 with source any.
        XCTAssertEqual(try verdict(b, tcp(me4, address("10.77.2.5"), 1, 443)).1, "all tcp")
    }

    func testTiesGoBlockPermitNegotiateAndPersistentFirst() throws {
        var b = PolicyBuilder()
        b.rule("a-negotiate", [Filter(source: .me, destination: .any, mirrored: false)], action: .negotiate)
        b.rule("b-permit", [Filter(source: .me, destination: .any, mirrored: false)], action: .permit)
        b.rule("c-block", [Filter(source: .me, destination: .any, mirrored: false)], action: .block)
        XCTAssertEqual(try verdict(b, tcp(me4, address("192.0.2.1"))).0, .block)
        var persistent = PolicyBuilder()
        persistent.rule("boot", [Filter(source: .me, destination: subnet("192.0.2.1"), mirrored: false)], action: .negotiate)
        var local = PolicyBuilder()
        local.rule("local", [Filter(source: .me, destination: subnet("192.0.2.1"), mirrored: false)], action: .negotiate)
        var d = try decider([persistent.snapshot("persistent"), local.snapshot("local")])
        let decision = d.decide(tcp(me4, address("192.0.2.1")), direction: .outbound)
        XCTAssertEqual(d.table.filters[decision.rank!].origin.store, "persistent")
    }

    func testMirroredMeDynamicAndIPv6Expansion() throws {
        var b = PolicyBuilder()
        b.rule("dns", [Filter(source: .me, destination: .server(.dns), protocolSelector: .udp, destinationPort: 53)], action: .permit)
        b.rule("gateway", [Filter(source: .me, destination: .server(.gateway), protocolSelector: .icmp)], action: .block)
        b.rule("lab6", [Filter(source: .me, destination: subnet("fd77::/16"))], action: .negotiate)
        var d = try decider([b.snapshot()])
        // Mirrored: the reply from the DNS server matches the reverse filter.
        let reply = PacketSelector(source: address("10.77.0.53"), destination: me4, protocolNumber: 17, sourcePort: 53, destinationPort: 5555)
        XCTAssertEqual(d.decide(reply, direction: .inbound).verdict, .permit)
        XCTAssertEqual(d.decide(PacketSelector(source: me4, destination: address("10.77.0.1"), protocolNumber: 1), direction: .outbound).verdict, .block)
        XCTAssertEqual(d.decide(tcp(me6, address("fd77::9")), direction: .outbound).verdict, .negotiate)
        XCTAssertEqual(d.decide(tcp(address("fd77::9"), me6), direction: .inbound).verdict, .block, "clear inbound where IPsec is required")
        XCTAssertEqual(d.decide(tcp(address("fd77::9"), me6), direction: .inbound, protected: true).verdict, .permit)
        // Each `me` address × each family-matching destination × 2 directions.
        XCTAssertEqual(d.table.filters.filter { $0.origin.rule.name == "lab6" }.count, 2)
        // A provider without a DNS server: the dynamic filter matches nothing.
        let bare = StaticAddressProvider(local: [me4])
        XCTAssertTrue(try FilterCompiler.compile([b.snapshot()], addresses: bare).allSatisfy { $0.origin.rule.name != "dns" })
    }

    func testConnectionTypesAndTunnels() throws {
        var b = PolicyBuilder()
        b.rule("lan only", [Filter(source: .me, destination: .any, mirrored: false)], action: .block, connection: .lan)
        b.rule("tunnel", [Filter(source: subnet("10.77.1.0/24"), destination: subnet("10.77.100.0/24"), mirrored: false)],
               action: .negotiate, tunnel: address("10.77.100.1"))
        var d = try decider([b.snapshot()])
        XCTAssertEqual(d.decide(tcp(me4, address("192.0.2.1")), direction: .outbound, interface: .lan).verdict, .block)
        XCTAssertEqual(d.decide(tcp(me4, address("192.0.2.1")), direction: .outbound, interface: .dialup).verdict, .permit)
        let decision = d.decide(tcp(address("10.77.1.20"), address("10.77.100.7")), direction: .outbound)
        XCTAssertEqual(decision.verdict, .negotiate)
        XCTAssertEqual(d.table.filters[decision.rank!].tunnelEndpoint, address("10.77.100.1"))
    }

    func testCompileRejectsDegenerateFiltersNamingRuleAndFilter() {
        var b = PolicyBuilder()
        b.rule("bad", [Filter(source: .me, destination: .any, protocolSelector: .icmp, destinationPort: 80)], action: .permit)
        XCTAssertThrowsError(try FilterCompiler.compile([b.snapshot()], addresses: localMachine)) { error in
            XCTAssertTrue("\(error)".contains("rule 'bad', filter list 'bad list' filter 1"), "\(error)")
        }
        var t = PolicyBuilder()
        t.rule("mirrored tunnel", [Filter(source: .any, destination: .any, mirrored: true)], action: .negotiate, tunnel: address("10.77.0.9"))
        XCTAssertThrowsError(try FilterCompiler.compile([t.snapshot()], addresses: localMachine)) { error in
            XCTAssertTrue("\(error)".contains("mirrored filter cannot describe a tunnel"))
        }
    }
}
