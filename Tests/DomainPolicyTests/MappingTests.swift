import DomainPolicy
import Foundation
import Packet
import Policy
import XCTest

/// Ward's objects → directory entries → Ward's objects, and Windows' default policies read as
/// Ward's objects.
final class MappingTests: XCTestCase {
    let container = IPsecContainer(namingContext: "DC=ward,DC=test")

    private func sample() throws -> DomainPolicyObjects {
        let lab = try XCTUnwrap(Subnet("10.77.0.0/16")), lab6 = try XCTUnwrap(Subnet("fd77::/16"))
        let list = FilterList(name: "Lab", description: "IPv4 and IPv6", filters: [
            Filter(description: "v4", source: .me, destination: .subnet(lab)),
            Filter(description: "v6", source: .me, destination: .subnet(lab6), protocolSelector: .tcp, destinationPort: 443),
            Filter(source: .me, destination: .server(.dns), protocolSelector: .udp, destinationPort: 53),
        ])
        let legacy = FilterList(name: "Legacy", filters: [
            Filter(source: .subnet(try XCTUnwrap(Subnet("10.77.1.0/24"))), destination: .subnet(try XCTUnwrap(Subnet("10.77.2.9/32"))),
                   protocolSelector: .icmp, mirrored: false),
        ])
        let secure = FilterAction(name: "Secure", action: .negotiate, quickModePFS: true, inboundPassthrough: false, fallbackToClear: true,
                                  securityMethods: [try QuickModeSecurityMethod(netsh: "ESP[AES-GCM256,None]:100000k/3600s"),
                                                    try QuickModeSecurityMethod(netsh: "AH[SHA256]+ESP[AES128,None]:20480k"),
                                                    try QuickModeSecurityMethod(netsh: "ESP[3DES,SHA1]:50000k/1800s")])
        let block = FilterAction(name: "Block", action: .block, securityMethods: [])
        let passthrough = FilterAction(name: "Pass", action: .negotiate, inboundPassthrough: true)
        var policy = IPsecPolicy(name: "Isolation", description: "test", pollingIntervalMinutes: 60,
                                 isakmp: ISAKMPSettings(quickModesPerMainMode: 5, lifetimeMinutes: 240,
                                                        securityMethods: try MainModeSecurityMethod.parseList("AES256-SHA256-14 3DES-SHA1-2 DES-MD5-1")))
        policy.defaultResponseRule.active = false
        let rules = [
            Rule(policyID: policy.id, name: "Isolation", filterListID: list.id, filterActionID: secure.id,
                 authenticationMethods: [.kerberos, .certificate(.init(name: "CN=Ward Lab Root, O=Ward", certificateMapping: true, excludeCAName: true)),
                                         .preSharedKey("lab-only-secret")]),
            Rule(policyID: policy.id, name: "Tunnel", filterListID: legacy.id, filterActionID: passthrough.id,
                 tunnelEndpoint: IPAddress("10.77.100.1"), connectionType: .lan, active: false, authenticationMethods: [.preSharedKey("t")]),
            Rule(policyID: policy.id, name: "Drop", filterListID: legacy.id, filterActionID: block.id, connectionType: .dialup),
        ]
        return DomainPolicyObjects(policies: [policy], rules: rules, filterLists: [list, legacy], filterActions: [secure, block, passthrough])
    }

    private func normalised(_ objects: DomainPolicyObjects) -> DomainPolicyObjects {
        var copy = objects
        copy.policies = copy.policies.map { var p = $0; p.whenChanged = .init(timeIntervalSince1970: 0); return p }.sorted { $0.name < $1.name }
        copy.rules = copy.rules.map { var r = $0; r.whenChanged = .init(timeIntervalSince1970: 0); return r }.sorted { $0.name < $1.name }
        copy.filterLists = copy.filterLists.map { var l = $0; l.whenChanged = .init(timeIntervalSince1970: 0); return l }.sorted { $0.name < $1.name }
        copy.filterActions = copy.filterActions.map { var a = $0; a.whenChanged = .init(timeIntervalSince1970: 0); return a }.sorted { $0.name < $1.name }
        return copy
    }

    func testWardObjectsSurviveTheDirectoryFormat() throws {
        let objects = try sample()
        var counter: UInt8 = 0
        let companions = [objects.policies[0].id: PolicyCompanions.fresh {
            counter += 1
            return UUID(uuid: (counter, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1))
        }]
        let entries = try DomainPolicyEncoder(container: container).entries(objects, companions: companions)
        XCTAssertEqual(entries.count, 2 + 3 + 3 + 4, "lists, actions, rules; policy, ISAKMP, default NFA and action")
        let image = try DomainPolicyDecoder(container: container).decode(Array(entries.values))
        XCTAssertEqual(normalised(image.objects), normalised(objects))
        XCTAssertEqual(image.companions, companions)
        // The IPv6 list carries the second section; the IPv4-only list is Windows 2003 bytes.
        let lab = try XCTUnwrap(entries[IPsecContainer.key(container.dn(.filter, objects.filterLists[0].id))])
        let blob = try FilterBlob.decode(lab.values("ipsecData")[0], object: "lab")
        XCTAssertEqual(blob.filters.count, 2, "the legacy section keeps the IPv4 filters")
        XCTAssertEqual(blob.version2?.count, 3, "the second section holds the whole list")
        XCTAssertEqual(blob.encoded(), lab.values("ipsecData")[0])
        let legacy = try XCTUnwrap(entries[IPsecContainer.key(container.dn(.filter, objects.filterLists[1].id))])
        XCTAssertNil(try FilterBlob.decode(legacy.values("ipsecData")[0], object: "legacy").version2)
    }

    func testWindowsDefaultPoliciesReadAsWardObjects() throws {
        guard let entries = ProvisionedPolicies.entries() else { throw XCTSkip("Samba's provision.ldif is not installed") }
        let image = try DomainPolicyDecoder(container: container).decode(entries)
        XCTAssertEqual(image.objects.policies.map(\.name).sorted(),
                       ["Client (Respond Only)", "Secure Server (Require Security)", "Server (Request Security)"])
        XCTAssertEqual(image.objects.filterLists.map(\.name).sorted(), ["All ICMP Traffic", "All IP Traffic"])
        for list in image.objects.filterLists {
            XCTAssertEqual(list.filters.count, 1)
            XCTAssertEqual(list.filters[0].source, .me)
            XCTAssertEqual(list.filters[0].destination, .any)
            XCTAssertTrue(list.filters[0].mirrored)
        }
        let actions = Dictionary(uniqueKeysWithValues: image.objects.filterActions.map { ($0.name, $0) })
        XCTAssertEqual(actions["Permit"]?.action, .permit)
        XCTAssertEqual(actions["Require Security"]?.inboundPassthrough, true)
        XCTAssertEqual(actions["Require Security"]?.fallbackToClear, false)
        XCTAssertEqual(actions["Require Security"]?.securityMethods.map(\.transformText),
                       ["ESP[3DES,SHA1]", "ESP[3DES,MD5]", "ESP[DES,SHA1]", "ESP[DES,MD5]"])
        XCTAssertEqual(actions["Request Security (Optional)"]?.fallbackToClear, true)
        let policies = Dictionary(uniqueKeysWithValues: image.objects.policies.map { ($0.name, $0) })
        for policy in policies.values {
            XCTAssertEqual(policy.isakmp.securityMethods, MainModeSecurityMethod.defaults, policy.name)
            XCTAssertEqual(policy.isakmp.lifetimeMinutes, 480)
            XCTAssertEqual(policy.pollingIntervalMinutes, 180)
            XCTAssertTrue(policy.defaultResponseRule.active)
            XCTAssertEqual(policy.defaultResponseRule.authenticationMethods, [.kerberos])
            XCTAssertEqual(policy.defaultResponseRule.securityMethods.count, 6)
        }
        let secure = try XCTUnwrap(policies["Secure Server (Require Security)"])
        let rules = image.objects.rules.filter { $0.policyID == secure.id }
        let lists = Dictionary(uniqueKeysWithValues: image.objects.filterLists.map { ($0.id, $0.name) })
        let names = Dictionary(uniqueKeysWithValues: image.objects.filterActions.map { ($0.id, $0.name) })
        XCTAssertEqual(Set(rules.map { "\(lists[$0.filterListID]!) -> \(names[$0.filterActionID]!)" }),
                       ["All IP Traffic -> Require Security", "All ICMP Traffic -> Permit"])
        XCTAssertTrue(image.objects.rules.filter { $0.policyID == policies["Client (Respond Only)"]!.id }.isEmpty)
        // Encoding what was read gives Windows' own bytes back for every deterministic blob.
        let encoded = try DomainPolicyEncoder(container: container).entries(image.objects, companions: image.companions)
        for entry in entries where !entry.dn.contains("6A1F5C6F") {
            let mine = try XCTUnwrap(encoded[IPsecContainer.key(entry.dn)], entry.dn)
            let kind = entry.strings("objectClass").last ?? ""
            if kind == "ipsecNegotiationPolicy" && entry.values("ipsecData")[0].contains(0x5C) { continue }
            XCTAssertEqual(mine.values("ipsecData"), entry.values("ipsecData"), entry.dn)
        }
    }

    func testDanglingReferenceNamesTheObjectAndAttribute() throws {
        guard var entries = ProvisionedPolicies.entries() else { throw XCTSkip("Samba's provision.ldif is not installed") }
        entries.removeAll { $0.dn.contains("ipsecNFA{7238523E") }
        XCTAssertThrowsError(try DomainPolicyDecoder(container: container).decode(entries)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("ipsecPolicy{7238523C-70FA-11D1-864C-14A300000000}: ipsecNFAReference: names CN=ipsecNFA{7238523E"), text)
        }
    }
}
