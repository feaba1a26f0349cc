import Foundation
import Netsh
import Policy
import XCTest

final class PolicyCommandTests: XCTestCase {
    func testAddPolicyDefaults() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static add policy name=P")
        let policy = try h.read { try $0.requirePolicy(named: "P") }
        XCTAssertEqual(policy.pollingIntervalMinutes, 180)
        XCTAssertFalse(policy.assigned)
        XCTAssertEqual(policy.isakmp.lifetimeMinutes, 480)
        XCTAssertEqual(policy.isakmp.quickModesPerMainMode, 0)
        XCTAssertFalse(policy.isakmp.masterKeyPFS)
        XCTAssertEqual(policy.isakmp.securityMethods, MainModeSecurityMethod.defaults)
        XCTAssertTrue(policy.defaultResponseRule.active)
        XCTAssertEqual(policy.defaultResponseRule.authenticationMethods, [.kerberos])
    }

    func testAddPolicyEveryParameterPositionalAndAbbreviated() throws {
        let h = try NetshHarness(self)
        h.run(#"ipsec static add policy "Web Servers" "Front end" NO 3 600 n 60 Y mmsec="AES128-SHA1-14 3des-md5-1""#)
        let policy = try h.read { try $0.requirePolicy(named: "web servers") }
        XCTAssertEqual(policy.name, "Web Servers")
        XCTAssertEqual(policy.description, "Front end")
        XCTAssertEqual(policy.isakmp.quickModesPerMainMode, 3)
        XCTAssertEqual(policy.isakmp.lifetimeMinutes, 600)
        XCTAssertFalse(policy.defaultResponseRule.active)
        XCTAssertEqual(policy.pollingIntervalMinutes, 60)
        XCTAssertTrue(policy.assigned)
        XCTAssertEqual(policy.isakmp.securityMethods.map(\.description), ["AES128-SHA1-3", "3DES-MD5-1"])
    }

    func testMasterPFSForcesOneQuickModeWithAWarning() throws {
        let h = try NetshHarness(self)
        let output = try h.output("ipsec static add policy name=P mmpfs=yes qmpermm=4")
        XCTAssertEqual(output.warnings, ["qmpermm=4 ignored: master key PFS (mmpfs=yes) means one quick mode per main mode"])
        XCTAssertEqual(try h.read { try $0.requirePolicy(named: "P").isakmp.quickModesPerMainMode }, 1)
    }

    func testAddPolicyErrors() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static add policy name=P")
        h.fails("ipsec static add policy name=p", "policy 'p' already exists in the local store")
        h.fails("ipsec static add policy name=all", "'all' is reserved")
        h.fails("ipsec static add policy name=Q mmpfs=maybe", "mmpfs: 'maybe' is not yes or no")
        h.fails("ipsec static add policy name=Q mmlifetime=4", "mmlifetime: 4 is out of range; allowed 5-2879 minutes")
        h.fails("ipsec static add policy name=Q mmlifetime=ten", "mmlifetime: 'ten' is not a whole number")
        h.fails("ipsec static add policy name=Q pollinginterval=1", "pollinginterval: 1 is out of range")
        h.fails("ipsec static add policy name=Q mmsecmethods=3DES-SHA1-9", "not a Diffie-Hellman group")
        h.fails("ipsec static add policy name=Q qmpermm=-1", "qmpermm: '-1' is not a whole number")
    }

    func testSetPolicyByNameAndGuid() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static add policy name=P", "ipsec static add policy name=Q assign=yes")
        h.run("ipsec static set policy name=P newname=Renamed description=\"new text\" assign=yes mmlifetime=60")
        let renamed = try h.read { try $0.requirePolicy(named: "Renamed") }
        XCTAssertEqual(renamed.description, "new text")
        XCTAssertTrue(renamed.assigned)
        XCTAssertEqual(renamed.isakmp.lifetimeMinutes, 60)
        XCTAssertEqual(renamed.pollingIntervalMinutes, 180, "omitted parameters keep their value")
        XCTAssertFalse(try h.read { try $0.requirePolicy(named: "Q").assigned }, "assigning one unassigns the other")
        h.run("ipsec static set policy guid={\(renamed.id.uuidString)} assign=no")
        XCTAssertNil(try h.read { try $0.assignedPolicy() })
        h.fails("ipsec static set policy name=Renamed newname=q", "policy 'q' already exists")
        h.fails("ipsec static set policy name=Nope assign=yes", "policy 'Nope' does not exist in the local store")
        h.fails("ipsec static set policy guid=xyz", "guid: 'xyz' is not a GUID")
        h.fails("ipsec static set policy guid={00000000-0000-0000-0000-000000000000}", "does not exist")
        h.fails("ipsec static set policy name=Q guid={00000000-0000-0000-0000-000000000000}", "give only one of name, guid")
        h.fails("ipsec static set policy assign=yes", "one of name=, guid= is required")
        h.fails("ipsec static set policy name=Q gponame=Servers", "domain store")
    }

    func testDeletePolicyKeepsSharedObjects() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static delete policy name=\"Server (Request Security)\"")
        try h.read { transaction in
            XCTAssertNil(try transaction.policy(named: "Server (Request Security)"))
            XCTAssertNotNil(try transaction.filterList(named: "All IP Traffic"))
            XCTAssertNotNil(try transaction.filterAction(named: "Request Security (Optional)"))
        }
        h.fails("ipsec static delete policy name=Gone", "policy 'Gone' does not exist")
        h.run("ipsec static delete policy all")
        XCTAssertTrue(try h.read { try $0.policies() }.isEmpty)
        // With no policy left, nothing uses the predefined lists: they can go now.
        h.run("ipsec static delete filterlist all", "ipsec static delete filteraction all")
        XCTAssertTrue(try h.read { try $0.filterLists() }.isEmpty)
    }

    func testStoreSelection() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static set store location=persistent", "ipsec static add policy name=Boot assign=yes")
        XCTAssertEqual(h.session.location, .persistent)
        XCTAssertEqual(try h.read(.persistent) { try $0.assignedPolicy()?.name }, "Boot")
        XCTAssertNil(try h.read(.local) { try $0.policy(named: "Boot") })
        XCTAssertTrue(h.run("ipsec static show store").contains("Persistent Store"))
        h.fails("ipsec static set store location=domain", "this build of ward has no directory client")
        h.fails("ipsec static set store location=cloud", "'cloud' is not local, persistent or domain")
        h.fails("ipsec static show gpoassignedpolicy name=x", "domain store")
        XCTAssertEqual(h.session.location, .persistent, "a failed set store changes nothing")
    }
}
