import Directory
import DomainPolicy
import Foundation
import Policy

/// Assigning a domain policy to a Group Policy object ([MS-GPIPSEC] §2.2.2, [MS-GPOL] §2.2.4):
/// 1. the GPO's `CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine` object (class `ipsecPolicy`)
///    names the policy in `ipsecOwnersReference`;
/// 2. the IPsec client-side extension pair joins `gPCMachineExtensionNames`, kept sorted;
/// 3. the computer half of `versionNumber` goes up by one, in the directory and in the GPO's
///    `GPT.INI` on SYSVOL, so clients notice the change at their next refresh.
extension ActiveDirectoryPolicyStore {
    struct GroupPolicyObject {
        var dn: String
        var guid: String
        var version: Int
        var extensions: String?
        var fileSystemPath: String?
    }

    func groupPolicyObject(named name: String) throws -> GroupPolicyObject {
        let base = "CN=Policies,CN=System," + directory.defaultNamingContext
        let escaped = name.ldapFilterEscaped
            .replacingOccurrences(of: "(", with: "\\28").replacingOccurrences(of: ")", with: "\\29")
        let found = try directory.search(base: base, oneLevel: true,
                                         filter: "(&(objectClass=groupPolicyContainer)(displayName=\(escaped)))",
                                         attributes: ["cn", "versionNumber", "gPCMachineExtensionNames", "gPCFileSysPath"])
        guard let entry = found.first else {
            throw DomainObjectError(object: "GPO '\(name)'", attribute: "gponame", "no Group Policy object of the domain has that display name")
        }
        guard found.count == 1 else {
            throw DomainObjectError(object: "GPO '\(name)'", attribute: "gponame", "\(found.count) Group Policy objects have that display name")
        }
        return GroupPolicyObject(dn: entry.dn, guid: entry.string("cn") ?? "", version: Int(entry.string("versionNumber") ?? "0") ?? 0,
                                 extensions: entry.string("gPCMachineExtensionNames"), fileSystemPath: entry.string("gPCFileSysPath"))
    }

    public func assign(policyNamed policyName: String, toGPO gpoName: String) throws {
        let loaded = try load()
        guard let policy = loaded.image.objects.policies.first(where: { $0.name.lowercased() == policyName.lowercased() }) else {
            throw DomainObjectError(object: "policy '\(policyName)'", attribute: "name", "is not in the domain store")
        }
        let gpo = try groupPolicyObject(named: gpoName)
        let policyDN = container.dn(.policy, policy.id)
        // 1. The containers under the GPO's Machine part, then the IPSEC object.
        var parent = "CN=Machine," + gpo.dn
        for name in ["Microsoft", "Windows"] {
            let dn = "CN=\(name),\(parent)"
            try addContainer(dn)
            parent = dn
        }
        let ipsecDN = "CN=IPSEC," + parent
        let existing = try? directory.search(base: ipsecDN, oneLevel: false, filter: "(objectClass=*)", attributes: ["ipsecOwnersReference"])
        if let current = existing?.first {
            let owners = current.values("ipsecOwnersReference")
            var changes: [AttributeChange] = []
            if !owners.isEmpty { changes.append(AttributeChange(.delete, "ipsecOwnersReference", owners)) }
            changes.append(AttributeChange(.add, "ipsecOwnersReference", strings: [policyDN]))
            changes.append(AttributeChange(.replace, "ipsecName", strings: [policy.name]))
            changes.append(AttributeChange(.replace, "description", strings: policy.description.isEmpty ? [] : [policy.description]))
            try directory.modify(ipsecDN, changes)
        } else {
            // [MS-GPIPSEC] §2.2.2: the reference, and the policy's name and description for display.
            var attributes: [String: [[UInt8]]] = [
                "objectClass": [Array("ipsecPolicy".utf8)],
                "ipsecName": [Array(policy.name.utf8)],
                "ipsecOwnersReference": [Array(policyDN.utf8)],
            ]
            if !policy.description.isEmpty { attributes["description"] = [Array(policy.description.utf8)] }
            try directory.add(DirectoryEntry(dn: ipsecDN, attributes: attributes))
        }
        // 2 and 3 in one modify: the old version must still be there (another editor's bump
        // makes this fail rather than be lost).
        let version = Self.nextComputerVersion(gpo.version)
        var changes = [AttributeChange(.delete, "versionNumber", strings: [String(gpo.version)]),
                       AttributeChange(.add, "versionNumber", strings: [String(version)])]
        let extensions = Self.addExtension(IPsecClientSideExtension.pair, to: gpo.extensions ?? "")
        if extensions != gpo.extensions { changes.append(AttributeChange(.replace, "gPCMachineExtensionNames", strings: [extensions])) }
        try directory.modify(gpo.dn, changes)
        // SYSVOL's top folder is the domain's DNS name, whatever name reached the controller
        // (`domain=dc1.ward.test` names a host): DC=ward,DC=test → ward.test.
        let dnsName = directory.defaultNamingContext.split(separator: ",")
            .compactMap { $0.lowercased().hasPrefix("dc=") ? String($0.dropFirst(3)) : nil }.joined(separator: ".")
        try SysvolFile.writeVersion(version, gpoGUID: gpo.guid, domain: dnsName.isEmpty ? domain : dnsName, server: directory.serverName)
    }

    /// Adds a container; one that already exists is fine.
    private func addContainer(_ dn: String) throws(DirectoryError) {
        let existing = try? directory.search(base: dn, oneLevel: false, filter: "(objectClass=*)", attributes: ["cn"])
        if existing?.isEmpty == false { return }
        try directory.add(DirectoryEntry(dn: dn, attributes: ["objectClass": [Array("container".utf8)]]))
    }

    public func assignedPolicy(ofGPO gpoName: String) throws -> [(String, String)] {
        let gpo = try groupPolicyObject(named: gpoName)
        let ipsecDN = "CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine," + gpo.dn
        let found = (try? directory.search(base: ipsecDN, oneLevel: false, filter: "(objectClass=*)", attributes: ["ipsecOwnersReference"])) ?? []
        guard let owner = found.first?.string("ipsecOwnersReference") else {
            return [("GPO Name", gpoName), ("GPO", gpo.guid), ("Assigned Policy", "NONE")]
        }
        let loaded = try load()
        let policy = container.parse(owner).flatMap { parsed in loaded.image.objects.policies.first { $0.id == parsed.id } }
        return [("GPO Name", gpoName), ("GPO", gpo.guid), ("Assigned Policy", policy?.name ?? "(missing: \(owner))"),
                ("Policy DN", owner), ("Version", String(gpo.version & 0xFFFF))]
    }

    /// [MS-GPOL] §2.2.4: the low 16 bits count computer-settings changes.
    static func nextComputerVersion(_ version: Int) -> Int {
        let user = version & ~0xFFFF
        return user | (((version & 0xFFFF) + 1) & 0xFFFF)
    }

    /// Adds one `[{CSE}{tool}…]` group to the list, sorted by client-side extension GUID.
    static func addExtension(_ group: String, to list: String) -> String {
        var groups: [String] = []
        var current = ""
        for character in list {
            current.append(character)
            if character == "]" {
                groups.append(current)
                current = ""
            }
        }
        if !groups.contains(where: { $0.uppercased() == group.uppercased() }) { groups.append(group) }
        return groups.sorted { $0.uppercased() < $1.uppercased() }.joined()
    }
}
