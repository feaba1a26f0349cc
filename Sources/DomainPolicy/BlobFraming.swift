import Foundation

/// The five kinds of `ipsecData` blob and their type GUIDs ([MS-GPIPSEC] §2.2.1).
public enum BlobKind: String, CaseIterable, Sendable {
    case policy = "ipsecPolicy"
    case isakmp = "ipsecISAKMPPolicy"
    case nfa = "ipsecNFA"
    case negotiation = "ipsecNegotiationPolicy"
    case filter = "ipsecFilter"

    /// The GUID the blob starts with.
    public var typeGUID: UUID {
        switch self {
        case .policy: UUID(uuidString: "22202163-4F4C-11D1-863B-00A0248D3021")!
        case .isakmp: UUID(uuidString: "80DC20B8-2EC8-11D1-A89E-00A0248D3021")!
        case .nfa: UUID(uuidString: "11BBAC00-498D-11D1-8639-00A0248D3021")!
        case .negotiation: UUID(uuidString: "80DC20B9-2EC8-11D1-A89E-00A0248D3021")!
        case .filter: UUID(uuidString: "80DC20B5-2EC8-11D1-A89E-00A0248D3021")!
        }
    }

    /// The LDAP object class, which is also the prefix of the object's CN.
    public var objectClass: String { rawValue }
}

/// The frame every `ipsecData` blob has: 16-byte type GUID, 4-byte little-endian payload
/// length, the payload, one 0x00 ([MS-GPIPSEC] §2.2.1.1–§2.2.1.5).
public enum BlobFraming {
    /// What Windows writes in `ipsecDataType` (the specification says 256; every object of
    /// the default policies Windows Server created has 598). Any value is accepted on read.
    public static let windowsDataType = 598

    /// The payload of a blob of `kind`, as a reader positioned at offset 20 and bounded by the
    /// declared length. A trailing 0x00 may follow; anything else after the payload is refused.
    static func payload(_ blob: [UInt8], kind: BlobKind, object: String) throws(BlobError) -> BlobReader {
        var reader = BlobReader(blob, object: object)
        let type = try reader.guid("type GUID")
        guard type == kind.typeGUID else {
            throw reader.error("type GUID", "is \(WindowsGUID.text(type)), a \(kind.rawValue) blob starts with \(WindowsGUID.text(kind.typeGUID))", at: 0)
        }
        let declared = Int(try reader.u32("data length"))
        guard declared <= reader.remaining else {
            throw reader.error("data length", "says \(declared) bytes, the blob has \(reader.remaining) after the header", at: 16)
        }
        let trailing = Array(blob[(20 + declared)...])
        guard trailing.isEmpty || trailing == [0] else {
            throw reader.error("data length", "says \(declared) bytes but \(trailing.count) more follow (a blob ends with one 0x00)", at: 16)
        }
        reader.limit = 20 + declared
        return reader
    }

    /// Frames `payload` as a blob of `kind`.
    static func frame(_ payload: [UInt8], kind: BlobKind) -> [UInt8] {
        var writer = BlobWriter()
        writer.guid(kind.typeGUID)
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
        writer.u8(0)
        return writer.bytes
    }
}
