import DomainPolicy

/// What Group Policy processing asks of one domain controller connection. `Directory`'s
/// `LDAPConnection` is the real one; the tests give an in-memory directory.
public protocol GroupPolicyDirectory: AnyObject {
    /// The domain controller answering (`dc1.ward.test:389`), for logs and RSoP.
    var serverName: String { get }
    /// Entries under `base` in `scope` matching `filter` with `attributes`.
    /// `securityDescriptor`: ask for `nTSecurityDescriptor`'s DACL only (the SD-flags control
    /// of [MS-ADTS] §3.1.1.3.4.1.11 with value 4), which a computer may read where the whole
    /// descriptor (with the SACL) would be withheld.
    func search(base: String, scope: SearchScope, filter: String, attributes: [String],
                securityDescriptor: Bool) throws(DirectoryError) -> [DirectoryEntry]
}

public extension String {
    /// The DN one level up (`OU=Lab,DC=ward,DC=test` → `DC=ward,DC=test`), honouring escaped
    /// commas (RFC 4514 §2.4).
    public var parentDN: String? {
        var escaped = false
        for index in indices {
            let character = self[index]
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "," { return String(self[self.index(after: index)...]) }
        }
        return nil
    }
}
