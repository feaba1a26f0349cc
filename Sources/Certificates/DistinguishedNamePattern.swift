import X509

/// A distinguished name as an administrator writes it — `rootca="CN=Lab Root, O=Example"`,
/// strongSwan's `C=CH, O=lab, CN=lab CA`, or RFC 4514's `CN=lab CA,O=lab,C=CH` — compared with
/// the names inside certificates.
///
/// [NF] Windows matches the `rootca` string against its certificate store's display names; it
/// documents no comparison rule. Ward compares the set of attributes: attribute types by their
/// usual short name, case-insensitively (`E`, `EMAIL` and `emailAddress` are one type; so are
/// `S` and `ST`); values case-insensitively with surrounding spaces ignored; and the order of
/// the attributes does not matter, since administrators write names both ways round.
public struct DistinguishedNamePattern: Hashable, Sendable, CustomStringConvertible {
    /// The attributes as (type, value) pairs, normalized, in the order written.
    public let attributes: [Pair]

    public struct Pair: Hashable, Sendable {
        public var type: String
        public var value: String
    }

    /// Parses `TYPE=value` pairs separated by `,` (or `;`, or `+` inside a multi-valued RDN).
    /// A value may be quoted, and `\` escapes the next character (RFC 4514 §2.4).
    public init(_ text: String) throws(CertificateError) {
        var pairs: [Pair] = []
        var type = "", value = "", inValue = false, quoted = false, escaped = false
        func finish() throws(CertificateError) {
            let name = type.trimmingSpaces()
            guard !name.isEmpty else { throw CertificateError("distinguished name", "\"\(text)\" has an attribute with no type (write TYPE=value, e.g. CN=Lab Root)") }
            guard inValue else { throw CertificateError("distinguished name", "\"\(text)\": attribute \(name) has no '=value'") }
            pairs.append(Pair(type: Self.canonicalType(name), value: Self.canonicalValue(value)))
            type = ""; value = ""; inValue = false
        }
        for character in text {
            if escaped { value.append(character); escaped = false; continue }
            switch character {
            case "\\" where inValue: escaped = true
            case "\"" where inValue: quoted.toggle()
            case "," where !quoted, ";" where !quoted, "+" where !quoted: try finish()
            case "=" where !inValue: inValue = true
            default: if inValue { value.append(character) } else { type.append(character) }
            }
        }
        guard !quoted else { throw CertificateError("distinguished name", "\"\(text)\" has an unclosed quote") }
        if !type.trimmingSpaces().isEmpty || inValue { try finish() }
        guard !pairs.isEmpty else { throw CertificateError("distinguished name", "is empty") }
        attributes = pairs
    }

    /// The pattern of a name found in a certificate.
    public init(_ name: DistinguishedName) {
        var pairs: [Pair] = []
        for rdn in name {
            for attribute in rdn {
                let text = attribute.description
                let key = text.prefix { $0 != "=" }
                pairs.append(Pair(type: Self.canonicalType(String(key)), value: Self.canonicalValue(Self.unescape(String(describing: attribute.value)))))
            }
        }
        attributes = pairs
    }

    /// Whether `name` has exactly these attributes, in any order.
    public func matches(_ name: DistinguishedName) -> Bool {
        Self.sameAttributes(attributes, DistinguishedNamePattern(name).attributes)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { sameAttributes(lhs.attributes, rhs.attributes) }
    public func hash(into hasher: inout Hasher) { hasher.combine(attributes.sorted { ($0.type, $0.value) < ($1.type, $1.value) }) }

    public var description: String { attributes.map { "\($0.type)=\($0.value)" }.joined(separator: ", ") }

    static func sameAttributes(_ a: [Pair], _ b: [Pair]) -> Bool {
        a.count == b.count && a.sorted { ($0.type, $0.value) < ($1.type, $1.value) } == b.sorted { ($0.type, $0.value) < ($1.type, $1.value) }
    }

    static func canonicalType(_ type: String) -> String {
        switch type.trimmingSpaces().uppercased() {
        case "EMAIL", "EMAILADDRESS", "E", "1.2.840.113549.1.9.1": "E"
        case "S", "ST", "2.5.4.8": "ST"
        case "2.5.4.3": "CN"
        case "2.5.4.6": "C"
        case "2.5.4.10": "O"
        case "2.5.4.11": "OU"
        case "2.5.4.7": "L"
        case "2.5.4.5", "SN", "SERIALNUMBER": "SERIALNUMBER"
        case let other: other
        }
    }

    static func canonicalValue(_ value: String) -> String { value.trimmingSpaces().lowercased() }

    static func unescape(_ text: String) -> String {
        var out = "", escaped = false
        for character in text {
            if escaped { out.append(character); escaped = false } else if character == "\\" { escaped = true } else { out.append(character) }
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
