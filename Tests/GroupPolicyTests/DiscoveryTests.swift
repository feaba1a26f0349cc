import DomainPolicy
import Filtering
import Foundation
@testable import GroupPolicy
import Packet
import Policy
import XCTest

/// The whole query sequence over an in-memory domain: a computer in OU=Finance, GPOs linked to
/// its OU, the domain and its site, each assigning a policy encoded as Windows writes it.
final class DiscoveryTests: XCTestCase {
    let nc = "DC=ward,DC=test"
    let site = "CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=ward,DC=test"
    var directory = InMemoryDirectory()
    var policyDNs: [String: String] = [:]

    func gpoDN(_ name: String) -> String { "CN={\(name)},CN=Policies,CN=System,\(nc)" }

    override func setUp() {
        let domainSID = GPLinkAndDescriptorTests.domain
        directory.add("", ["defaultNamingContext": [nc], "configurationNamingContext": ["CN=Configuration,\(nc)"]])
        directory.add(nc, ["objectClass": ["domain"], "gPLink": ["[LDAP://\(gpoDN("DOMAIN"));0]"]])
        directory.set(nc, "objectSid", bytes: [domainSID.bytes])
        directory.add("OU=Finance,\(nc)", ["objectClass": ["organizationalUnit"], "gPLink": ["[LDAP://\(gpoDN("FINANCE"));0]"]])
        directory.add("CN=host1,OU=Finance,\(nc)", ["objectClass": ["computer"], "sAMAccountName": ["HOST1$"]])
        directory.set("CN=host1,OU=Finance,\(nc)", "objectSid", bytes: [SecurityIdentifier(authority: 5, domainSID.subAuthorities + [1103]).bytes])
        directory.set("CN=host1,OU=Finance,\(nc)", "tokenGroups", bytes: [SecurityIdentifier(authority: 5, domainSID.subAuthorities + [515]).bytes])
        directory.add("CN=10.77.51.0/24,CN=Subnets,CN=Sites,CN=Configuration,\(nc)", ["objectClass": ["subnet"], "cn": ["10.77.51.0/24"], "siteObject": [site]])
        directory.add("CN=10.0.0.0/8,CN=Subnets,CN=Sites,CN=Configuration,\(nc)", ["objectClass": ["subnet"], "cn": ["10.0.0.0/8"], "siteObject": ["CN=Elsewhere,CN=Sites,CN=Configuration,\(nc)"]])
        directory.add(site, ["objectClass": ["site"], "gPLink": ["[LDAP://\(gpoDN("SITE"));0]"]])
        let container = IPsecContainer(namingContext: nc)
        for name in ["DOMAIN", "FINANCE", "SITE"] {
            directory.add(gpoDN(name), ["objectClass": ["groupPolicyContainer"], "displayName": ["GP \(name.capitalized)"], "flags": ["0"],
                                        "versionNumber": ["65537"],
                                        "gPCMachineExtensionNames": ["[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{53D6AB1B-2488-11D1-A28C-00C04FB94F17}]\(IPsecClientSideExtension.pair)"]])
            directory.set(gpoDN(name), "nTSecurityDescriptor", bytes: [GPLinkAndDescriptorTests.sambaGPO])
            // The policy this GPO assigns, in Windows' encoding.
            let list = FilterList(name: "\(name) list", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.52.0/24")!))])
            let action = FilterAction(name: "\(name) action", action: .negotiate, securityMethods: [try! QuickModeSecurityMethod(netsh: "ESP[3DES,SHA1]")])
            let policy = IPsecPolicy(name: "\(name) policy")
            let rule = Rule(policyID: policy.id, name: "\(name) rule", filterListID: list.id, filterActionID: action.id,
                            authenticationMethods: [.preSharedKey("secret")])
            let objects = DomainPolicyObjects(policies: [policy], rules: [rule], filterLists: [list], filterActions: [action])
            for entry in try! DomainPolicyEncoder(container: container).entries(objects, companions: [policy.id: .fresh { UUID() }]).values {
                var stamped = entry
                stamped.attributes["whenchanged"] = [Array("20261202064700.0Z".utf8)]
                stamped.attributes["usnchanged"] = [Array("1000".utf8)]
                // AD lists the superclasses too (the client searches for ipsecBase).
                stamped.attributes["objectclass", default: []] += [Array("ipsecBase".utf8), Array("top".utf8)]
                directory.entries.append(stamped)
            }
            policyDNs[name] = container.dn(.policy, policy.id)
            directory.add("CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine,\(gpoDN(name))",
                          ["objectClass": ["ipsecPolicy"], "cn": ["IPSEC"], "ipsecOwnersReference": [policyDNs[name]!], "ipsecName": ["\(name) policy"]])
        }
    }

    func discover() throws -> GroupPolicyResult {
        try GroupPolicyDiscovery(directory: directory).discover(account: "HOST1$", addresses: [IPAddress("10.77.51.2")!],
                                                                 now: Date(timeIntervalSince1970: 1_796_000_000))
    }

    func testTheNearestOUsGPOAppliesAndTheOthersLoseByPrecedence() throws {
        let result = try discover()
        XCTAssertEqual(result.computerDN, "CN=host1,OU=Finance,\(nc)")
        XCTAssertEqual(result.site, site, "the /24 subnet is more specific than the /8")
        XCTAssertEqual(result.scopes.map(\.kind), [.organizationalUnit, .domain, .site])
        XCTAssertEqual(result.candidates.map(\.gpoName), ["GP Finance", "GP Domain", "GP Site"])
        XCTAssertEqual(result.applied?.policyDN, policyDNs["FINANCE"])
        XCTAssertTrue(result.tokenSIDs.contains(.authenticatedUsers))
        XCTAssertLessThanOrEqual(directory.searches.count, 10, "\(directory.searches)")
        let text = GroupPolicyReport.text(result, mode: "logging")
        XCTAssertTrue(text.contains("GPO Name          : GP Finance") && text.contains("Status            : applied"), text)
        XCTAssertTrue(text.contains("not applied: lower precedence than GPO 'GP Finance'"), text)
    }

    func testDeniedAndDisabledGPOsFallThroughToTheNext() throws {
        directory.set(gpoDN("FINANCE"), "nTSecurityDescriptor", bytes: [GPLinkAndDescriptorTests.denyOne])
        directory.set(gpoDN("DOMAIN"), "flags", ["2"])
        var result = try discover()
        XCTAssertEqual(result.applied?.gpoName, "GP Finance", "the deny ACE names -1104, not this computer (-1103)")
        directory.set("CN=host1,OU=Finance,\(nc)", "objectSid",
                      bytes: [SecurityIdentifier(authority: 5, GPLinkAndDescriptorTests.domain.subAuthorities + [1104]).bytes])
        result = try discover()
        XCTAssertEqual(result.applied?.gpoName, "GP Site")
        XCTAssertEqual(result.candidates.first { $0.gpoName == "GP Domain" }?.exclusion, .computerSettingsDisabled)
        XCTAssertEqual(result.candidates.first { $0.gpoName == "GP Finance" }?.exclusion?.description.hasPrefix("security filtering"), true)
    }

    func testAPlannedSiteReplacesTheSubnetLookup() throws {
        let result = try GroupPolicyDiscovery(directory: directory).discover(account: "HOST1$", addresses: [], siteName: "Default-First-Site-Name",
                                                                              now: Date())
        XCTAssertEqual(result.site, site)
        XCTAssertEqual(result.candidates.map(\.gpoName), ["GP Finance", "GP Domain", "GP Site"])
        let nowhere = try GroupPolicyDiscovery(directory: directory).discover(account: "HOST1$", addresses: [IPAddress("192.0.2.1")!], now: Date())
        XCTAssertNil(nowhere.site, "no subnet object holds the address")
        XCTAssertEqual(nowhere.candidates.map(\.gpoName), ["GP Finance", "GP Domain"])
    }

    func testNoComputerAccountIsAnErrorThatSaysWhatToDo() {
        XCTAssertThrowsError(try GroupPolicyDiscovery(directory: directory).discover(account: "GHOST$", addresses: [], now: Date())) { error in
            XCTAssertTrue("\(error)".contains("no computer account GHOST$ in \(nc)"), "\(error)")
        }
    }

    func testPlanningForAContainerUsesAPlainComputersToken() throws {
        let result = try GroupPolicyDiscovery(directory: directory).plan(scope: nc, site: nil, now: Date())
        XCTAssertEqual(result.applied?.gpoName, "GP Domain", "a computer at the domain root gets the domain's GPO")
        XCTAssertEqual(result.candidates.count, 1)
        XCTAssertThrowsError(try GroupPolicyDiscovery(directory: directory).plan(scope: "OU=Nowhere,\(nc)", site: nil, now: Date()))
        XCTAssertThrowsError(try GroupPolicyDiscovery(directory: directory).plan(scope: "OU=X,DC=other,DC=test", site: nil, now: Date())) {
            XCTAssertTrue("\($0)".contains("is not in the domain"))
        }
    }

    func testThePolicyIsReadByItsClosureAndItsStampNoticesAnyChangeInIt() throws {
        let result = try discover()
        let policyDN = try XCTUnwrap(result.applied?.policyDN)
        let reader = AssignedPolicyReader(directory: directory, namingContext: nc)
        let (entries, stamp) = try reader.fetch(policyDN)
        XCTAssertEqual(entries.count, 7, "policy, ISAKMP, the rule and the default response rule, their two actions, the one filter list")
        XCTAssertEqual(try reader.stamp(of: policyDN), stamp)
        let snapshot = try AssignedPolicyReader.snapshot(of: policyDN, entries: entries, namingContext: nc, gpoName: "GP Finance")
        XCTAssertEqual(snapshot.store, "domain (GPO 'GP Finance')")
        XCTAssertEqual(snapshot.policy.name, "FINANCE policy")
        XCTAssertEqual(snapshot.rules.map(\.name), ["FINANCE rule"])
        XCTAssertNoThrow(try FilterCompiler.compile([snapshot], addresses: StaticAddressProvider(local: [IPAddress("10.77.51.2")!])))

        // Another policy's objects changing leave the stamp alone; this one's filter list changing does not.
        let other = directory.entries.firstIndex { $0.dn.contains("ipsecFilter") && $0.string("ipsecName") == "DOMAIN list" }!
        directory.entries[other].attributes["usnchanged"] = [Array("2000".utf8)]
        XCTAssertEqual(try reader.stamp(of: policyDN), stamp)
        let mine = directory.entries.firstIndex { $0.dn.contains("ipsecFilter") && $0.string("ipsecName") == "FINANCE list" }!
        directory.entries[mine].attributes["usnchanged"] = [Array("2001".utf8)]
        XCTAssertNotEqual(try reader.stamp(of: policyDN), stamp)

        // A damaged blob names the GPO and the object.
        directory.entries[mine].attributes["ipsecdata"] = [[0x01, 0x02]]
        let damaged = try reader.fetch(policyDN).entries
        XCTAssertThrowsError(try AssignedPolicyReader.snapshot(of: policyDN, entries: damaged, namingContext: nc, gpoName: "GP Finance")) {
            XCTAssertTrue("\($0)".hasPrefix("GPO 'GP Finance': ipsecFilter{"), "\($0)")
        }
        // A GPO naming a deleted policy.
        directory.entries.removeAll { $0.dn.lowercased() == policyDN.lowercased() }
        XCTAssertThrowsError(try reader.stamp(of: policyDN)) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
    }
}

