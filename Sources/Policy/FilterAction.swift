import Foundation

/// What a rule does with matching packets (reference a.5). Shareable between rules.
public struct FilterAction: Hashable, Codable, Sendable {
    public enum Action: String, CaseIterable, Codable, Sendable {
        case permit, block, negotiate
    }

    public var id: UUID
    public var name: String
    public var description: String
    public var action: Action
    /// Session key PFS: a fresh Diffie-Hellman exchange in every quick mode (`qmpfs`).
    public var quickModePFS: Bool
    /// Accept unsecured inbound traffic but always respond using IPsec (`inpass`).
    public var inboundPassthrough: Bool
    /// Allow unsecured communication with non-IPsec-aware computers (`soft`).
    public var fallbackToClear: Bool
    /// Offers in order of preference; used only when `action` is negotiate.
    public var securityMethods: [QuickModeSecurityMethod]
    public var whenChanged: Date

    public init(id: UUID = .random(), name: String, description: String = "", action: Action = .negotiate,
                quickModePFS: Bool = false, inboundPassthrough: Bool = false, fallbackToClear: Bool = false,
                securityMethods: [QuickModeSecurityMethod] = QuickModeSecurityMethod.requireSecurityDefaults,
                whenChanged: Date = Date(timeIntervalSince1970: 0)) {
        self.id = id
        self.name = name
        self.description = description
        self.action = action
        self.quickModePFS = quickModePFS
        self.inboundPassthrough = inboundPassthrough
        self.fallbackToClear = fallbackToClear
        self.securityMethods = securityMethods
        self.whenChanged = whenChanged
    }

    public var objectName: String { "filter action '\(name)'" }

    public func validate() throws(ValidationError) {
        do throws(ValidationError) {
            try ObjectName.validate(name)
            if action == .negotiate && securityMethods.isEmpty {
                throw ValidationError(field: "qmsecmethods", "a negotiate action needs at least one security method")
            }
            for method in securityMethods { try method.validate() }
        } catch { throw error.on(objectName) }
    }
}
