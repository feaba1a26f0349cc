/// Which GPO's IPsec assignment applies to a computer, and why each other one does not: the
/// GPO list of [MS-GPOL] §3.2.5.1.5 filtered as §3.2.5.1.6 and §3.2.5.1.10 say, then the last
/// (highest precedence) GPO that assigns an IPsec policy ([MS-GPIPSEC] §3.2.5.3). Policies are
/// never merged. Pure: the directory was read before.
public enum GroupPolicyPrecedence {
    /// - Parameters:
    ///   - scopes: the computer's containers nearest first: its OU, the OUs above it, the
    ///     domain, then the site.
    ///   - gpos: the GPOs the links name, by DN (any case); a link to a GPO not here could not
    ///     be read (deleted, or its ACL hides it from this computer).
    /// - Returns: every link to a GPO that assigns an IPsec policy, highest precedence first;
    ///   the applied one has `precedence` 1.
    public static func resolve(_ scopes: [ScopeOfManagement], gpos: [String: GroupPolicyObject]) -> [GroupPolicyCandidate] {
        let byDN = Dictionary(gpos.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        // 1. The list, lowest precedence first: non-enforced links prepended scope by scope
        //    (nearest first, so the nearest OU's end up last, and within one container the
        //    first written wins); enforced links after all of them, nearer containers first, so
        //    an enforced domain link beats an enforced OU link. Inside one container enforced
        //    links keep link order too (the first written wins): [NF], Docs/group-policy.md.
        var nonEnforced: [(ScopeOfManagement, GPLink)] = []
        var enforced: [(ScopeOfManagement, GPLink)] = []
        var excluded: [(ScopeOfManagement, GPLink, GroupPolicyCandidate.Exclusion)] = []
        var blockedBy: ScopeOfManagement?
        for scope in scopes {
            var scopeEnforced: [(ScopeOfManagement, GPLink)] = []
            for link in scope.links {
                if link.disabled {
                    excluded.append((scope, link, .linkDisabled))
                } else if link.enforced {
                    scopeEnforced.append((scope, link))
                } else if let blocker = blockedBy {
                    excluded.append((scope, link, .inheritanceBlocked(by: blocker.dn)))
                } else {
                    nonEnforced.insert((scope, link), at: 0)
                }
            }
            enforced += scopeEnforced.reversed()
            if scope.blocksInheritance, blockedBy == nil { blockedBy = scope }
        }
        let ordered = nonEnforced + enforced

        // 2. Filtering, then the IPsec extension's own list: GPOs listing it that assign a policy.
        var applying: [GroupPolicyCandidate] = []
        var losing: [GroupPolicyCandidate] = []
        func candidate(_ scope: ScopeOfManagement, _ link: GPLink, _ gpo: GroupPolicyObject?) -> GroupPolicyCandidate {
            GroupPolicyCandidate(scope: scope.dn, scopeKind: scope.kind, gpoDN: link.gpoDN, gpoName: gpo?.displayName ?? link.gpoDN,
                                 enforced: link.enforced, policyDN: gpo?.ipsecPolicyDN, policyName: gpo?.ipsecPolicyName)
        }
        for (scope, link) in ordered.reversed() {
            let gpo = byDN[link.gpoDN.lowercased()]
            var entry = candidate(scope, link, gpo)
            guard let gpo else {
                entry.exclusion = .notReadable
                losing.append(entry)
                continue
            }
            guard gpo.ipsecPolicyDN != nil else { continue }  // assigns no IPsec policy: not the extension's business
            if gpo.computerSettingsDisabled {
                entry.exclusion = .computerSettingsDisabled
            } else if case .denied(let sid) = gpo.access {
                entry.exclusion = .securityFiltering("an ACE denies Read or Apply Group Policy to \(sid)")
            } else if gpo.access == .notGranted {
                entry.exclusion = .securityFiltering("no ACE grants this computer Read and Apply Group Policy")
            } else if !gpo.listsIPsecExtension {
                entry.exclusion = .extensionNotListed
            }
            if entry.exclusion == nil { applying.append(entry) } else { losing.append(entry) }
        }
        for (scope, link, why) in excluded {
            let gpo = byDN[link.gpoDN.lowercased()]
            guard gpo?.ipsecPolicyDN != nil else { continue }
            var entry = candidate(scope, link, gpo)
            entry.exclusion = why
            losing.append(entry)
        }
        for index in applying.indices {
            applying[index].precedence = index + 1
            if index > 0 { applying[index].exclusion = .lowerPrecedence(than: applying[0].gpoName) }
        }
        return applying + losing
    }
}

/// One link to a GPO that assigns an IPsec policy, as RSoP shows it.
public struct GroupPolicyCandidate: Equatable, Sendable, Codable {
    public var scope: String
    public var scopeKind: ScopeOfManagement.Kind
    public var gpoDN: String
    public var gpoName: String
    public var enforced: Bool
    public var policyDN: String?
    public var policyName: String?
    /// 1: applied. 2, 3…: would apply after the ones before it. nil: filtered out.
    public var precedence: Int?
    /// Why it does not apply; nil for the applied one.
    public var exclusion: Exclusion?

    public var applied: Bool { precedence == 1 }

    public init(scope: String, scopeKind: ScopeOfManagement.Kind, gpoDN: String, gpoName: String, enforced: Bool,
                policyDN: String?, policyName: String?, precedence: Int? = nil, exclusion: Exclusion? = nil) {
        self.scope = scope
        self.scopeKind = scopeKind
        self.gpoDN = gpoDN
        self.gpoName = gpoName
        self.enforced = enforced
        self.policyDN = policyDN
        self.policyName = policyName
        self.precedence = precedence
        self.exclusion = exclusion
    }

    public enum Exclusion: Equatable, Sendable, Codable, CustomStringConvertible {
        case lowerPrecedence(than: String)
        case linkDisabled
        case inheritanceBlocked(by: String)
        case computerSettingsDisabled
        case securityFiltering(String)
        case extensionNotListed
        case notReadable

        public var description: String {
            switch self {
            case .lowerPrecedence(let winner): "lower precedence than GPO '\(winner)'"
            case .linkDisabled: "the link is disabled"
            case .inheritanceBlocked(let scope): "inheritance is blocked at \(scope) and the link is not enforced"
            case .computerSettingsDisabled: "the GPO's computer settings are disabled"
            case .securityFiltering(let why): "security filtering: \(why)"
            case .extensionNotListed: "gPCMachineExtensionNames does not list the IPsec extension"
            case .notReadable: "the GPO cannot be read (deleted, or its ACL hides it from this computer)"
            }
        }
    }
}
