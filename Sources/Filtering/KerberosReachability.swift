import Packet
import Policy

/// The seed's warning made concrete: Kerberos authentication needs this host to reach its
/// KDCs (the domain controllers) in the clear, on UDP and TCP port 88 (RFC 4120 §7.2). A
/// policy that secures, or blocks, that traffic while a rule relies on Kerberos can never
/// negotiate: this says so before the first negotiation fails.
public enum KerberosReachability {
    /// Whether a negotiate filter of the table (or the default response rule) authenticates
    /// with Kerberos.
    public static func reliesOnKerberos(_ table: FilterTable, defaultResponse: DefaultResponseRule? = nil) -> Bool {
        table.filters.contains { $0.action == .negotiate && $0.origin.rule.authenticationMethods.contains(.kerberos) }
            || (defaultResponse?.authenticationMethods.contains(.kerberos) ?? false)
    }

    /// One line per KDC this host cannot reach in the clear — the request out or the reply in
    /// is not permitted — naming the filter that decides instead; empty when every KDC is
    /// reachable. `local`: this host's addresses (each KDC is checked from those of its family).
    public static func problems(_ decider: inout PolicyDecider, local: [IPAddress], kdcs: [IPAddress]) -> [String] {
        var problems: [String] = []
        for kdc in kdcs {
            guard let source = local.first(where: { $0.isIPv4 == kdc.isIPv4 }) else { continue }
            for (protocolNumber, name) in [(UInt8(17), "UDP"), (6, "TCP")] {
                let request = PacketSelector(source: source, destination: kdc, protocolNumber: protocolNumber, sourcePort: 49152, destinationPort: 88)
                let reply = PacketSelector(source: kdc, destination: source, protocolNumber: protocolNumber, sourcePort: 88, destinationPort: 49152)
                let out = decider.decide(request, direction: .outbound), back = decider.decide(reply, direction: .inbound)
                if out.verdict != .permit {
                    problems.append("the KDC \(kdc) cannot be reached in the clear (\(name) port 88 out: \(out.verdict.rawValue), \(out.reason))")
                    break
                }
                if back.verdict != .permit {
                    problems.append("the KDC \(kdc)'s replies are not let in (\(name) port 88 in: \(back.verdict.rawValue), \(back.reason))")
                    break
                }
            }
        }
        return problems
    }
}
