import Foundation

/// Who the host is in the domain: its computer account (`HOST1$`) and the keytab holding that
/// account's keys (`samba-tool domain exportkeytab --principal='HOST1$'`, `net ads join`, or
/// one the administrator gives). The agent binds to LDAP as the computer, as a Windows member
/// does ([MS-GPIPSEC] §3.2.5.2): MIT Kerberos takes initial tickets from the client keytab
/// (`KRB5_CLIENT_KTNAME`) into a private in-memory cache, and renews them from it, so no
/// ticket ever lands on disk and no `kinit` is needed.
public struct MachineIdentity: Sendable, Equatable {
    /// The `sAMAccountName`: `HOST1$`.
    public var account: String
    public var keytab: String

    /// `account` defaults to the host's short name, upper case, with `$` (as `net ads join`
    /// names computers).
    public init(account: String?, keytab: String = "/etc/krb5.keytab") {
        var name = account ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)?.uppercased() ?? "HOST"
        if !name.hasSuffix("$") { name += "$" }
        self.account = name
        self.keytab = keytab
    }

    /// Points this process's Kerberos at the keytab and a private credential cache. Call
    /// before any thread starts (the environment is process-wide).
    ///
    /// - Throws: naming the keytab when it cannot be read.
    public func install() throws(MachineIdentityError) {
        guard FileManager.default.isReadableFile(atPath: keytab) else {
            throw MachineIdentityError("keytab \(keytab) cannot be read: join the host to the domain or give --keytab")
        }
        var status = stat()
        if stat(keytab, &status) == 0, status.st_mode & 0o077 != 0 {
            throw MachineIdentityError("keytab \(keytab) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        setenv("KRB5_CLIENT_KTNAME", keytab, 1)
        setenv("KRB5CCNAME", "MEMORY:ward-machine", 1)
    }
}

public struct MachineIdentityError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
