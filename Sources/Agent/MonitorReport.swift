import Certificates
import ESP
import Filtering
import Foundation
import IKE
import Netsh
import Packet
import Policy

/// The `ipsec dynamic show` views, laid out as netsh prints them: a title, a rule of dashes,
/// then `Label : value` lines, one block per object (reference c.9, f.1–f.3).
public struct MonitorReport {
    let runtime: AgentRuntime
    let arguments: [String: String]

    private func title(_ text: String) -> [String] { [ShowLayout.title(text)] }
    /// netsh's `Label : value`, with the colon at column 32 (the longest statistic names fit).
    private func line(_ label: String, _ value: Any, indent: Int = 0) -> String {
        ShowLayout.field(label, "\(value)", indent: indent, width: 32)
    }

    /// `srcaddr`/`dstaddr` narrowing (mmsas, qmsas): nil when not given.
    private func wanted(_ tag: String, _ address: IPAddress) -> Bool {
        guard let text = arguments[tag], text.lowercased() != "all", !text.isEmpty else { return true }
        return IPAddress(text) == address
    }

    func mainModeSAs() -> String {
        let summaries = runtime.engine.mainModeSummaries.filter { wanted("srcaddr", $0.local.address) && wanted("dstaddr", $0.remote.address) }
        var lines = title("Main Mode SAs")
        if summaries.isEmpty { return (lines + ["No SAs"]).joined(separator: "\n") + "\n" }
        for (index, sa) in summaries.enumerated() {
            lines += ["", "Main Mode SA #\(index + 1):", " Me", line("IP Address", sa.local.address, indent: 2), line("UDP Port", sa.local.port, indent: 2),
                      " Peer", line("IP Address", sa.remote.address, indent: 2), line("UDP Port", sa.remote.port, indent: 2),
                      line("Peer Identity", sa.peerID ?? "(not yet proven)", indent: 1),
                      line("Authentication", sa.authentication, indent: 1)]
                + (sa.peerRootCA.map { [line("Peer Root CA", $0, indent: 1)] } ?? [])
                + (sa.peerPrincipal.map { [line("Peer Principal", $0, indent: 1)] } ?? [])
                + (sa.peerRealm.map { [line("Peer Realm", $0, indent: 1)] } ?? [])
                + [line("Security Method", sa.transform, indent: 1),
                      line("Cookie Pair", sa.cookies, indent: 1), line("Role", sa.initiator ? "initiator" : "responder", indent: 1),
                      line("State", sa.established ? "established" : "negotiating", indent: 1),
                      line("NAT Traversal", sa.natDetected ? "yes" : "no", indent: 1)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func quickModeSAs() -> String {
        let now = runtime.now
        let pairs = runtime.backend.securityAssociations.filter { pair in
            wanted("srcaddr", pair.selector.local.network) && wanted("dstaddr", pair.selector.remote.network)
        }
        var lines = title("Quick Mode SAs")
        if pairs.isEmpty { return (lines + ["No SAs"]).joined(separator: "\n") + "\n" }
        for (index, pair) in pairs.enumerated() {
            let selector = pair.selector
            lines += ["", "Quick Mode SA #\(index + 1):", " Filter",
                      line("Source Address", selector.local, indent: 2), line("Destination Address", selector.remote, indent: 2),
                      line("Protocol", selector.protocolID == 0 ? "ANY" : String(selector.protocolID), indent: 2),
                      line("Source Port", selector.localPort, indent: 2), line("Destination Port", selector.remotePort, indent: 2),
                      line("Rule", pair.serves.map { "\($0.rule) (\($0.store) policy '\($0.policy)')" } ?? "default response rule", indent: 1),
                      line("Filter List", pair.serves?.filterList ?? "-", indent: 1),
                      line("Specific Filter", pair.serves?.filter ?? "-", indent: 1),
                      line("Mode", pair.tunnel ? "Tunnel (endpoint \(pair.peer))" : "Transport", indent: 1),
                      line("Peer", pair.peer, indent: 1),
                      line("Offer", pair.transform, indent: 1),
                      line("Inbound SPI", "0x" + String(pair.inboundSPI, radix: 16), indent: 1),
                      line("Outbound SPI", "0x" + String(pair.outboundSPI, radix: 16), indent: 1),
                      line("Encapsulation", pair.udpEncapsulated ? "UDP 4500 (NAT traversal)" : "none", indent: 1),
                      line("Age (seconds)", Int(now - pair.installedAt), indent: 1),
                      line("Packets Sent", pair.outbound.packetsSent, indent: 1), line("Packets Received", pair.inbound.packetsReceived, indent: 1),
                      line("Bytes Sent", pair.outbound.confidentialBytesSent + pair.outbound.authenticatedBytesSent, indent: 1),
                      line("Bytes Received", pair.inbound.confidentialBytesReceived + pair.inbound.authenticatedBytesReceived, indent: 1)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func dynamicMainModePolicies() -> String {
        var lines = title("Main Mode Policies (dynamic)")
        for policy in runtime.dynamic.mainModePolicies {
            lines += ["", line("Policy Name", policy.name), line("Soft SA Expiration Time", policy.softSAExpiration),
                      line("Main Mode Lifetime (min)", policy.isakmp.lifetimeMinutes),
                      line("Quick Modes Per Main Mode", policy.isakmp.quickModesPerMainMode == 0 ? "unlimited" : String(policy.isakmp.quickModesPerMainMode)),
                      line("Security Methods", policy.isakmp.securityMethods.map(\.description).joined(separator: " "))]
        }
        if runtime.dynamic.mainModePolicies.isEmpty { lines.append("No policies") }
        return lines.joined(separator: "\n") + "\n"
    }

    func dynamicQuickModePolicies() -> String {
        var lines = title("Quick Mode Policies (dynamic)")
        for policy in runtime.dynamic.quickModePolicies {
            lines += ["", line("Policy Name", policy.name), line("Soft", policy.soft ? "yes" : "no"), line("PFS", policy.pfs ? "yes (main mode group)" : "no"),
                      line("Security Methods", policy.securityMethods.map(\.description).joined(separator: " "))]
        }
        if runtime.dynamic.quickModePolicies.isEmpty { lines.append("No policies") }
        return lines.joined(separator: "\n") + "\n"
    }

    func dynamicRules() -> String {
        var lines = title("Rules (dynamic)")
        for (index, rule) in runtime.dynamic.rules.enumerated() {
            let key = rule.key
            lines += ["", "Rule #\(index + 1):", line("Source Address", key.source, indent: 1), line("Destination Address", key.destination, indent: 1),
                      line("Protocol", key.protocolSelector, indent: 1), line("Source Port", key.sourcePort, indent: 1),
                      line("Destination Port", key.destinationPort, indent: 1), line("Mirrored", key.mirrored ? "yes" : "no", indent: 1),
                      line("Connection Type", key.connectionType.rawValue.uppercased(), indent: 1),
                      line("Tunnel Endpoint", key.tunnelEndpoint.map { "\($0)" } ?? "none", indent: 1),
                      line("Main Mode Policy", rule.mainModePolicy, indent: 1), line("Quick Mode Policy", rule.quickModePolicy ?? "none", indent: 1),
                      line("Inbound Action", rule.actionInbound.rawValue, indent: 1), line("Outbound Action", rule.actionOutbound.rawValue, indent: 1),
                      line("Authentication", rule.authentication.map(Self.authenticationText).joined(separator: ", "), indent: 1)]
        }
        if runtime.dynamic.rules.isEmpty { lines.append("No rules") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An authentication method without its secret: a preshared key is never shown.
    public static func authenticationText(_ method: AuthenticationMethod) -> String {
        switch method {
        case .kerberos: "Kerberos"
        case .preSharedKey: "Preshared key"
        case .certificate(let ca): "Certificate (\(ca.name))"
        }
    }

    func ikeStatistics() -> String {
        (title("IKE Main Mode Statistics") + runtime.engine.statistics.named.map { line($0.0, $0.1) }).joined(separator: "\n") + "\n"
    }

    func ipsecStatistics() -> String {
        let datapath = runtime.backend
        let pairs = datapath.securityAssociations
        let total = datapath.totalStatistics
        var lines = title("IPSec Quick Mode Statistics")
        lines += AgentSnapshot.quickModeStatistics(pairs: pairs, pending: runtime.engine.statistics.activeAcquire,
                                                   keyAdditions: runtime.engine.statistics.totalKeyAdd, totals: total).map { line($0.0, $0.1) }
        lines += ["", "Ward datapath"] + datapath.counters.named.map { line($0.0, $0.1) }
        return lines.joined(separator: "\n") + "\n"
    }

    func configuration() -> String {
        var lines = title("Ward IPsec agent configuration")
        lines += runtime.settings.named.map { line($0.0, $0.1) }
        lines += [line("Policy in force", runtime.policySummary), line("Table generation", runtime.policy.generation),
                  line("Datapath", runtime.kernel.map { "kernel (XFRM, \($0.installedPolicies.count) policies)" } ?? "userspace"),
                  line("Certificate store", certificateSummary()),
                  line("Web console", runtime.configuration.consoleURL.map { "\($0) (ward console url prints a login URL)" } ?? "off (wardd --console)"),
                  line("Agent started", ISO8601DateFormatter().string(from: runtime.startedAt))]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `/etc/ward/certs: 3 certificates (1 with its key), 1 CRL, 0 certmap entries`.
    func certificateSummary() -> String {
        let path = runtime.configuration.certificatePath
        guard let inventory = runtime.policyProvider.certificates?.inventory else { return "\(path): not read yet" }
        let keys = inventory.certificates.filter { $0.key != nil }.count
        var text = "\(path): \(inventory.certificates.count) certificates (\(keys) with a key), \(inventory.revocationLists.count) CRLs, "
            + "\(inventory.mappings.count) certmap entries"
        if !inventory.problems.isEmpty { text += ", \(inventory.problems.count) unreadable files" }
        return text
    }

    private func filterLines(_ filter: SpecificFilter, index: Int) -> [String] {
        let origin = filter.origin
        return ["", "Filter #\(index + 1):", line("Rule", "\(origin.rule.name) (\(origin.store) policy '\(origin.policy.name)')", indent: 1),
                line("Specific", filter.selectorText, indent: 1), line("Weight", filter.weight.value, indent: 1)]
    }

    /// Main Mode filters: the address pairs of negotiate rules (one per peer pair).
    func mainModeFilters() -> String {
        var lines = title("Main Mode Filters (specific)")
        var seen = Set<String>()
        var index = 0
        for filter in runtime.policy.decider.table.filters where filter.action == .negotiate {
            let key = "\(filter.source)|\(filter.destination)|\(filter.tunnelEndpoint.map { "\($0)" } ?? "")"
            guard seen.insert(key).inserted else { continue }
            let origin = filter.origin
            lines += ["", "Main Mode Filter #\(index + 1):", line("Source Address", filter.source, indent: 1),
                      line("Destination Address", filter.tunnelEndpoint.map { "\($0)" } ?? "\(filter.destination)", indent: 1),
                      line("Rule", "\(origin.rule.name) (\(origin.store) policy '\(origin.policy.name)')", indent: 1),
                      line("Authentication", origin.rule.authenticationMethods.map(Self.authenticationText).joined(separator: ", "), indent: 1)]
            index += 1
        }
        if index == 0 { lines.append("No filters") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Quick Mode filters: every specific filter of the table in force, in precedence order.
    func quickModeFilters() -> String {
        var lines = title("Quick Mode Filters (specific)")
        let filters = runtime.policy.decider.table.filters
        for (index, filter) in filters.enumerated() {
            let origin = filter.origin
            lines += ["", "Quick Mode Filter #\(index + 1):", line("Source Address", filter.source, indent: 1),
                      line("Destination Address", filter.destination, indent: 1),
                      line("Protocol", filter.protocolNumber.map(String.init) ?? "ANY", indent: 1),
                      line("Source Port", filter.sourcePort, indent: 1), line("Destination Port", filter.destinationPort, indent: 1),
                      line("Action", "\(origin.filterAction.name) (\(filter.action.rawValue))", indent: 1),
                      line("Tunnel Endpoint", filter.tunnelEndpoint.map { "\($0)" } ?? "none", indent: 1),
                      line("Rule", "\(origin.rule.name) (\(origin.store) policy '\(origin.policy.name)')", indent: 1)]
        }
        if filters.isEmpty { lines.append("No filters") }
        return lines.joined(separator: "\n") + "\n"
    }
}
