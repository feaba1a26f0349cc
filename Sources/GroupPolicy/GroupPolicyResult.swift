import Foundation

/// One Group Policy processing for the IPsec extension: who the computer is, where it sits,
/// which GPOs could assign it an IPsec policy and which one does. Kept in the domain cache
/// and shown by `ward ipsec show rsop`.
public struct GroupPolicyResult: Equatable, Sendable, Codable {
    /// `HOST1$`, or "(planning)".
    public var account: String
    public var computerDN: String
    public var domain: String
    public var site: String?
    /// The domain controller that answered.
    public var controller: String
    public var readAt: Date
    /// The SIDs security filtering was checked against (the computer's, its groups', and the
    /// well-known ones of a network logon).
    public var tokenSIDs: [SecurityIdentifier]
    /// The containers, nearest first, with their links.
    public var scopes: [ScopeOfManagement]
    /// Highest precedence first; the applied one (if any) has precedence 1.
    public var candidates: [GroupPolicyCandidate]

    public var applied: GroupPolicyCandidate? { candidates.first(where: \.applied) }

    public init(account: String, computerDN: String, domain: String, site: String?, controller: String, readAt: Date,
                tokenSIDs: [SecurityIdentifier], scopes: [ScopeOfManagement], candidates: [GroupPolicyCandidate]) {
        self.account = account
        self.computerDN = computerDN
        self.domain = domain
        self.site = site
        self.controller = controller
        self.readAt = readAt
        self.tokenSIDs = tokenSIDs
        self.scopes = scopes
        self.candidates = candidates
    }
}
