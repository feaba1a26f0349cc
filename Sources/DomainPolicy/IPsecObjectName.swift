import Foundation

/// Where [MS-GPIPSEC] puts each object: `CN=<class>{GUID},CN=IP Security,CN=System,<domain>`.
public struct IPsecContainer: Sendable, Equatable {
    /// `CN=IP Security,CN=System,DC=ward,DC=test`.
    public let dn: String

    public init(namingContext: String) { dn = "CN=IP Security,CN=System," + namingContext }

    public func dn(_ kind: BlobKind, _ id: UUID) -> String { "CN=\(cn(kind, id)),\(dn)" }

    public func cn(_ kind: BlobKind, _ id: UUID) -> String { kind.objectClass + WindowsGUID.text(id) }

    /// The kind and GUID an object's DN names, or nil for a DN outside the container's scheme.
    public func parse(_ objectDN: String) -> (kind: BlobKind, id: UUID)? {
        guard let comma = objectDN.firstIndex(of: ",") else { return nil }
        let first = objectDN[..<comma]
        guard first.lowercased().hasPrefix("cn="),
              objectDN[objectDN.index(after: comma)...].lowercased() == dn.lowercased() else { return nil }
        let name = first.dropFirst(3)
        guard let brace = name.firstIndex(of: "{") else { return nil }
        let className = name[..<brace].lowercased()
        guard let kind = BlobKind.allCases.first(where: { $0.objectClass.lowercased() == className }),
              let id = WindowsGUID.parse(String(name[brace...])) else { return nil }
        return (kind, id)
    }

    /// DNs compare without regard to case (RFC 4514 attribute types, AD's case-insensitive values).
    public static func key(_ dn: String) -> String { dn.lowercased() }
}
