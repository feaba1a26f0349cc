/// Which policy store a command works on (reference a.9). Both live in one database file.
public enum StoreLocation: String, CaseIterable, Codable, Sendable {
    /// The machine's own policies; the predefined objects live here.
    case local
    /// Policy in force from startup whatever else is assigned.
    case persistent
    /// Active Directory (module `DomainStore`): edited through a scratch copy of the domain's
    /// objects, never kept in the database file.
    case domain

    /// The stores kept in the database file.
    public static let fileStores: [StoreLocation] = [.local, .persistent]

    /// netsh's display name: "Local Store", "Persistent Store".
    public var displayName: String {
        switch self {
        case .local: "Local Store"
        case .persistent: "Persistent Store"
        case .domain: "Domain Store"
        }
    }
}
