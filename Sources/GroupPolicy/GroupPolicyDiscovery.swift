import DomainPolicy
import Foundation
import Packet

/// The query sequence that finds a computer's GPOs ([MS-GPOL] §3.2.5.1): the computer's
/// account and token, the containers above it with their links, its site, the linked GPOs
/// with their flags and ACLs, and the GPOs' IPsec assignment objects ([MS-GPIPSEC] §2.2.2),
/// then `GroupPolicyPrecedence`. Over `GroupPolicyDirectory`, so the tests drive it with an
/// in-memory directory. About 8 + (number of OUs) searches.
public struct GroupPolicyDiscovery {
    public let directory: any GroupPolicyDirectory

    public init(directory: any GroupPolicyDirectory) { self.directory = directory }

    /// The naming contexts from the root DSE.
    public func namingContexts() throws(DirectoryError) -> (domain: String, configuration: String) {
        let root = try directory.search(base: "", scope: .base, filter: "(objectClass=*)",
                                        attributes: ["defaultNamingContext", "configurationNamingContext"], securityDescriptor: false).first
        guard let domain = root?.string("defaultNamingContext"), let configuration = root?.string("configurationNamingContext") else {
            throw DirectoryError(code: DirectoryError.noSuchObject, operation: "read the root DSE of \(directory.serverName)",
                                 message: "no naming contexts: not an Active Directory domain controller")
        }
        return (domain, configuration)
    }

    /// Logging mode: the GPOs that apply to the computer account `account` (`HOST1$`) at
    /// `addresses` (for its site), or in the site named `siteName` (planning for an account).
    ///
    /// - Throws: `DirectoryError` when the controller fails (try another, or back off);
    ///   `GroupPolicyError` when the directory's content is wrong (named).
    public func discover(account: String, addresses: [IPAddress], siteName: String? = nil, now: Date) throws -> GroupPolicyResult {
        let (domain, configuration) = try namingContexts()
        let found = try directory.search(base: domain, scope: .subtree,
                                         filter: "(&(objectClass=computer)(sAMAccountName=\(account.ldapFilterEscaped)))",
                                         attributes: ["objectSid"], securityDescriptor: false)
        guard let computer = found.first(where: { !$0.dn.isEmpty }) else {
            throw GroupPolicyError("no computer account \(account) in \(domain): join the host (samba-tool computer add, net ads join) or give --machine-account")
        }
        guard let sidBytes = computer.values("objectSid").first else { throw GroupPolicyError("\(computer.dn): objectSid: is missing") }
        let (sid, _) = try SecurityIdentifier.decode(sidBytes, field: "\(computer.dn): objectSid")
        // tokenGroups is constructed: asked for alone, with base scope ([MS-ADTS] §3.1.1.4.5.19).
        let groups = try directory.search(base: computer.dn, scope: .base, filter: "(objectClass=*)", attributes: ["tokenGroups"],
                                          securityDescriptor: false).first?.values("tokenGroups") ?? []
        var token: [SecurityIdentifier] = [sid]
        for value in groups { token.append(try SecurityIdentifier.decode(value, field: "\(computer.dn): tokenGroups").0) }
        token += [.everyone, .authenticatedUsers, .thisOrganization]
        let site: String?
        if let siteName {
            site = "CN=\(siteName),CN=Sites,\(configuration)"
        } else {
            let subnets = try directory.search(base: "CN=Subnets,CN=Sites," + configuration, scope: .oneLevel, filter: "(objectClass=subnet)",
                                               attributes: ["cn", "siteObject"], securityDescriptor: false)
            site = SiteLocator.site(for: addresses, subnets: subnets)
        }
        return try resolve(account: account, computerDN: computer.dn, domain: domain, site: site, token: token, now: now)
    }

    /// Planning mode: what a computer placed in `scope` (an OU's or the domain's DN) would
    /// receive, with the token of a plain domain computer (Domain Computers, Authenticated
    /// Users, Everyone) and, when given, `site` (its name).
    public func plan(scope: String, site: String?, now: Date) throws -> GroupPolicyResult {
        let (domain, configuration) = try namingContexts()
        guard scope.lowercased().hasSuffix(domain.lowercased()) else {
            throw GroupPolicyError("som: '\(scope)' is not in the domain \(domain)")
        }
        let root = try directory.search(base: domain, scope: .base, filter: "(objectClass=*)", attributes: ["objectSid"], securityDescriptor: false)
        guard let bytes = root.first?.values("objectSid").first else { throw GroupPolicyError("\(domain): objectSid: is missing") }
        let domainSID = try SecurityIdentifier.decode(bytes, field: "\(domain): objectSid").0
        let exists = try directory.search(base: scope, scope: .base, filter: "(objectClass=*)", attributes: ["objectClass"], securityDescriptor: false)
        guard !exists.isEmpty else { throw GroupPolicyError("som: '\(scope)' does not exist") }
        let token = [SecurityIdentifier(authority: 5, domainSID.subAuthorities + [515]), .everyone, .authenticatedUsers, .thisOrganization]
        return try resolve(account: "(planning)", computerDN: "CN=(a computer)," + scope, domain: domain,
                           site: site.map { "CN=\($0),CN=Sites,\(configuration)" }, token: token, now: now)
    }

    private func resolve(account: String, computerDN: String, domain: String, site: String?, token: [SecurityIdentifier],
                         now: Date) throws -> GroupPolicyResult {
        // 1. The containers above the computer: OUs (CN= containers such as CN=Computers are
        //    not scopes of management), then the domain, then the site.
        var scopes: [ScopeOfManagement] = []
        var current = computerDN.parentDN
        while let dn = current {
            let upper = dn.uppercased()
            let isDomain = dn.lowercased() == domain.lowercased()
            if upper.hasPrefix("OU=") || isDomain {
                scopes.append(try scopeOfManagement(dn, kind: isDomain ? .domain : .organizationalUnit))
            }
            if isDomain { break }
            current = dn.parentDN
        }
        if let site, let scope = try? scopeOfManagement(site, kind: .site) { scopes.append(scope) }

        // 2. The linked GPOs, in one search, with the DACL each one carries.
        let linked = Set(scopes.flatMap { $0.links.map { $0.gpoDN.lowercased() } })
        var gpos: [String: GroupPolicyObject] = [:]
        let policies = "CN=Policies,CN=System," + domain
        if !linked.isEmpty {
            let filter = "(&(objectClass=groupPolicyContainer)(|" + linked.sorted().map { "(distinguishedName=\($0.ldapFilterEscaped))" }.joined() + "))"
            let tokenSet = Set(token)
            for entry in try directory.search(base: policies, scope: .oneLevel, filter: filter,
                                              attributes: ["displayName", "flags", "versionNumber", "gPCMachineExtensionNames", "nTSecurityDescriptor"],
                                              securityDescriptor: true) {
                let access: SecurityDescriptor.Verdict
                if let descriptor = entry.values("nTSecurityDescriptor").first {
                    access = try SecurityDescriptor.decode(descriptor, object: entry.dn).applyGroupPolicy(for: tokenSet)
                } else {
                    access = .notGranted
                }
                let flags = Int(entry.string("flags") ?? "0") ?? 0
                let version = Int(entry.string("versionNumber") ?? "0") ?? 0
                gpos[entry.dn.lowercased()] = GroupPolicyObject(
                    dn: entry.dn, displayName: entry.string("displayName") ?? entry.dn, computerSettingsDisabled: flags & 2 != 0,
                    computerVersion: version & 0xFFFF,
                    listsIPsecExtension: (entry.string("gPCMachineExtensionNames") ?? "").uppercased().contains(IPsecClientSideExtension.guid),
                    access: access)
            }
            // 3. Their IPsec assignments: `CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine,<GPO>`, all in one search.
            for entry in try directory.search(base: policies, scope: .subtree, filter: "(&(objectClass=ipsecPolicy)(cn=ipsec))",
                                              attributes: ["ipsecOwnersReference", "ipsecName"], securityDescriptor: false) {
                let suffix = ",CN=Windows,CN=Microsoft,CN=Machine,"
                guard let range = entry.dn.range(of: suffix, options: .caseInsensitive) else { continue }
                let gpoKey = String(entry.dn[range.upperBound...]).lowercased()
                guard gpos[gpoKey] != nil, let policy = entry.string("ipsecOwnersReference") else { continue }
                gpos[gpoKey]!.ipsecPolicyDN = policy
                gpos[gpoKey]!.ipsecPolicyName = entry.string("ipsecName")
            }
        }
        return GroupPolicyResult(account: account, computerDN: computerDN, domain: domain, site: site, controller: directory.serverName,
                                 readAt: now, tokenSIDs: token, scopes: scopes,
                                 candidates: GroupPolicyPrecedence.resolve(scopes, gpos: gpos))
    }

    private func scopeOfManagement(_ dn: String, kind: ScopeOfManagement.Kind) throws -> ScopeOfManagement {
        let entry = try directory.search(base: dn, scope: .base, filter: "(objectClass=*)", attributes: ["gPLink", "gpOptions"],
                                         securityDescriptor: false).first
        let links = try GPLink.parse(entry?.string("gPLink") ?? "", container: dn)
        return ScopeOfManagement(kind: kind, dn: dn, links: links, blocksInheritance: entry?.string("gpOptions") == "1")
    }
}
