import CLDAP
import DomainPolicy

/// Finds a domain's controllers through DNS, as Windows clients do: the SRV records
/// `_ldap._tcp.dc._msdcs.<domain>` ([MS-ADTS] §6.3.2.3; RFC 2782 order by priority, then
/// weight), through libldap's resolver (`ldap_domain2hostlist`).
public enum DomainControllerLocator {
    /// `host:port` of each controller of `domain`, most preferred first.
    public static func controllers(of domain: String) throws(DirectoryError) -> [String] {
        var list: UnsafeMutablePointer<CChar>?
        let rc = ldap_domain2hostlist("dc._msdcs." + domain, &list)
        guard rc == LDAP_SUCCESS, let list else {
            throw DirectoryError(code: rc, operation: "find the domain controllers of \(domain)",
                                 message: "no DNS SRV record _ldap._tcp.dc._msdcs.\(domain) (\(String(cString: ldap_err2string(rc)))); name one with domain=<controller>")
        }
        defer { ldap_memfree(list) }
        return String(cString: list).split(separator: " ").map(String.init)
    }

    /// Connects to the first controller of `domain` that answers and binds.
    ///
    /// A name with SRV records is a domain; any other name is taken as one controller's host
    /// name (`domain=dc1.ward.test`).
    public static func connect(domain: String, timeoutSeconds: Int = 10) throws(DirectoryError) -> LDAPConnection {
        try connect(to: (try? controllers(of: domain)) ?? [domain], timeoutSeconds: timeoutSeconds)
    }

    /// Connects to the first of `servers` that answers and binds.
    public static func connect(to servers: [String], timeoutSeconds: Int = 10) throws(DirectoryError) -> LDAPConnection {
        var lastError: DirectoryError?
        for server in servers {
            do {
                return try LDAPConnection(host: server, timeoutSeconds: timeoutSeconds)
            } catch {
                // A server down or refusing: try the next; bad credentials fail everywhere alike.
                lastError = error
            }
        }
        throw lastError ?? DirectoryError(code: -1, operation: "connect", message: "no domain controller")
    }
}
