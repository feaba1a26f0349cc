import Foundation
import Netsh
import Packet
import Policy
import XCTest

final class RuleCommandTests: XCTestCase {
    func prepared() throws -> NetshHarness {
        let h = try NetshHarness(self)
        h.run("ipsec static", "add policy name=P", "add filter filterlist=Web srcaddr=me dstaddr=any protocol=TCP srcport=443",
              "add filter filterlist=Tun srcaddr=10.77.1.0/24 dstaddr=10.77.100.0/24 mirrored=no")
        return h
    }

    func testAddRuleDefaultsAndAuthenticationOrder() throws {
        let h = try prepared()
        h.run("add rule name=R1 policy=P filterlist=Web filteraction=\"Require Security\"")
        h.run(#"add rule name=R2 policy=P filterlist=Web filteraction=Permit rootca="CN=Second certmap:yes excludecaname:no" psk="shh" kerberos=yes rootca="CN=Fourth""#)
        h.run("add rule R3 P Tun Permit hq-gw.lab.example lan no \"tunnel out\" kerberos=no psk=k")
        let rules = try h.read { try $0.rules(ofPolicy: $0.requirePolicy(named: "P").id) }
        XCTAssertEqual(rules.map(\.name), ["R1", "R2", "R3"])
        XCTAssertEqual(rules[0].authenticationMethods, [.kerberos], "no method given: Kerberos")
        XCTAssertNil(rules[0].tunnelEndpoint)
        XCTAssertEqual(rules[0].connectionType, .all)
        XCTAssertTrue(rules[0].active)
        XCTAssertEqual(rules[1].authenticationMethods, [
            .certificate(.init(name: "CN=Second", certificateMapping: true)), .preSharedKey("shh"), .kerberos,
            .certificate(.init(name: "CN=Fourth")),
        ], "command-line order is preference order")
        XCTAssertEqual(rules[2].tunnelEndpoint, IPAddress("10.77.100.1"), "DNS name resolved when the command runs")
        XCTAssertEqual(rules[2].connectionType, .lan)
        XCTAssertFalse(rules[2].active)
        XCTAssertEqual(rules[2].description, "tunnel out")
        XCTAssertEqual(rules[2].authenticationMethods, [.preSharedKey("k")])
    }

    func testAddRuleErrors() throws {
        let h = try prepared()
        h.fails("add rule name=R policy=Nope filterlist=Web filteraction=Permit", "policy 'Nope' does not exist")
        h.fails("add rule name=R policy=P filterlist=Nope filteraction=Permit", "filter list 'Nope' does not exist")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Nope", "filter action 'Nope' does not exist")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit tunnel=10.77.0.1", "has a mirrored filter")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit tunnel=nowhere.example", "tunnel: 'nowhere.example' does not resolve")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit tunnel=10.1.2", "tunnel: '10.1.2' is not an IP address")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit conntype=wifi", "conntype: 'wifi' is not one of lan, dialup, all")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit kerberos=no", "kerberos=no leaves no authentication method")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit psk=\"\"", "psk: must not be empty")
        h.fails("add rule name=R policy=P filterlist=Web filteraction=Permit psk=a psk=b", "psk is given twice")
        h.fails(#"add rule name=R policy=P filterlist=Web filteraction=Permit rootca="CN=A" rootca="cn=a""#, "listed twice")
        h.fails("add rule name=all policy=P filterlist=Web filteraction=Permit", "'all' is reserved")
        h.run("add rule name=R policy=P filterlist=Web filteraction=Permit")
        h.fails("add rule name=r policy=P filterlist=Web filteraction=Permit", "rule 'r' already exists")
        h.run("add rule name=r policy=\"Server (Request Security)\" filterlist=Web filteraction=Permit")  // names are per policy
    }

    func testSetAndDeleteRuleByNameAndId() throws {
        let h = try prepared()
        h.run("add rule name=A policy=P filterlist=Web filteraction=Permit",
              "add rule name=B policy=P filterlist=Tun filteraction=Permit tunnel=10.77.100.1",
              "add rule name=C policy=P filterlist=Web filteraction=Permit psk=x")
        h.run("set rule id=2 policy=P tunnel=none newname=B2 activate=no")
        h.run(#"set rule name=C policy=P rootca="CN=Only" filteraction="Require Security" description="now certs""#)
        var rules = try h.read { try $0.rules(ofPolicy: $0.requirePolicy(named: "P").id) }
        XCTAssertEqual(rules[1].name, "B2")
        XCTAssertNil(rules[1].tunnelEndpoint)
        XCTAssertFalse(rules[1].active)
        XCTAssertEqual(rules[2].authenticationMethods, [.certificate(.init(name: "CN=Only"))], "auth replaces the whole list")
        XCTAssertEqual(rules[2].filterActionID, PredefinedObjects.ID.requireSecurity)
        h.fails("set rule id=9 policy=P activate=yes", "id: policy 'P' has 3 rules; no rule 9")
        h.fails("set rule id=0 policy=P activate=yes", "id: 0 is out of range")
        h.fails("set rule name=Z policy=P activate=yes", "rule 'Z' in policy 'P' does not exist")
        h.fails("set rule name=A activate=yes", "policy= is required")
        h.fails("set rule name=A policy=P newname=c", "rule 'c' already exists")
        h.fails("set rule name=A policy=P tunnel=10.77.0.9", "has a mirrored filter")
        h.run("delete rule id=1 policy=P")
        rules = try h.read { try $0.rules(ofPolicy: $0.requirePolicy(named: "P").id) }
        XCTAssertEqual(rules.map(\.name), ["B2", "C"], "ids follow show order and close up after a delete")
        h.run("delete rule name=c policy=P")
        h.run("delete rule all policy=P")
        XCTAssertTrue(try h.read { try $0.rules(ofPolicy: $0.requirePolicy(named: "P").id) }.isEmpty)
        let policy = try h.read { try $0.requirePolicy(named: "P") }
        XCTAssertTrue(policy.defaultResponseRule.active, "delete rule all keeps the default response rule")
    }

    func testSetDefaultRule() throws {
        let h = try prepared()
        h.run(#"set defaultrule policy=P qmpfs=yes activate=no qmsec="ESP[AES256,SHA256]" psk=abc kerberos=yes"#)
        let rule = try h.read { try $0.requirePolicy(named: "P").defaultResponseRule }
        XCTAssertTrue(rule.quickModePFS)
        XCTAssertFalse(rule.active)
        XCTAssertEqual(rule.securityMethods.map(\.description), ["ESP[AES256,SHA256]:100000k/3600s"])
        XCTAssertEqual(rule.authenticationMethods, [.preSharedKey("abc"), .kerberos])
        h.fails("set defaultrule policy=P action=block", "unknown tag 'action'")
        h.fails("set defaultrule policy=Nope activate=yes", "policy 'Nope' does not exist")
    }

    func testBatchCommands() throws {
        let h = try prepared()
        h.run("set batch mode=enable", "add filterlist name=InBatch")
        XCTAssertTrue(h.session.inBatch)
        h.fails("set batch mode=enable", "batch mode is already enabled")
        h.run("set batch mode=disable")
        XCTAssertFalse(h.session.inBatch)
        XCTAssertNotNil(try h.read { try $0.filterList(named: "InBatch") })
        h.fails("set batch mode=disable", "batch mode is not enabled")
        h.fails("set batch mode=sometimes", "mode: 'sometimes' is not enable or disable")
        h.run("set batch mode=enable", "add filterlist name=Discarded")
        h.session.abandon()
        XCTAssertNil(try h.read { try $0.filterList(named: "Discarded") })
    }
}
