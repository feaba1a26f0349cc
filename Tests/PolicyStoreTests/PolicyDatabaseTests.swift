import Foundation
import Packet
import Policy
@testable import PolicyStore
import XCTest

final class PolicyDatabaseTests: XCTestCase {
    let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_000.7) }

    func testNewStoreIsPrivateAndHoldsThePredefinedObjects() throws {
        let directory = try temporaryDirectory(self).appendingPathComponent("nested/ward")
        let path = directory.appendingPathComponent("policy.db").path
        let database = try PolicyDatabase(path: path, now: clock)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let directoryMode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        XCTAssertEqual(directoryMode, 0o700)
        try database.read(.local) { transaction in
            XCTAssertEqual(try transaction.policies().map(\.name),
                           ["Client (Respond Only)", "Secure Server (Require Security)", "Server (Request Security)"])
            XCTAssertEqual(try transaction.filterLists().map(\.name), ["All ICMP Traffic", "All IP Traffic"])
            XCTAssertEqual(try transaction.filterActions().count, 3)
            XCTAssertNil(try transaction.assignedPolicy())
            let server = try transaction.requirePolicy(named: "server (request security)")
            XCTAssertEqual(try transaction.rules(ofPolicy: server.id).map(\.name), ["All IP Traffic", "All ICMP Traffic"])
            XCTAssertEqual(server.whenChanged, Date(timeIntervalSince1970: 1_800_000_000), "times are whole seconds")
        }
        try database.read(.persistent) { transaction in
            XCTAssertTrue(try transaction.policies().isEmpty, "the persistent store starts empty")
        }
        // Reopening does not seed twice.
        let again = try PolicyDatabase(path: path, now: clock)
        XCTAssertEqual(try again.read(.local) { try $0.policies().count }, 3)
    }

    func testNamesAreUniqueCaseInsensitivelyAndLinksAreChecked() throws {
        let database = try PolicyDatabase(path: try temporaryDirectory(self).appendingPathComponent("p.db").path, now: clock)
        XCTAssertThrowsError(try database.write(.local) { try $0.insert(FilterList(name: "all ip traffic")) }) { error in
            XCTAssertEqual("\(error)", "filter list 'all ip traffic' already exists in the local store")
        }
        try database.write(.local) { try $0.insert(IPsecPolicy(name: "P")) }
        let policy = try database.read(.local) { try $0.requirePolicy(named: "P") }
        // A rule whose filter list does not exist is refused.
        XCTAssertThrowsError(try database.write(.local) {
            try $0.insert(Rule(policyID: policy.id, name: "R", filterListID: UUID(), filterActionID: PredefinedObjects.ID.permit))
        })
        try database.write(.local) {
            try $0.insert(Rule(policyID: policy.id, name: "R", filterListID: PredefinedObjects.ID.allIPTraffic,
                               filterActionID: PredefinedObjects.ID.permit))
        }
        // Deleting a used filter list or action is refused with the users named.
        XCTAssertThrowsError(try database.write(.local) { transaction in
            try transaction.deleteFilterList(transaction.requireFilterList(named: "All IP Traffic"))
        }) { error in
            XCTAssertEqual("\(error)", "filter list 'All IP Traffic' is used by rule 'R' of policy 'P', rule 'All IP Traffic' of policy 'Secure Server (Require Security)', rule 'All IP Traffic' of policy 'Server (Request Security)'; change or delete those rules first")
        }
        XCTAssertThrowsError(try database.write(.local) { transaction in
            try transaction.deleteFilterAction(transaction.requireFilterAction(named: "Permit"))
        })
        // Deleting the policy removes its rules; the shared objects stay.
        try database.write(.local) { try $0.deletePolicy(id: policy.id) }
        try database.read(.local) { transaction in
            XCTAssertTrue(try transaction.rules(ofPolicy: policy.id).isEmpty)
            XCTAssertNotNil(try transaction.filterList(named: "All IP Traffic"))
        }
    }

    func testAtMostOneAssignedPolicyPerStore() throws {
        let database = try PolicyDatabase(path: try temporaryDirectory(self).appendingPathComponent("p.db").path, now: clock)
        try database.write(.local) { try $0.insert(IPsecPolicy(name: "A", assigned: true)) }
        try database.write(.local) { try $0.insert(IPsecPolicy(name: "B", assigned: true)) }
        try database.write(.persistent) { try $0.insert(IPsecPolicy(name: "C", assigned: true)) }
        XCTAssertEqual(try database.read(.local) { try $0.assignedPolicy()?.name }, "B")
        XCTAssertEqual(try database.read(.local) { try $0.requirePolicy(named: "A").assigned }, false)
        XCTAssertEqual(try database.read(.persistent) { try $0.assignedPolicy()?.name }, "C")
        var a = try database.read(.local) { try $0.requirePolicy(named: "A") }
        a.assigned = true
        try database.write(.local) { try $0.update(a) }
        XCTAssertEqual(try database.read(.local) { try $0.assignedPolicy()?.name }, "A")
    }

    func testFailedWriteLeavesTheStoreUnchanged() throws {
        let database = try PolicyDatabase(path: try temporaryDirectory(self).appendingPathComponent("p.db").path, now: clock)
        let before = try database.read(.local) { try $0.exportDocument() }
        XCTAssertThrowsError(try database.write(.local) { transaction in
            try transaction.insert(FilterList(name: "New"))
            try transaction.insert(IPsecPolicy(name: "Bad", pollingIntervalMinutes: 1))
        })
        XCTAssertEqual(try database.read(.local) { try $0.exportDocument() }, before)
    }

    func testBatchCommitsOrDiscardsAsAWholeAndFailedCommandsInsideAreUndone() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("p.db").path
        let database = try PolicyDatabase(path: path, now: clock)
        try database.beginBatch()
        try database.write(.local) { try $0.insert(FilterList(name: "One")) }
        XCTAssertThrowsError(try database.write(.local) { transaction in
            try transaction.insert(FilterList(name: "Two"))
            try transaction.insert(FilterList(name: "One"))
        })
        XCTAssertEqual(try database.read(.local) { try $0.filterList(named: "Two") }, nil, "the failed command is undone")
        XCTAssertNotNil(try database.read(.local) { try $0.filterList(named: "One") }, "reads see the open batch")
        // Another connection does not see the uncommitted batch.
        let other = try PolicyDatabase(path: path, now: clock)
        XCTAssertNil(try other.read(.local) { try $0.filterList(named: "One") })
        database.rollbackBatch()
        XCTAssertNil(try database.read(.local) { try $0.filterList(named: "One") })

        try database.beginBatch()
        XCTAssertThrowsError(try database.beginBatch())
        try database.write(.local) { try $0.insert(FilterList(name: "Three")) }
        try database.commitBatch()
        XCTAssertNotNil(try other.read(.local) { try $0.filterList(named: "Three") })
        XCTAssertThrowsError(try database.commitBatch())
    }

    func testForeignAndDamagedFilesAreRefusedWithoutBeingWritten() throws {
        let directory = try temporaryDirectory(self)
        let garbage = directory.appendingPathComponent("garbage.db")
        let bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: garbage)
        XCTAssertThrowsError(try PolicyDatabase(path: garbage.path)) { error in
            XCTAssertTrue("\(error)".contains("not an SQLite database"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: garbage), bytes)

        let foreign = directory.appendingPathComponent("foreign.db").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [foreign, "CREATE TABLE notes(text); INSERT INTO notes VALUES ('keep me');"]
        try sqlite.run()
        sqlite.waitUntilExit()
        let foreignBytes = try Data(contentsOf: URL(fileURLWithPath: foreign))
        XCTAssertThrowsError(try PolicyDatabase(path: foreign)) { error in
            XCTAssertTrue("\(error)".contains("not a Ward policy store"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: foreign)), foreignBytes)
    }

    func testNewerSchemaIsRefused() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("p.db").path
        _ = try PolicyDatabase(path: path)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "PRAGMA user_version = 99;"]
        try sqlite.run()
        sqlite.waitUntilExit()
        XCTAssertThrowsError(try PolicyDatabase(path: path)) { error in
            XCTAssertTrue("\(error)".contains("newer Ward (schema 99"), "\(error)")
        }
    }

    func testExportImportRoundTripKeepsIdsAndTimes() throws {
        let directory = try temporaryDirectory(self)
        let source = try PolicyDatabase(path: directory.appendingPathComponent("a.db").path, now: clock)
        try source.write(.local) { transaction in
            try transaction.insert(FilterList(name: "Web", filters: [Filter(source: .me, destination: .any, protocolSelector: .tcp, sourcePort: 443)]))
            let policy = IPsecPolicy(name: "P", assigned: true)
            try transaction.insert(policy)
            try transaction.insert(Rule(policyID: policy.id, name: "R", filterListID: try transaction.requireFilterList(named: "Web").id,
                                        filterActionID: PredefinedObjects.ID.requireSecurity,
                                        authenticationMethods: [.preSharedKey("s3cret"), .kerberos]))
        }
        let document = try source.read(.local) { try $0.exportDocument() }
        let decoded = try PolicyExport.decode(try document.encoded(), path: "x")
        XCTAssertEqual(decoded, document)

        let later: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_900_000_000) }
        let target = try PolicyDatabase(path: directory.appendingPathComponent("b.db").path, now: later)
        try target.write(.local) { try $0.importDocument(decoded) }
        XCTAssertEqual(try target.read(.local) { try $0.exportDocument() }, document)
        // Importing twice replaces by GUID instead of duplicating.
        try target.write(.local) { try $0.importDocument(decoded) }
        XCTAssertEqual(try target.read(.local) { try $0.exportDocument() }, document)
    }

    func testImportRefusesNameClashAndBadFiles() throws {
        let database = try PolicyDatabase(path: try temporaryDirectory(self).appendingPathComponent("p.db").path, now: clock)
        let clash = PolicyExport(store: .local, policies: [], filterLists: [FilterList(name: "All IP Traffic")], filterActions: [])
        XCTAssertThrowsError(try database.write(.local) { try $0.importDocument(clash) }) { error in
            XCTAssertTrue("\(error)".contains("already exists"))
        }
        XCTAssertThrowsError(try PolicyExport.decode(Data("{\"format\":\"other\",\"version\":1}".utf8), path: "f.json")) { error in
            XCTAssertEqual("\(error)", "import f.json: format is 'other'; expected 'ward-ipsec-policy'")
        }
        XCTAssertThrowsError(try PolicyExport.decode(Data("{\"format\":\"ward-ipsec-policy\",\"version\":7}".utf8), path: "f.json")) { error in
            XCTAssertTrue("\(error)".contains("version 7 is not supported"))
        }
        XCTAssertThrowsError(try PolicyExport.decode(Data("not json".utf8), path: "f.json"))
        let missing = Data("{\"format\":\"ward-ipsec-policy\",\"version\":1,\"store\":\"local\",\"policies\":[],\"filterLists\":[{\"name\":\"x\"}],\"filterActions\":[]}".utf8)
        XCTAssertThrowsError(try PolicyExport.decode(missing, path: "f.json")) { error in
            XCTAssertTrue("\(error)".contains("filterLists[0]"), "\(error)")
        }
    }

    func testFastUUIDTextMatchesFoundation() {
        for _ in 0..<100 {
            let id = UUID()
            XCTAssertEqual(id.text, id.uuidString)
            XCTAssertEqual(UUID(text: id.uuidString), id)
            XCTAssertEqual(UUID(text: id.uuidString.lowercased()), id)
        }
        XCTAssertNil(UUID(text: "7761D7A0-3F1B-4C6E-9A30-00000000001"))
        XCTAssertNil(UUID(text: "7761D7A0+3F1B-4C6E-9A30-000000000011"))
        XCTAssertNil(UUID(text: "7761D7A0-3F1B-4C6E-9A30-00000000001G"))
        XCTAssertEqual(PredefinedObjects.ID.permit.text, "7761D7A0-3F1B-4C6E-9A30-000000000011")
    }

    func testRuleAndFilterColumnsRoundTripAwkwardValues() throws {
        let methods: [AuthenticationMethod] = [
            .preSharedKey("100% sure\nsecond line %0A"), .kerberos,
            .certificate(.init(name: "CN=a:b, O=%25", certificateMapping: true, excludeCAName: false)),
        ]
        XCTAssertEqual(AuthenticationMethod.methods(storageText: AuthenticationMethod.storageText(methods)), methods)
        XCTAssertNil(AuthenticationMethod.methods(storageText: "telepathy"))
        for address: FilterAddress in [.me, .any, .server(.gateway), .subnet(Subnet("fd77::/16")!), .subnet(Subnet("10.0.0.1")!)] {
            XCTAssertEqual(FilterAddress(storageText: address.storageText), address)
        }
        let database = try PolicyDatabase(path: try temporaryDirectory(self).appendingPathComponent("p.db").path, now: clock)
        let filter = Filter(description: "d", source: .subnet(Subnet("10.77.1.0/24")!), destination: .server(.dns),
                            destinationDNSName: "ns.example", protocolSelector: .udp, sourcePort: 0, destinationPort: 53, mirrored: false)
        try database.write(.local) { transaction in
            var list = FilterList(name: "L", filters: [filter])
            list.filters[0].source = .me
            try transaction.insert(list)
            let policy = IPsecPolicy(name: "P")
            try transaction.insert(policy)
            try transaction.insert(Rule(policyID: policy.id, name: "R", filterListID: list.id, filterActionID: PredefinedObjects.ID.permit,
                                        tunnelEndpoint: IPAddress("fd77::1"), connectionType: .dialup, active: false,
                                        authenticationMethods: methods))
        }
        try database.read(.local) { transaction in
            let list = try XCTUnwrap(try transaction.filterList(named: "L"))
            var expected = filter
            expected.source = .me
            XCTAssertEqual(list.filters, [expected])
            let rule = try XCTUnwrap(try transaction.rule(named: "r", inPolicy: transaction.requirePolicy(named: "P").id))
            XCTAssertEqual(rule.authenticationMethods, methods)
            XCTAssertEqual(rule.tunnelEndpoint, IPAddress("fd77::1"))
            XCTAssertEqual(rule.connectionType, .dialup)
            XCTAssertFalse(rule.active)
        }
    }

    func testTwoConnectionsWritingAtOnceBothLand() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("p.db").path
        _ = try PolicyDatabase(path: path)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            let database = try! PolicyDatabase(path: path)
            for index in 0..<50 {
                try! database.write(.local) { try $0.insert(FilterList(name: "w\(worker)-\(index)")) }
            }
        }
        let database = try PolicyDatabase(path: path)
        XCTAssertEqual(try database.read(.local) { try $0.filterLists().count }, 102)
        XCTAssertNil(database.integrityProblem())
    }
}
