/// The directory operations the domain store needs, as one small protocol: `LDAPConnection`
/// (module `Directory`) speaks them to a domain controller; tests of the write planning may
/// use a fake.
///
/// Each call is one LDAP operation, atomic on its one entry (RFC 4511 §4.6, §4.7, §4.8); there
/// are no multi-entry transactions, which is why `DomainChangePlan` orders and undoes its steps.
public protocol DirectoryService: AnyObject {
    /// The naming context the store lives in, e.g. `DC=ward,DC=test`.
    var defaultNamingContext: String { get }
    /// The server answering, for messages (`dc1.ward.test:389`).
    var serverName: String { get }

    /// A one-level search under `base`; `attributes` empty means all user attributes.
    func search(base: String, oneLevel: Bool, filter: String, attributes: [String]) throws(DirectoryError) -> [DirectoryEntry]
    func add(_ entry: DirectoryEntry) throws(DirectoryError)
    func modify(_ dn: String, _ changes: [AttributeChange]) throws(DirectoryError)
    func delete(_ dn: String) throws(DirectoryError)
}

/// LDAP search scopes (RFC 4511 §4.5.1.2).
public enum SearchScope: Sendable { case base, oneLevel, subtree }

extension String {
    /// The value escaped for an LDAP filter (RFC 4515 §3).
    public var ldapFilterEscaped: String {
        var result = ""
        for character in self {
            switch character {
            case "*": result += "\\2a"
            case "(": result += "\\28"
            case ")": result += "\\29"
            case "\\": result += "\\5c"
            case "\0": result += "\\00"
            default: result.append(character)
            }
        }
        return result
    }
}
