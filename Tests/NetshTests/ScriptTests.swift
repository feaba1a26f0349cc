import Foundation
import Netsh
import Packet
import Policy
import PolicyStore
import XCTest

/// The server isolation example (40+ commands) must produce exactly the objects it describes.
final class ScriptTests: XCTestCase {
    static var isolationScript: String {
        get throws {
            try String(contentsOf: NetshHarness.repositoryRoot.appendingPathComponent("examples/server-isolation.txt"), encoding: .utf8)
        }
    }

    func testServerIsolationScriptProducesTheExpectedObjects() throws {
        let h = try NetshHarness(self)
        let script = try Self.isolationScript
        let commands = script.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertGreaterThanOrEqual(commands.count, 30)
        try h.runScript(script)
        XCTAssertEqual(h.session.context, [], "the script's pushd/popd leave the context as it was")

        try h.read { t in
            XCTAssertEqual(try t.policies().count, 4, "three predefined + Server Isolation")
            XCTAssertEqual(try t.filterLists().count, 2 + 7)
            XCTAssertEqual(try t.filterActions().count, 3 + 4)
            let policy = try t.requirePolicy(named: "Server Isolation")
            XCTAssertTrue(policy.assigned)
            XCTAssertEqual(try t.assignedPolicy()?.id, policy.id)
            XCTAssertEqual(policy.pollingIntervalMinutes, 60)
            XCTAssertEqual(policy.isakmp.quickModesPerMainMode, 5)
            XCTAssertEqual(policy.isakmp.lifetimeMinutes, 240)
            XCTAssertEqual(policy.isakmp.securityMethods, [.init(.aes256, .sha256, .modp2048), .init(.tripleDES, .sha1, .modp1024), .init(.tripleDES, .sha1, .modp2048)])
            XCTAssertFalse(policy.defaultResponseRule.active)

            let rules = try t.rules(ofPolicy: policy.id)
            XCTAssertEqual(rules.map(\.name), ["Isolation", "Infrastructure", "Domain Controllers", "Block Telnet", "Web Integrity", "Branch to HQ", "HQ to Branch"])
            XCTAssertEqual(rules[0].authenticationMethods, [
                .kerberos, .certificate(.init(name: "CN=Ward Lab Root, O=Ward")), .preSharedKey("lab-only-secret"),
            ])
            XCTAssertEqual(rules[3].connectionType, .lan)
            XCTAssertEqual(rules[4].authenticationMethods, [.certificate(.init(name: "CN=Ward Lab Root, O=Ward", certificateMapping: true, excludeCAName: true))])
            XCTAssertEqual(rules[5].tunnelEndpoint, IPAddress("10.77.100.1"))
            XCTAssertEqual(rules[6].tunnelEndpoint, IPAddress("10.77.1.1"))
            XCTAssertEqual(rules.filter(\.isTunnel).count, 2)

            let isolation = try XCTUnwrap(try t.filterList(named: "Isolation Domain"))
            XCTAssertEqual(isolation.filters.map(\.destination), [.subnet(Subnet("10.77.0.0/16")!), .subnet(Subnet("fd77::/16")!)])
            XCTAssertTrue(isolation.filters.allSatisfy { $0.source == .me && $0.mirrored })
            let infrastructure = try XCTUnwrap(try t.filterList(named: "Infrastructure"))
            XCTAssertEqual(infrastructure.filters.map(\.destination), [.server(.dns), .server(.dns), .server(.wins), .server(.dhcp), .server(.gateway)])
            XCTAssertEqual(infrastructure.filters.map(\.protocolSelector), [.udp, .tcp, .any, .udp, .icmp])
            XCTAssertEqual(infrastructure.filters[3].sourcePort, 68)
            XCTAssertEqual(infrastructure.filters[3].destinationPort, 67)
            let telnet = try XCTUnwrap(try t.filterList(named: "Telnet and NetBIOS"))
            XCTAssertEqual(telnet.filters.map(\.destinationPort), [23, 139])
            XCTAssertTrue(telnet.filters.allSatisfy { $0.source == .any && $0.destination == .me && !$0.mirrored })
            let branch = try XCTUnwrap(try t.filterList(named: "Branch to HQ"))
            XCTAssertEqual(branch.filters.first?.source, .subnet(Subnet("10.77.1.0/24")!))

            let secure = try XCTUnwrap(try t.filterAction(named: "Isolation Secure"))
            XCTAssertTrue(secure.quickModePFS)
            XCTAssertEqual(secure.securityMethods.map(\.description),
                           ["ESP[AES-GCM256,None]:100000k/3600s", "ESP[AES256,SHA256]:100000k/3600s", "ESP[3DES,SHA1]:50000k/1800s"])
            XCTAssertEqual(try t.filterAction(named: "Block")?.action, .block)
            XCTAssertEqual(try t.filterAction(named: "Integrity Only")?.securityMethods.map(\.description),
                           ["ESP[None,SHA1]:100000k/3600s", "AH[SHA1]:100000k/7200s"])
            XCTAssertEqual(try t.filterAction(named: "Tunnel Secure")?.securityMethods.last?.description, "AH[SHA256]+ESP[AES128,None]:20480k/3600s")
        }
        try h.read(.persistent) { t in
            XCTAssertEqual(try t.assignedPolicy()?.name, "Boot Safety")
            XCTAssertEqual(try t.filterLists().map(\.name), ["Management"])
            XCTAssertEqual(try t.filterActions().map(\.name), ["Permit"])
        }
    }

    func testScriptErrorDiscardsTheBatch() throws {
        let h = try NetshHarness(self)
        let before = try h.snapshot()
        let script = """
            ipsec static set batch mode=enable
            ipsec static add filterlist name=One
            ipsec static add filter filterlist=One srcaddr=me dstaddr=any
            ipsec static add rule name=R policy=Missing filterlist=One filteraction=Permit
            ipsec static add filterlist name=Never
            """
        XCTAssertThrowsError(try h.runScript(script)) { error in
            XCTAssertEqual((error as? NetshError)?.message, "line 4: policy 'Missing' does not exist in the local store")
        }
        XCTAssertEqual(try h.snapshot(), before)
    }
}
