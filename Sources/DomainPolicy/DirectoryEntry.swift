import Foundation

/// One directory entry as read: its DN and its attributes' values, binary-safe.
///
/// Attribute names are kept in lower case: LDAP attribute descriptions are case-insensitive
/// (RFC 4512 §2.5), and servers answer in their schema's spelling.
public struct DirectoryEntry: Sendable, Equatable {
    public var dn: String
    public var attributes: [String: [[UInt8]]]

    public init(dn: String, attributes: [String: [[UInt8]]] = [:]) {
        self.dn = dn
        self.attributes = [:]
        for (name, values) in attributes { self.attributes[name.lowercased(), default: []] += values }
    }

    /// All values of an attribute (empty when absent).
    public func values(_ name: String) -> [[UInt8]] { attributes[name.lowercased()] ?? [] }

    /// All values as UTF-8 text.
    public func strings(_ name: String) -> [String] { values(name).map { String(decoding: $0, as: UTF8.self) } }

    /// The first value as UTF-8 text.
    public func string(_ name: String) -> String? { strings(name).first }
}

/// One change to one attribute in an LDAP modify (RFC 4511 §4.6): value-specific deletes and
/// adds fail when the value is not, or already, there — the domain store relies on that to
/// notice another administrator's change.
public struct AttributeChange: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case add, delete, replace }
    public var kind: Kind
    public var attribute: String
    public var values: [[UInt8]]

    public init(_ kind: Kind, _ attribute: String, _ values: [[UInt8]]) {
        self.kind = kind
        self.attribute = attribute
        self.values = values
    }

    public init(_ kind: Kind, _ attribute: String, strings: [String]) {
        self.init(kind, attribute, strings.map { Array($0.utf8) })
    }
}
