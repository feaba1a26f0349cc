/// One link of a scope of management's `gPLink` attribute ([MS-GPOL] §2.2.2):
/// `[LDAP://cn={GUID},cn=policies,cn=system,DC=…;<options>]`, options 0 normal, 1 disabled
/// (the enforced bit is then ignored), 2 enforced.
public struct GPLink: Equatable, Sendable, Codable {
    /// The GPO's distinguished name, without the `LDAP://` prefix.
    public var gpoDN: String
    public var disabled: Bool
    public var enforced: Bool

    public init(gpoDN: String, disabled: Bool = false, enforced: Bool = false) {
        self.gpoDN = gpoDN
        self.disabled = disabled
        self.enforced = enforced && !disabled
    }

    /// The links of one `gPLink` value, in the order written: the first has link order 1, the
    /// highest precedence within its container ([MS-GPOL] §1.1 "link order").
    ///
    /// - Throws: `GroupPolicyError` naming the byte offset of the first link that is not
    ///   `[DN;number]`.
    public static func parse(_ text: String, container: String) throws(GroupPolicyError) -> [GPLink] {
        var links: [GPLink] = []
        let characters = Array(text.utf8)
        var index = 0
        func fail(_ why: String) -> GroupPolicyError {
            GroupPolicyError("\(container): gPLink: \(why) at byte \(index)")
        }
        while index < characters.count {
            // Windows writes a space (or nothing) between links; anything else is damage.
            if characters[index] == UInt8(ascii: " ") { index += 1; continue }
            guard characters[index] == UInt8(ascii: "[") else { throw fail("expected '['") }
            guard let close = characters[index...].firstIndex(of: UInt8(ascii: "]")) else { throw fail("a link is not closed with ']'") }
            let body = characters[(index + 1)..<close]
            guard let separator = body.lastIndex(of: UInt8(ascii: ";")) else { throw fail("a link has no ';<options>'") }
            var path = String(decoding: body[body.startIndex..<separator], as: UTF8.self)
            guard let options = UInt32(String(decoding: body[(separator + 1)...], as: UTF8.self)) else {
                throw fail("the link options are not a number")
            }
            if path.lowercased().hasPrefix("ldap://") { path = String(path.dropFirst(7)) }
            guard !path.isEmpty else { throw fail("a link names no GPO") }
            links.append(GPLink(gpoDN: path, disabled: options & 1 != 0, enforced: options & 2 != 0))
            index = close + 1
        }
        return links
    }
}

/// A Group Policy problem an administrator can act on: the object and attribute are named.
public struct GroupPolicyError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
