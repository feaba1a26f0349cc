import DomainPolicy
import Foundation
import Packet
import Policy
import XCTest

/// A directory in memory with LDAP's per-entry rules (RFC 4511 §4.6–4.8) and AD's check that a
/// forward reference names an existing object; it can fail the Nth operation on purpose.
final class FakeDirectory: DirectoryService {
    var entries: [String: DirectoryEntry] = [:]
    var log: [String] = []
    var failAt: Int?
    /// Runs before the given operation number, as another administrator would.
    var interference: [Int: (FakeDirectory) -> Void] = [:]
    let defaultNamingContext = "DC=ward,DC=test"
    let serverName = "fake:389"
    private var count = 0
    /// Operations so far (the next one is `operations + 1`).
    var operations: Int { count }

    private func step(_ text: String) throws(DirectoryError) {
        count += 1
        interference.removeValue(forKey: count)?(self)
        log.append(text)
        if count == failAt { throw DirectoryError(code: 51, operation: text, message: "Busy (injected)") }
    }

    func search(base: String, oneLevel: Bool, filter: String, attributes: [String]) throws(DirectoryError) -> [DirectoryEntry] {
        if oneLevel { return entries.values.filter { $0.dn.lowercased().hasSuffix("," + base.lowercased()) } }
        guard let entry = entries[base.lowercased()] else { throw DirectoryError(code: 32, operation: "search \(base)", message: "No such object") }
        return [entry]
    }

    func add(_ entry: DirectoryEntry) throws(DirectoryError) {
        try step("add \(entry.dn)")
        guard entries[entry.dn.lowercased()] == nil else { throw DirectoryError(code: 68, operation: "add \(entry.dn)", message: "Already exists") }
        for name in ["ipsecnfareference", "ipsecfilterreference", "ipsecnegotiationpolicyreference", "ipsecisakmpreference"] {
            for target in entry.strings(name) where entries[target.lowercased()] == nil {
                throw DirectoryError(code: 32, operation: "add \(entry.dn)", message: "\(name) names a missing object")
            }
        }
        var stored = entry
        // Multi-valued attributes have no order in LDAP; keep one so states compare.
        for (name, values) in stored.attributes { stored.attributes[name] = values.sorted { $0.lexicographicallyPrecedes($1) } }
        entries[entry.dn.lowercased()] = stored
    }

    func modify(_ dn: String, _ changes: [AttributeChange]) throws(DirectoryError) {
        try step("modify \(dn)")
        guard var entry = entries[dn.lowercased()] else { throw DirectoryError(code: 32, operation: "modify \(dn)", message: "No such object") }
        for change in changes {
            var values = entry.values(change.attribute)
            switch change.kind {
            case .add:
                for value in change.values {
                    if values.contains(value) { throw DirectoryError(code: 20, operation: "modify \(dn)", message: "value exists") }
                    values.append(value)
                }
            case .delete:
                for value in change.values {
                    guard let index = values.firstIndex(of: value) else { throw DirectoryError(code: 16, operation: "modify \(dn)", message: "no such value") }
                    values.remove(at: index)
                }
            case .replace: values = change.values
            }
            values.sort { $0.lexicographicallyPrecedes($1) }
            entry.attributes[change.attribute.lowercased()] = values.isEmpty ? nil : values
        }
        entries[dn.lowercased()] = entry
    }

    func delete(_ dn: String) throws(DirectoryError) {
        try step("delete \(dn)")
        guard entries.removeValue(forKey: dn.lowercased()) != nil else { throw DirectoryError(code: 32, operation: "delete \(dn)", message: "No such object") }
    }
}

final class ChangePlanTests: XCTestCase {
    let container = IPsecContainer(namingContext: "DC=ward,DC=test")

    private func objects(rules: Int) -> (DomainPolicyObjects, [UUID: PolicyCompanions]) {
        let list = FilterList(name: "List", filters: [Filter(source: .me, destination: .any)])
        let action = FilterAction(name: "Permit", action: .permit, securityMethods: [])
        let policy = IPsecPolicy(name: "P")
        let made = (0..<rules).map { Rule(policyID: policy.id, name: "R\($0)", filterListID: list.id, filterActionID: action.id) }
        return (DomainPolicyObjects(policies: [policy], rules: made, filterLists: [list], filterActions: [action]),
                [policy.id: .fresh { UUID() }])
    }

    private func image(_ objects: DomainPolicyObjects, _ companions: [UUID: PolicyCompanions]) throws -> [String: DirectoryEntry] {
        try DomainPolicyEncoder(container: container).entries(objects, companions: companions)
    }

    func testAddsReferredObjectsFirstAndOwnersAfter() throws {
        let (objects, companions) = objects(rules: 2)
        let directory = FakeDirectory()
        try DomainChangeExecutor(directory: directory).run(DomainChangePlan(before: [:], after: try image(objects, companions), actual: [:]))
        XCTAssertEqual(directory.entries.count, 1 + 1 + 2 + 4)
        let decoded = try DomainPolicyDecoder(container: container).decode(Array(directory.entries.values))
        XCTAssertEqual(decoded.objects.rules.count, 2)
        let list = try XCTUnwrap(directory.entries[IPsecContainer.key(container.dn(.filter, objects.filterLists[0].id))])
        XCTAssertEqual(list.strings("ipsecOwnersReference").count, 2, "the list names both rules")
        let firstPolicy = try XCTUnwrap(directory.log.firstIndex { $0.hasPrefix("add CN=ipsecPolicy") })
        XCTAssertTrue(directory.log[..<firstPolicy].contains { $0.hasPrefix("add CN=ipsecNFA") }, "rules exist before the policy names them")
    }

    func testAFailureHalfWayLeavesTheDirectoryAsItWas() throws {
        let (objects, companions) = objects(rules: 3)
        let directory = FakeDirectory()
        let before = try image(objects, companions)
        try DomainChangeExecutor(directory: directory).run(DomainChangePlan(before: [:], after: before, actual: [:]))
        let original = directory.entries
        var changed = objects
        changed.rules.removeLast()
        changed.rules.append(Rule(policyID: objects.policies[0].id, name: "New", filterListID: objects.filterLists[0].id,
                                  filterActionID: objects.filterActions[0].id))
        changed.filterLists[0].filters.append(Filter(source: .me, destination: .subnet(Subnet("10.77.0.0/16")!)))
        let plan = DomainChangePlan(before: before, after: try image(changed, companions), actual: original)
        for failure in 1...plan.steps.count {
            let attempt = FakeDirectory()
            attempt.entries = original
            attempt.failAt = failure
            XCTAssertThrowsError(try DomainChangeExecutor(directory: attempt).run(plan)) { error in
                XCTAssertTrue(String(describing: error).contains("nothing was written"), "\(error)")
            }
            XCTAssertEqual(attempt.entries, original, "failing step \(failure) of \(plan.steps.count) was undone")
        }
    }

    func testAnotherAdministratorsChangeIsAConflictNotOverwritten() throws {
        let (objects, companions) = objects(rules: 1)
        let directory = FakeDirectory()
        let before = try image(objects, companions)
        try DomainChangeExecutor(directory: directory).run(DomainChangePlan(before: [:], after: before, actual: [:]))
        let snapshot = directory.entries
        var mine = objects
        mine.filterLists[0].description = "mine"
        mine.filterLists[0].filters.append(Filter(source: .me, destination: .subnet(Subnet("10.77.0.0/16")!)))
        let plan = DomainChangePlan(before: before, after: try image(mine, companions), actual: snapshot)
        // Meanwhile another administrator rewrites the same filter list's blob.
        directory.interference[directory.operations + 1] = { other in
            let key = IPsecContainer.key(self.container.dn(.filter, objects.filterLists[0].id))
            other.entries[key]?.attributes["ipsecdata"] = [[0x01, 0x02]]
        }
        XCTAssertThrowsError(try DomainChangeExecutor(directory: directory).run(plan)) { error in
            XCTAssertTrue(String(describing: error).contains("another administrator"), "\(error)")
        }
        let list = try XCTUnwrap(directory.entries[IPsecContainer.key(container.dn(.filter, objects.filterLists[0].id))])
        XCTAssertEqual(list.values("ipsecdata"), [[0x01, 0x02]], "their change stands")
        XCTAssertNil(list.string("description"), "none of ours landed: the description added before the blob failed was undone")
    }

    func testDeletingASharedListThatGainedAnOwnerIsAbandoned() throws {
        var (objects, companions) = objects(rules: 0)
        let spare = FilterList(name: "Spare")
        objects.filterLists.append(spare)
        let directory = FakeDirectory()
        let before = try image(objects, companions)
        try DomainChangeExecutor(directory: directory).run(DomainChangePlan(before: [:], after: before, actual: [:]))
        var without = objects
        without.filterLists.removeAll { $0.id == spare.id }
        let plan = DomainChangePlan(before: before, after: try image(without, companions), actual: directory.entries)
        let spareDN = container.dn(.filter, spare.id)
        // Another administrator's new rule starts using the list before the delete.
        directory.interference[directory.operations + 1] = { other in
            other.entries[IPsecContainer.key(spareDN)]?.attributes["ipsecownersreference"] = [Array("CN=ipsecNFA{0},CN=IP Security,CN=System,DC=ward,DC=test".utf8)]
        }
        XCTAssertThrowsError(try DomainChangeExecutor(directory: directory).run(plan)) { error in
            XCTAssertTrue(String(describing: error).contains("now used by"), "\(error)")
        }
        let list = try XCTUnwrap(directory.entries[IPsecContainer.key(spareDN)], "the list stays")
        XCTAssertEqual(list.strings("ipsecOwnersReference").count, 1, "the deletion mark is gone again")
    }
}
