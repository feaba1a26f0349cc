import Foundation
import Policy

/// Ward's policy objects of one domain store: what `ward ipsec static` edits.
public struct DomainPolicyObjects: Equatable, Sendable {
    public var policies: [IPsecPolicy]
    /// Every policy's rules (`Rule.policyID` names the policy), the default response rules
    /// excepted: those are part of their `IPsecPolicy`.
    public var rules: [Rule]
    public var filterLists: [FilterList]
    public var filterActions: [FilterAction]

    public init(policies: [IPsecPolicy] = [], rules: [Rule] = [], filterLists: [FilterList] = [], filterActions: [FilterAction] = []) {
        self.policies = policies
        self.rules = rules
        self.filterLists = filterLists
        self.filterActions = filterActions
    }
}

/// The objects Windows keeps beside a policy that Ward's model folds into `IPsecPolicy`: the
/// ISAKMP object, and the default response rule's NFA and negotiation policy.
///
/// Read from the directory for an existing policy, so an edit rewrites Windows' own objects;
/// drawn fresh for a policy Ward creates.
public struct PolicyCompanions: Equatable, Sendable {
    public var isakmpID: UUID
    /// The GUID inside the ISAKMP blob (ISAKMP-Policy-Identifier), distinct from `isakmpID`.
    public var isakmpIdentifier: UUID
    public var defaultRuleID: UUID
    public var defaultActionID: UUID

    public init(isakmpID: UUID, isakmpIdentifier: UUID, defaultRuleID: UUID, defaultActionID: UUID) {
        self.isakmpID = isakmpID
        self.isakmpIdentifier = isakmpIdentifier
        self.defaultRuleID = defaultRuleID
        self.defaultActionID = defaultActionID
    }

    /// New identities, from `random` (injected so tests are repeatable).
    public static func fresh(_ random: () -> UUID) -> PolicyCompanions {
        PolicyCompanions(isakmpID: random(), isakmpIdentifier: random(), defaultRuleID: random(), defaultActionID: random())
    }
}

/// The GUIDs on `ipsecNegotiationPolicy` objects ([MS-GPIPSEC] §2.2.1.4).
public enum NegotiationPolicyGUID {
    public static let block = UUID(uuidString: "3F91A819-7647-11D1-864D-D46A00000000")!
    public static let permit = UUID(uuidString: "8A171DD2-77E3-11D1-8659-A04F00000000")!
    public static let negotiate = UUID(uuidString: "8A171DD3-77E3-11D1-8659-A04F00000000")!
    /// Negotiate, accepting unsecured inbound traffic (`inpass=yes`).
    public static let inboundPassThrough = UUID(uuidString: "3F91A81A-7647-11D1-864D-D46A00000000")!
    public static let standardType = UUID(uuidString: "62F49E10-6C37-11D1-864C-14A300000000")!
    public static let defaultResponseType = UUID(uuidString: "62F49E13-6C37-11D1-864C-14A300000000")!
}

/// Attribute names as the domain store writes and compares them (lower case).
enum IPsecAttribute {
    static let objectClass = "objectclass"
    static let name = "ipsecname"
    static let description = "description"
    static let id = "ipsecid"
    static let dataType = "ipsecdatatype"
    static let data = "ipsecdata"
    static let owners = "ipsecownersreference"
    static let nfaReference = "ipsecnfareference"
    static let isakmpReference = "ipsecisakmpreference"
    static let filterReference = "ipsecfilterreference"
    static let negotiationReference = "ipsecnegotiationpolicyreference"
    static let negotiationType = "ipsecnegotiationpolicytype"
    static let negotiationAction = "ipsecnegotiationpolicyaction"
    static let whenChanged = "whenchanged"

    /// Attributes naming other objects that must exist first (AD checks DN-valued attributes).
    static let forwardReferences: Set<String> = [nfaReference, isakmpReference, filterReference, negotiationReference]
}

/// The Version Information Object the Windows snap-in keeps in every domain's container; not a
/// rule, never changed by Ward.
public enum VersionInformationObject {
    public static let id = UUID(uuidString: "6A1F5C6F-72B7-11D2-ACF0-0060B0ECCA17")!
}

/// The IPsec client-side extension of Group Policy and its snap-in's tool extension, as GPOs
/// list them in `gPCMachineExtensionNames` ([MS-GPIPSEC] §1.9, §2.2.2).
public enum IPsecClientSideExtension {
    public static let guid = "{E437BC1C-AA7D-11D2-A382-00C04F991E27}"
    public static let toolGUID = "{DEA8AFA0-CC85-11D0-9CE2-0080C7221EBD}"
    /// `[{CSE}{tool}]`, one group of `gPCMachineExtensionNames`.
    public static var pair: String { "[\(guid)\(toolGUID)]" }
}
