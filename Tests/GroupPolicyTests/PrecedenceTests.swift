@testable import GroupPolicy
import XCTest

/// [MS-GPOL] §3.2.5.1.5's list, [MS-GPIPSEC] §3.2.5.3's choice: one case per rule.
final class PrecedenceTests: XCTestCase {
    let site = "CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=ward,DC=test"
    let domain = "DC=ward,DC=test", finance = "OU=Finance,DC=ward,DC=test", payroll = "OU=Payroll,OU=Finance,DC=ward,DC=test"

    func gpo(_ name: String, _ change: (inout GroupPolicyObject) -> Void = { _ in }) -> GroupPolicyObject {
        var object = GroupPolicyObject(dn: "CN={\(name)},CN=Policies,CN=System,DC=ward,DC=test", displayName: name, listsIPsecExtension: true,
                                       ipsecPolicyDN: "CN=ipsecPolicy{\(name)},CN=IP Security,CN=System,DC=ward,DC=test", ipsecPolicyName: "\(name) policy")
        change(&object)
        return object
    }
    func link(_ name: String, disabled: Bool = false, enforced: Bool = false) -> GPLink {
        GPLink(gpoDN: "CN={\(name)},CN=Policies,CN=System,DC=ward,DC=test", disabled: disabled, enforced: enforced)
    }
    func resolve(_ scopes: [ScopeOfManagement], _ gpos: [GroupPolicyObject]) -> [GroupPolicyCandidate] {
        GroupPolicyPrecedence.resolve(scopes, gpos: Dictionary(uniqueKeysWithValues: gpos.map { ($0.dn, $0) }))
    }
    func applied(_ candidates: [GroupPolicyCandidate]) -> String? { candidates.first(where: \.applied)?.gpoName }
    func why(_ candidates: [GroupPolicyCandidate], _ name: String) -> String? {
        candidates.first { $0.gpoName == name }?.exclusion?.description
    }

    func testNearerContainersWinAndTheSiteIsLowest() {
        let scopes = [ScopeOfManagement(kind: .organizationalUnit, dn: payroll, links: [link("Payroll")]),
                      ScopeOfManagement(kind: .organizationalUnit, dn: finance, links: [link("Finance")]),
                      ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain")]),
                      ScopeOfManagement(kind: .site, dn: site, links: [link("Site")])]
        let result = resolve(scopes, ["Payroll", "Finance", "Domain", "Site"].map { gpo($0) })
        XCTAssertEqual(result.map(\.gpoName), ["Payroll", "Finance", "Domain", "Site"])
        XCTAssertEqual(result.map(\.precedence), [1, 2, 3, 4])
        XCTAssertEqual(why(result, "Site"), "lower precedence than GPO 'Payroll'")
        XCTAssertEqual(result[0].scope, payroll)
    }

    func testWithinOneContainerTheFirstLinkWins() {
        let result = resolve([ScopeOfManagement(kind: .domain, dn: domain, links: [link("A"), link("B")])], [gpo("A"), gpo("B")])
        XCTAssertEqual(applied(result), "A")
    }

    func testAnEnforcedDomainLinkBeatsTheOUsAndAnEnforcedOULink() {
        let scopes = [ScopeOfManagement(kind: .organizationalUnit, dn: finance, links: [link("Finance", enforced: true)]),
                      ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain", enforced: true)])]
        XCTAssertEqual(applied(resolve(scopes, [gpo("Finance"), gpo("Domain")])), "Domain")
        let notEnforced = [ScopeOfManagement(kind: .organizationalUnit, dn: finance, links: [link("Finance")]),
                           ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain", enforced: true)])]
        XCTAssertEqual(applied(resolve(notEnforced, [gpo("Finance"), gpo("Domain")])), "Domain")
    }

    func testBlockedInheritanceDropsWhatIsAboveUnlessEnforced() {
        let scopes = [ScopeOfManagement(kind: .organizationalUnit, dn: finance, links: [], blocksInheritance: true),
                      ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain")]),
                      ScopeOfManagement(kind: .site, dn: site, links: [link("Site")])]
        let result = resolve(scopes, [gpo("Domain"), gpo("Site")])
        XCTAssertNil(applied(result))
        XCTAssertEqual(why(result, "Domain"), "inheritance is blocked at \(finance) and the link is not enforced")
        XCTAssertEqual(why(result, "Site"), "inheritance is blocked at \(finance) and the link is not enforced")
        var enforced = scopes
        enforced[2].links = [link("Site", enforced: true)]
        XCTAssertEqual(applied(resolve(enforced, [gpo("Domain"), gpo("Site")])), "Site")
        // The blocking container's own links still apply.
        var own = scopes
        own[0].links = [link("Finance")]
        XCTAssertEqual(applied(resolve(own, [gpo("Finance"), gpo("Domain")])), "Finance")
    }

    func testFilteredGPOsAreSkippedWithTheirReason() {
        let scopes = [ScopeOfManagement(kind: .organizationalUnit, dn: finance,
                                        links: [link("Disabled", disabled: true), link("Denied"), link("NoComputer"), link("NoExtension"), link("Gone")]),
                      ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain")])]
        let gpos = [gpo("Disabled"), gpo("Denied") { $0.access = .denied(SecurityIdentifier(authority: 5, [21, 1, 2, 3, 1104])) },
                    gpo("NoComputer") { $0.computerSettingsDisabled = true }, gpo("NoExtension") { $0.listsIPsecExtension = false },
                    gpo("Domain")]
        let result = resolve(scopes, gpos)
        XCTAssertEqual(applied(result), "Domain")
        XCTAssertEqual(why(result, "Disabled"), "the link is disabled")
        XCTAssertEqual(why(result, "Denied"), "security filtering: an ACE denies Read or Apply Group Policy to S-1-5-21-1-2-3-1104")
        XCTAssertEqual(why(result, "NoComputer"), "the GPO's computer settings are disabled")
        XCTAssertEqual(why(result, "NoExtension"), "gPCMachineExtensionNames does not list the IPsec extension")
        XCTAssertTrue(why(result, result.first { $0.gpoDN.contains("Gone") }!.gpoName)!.contains("cannot be read"))
        let notGranted = resolve(scopes, gpos.map { $0.displayName == "Domain" ? gpo("Domain") { $0.access = .notGranted } : $0 })
        XCTAssertNil(applied(notGranted))
        XCTAssertEqual(why(notGranted, "Domain"), "security filtering: no ACE grants this computer Read and Apply Group Policy")
    }

    func testAGPOThatAssignsNoIPsecPolicyIsNotTheExtensionsBusiness() {
        let scopes = [ScopeOfManagement(kind: .organizationalUnit, dn: finance, links: [link("Plain")]),
                      ScopeOfManagement(kind: .domain, dn: domain, links: [link("Domain")])]
        let result = resolve(scopes, [gpo("Plain") { $0.ipsecPolicyDN = nil }, gpo("Domain")])
        XCTAssertEqual(result.map(\.gpoName), ["Domain"])
        XCTAssertEqual(result.first?.precedence, 1)
    }

    func testSitesCannotBlockInheritance() {
        XCTAssertFalse(ScopeOfManagement(kind: .site, dn: site, links: [], blocksInheritance: true).blocksInheritance)
    }
}
