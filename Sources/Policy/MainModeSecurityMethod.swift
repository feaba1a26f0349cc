import Foundation

/// One main mode (IKE phase 1) offer: `ConfAlg-HashAlg-GroupNum`, e.g. `3DES-SHA1-2`.
///
/// A policy's list of these is ordered by preference (reference a.8).
public struct MainModeSecurityMethod: Hashable, Codable, Sendable, CustomStringConvertible {
    public var cipher: MainModeCipher
    public var hash: MainModeHash
    public var group: DiffieHellmanGroup

    public init(_ cipher: MainModeCipher, _ hash: MainModeHash, _ group: DiffieHellmanGroup) {
        self.cipher = cipher
        self.hash = hash
        self.group = group
    }

    /// The Windows default list, most preferred first (reference d.4).
    public static let defaults: [MainModeSecurityMethod] = [
        .init(.tripleDES, .sha1, .modp1024), .init(.tripleDES, .md5, .modp1024),
        .init(.des, .sha1, .modp768), .init(.des, .md5, .modp768),
    ]

    /// Parses one `ConfAlg-HashAlg-GroupNum` offer.
    public init(netsh text: String) throws(ValidationError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw ValidationError(field: "mmsecmethods",
                                  "'\(text)' is not ConfAlg-HashAlg-GroupNum (for example 3DES-SHA1-2)")
        }
        guard let cipher = MainModeCipher(netsh: parts[0]) else {
            throw ValidationError(field: "mmsecmethods", "'\(parts[0])' in '\(text)' is not an encryption algorithm; allowed: "
                + MainModeCipher.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let hash = MainModeHash(netsh: parts[1]) else {
            throw ValidationError(field: "mmsecmethods", "'\(parts[1])' in '\(text)' is not a hash algorithm; allowed: "
                + MainModeHash.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let group = DiffieHellmanGroup(netsh: parts[2]) else {
            throw ValidationError(field: "mmsecmethods",
                                  "'\(parts[2])' in '\(text)' is not a Diffie-Hellman group; allowed: 1, 2, 3 (2048-bit), DHGroup14")
        }
        self.init(cipher, hash, group)
    }

    /// Parses a space-separated, preference-ordered list (at least one, no duplicates).
    public static func parseList(_ text: String) throws(ValidationError) -> [MainModeSecurityMethod] {
        let items = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        guard !items.isEmpty else { throw ValidationError(field: "mmsecmethods", "must list at least one method") }
        var methods: [MainModeSecurityMethod] = []
        for item in items {
            let method = try MainModeSecurityMethod(netsh: String(item))
            if methods.contains(method) {
                throw ValidationError(field: "mmsecmethods", "'\(item)' is listed twice")
            }
            methods.append(method)
        }
        return methods
    }

    /// netsh spelling, which `parseList` reads back: `3DES-SHA1-3` for group 2048.
    public var description: String { "\(cipher.rawValue)-\(hash.rawValue)-\(group.netshNumber)" }
}
