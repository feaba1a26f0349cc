import Foundation

/// An IPsec policy: its ISAKMP (main mode) settings and its default response rule. The policy's
/// rules are separate `Rule` values that carry the policy's id (reference a.1–a.3).
public struct IPsecPolicy: Hashable, Codable, Sendable {
    public var id: UUID
    public var name: String
    public var description: String
    /// Minutes between checks of the store for changes (`pollinginterval`).
    public var pollingIntervalMinutes: Int
    /// Whether this is the store's assigned (active) policy; at most one per store.
    public var assigned: Bool
    public var isakmp: ISAKMPSettings
    public var defaultResponseRule: DefaultResponseRule
    public var whenChanged: Date

    public static let defaultPollingIntervalMinutes = 180
    /// Polling interval bounds in minutes: 5 minutes to 30 days.
    public static let pollingIntervalRange = 5...43_200

    public init(id: UUID = .random(), name: String, description: String = "",
                pollingIntervalMinutes: Int = defaultPollingIntervalMinutes, assigned: Bool = false,
                isakmp: ISAKMPSettings = ISAKMPSettings(), defaultResponseRule: DefaultResponseRule = DefaultResponseRule(),
                whenChanged: Date = Date(timeIntervalSince1970: 0)) {
        self.id = id
        self.name = name
        self.description = description
        self.pollingIntervalMinutes = pollingIntervalMinutes
        self.assigned = assigned
        self.isakmp = isakmp
        self.defaultResponseRule = defaultResponseRule
        self.whenChanged = whenChanged
    }

    public var objectName: String { "policy '\(name)'" }

    public func validate() throws(ValidationError) {
        do throws(ValidationError) {
            try ObjectName.validate(name)
            if !Self.pollingIntervalRange.contains(pollingIntervalMinutes) {
                throw ValidationError(field: "pollinginterval", "\(pollingIntervalMinutes) is out of range; allowed \(Self.pollingIntervalRange.lowerBound)-\(Self.pollingIntervalRange.upperBound) minutes")
            }
            try isakmp.validate()
            if defaultResponseRule.securityMethods.isEmpty {
                throw ValidationError(field: "qmsecmethods", "the default response rule needs at least one security method")
            }
            for method in defaultResponseRule.securityMethods { try method.validate() }
            if defaultResponseRule.authenticationMethods.isEmpty {
                throw ValidationError(field: "kerberos", "the default response rule needs at least one authentication method")
            }
            try AuthenticationMethod.validateList(defaultResponseRule.authenticationMethods)
        } catch { throw error.on(objectName) }
    }
}

/// A policy's ISAKMP object: main mode key exchange settings (reference a.2, a.3, d.4).
public struct ISAKMPSettings: Hashable, Codable, Sendable {
    /// Master key PFS (`mmpfs`): every quick mode gets a fresh main mode; forces one QM per MM.
    public var masterKeyPFS: Bool
    /// Quick modes per main mode (`qmpermm`); 0 = unlimited.
    public var quickModesPerMainMode: Int
    /// Main mode SA lifetime in minutes (`mmlifetime`).
    public var lifetimeMinutes: Int
    /// Offers in order of preference (`mmsecmethods`).
    public var securityMethods: [MainModeSecurityMethod]

    public static let defaultLifetimeMinutes = 480
    /// Main mode lifetime bounds in minutes (reference g.12).
    public static let lifetimeRange = 5...2_879
    public static let quickModesPerMainModeRange = 0...2_147_483_647

    public init(masterKeyPFS: Bool = false, quickModesPerMainMode: Int = 0,
                lifetimeMinutes: Int = defaultLifetimeMinutes,
                securityMethods: [MainModeSecurityMethod] = MainModeSecurityMethod.defaults) {
        self.masterKeyPFS = masterKeyPFS
        self.quickModesPerMainMode = masterKeyPFS ? 1 : quickModesPerMainMode
        self.lifetimeMinutes = lifetimeMinutes
        self.securityMethods = securityMethods
    }

    public func validate() throws(ValidationError) {
        if !Self.lifetimeRange.contains(lifetimeMinutes) {
            throw ValidationError(field: "mmlifetime", "\(lifetimeMinutes) is out of range; allowed \(Self.lifetimeRange.lowerBound)-\(Self.lifetimeRange.upperBound) minutes")
        }
        if !Self.quickModesPerMainModeRange.contains(quickModesPerMainMode) {
            throw ValidationError(field: "qmpermm", "\(quickModesPerMainMode) is out of range; allowed 0 (unlimited) or more")
        }
        if masterKeyPFS && quickModesPerMainMode != 1 {
            throw ValidationError(field: "qmpermm", "master key PFS (mmpfs=yes) requires exactly one quick mode per main mode")
        }
        if securityMethods.isEmpty {
            throw ValidationError(field: "mmsecmethods", "must list at least one method")
        }
    }
}
