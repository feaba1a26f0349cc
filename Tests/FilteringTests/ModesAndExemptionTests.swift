import Filtering
import Packet
import Policy
import XCTest

final class ModesAndExemptionTests: XCTestCase {
    func requireEverything() -> PolicyBuilder {
        var b = PolicyBuilder()
        b.rule("all", [Filter(source: .me, destination: .any)], action: .negotiate)
        return b
    }

    func testExemptionLevels() throws {
        let ike = PacketSelector(source: me4, destination: address("192.0.2.1"), protocolNumber: 17, sourcePort: 500, destinationPort: 500)
        let natT = PacketSelector(source: me4, destination: address("192.0.2.1"), protocolNumber: 17, sourcePort: 4500, destinationPort: 4500)
        let kerberos = tcp(address("192.0.2.1"), me4, 88, 1234)
        let rsvp = PacketSelector(source: me4, destination: address("192.0.2.1"), protocolNumber: 46)
        let multicast = PacketSelector(source: me4, destination: address("224.0.0.251"), protocolNumber: 17, sourcePort: 5353, destinationPort: 5353)
        let broadcast = PacketSelector(source: me4, destination: address("10.77.255.255"), protocolNumber: 17, sourcePort: 137, destinationPort: 137)
        let expected: [Int: [Bool]] = [  // ike, natT, kerberos, rsvp, multicast, broadcast exempt?
            0: [true, true, true, true, true, true], 1: [true, true, false, false, true, true],
            2: [true, true, true, true, false, false], 3: [true, true, false, false, false, false],
        ]
        for (level, exempt) in expected {
            let exemptions = try Exemptions(level: level)
            for (packet, wanted) in zip([ike, natT, kerberos, rsvp, multicast, broadcast], exempt) {
                XCTAssertEqual(exemptions.reason(packet, broadcast: [address("10.77.255.255")]) != nil, wanted, "level \(level) \(packet)")
            }
        }
        XCTAssertThrowsError(try Exemptions(level: 4))
        // With the default (3), Require Security on all traffic still lets IKE through.
        var d = try decider([requireEverything().snapshot()])
        XCTAssertEqual(d.decide(ike, direction: .outbound).verdict, .permit)
        XCTAssertEqual(d.decide(kerberos, direction: .inbound).verdict, .block, "Kerberos is not exempt in 2003")
        XCTAssertEqual(d.decide(multicast, direction: .outbound).verdict, .block, "multicast cannot be secured")
    }

    func testInboundPassthroughAndSoftAssociations() throws {
        var b = PolicyBuilder()
        b.rule("require", [Filter(source: .me, destination: subnet("10.77.2.0/24"))], action: .negotiate, inpass: true)
        b.rule("request", [Filter(source: .me, destination: subnet("10.77.3.0/24"))], action: .negotiate, soft: true)
        var d = try decider([b.snapshot()])
        XCTAssertEqual(d.decide(tcp(address("10.77.2.5"), me4), direction: .inbound).verdict, .permit, "inpass accepts clear inbound")
        XCTAssertEqual(d.decide(tcp(me4, address("10.77.2.5")), direction: .outbound).verdict, .negotiate, "but replies are secured")
        let peer = address("10.77.3.5")
        XCTAssertEqual(d.decide(tcp(me4, peer), direction: .outbound, now: 0).verdict, .negotiate)
        d.softAssociations.negotiationStarted(with: peer, now: 0)
        XCTAssertEqual(d.decide(tcp(me4, peer), direction: .outbound, now: 2.9).verdict, .negotiate, "3-second rule")
        XCTAssertEqual(d.decide(tcp(me4, peer), direction: .outbound, now: 3.0).verdict, .permit, "fallback to clear")
        XCTAssertEqual(d.decide(tcp(peer, me4), direction: .inbound, now: 10).verdict, .permit)
        XCTAssertEqual(d.softAssociations.count, 1)
        XCTAssertEqual(d.decide(tcp(me4, peer), direction: .outbound, now: 400).verdict, .negotiate, "idle soft association expired")
        // A peer that answers IKE never falls back.
        let answering = address("10.77.3.6")
        d.softAssociations.negotiationStarted(with: answering, now: 0)
        d.softAssociations.peerAnswered(answering)
        XCTAssertEqual(d.decide(tcp(me4, answering), direction: .outbound, now: 10).verdict, .negotiate)
    }

    func testBootModes() throws {
        let out = tcp(me4, address("192.0.2.1"), 40000, 443)
        let reply = tcp(address("192.0.2.1"), me4, 443, 40000)
        let stranger = tcp(address("192.0.2.9"), me4, 5555, 22)
        let rdp = tcp(address("192.0.2.9"), me4, 5555, 3389)
        let dhcp = PacketSelector(source: address("0.0.0.0"), destination: address("255.255.255.255"), protocolNumber: 17, sourcePort: 68, destinationPort: 67)
        var stateful = StartupFilter(mode: .stateful, exemptions: [try BootExemption(netsh: "tcp:0:3389:inbound")])
        XCTAssertEqual(stateful.decide(reply, direction: .inbound).verdict, .block, "no flow yet")
        XCTAssertEqual(stateful.decide(out, direction: .outbound).verdict, .permit)
        XCTAssertEqual(stateful.decide(reply, direction: .inbound).verdict, .permit)
        XCTAssertEqual(stateful.decide(stranger, direction: .inbound).verdict, .block)
        XCTAssertEqual(stateful.decide(rdp, direction: .inbound).verdict, .permit, "boot exemption")
        XCTAssertEqual(stateful.decide(dhcp, direction: .outbound).verdict, .permit)
        var block = StartupFilter(mode: .block)
        XCTAssertEqual(block.decide(out, direction: .outbound).verdict, .block)
        XCTAssertEqual(block.decide(dhcp, direction: .inbound).verdict, .permit, "DHCP always")
        var permit = StartupFilter(mode: .permit)
        XCTAssertEqual(permit.decide(stranger, direction: .inbound).verdict, .permit)
        for bad in ["tcp:0:3389", "gre:1:2:inbound", "icmp:1:0:inbound", "tcp:0:99999:inbound", "tcp:0:22:sideways"] {
            XCTAssertThrowsError(try BootExemption(netsh: bad), bad)
        }
    }

    func testPredefinedPoliciesDecideAsWindowsDoes() throws {
        let predefined = PredefinedObjects(now: .init(timeIntervalSince1970: 0))
        func snapshot(_ id: UUID) -> PolicySnapshot {
            let policy = predefined.policies.first { $0.id == id }!
            return PolicySnapshot(store: "local", policy: policy, rules: predefined.rules.filter { $0.policyID == id },
                                  filterLists: predefined.filterLists, filterActions: predefined.filterActions)
        }
        let web = tcp(me4, address("192.0.2.1"), 40000, 80)
        let ping = PacketSelector(source: me4, destination: address("192.0.2.1"), protocolNumber: 1)
        let clearIn = tcp(address("192.0.2.1"), me4, 40000, 445)
        // Client (Respond Only): no filters; everything in the clear.
        var client = try decider([snapshot(PredefinedObjects.ID.clientRespondOnly)])
        XCTAssertEqual(client.decide(web, direction: .outbound).verdict, .permit)
        // Server (Request Security): asks for IPsec, accepts clear inbound, ICMP permitted.
        var server = try decider([snapshot(PredefinedObjects.ID.serverRequestSecurity)])
        XCTAssertEqual(server.decide(web, direction: .outbound).verdict, .negotiate)
        XCTAssertEqual(server.decide(ping, direction: .outbound).verdict, .permit)
        XCTAssertEqual(server.decide(clearIn, direction: .inbound).verdict, .permit)
        // Secure Server (Require Security): negotiates, accepts the first clear inbound packet
        // (inpass) and answers secured, ICMP permitted.
        var secure = try decider([snapshot(PredefinedObjects.ID.secureServerRequireSecurity)])
        XCTAssertEqual(secure.decide(web, direction: .outbound).verdict, .negotiate)
        XCTAssertEqual(secure.decide(ping, direction: .outbound).verdict, .permit)
        XCTAssertEqual(secure.decide(clearIn, direction: .inbound).verdict, .permit)
        secure.softAssociations.negotiationStarted(with: address("192.0.2.1"), now: 0)
        XCTAssertEqual(secure.decide(web, direction: .outbound, now: 10).verdict, .negotiate, "Require Security never falls back")
    }
}
