/// A failure talking to the directory: which step, and what the server or library said.
///
/// `description` is one line an administrator can act on, e.g. `ldap bind to dc1.ward.test:
/// Local error: SASL(-1): generic failure: GSSAPI Error: ... (Ticket expired)`.
public struct DirectoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The LDAP result code (RFC 4511 §4.1.9), or a negative libldap client code.
    public var code: Int32
    /// What was being done: `bind to dc1.ward.test`, `modify CN=ipsecNFA{…}`.
    public var operation: String
    public var message: String

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String { "ldap \(operation): \(message)" }

    // RFC 4511 result codes the domain store reacts to.
    public static let noSuchAttribute: Int32 = 16
    public static let noSuchObject: Int32 = 32
    public static let entryAlreadyExists: Int32 = 68
    public static let attributeOrValueExists: Int32 = 20

    /// The change conflicts with what another writer did in between (the entry or the value
    /// this one expected is gone, or already there).
    public var isConflict: Bool {
        [Self.noSuchAttribute, Self.noSuchObject, Self.entryAlreadyExists, Self.attributeOrValueExists].contains(code)
    }
}
