import Foundation
import Packet

/// Which interfaces a rule applies to (reference a.4; stored by Windows as interface types
/// 0xFFFFFFFD all, 0xFFFFFFFE LAN, 0xFFFFFFFF dial-up).
public enum ConnectionType: String, CaseIterable, Codable, Sendable {
    case all, lan, dialup

    public init?(netsh text: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.rawValue == text.lowercased() }) else { return nil }
        self = match
    }
}

/// A rule of a policy: filter list + filter action + authentication + mode (reference a.4).
///
/// A rule refers to its filter list and filter action by id, so renaming them keeps the link.
/// A tunnel endpoint makes it a tunnel-mode rule for one direction; a tunnel needs two rules.
public struct Rule: Hashable, Codable, Sendable {
    public var id: UUID
    public var policyID: UUID
    public var name: String
    public var description: String
    public var filterListID: UUID
    public var filterActionID: UUID
    /// The remote (outbound rule) or local (inbound rule) tunnel endpoint; nil = transport mode.
    public var tunnelEndpoint: IPAddress?
    public var connectionType: ConnectionType
    public var active: Bool
    /// In order of preference.
    public var authenticationMethods: [AuthenticationMethod]
    public var whenChanged: Date

    public init(id: UUID = .random(), policyID: UUID, name: String, description: String = "",
                filterListID: UUID, filterActionID: UUID, tunnelEndpoint: IPAddress? = nil,
                connectionType: ConnectionType = .all, active: Bool = true,
                authenticationMethods: [AuthenticationMethod] = AuthenticationMethod.defaults,
                whenChanged: Date = Date(timeIntervalSince1970: 0)) {
        self.id = id
        self.policyID = policyID
        self.name = name
        self.description = description
        self.filterListID = filterListID
        self.filterActionID = filterActionID
        self.tunnelEndpoint = tunnelEndpoint
        self.connectionType = connectionType
        self.active = active
        self.authenticationMethods = authenticationMethods
        self.whenChanged = whenChanged
    }

    public var objectName: String { "rule '\(name)'" }

    public var isTunnel: Bool { tunnelEndpoint != nil }

    /// Checks the rule on its own: name and authentication methods.
    public func validate() throws(ValidationError) {
        do throws(ValidationError) {
            try ObjectName.validate(name)
            if authenticationMethods.isEmpty {
                throw ValidationError(field: "kerberos", "a rule needs at least one authentication method")
            }
            try AuthenticationMethod.validateList(authenticationMethods)
        } catch { throw error.on(objectName) }
    }

    /// A tunnel rule describes one direction (reference a.4): mirroring would also send the
    /// reverse traffic into the same tunnel endpoint, so its list may hold no mirrored filter.
    public func validateTunnel(filterList: FilterList) throws(ValidationError) {
        guard isTunnel, let mirrored = filterList.filters.first(where: \.mirrored) else { return }
        throw ValidationError(object: objectName, field: "tunnel",
                              "\(filterList.objectName) has a mirrored filter (\(mirrored.source) to \(mirrored.destination)); tunnel rules need mirrored=no filters, one rule per direction")
    }
}

extension AuthenticationMethod {
    /// At most one Kerberos and one preshared key; each root CA at most once.
    public static func validateList(_ methods: [AuthenticationMethod]) throws(ValidationError) {
        var kerberos = 0, psk = 0
        var roots = Set<String>()
        for method in methods {
            switch method {
            case .kerberos: kerberos += 1
            case .preSharedKey: psk += 1
            case .certificate(let root):
                if !roots.insert(root.name.lowercased()).inserted {
                    throw ValidationError(field: "rootca", "root CA '\(root.name)' is listed twice")
                }
            }
        }
        if kerberos > 1 { throw ValidationError(field: "kerberos", "is listed twice") }
        if psk > 1 { throw ValidationError(field: "psk", "only one preshared key per rule") }
    }
}

/// The rule every policy owns that answers IKE from peers no other rule covers (reference d.7).
/// Its action is always negotiate; it can be deactivated but not deleted.
public struct DefaultResponseRule: Hashable, Codable, Sendable {
    public var active: Bool
    public var quickModePFS: Bool
    public var securityMethods: [QuickModeSecurityMethod]
    public var authenticationMethods: [AuthenticationMethod]

    public init(active: Bool = true, quickModePFS: Bool = false,
                securityMethods: [QuickModeSecurityMethod] = QuickModeSecurityMethod.requestSecurityDefaults,
                authenticationMethods: [AuthenticationMethod] = AuthenticationMethod.defaults) {
        self.active = active
        self.quickModePFS = quickModePFS
        self.securityMethods = securityMethods
        self.authenticationMethods = authenticationMethods
    }
}
