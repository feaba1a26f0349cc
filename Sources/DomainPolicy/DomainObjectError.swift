/// A directory object that cannot be read as IPsec policy: a missing or damaged attribute, a
/// reference to an object that does not exist, a value Ward's model cannot hold.
///
/// `description` is one line naming the object and the attribute, e.g.
/// `ipsecNFA{…}: ipsecFilterReference: names CN=ipsecFilter{…},…, which does not exist`.
public struct DomainObjectError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The object's CN (`ipsecNFA{GUID}`) or, for objects still to be written, its kind and name.
    public var object: String
    /// The LDAP attribute or netsh field.
    public var attribute: String
    public var message: String

    public init(object: String, attribute: String, _ message: String) {
        self.object = object
        self.attribute = attribute
        self.message = message
    }

    public init(_ blob: BlobError) {
        self.init(object: blob.object, attribute: "ipsecData", "\(blob.field): \(blob.reason)")
    }

    public var description: String { "\(object): \(attribute): \(message)" }
}
