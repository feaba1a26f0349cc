import DomainPolicy

/// A container GPOs are linked to ([MS-GPOL] §1.1 "scope of management"): the computer's
/// organizational units, its domain, its site.
public struct ScopeOfManagement: Equatable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case site, domain, organizationalUnit = "OU"
    }

    public var kind: Kind
    public var dn: String
    /// Its `gPLink`, in link order.
    public var links: [GPLink]
    /// `gpOptions` = 1: links of the containers above it (and the site) apply only when
    /// enforced. Sites cannot block ([MS-GPOL] §2.2.3).
    public var blocksInheritance: Bool

    public init(kind: Kind, dn: String, links: [GPLink], blocksInheritance: Bool = false) {
        self.kind = kind
        self.dn = dn
        self.links = links
        self.blocksInheritance = blocksInheritance && kind != .site
    }
}

/// What the client knows of one GPO (the container under `CN=Policies,CN=System`).
public struct GroupPolicyObject: Equatable, Sendable, Codable {
    public var dn: String
    public var displayName: String
    /// `flags` bit 1 (0x2): the computer half is disabled ([MS-GPOL] §2.2.4).
    public var computerSettingsDisabled: Bool
    /// The computer half of `versionNumber` (its low 16 bits).
    public var computerVersion: Int
    /// `gPCMachineExtensionNames` lists the IPsec client-side extension
    /// (`IPsecClientSideExtension.guid`, [MS-GPIPSEC] §1.9): only such GPOs reach it
    /// ([MS-GPOL] §3.2.5.1.10).
    public var listsIPsecExtension: Bool
    /// The security check's outcome for this computer.
    public var access: SecurityDescriptor.Verdict
    /// The IPsec policy its `CN=IPSEC,CN=Windows,CN=Microsoft,CN=Machine` object assigns
    /// (`ipsecOwnersReference`), with the name written there; nil: it assigns none.
    public var ipsecPolicyDN: String?
    public var ipsecPolicyName: String?

    public init(dn: String, displayName: String, computerSettingsDisabled: Bool = false, computerVersion: Int = 0,
                listsIPsecExtension: Bool = false, access: SecurityDescriptor.Verdict = .granted,
                ipsecPolicyDN: String? = nil, ipsecPolicyName: String? = nil) {
        self.dn = dn
        self.displayName = displayName
        self.computerSettingsDisabled = computerSettingsDisabled
        self.computerVersion = computerVersion
        self.listsIPsecExtension = listsIPsecExtension
        self.access = access
        self.ipsecPolicyDN = ipsecPolicyDN
        self.ipsecPolicyName = ipsecPolicyName
    }
}

extension SecurityDescriptor.Verdict: Codable {
    private enum CodingKeys: String, CodingKey { case verdict, sid }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .verdict) {
        case "granted": self = .granted
        case "denied": self = .denied(try container.decode(SecurityIdentifier.self, forKey: .sid))
        default: self = .notGranted
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .granted: try container.encode("granted", forKey: .verdict)
        case .denied(let sid): try container.encode("denied", forKey: .verdict); try container.encode(sid, forKey: .sid)
        case .notGranted: try container.encode("notGranted", forKey: .verdict)
        }
    }
}
