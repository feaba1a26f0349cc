import Filtering
import Foundation
import Netsh
import Packet
import Policy
import PolicyStore
import XCTest

/// A netsh script → the store → compiled table → decisions for typical traffic.
final class EndToEndTests: XCTestCase {
    func testServerIsolationScriptDecidesTrafficAsWritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-filtering-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try PolicyDatabase(path: directory.appendingPathComponent("p.db").path)
        let session = NetshSession(resolver: StaticNameResolver([:]), openDatabase: { () throws(StoreError) in database })
        let script = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/server-isolation.txt"), encoding: .utf8)
        session.discardsBatchOnError = true
        for line in script.split(separator: "\n") { _ = try session.execute(String(line)) }
        try session.finish()

        // Persistent first, then the assigned local policy (reference e.1).
        var snapshots: [PolicySnapshot] = []
        for location in [StoreLocation.persistent, .local] {
            try database.read(location) { t in
                guard let policy = try t.assignedPolicy() else { return }
                snapshots.append(PolicySnapshot(store: location.rawValue, policy: policy, rules: try t.rules(ofPolicy: policy.id),
                                                filterLists: try t.filterLists(), filterActions: try t.filterActions()))
            }
        }
        XCTAssertEqual(snapshots.map(\.policy.name), ["Boot Safety", "Server Isolation"])
        let machine = StaticAddressProvider(local: [address("10.77.1.1"), address("fd77::1")], servers: [
            .dns: [address("10.77.0.53")], .wins: [address("10.77.0.44")], .dhcp: [address("10.77.0.67")], .gateway: [address("10.77.0.1")],
        ])
        var decider = PolicyDecider(table: FilterTable(try FilterCompiler.compile(snapshots, addresses: machine)))
        let me = address("10.77.1.1")
        let cases: [(String, PacketSelector, Direction, Verdict)] = [
            ("lab peer, TCP", tcp(me, address("10.77.5.5"), 40000, 445), .outbound, .negotiate),
            ("lab peer over IPv6", tcp(address("fd77::1"), address("fd77::5"), 40000, 22), .outbound, .negotiate),
            ("clear inbound from the lab", tcp(address("10.77.5.5"), me, 40000, 445), .inbound, .block),
            ("DNS query", PacketSelector(source: me, destination: address("10.77.0.53"), protocolNumber: 17, sourcePort: 5353, destinationPort: 53), .outbound, .permit),
            ("DNS over TCP", tcp(me, address("10.77.0.53"), 40000, 53), .outbound, .permit),
            ("domain controller", tcp(me, address("10.77.0.10"), 40000, 88), .outbound, .permit),
            ("telnet from anywhere", tcp(address("192.0.2.7"), me, 40000, 23), .inbound, .block),
            ("HTTPS reply to anyone", tcp(me, address("192.0.2.7"), 443, 50000), .outbound, .negotiate),
            ("branch to HQ tunnel", tcp(address("10.77.1.20"), address("10.77.100.9"), 40000, 80), .outbound, .negotiate),
            ("SSH from the management station (persistent)", tcp(address("10.77.0.5"), me, 50000, 22), .inbound, .permit),
            ("IKE", PacketSelector(source: me, destination: address("10.77.5.5"), protocolNumber: 17, sourcePort: 500, destinationPort: 500), .outbound, .permit),
            ("Internet, no rule", tcp(me, address("192.0.2.7"), 40000, 80), .outbound, .permit),
        ]
        for (name, packet, direction, expected) in cases {
            let decision = decider.decide(packet, direction: direction)
            XCTAssertEqual(decision.verdict, expected, "\(name): \(decision.reason)")
        }
        let tunnel = decider.decide(tcp(address("10.77.1.20"), address("10.77.100.9"), 40000, 80), direction: .outbound)
        XCTAssertEqual(decider.table.filters[tunnel.rank!].tunnelEndpoint, address("10.77.100.1"))
        let ssh = decider.decide(tcp(address("10.77.0.5"), me, 50000, 22), direction: .inbound)
        XCTAssertEqual(decider.table.filters[ssh.rank!].origin.store, "persistent", "persistent policy wins over the isolation rule")

        // The explanation names the rule, list and filter, and the nearest losers.
        let explanation = decider.explain(tcp(address("192.0.2.7"), me, 40000, 23), direction: .inbound)
        let text = explanation.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("Decision    : BLOCK"), text)
        XCTAssertTrue(text.contains("Rule        : Block Telnet"), text)
        XCTAssertTrue(text.contains("Filter List : Telnet and NetBIOS"), text)
        XCTAssertTrue(text.contains("Nearest other filters:"), text)
        XCTAssertEqual(explanation.candidates.count, 3)
    }
}
