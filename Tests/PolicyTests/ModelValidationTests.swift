import Foundation
import Packet
import Policy
import XCTest

final class ModelValidationTests: XCTestCase {
    func testFilterRules() {
        func error(_ filter: Filter) -> String? {
            do { try filter.validate(); return nil } catch { return error.description }
        }
        XCTAssertNil(error(Filter(source: .me, destination: .any)))
        XCTAssertEqual(error(Filter(source: .me, destination: .any, protocolSelector: .icmp, destinationPort: 80)),
                       "dstport: ports can be given only with protocol TCP or UDP (protocol is ICMP)")
        XCTAssertTrue(error(Filter(source: .any, destination: .server(.dns)))?.hasPrefix("srcaddr:") == true)
        XCTAssertTrue(error(Filter(source: .subnet(Subnet("10.0.0.0/8")!), destination: .subnet(Subnet("fd77::/16")!)))?
            .contains("different IP versions") == true)
        XCTAssertNotNil(error(Filter(source: .me, destination: .me)))
    }

    func testObjectNames() {
        XCTAssertThrowsError(try ObjectName.validate("all"))
        XCTAssertThrowsError(try ObjectName.validate("  "))
        XCTAssertThrowsError(try ObjectName.validate("a\"b"))
        XCTAssertThrowsError(try ObjectName.validate("tab\there"))
        XCTAssertNoThrow(try ObjectName.validate("Server Isolation (v2)"))
    }

    func testPolicyValidationNamesObjectAndField() {
        var policy = IPsecPolicy(name: "P")
        policy.isakmp.lifetimeMinutes = 3
        XCTAssertThrowsError(try policy.validate()) { error in
            XCTAssertEqual("\(error)", "policy 'P': mmlifetime: 3 is out of range; allowed 5-2879 minutes")
        }
        policy = IPsecPolicy(name: "P")
        policy.isakmp.masterKeyPFS = true
        policy.isakmp.quickModesPerMainMode = 4
        XCTAssertThrowsError(try policy.validate()) { error in XCTAssertTrue("\(error)".contains("qmpermm")) }
        XCTAssertEqual(ISAKMPSettings(masterKeyPFS: true, quickModesPerMainMode: 7).quickModesPerMainMode, 1)
    }

    func testTunnelRuleRefusesMirroredFilters() {
        let list = FilterList(name: "L", filters: [Filter(source: .me, destination: .any, mirrored: true)])
        let action = FilterAction(name: "A")
        let rule = Rule(policyID: UUID(), name: "R", filterListID: list.id, filterActionID: action.id,
                        tunnelEndpoint: IPAddress("10.77.0.1"))
        XCTAssertNoThrow(try rule.validate())
        XCTAssertThrowsError(try rule.validateTunnel(filterList: list)) { error in
            XCTAssertTrue("\(error)".hasPrefix("rule 'R': tunnel:"))
        }
        var transport = rule
        transport.tunnelEndpoint = nil
        XCTAssertNoThrow(try transport.validateTunnel(filterList: list))
    }

    func testPredefinedObjectsAreValidAndLinked() throws {
        let predefined = PredefinedObjects(now: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(predefined.filterLists.map(\.name), ["All IP Traffic", "All ICMP Traffic"])
        XCTAssertEqual(predefined.filterActions.map(\.name), ["Permit", "Request Security (Optional)", "Require Security"])
        XCTAssertEqual(predefined.policies.count, 3)
        XCTAssertFalse(predefined.policies.contains(where: \.assigned), "no example policy is assigned on a new system")
        for list in predefined.filterLists { try list.validate() }
        for action in predefined.filterActions { try action.validate() }
        for policy in predefined.policies { try policy.validate() }
        for rule in predefined.rules {
            let list = try XCTUnwrap(predefined.filterLists.first { $0.id == rule.filterListID })
            let action = try XCTUnwrap(predefined.filterActions.first { $0.id == rule.filterActionID })
            _ = action
            try rule.validate()
            try rule.validateTunnel(filterList: list)
        }
        let request = predefined.filterActions[1]
        XCTAssertTrue(request.inboundPassthrough && request.fallbackToClear)
        let require = predefined.filterActions[2]
        XCTAssertTrue(require.inboundPassthrough && !require.fallbackToClear)
    }
}

final class ObjectIDTests: XCTestCase {
    func testRandomIdsAreVersion4AndDistinct() {
        let ids = (0..<1000).map { _ in UUID.random() }
        XCTAssertEqual(Set(ids).count, 1000)
        for id in ids.prefix(20) {
            let text = Array(id.uuidString)
            XCTAssertEqual(text[14], "4", id.uuidString)
            XCTAssertTrue("89AB".contains(text[19]), id.uuidString)
        }
    }
}
