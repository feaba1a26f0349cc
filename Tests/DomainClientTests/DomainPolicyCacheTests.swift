import DomainClient
import DomainPolicy
import Foundation
import GroupPolicy
import Policy
import XCTest

/// The domain cache on disk: what is written is read back and decodes to the same policy; the
/// file is root-only; a damaged file is an error naming it, never a policy; the machine
/// identity refuses a keytab others can read.
final class DomainPolicyCacheTests: XCTestCase {
    var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-cache-\(UUID().uuidString)")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func record() throws -> DomainPolicyCache.Record {
        let nc = "DC=ward,DC=test"
        let container = IPsecContainer(namingContext: nc)
        let list = FilterList(name: "Peers", filters: [Filter(source: .me, destination: .any)])
        let action = FilterAction(name: "Require", action: .negotiate, securityMethods: [try QuickModeSecurityMethod(netsh: "ESP[AES256,SHA1]")])
        let policy = IPsecPolicy(name: "Domain Policy")
        let rule = Rule(policyID: policy.id, name: "All", filterListID: list.id, filterActionID: action.id, authenticationMethods: [.preSharedKey("k")])
        let entries = try DomainPolicyEncoder(container: container)
            .entries(DomainPolicyObjects(policies: [policy], rules: [rule], filterLists: [list], filterActions: [action]), companions: [policy.id: .fresh { UUID() }])
            .values.sorted { $0.dn < $1.dn }
        let candidate = GroupPolicyCandidate(scope: nc, scopeKind: .domain, gpoDN: "CN={G},CN=Policies,CN=System,\(nc)", gpoName: "GP Domain",
                                             enforced: false, policyDN: container.dn(.policy, policy.id), policyName: policy.name, precedence: 1)
        let result = GroupPolicyResult(account: "HOST1$", computerDN: "CN=host1,\(nc)", domain: nc, site: nil, controller: "dc1.ward.test:389",
                                       readAt: Date(timeIntervalSince1970: 1_796_000_000), tokenSIDs: [.authenticatedUsers], scopes: [], candidates: [candidate])
        return DomainPolicyCache.Record(result: result, policyDN: container.dn(.policy, policy.id), namingContext: nc, stamp: ["a|1|2"], entries: entries)
    }

    func testARecordRoundTripsRootOnlyAndDecodesToThePolicy() throws {
        let cache = DomainPolicyCache(path: directory.appendingPathComponent("domain-cache.json").path)
        XCTAssertNil(try cache.load())
        let written = try record()
        try cache.save(written)
        let read = try XCTUnwrap(try cache.load())
        XCTAssertEqual(read, written)
        var status = stat()
        XCTAssertEqual(stat(cache.path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        let snapshot = try read.snapshot()
        XCTAssertEqual(snapshot.store, "domain (GPO 'GP Domain')")
        XCTAssertEqual(snapshot.policy.name, "Domain Policy")
        XCTAssertEqual(snapshot.rules.map(\.name), ["All"])
        cache.remove()
        XCTAssertNil(try cache.load())
    }

    func testADamagedCacheIsAnErrorNamingTheFile() throws {
        let path = directory.appendingPathComponent("domain-cache.json").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("{\"result\": 3".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DomainPolicyCache(path: path).load()) { XCTAssertTrue("\($0)".hasPrefix("domain cache \(path): "), "\($0)") }
    }

    func testTheMachineIdentityRefusesAMissingOrWorldReadableKeytab() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keytab = directory.appendingPathComponent("krb5.keytab").path
        XCTAssertThrowsError(try MachineIdentity(account: "host1", keytab: keytab).install()) { XCTAssertTrue("\($0)".contains("cannot be read"), "\($0)") }
        FileManager.default.createFile(atPath: keytab, contents: Data([5, 2]), attributes: [.posixPermissions: 0o644])
        XCTAssertThrowsError(try MachineIdentity(account: "host1", keytab: keytab).install()) { XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)") }
        XCTAssertEqual(MachineIdentity(account: "host1", keytab: keytab).account, "host1$")
    }
}
