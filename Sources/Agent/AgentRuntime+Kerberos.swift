import IKE
import Kerberos

/// Kerberos in IKE: the machine's credentials from its keytab, offered by every rule that
/// names `kerberos=yes` once the keytab names a principal.
extension AgentRuntime {
    /// Reads the keytab's principal and hands the mechanism to IKE; without a usable keytab
    /// Kerberos is not offered, and the log says why (a rule with another method still works).
    func setUpKerberos() {
        guard let keytab = configuration.kerberosKeytab else { return }
        let mechanism = GSSAPIKerberos(keytab: keytab)
        do {
            try mechanism.checkKeytab()
            let principal = try mechanism.localName()
            policyProvider.kerberos = mechanism
            log(.notice, "Kerberos credentials", ["principal": principal, "keytab": keytab])
        } catch {
            policyProvider.kerberos = nil
            log(.warning, "Kerberos not offered: rules fall back to their other methods", ["keytab": keytab, "reason": error])
        }
    }
}
