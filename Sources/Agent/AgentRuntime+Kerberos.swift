import Filtering
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
            let (realm, kdcs) = KDCLocator.locate()
            kerberosKDCs = kdcs
            log(.notice, "Kerberos credentials", ["principal": principal, "keytab": keytab, "realm": realm ?? "none",
                                                  "kdcs": kdcs.isEmpty ? "none found" : kdcs.map(\.description).joined(separator: ",")])
        } catch {
            policyProvider.kerberos = nil
            log(.warning, "Kerberos not offered: rules fall back to their other methods", ["keytab": keytab, "reason": error])
        }
    }

    /// Warns when a rule relies on Kerberos and the policy in force keeps this host from its
    /// KDCs (the seed's warning: Kerberos needs clear traffic to the domain controllers).
    func checkKerberosReachability() {
        guard KerberosReachability.reliesOnKerberos(policy.decider.table, defaultResponse: policy.defaultResponse?.policy.defaultResponseRule) else { return }
        guard !kerberosKDCs.isEmpty else {
            if policyProvider.kerberos != nil { log(.warning, "a rule relies on Kerberos but no KDC is known (krb5.conf, DNS)") }
            return
        }
        var decider = policy.decider
        for problem in KerberosReachability.problems(&decider, local: machine.localAddresses, kdcs: kerberosKDCs) {
            log(.warning, "Kerberos will fail: a rule relies on it and \(problem)")
        }
    }
}
