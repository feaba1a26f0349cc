/// A Windows security identifier ([MS-DTYP] §2.4.2): revision 1, a 48-bit identifier
/// authority and up to 15 sub-authorities, in the binary form the directory returns
/// (`objectSid`, `tokenGroups`, ACEs) and the `S-1-5-21-…` text form.
public struct SecurityIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    public var authority: UInt64
    public var subAuthorities: [UInt32]

    public init(authority: UInt64, _ subAuthorities: [UInt32]) {
        self.authority = authority
        self.subAuthorities = subAuthorities
    }

    /// Everyone (S-1-1-0), Authenticated Users (S-1-5-11) and This Organization (S-1-5-15):
    /// in every domain computer's network logon token besides its own SID and groups.
    public static let everyone = SecurityIdentifier(authority: 1, [0])
    public static let authenticatedUsers = SecurityIdentifier(authority: 5, [11])
    public static let thisOrganization = SecurityIdentifier(authority: 5, [15])

    /// The SID at `offset` in `bytes`; `length` is set to the bytes it takes.
    ///
    /// - Throws: naming `field` and the offset when the bytes are too short or the revision
    ///   is not 1.
    public static func decode(_ bytes: [UInt8], at offset: Int = 0, field: String) throws(GroupPolicyError) -> (SecurityIdentifier, length: Int) {
        guard offset >= 0, bytes.count >= offset + 8 else {
            throw GroupPolicyError("\(field): a SID needs 8 bytes at offset \(offset), \(max(0, bytes.count - offset)) left")
        }
        guard bytes[offset] == 1 else { throw GroupPolicyError("\(field): SID revision \(bytes[offset]) at offset \(offset) is not 1") }
        let count = Int(bytes[offset + 1])
        let length = 8 + 4 * count
        guard count <= 15, bytes.count >= offset + length else {
            throw GroupPolicyError("\(field): a SID of \(count) sub-authorities at offset \(offset) needs \(length) bytes, \(bytes.count - offset) left")
        }
        // The authority is big-endian, the sub-authorities little-endian ([MS-DTYP] §2.4.2.2).
        let authority = bytes[(offset + 2)..<(offset + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let subs = (0..<count).map { index -> UInt32 in
            let base = offset + 8 + 4 * index
            return UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
        }
        return (SecurityIdentifier(authority: authority, subs), length)
    }

    /// The binary form.
    public var bytes: [UInt8] {
        var result: [UInt8] = [1, UInt8(subAuthorities.count)]
        result += (0..<6).map { UInt8(truncatingIfNeeded: authority >> (8 * (5 - $0))) }
        for sub in subAuthorities { result += [UInt8(truncatingIfNeeded: sub), UInt8(truncatingIfNeeded: sub >> 8), UInt8(truncatingIfNeeded: sub >> 16), UInt8(truncatingIfNeeded: sub >> 24)] }
        return result
    }

    /// `S-1-5-21-…`.
    public var description: String { "S-1-\(authority)" + subAuthorities.map { "-\($0)" }.joined() }

    /// The same SID with its last sub-authority replaced: a domain's group from its RID
    /// (515 Domain Computers).
    public func replacingRID(_ rid: UInt32) -> SecurityIdentifier {
        SecurityIdentifier(authority: authority, subAuthorities.dropLast() + [rid])
    }
}
