import Filtering
import Foundation
import GroupPolicy
import Policy
import PolicyStore

/// `ward ipsec show rsop` in logging mode, answered by the agent: the Group Policy result,
/// then the applied domain policy in detail (rules, filter lists, filter actions,
/// authentication methods, tunnel endpoints, connection types), then every layer that
/// contributes, labelled, in precedence order.
struct ResultantSetOfPolicy {
    let runtime: AgentRuntime

    var text: String {
        var sections: [String] = []
        if let result = runtime.groupPolicyResult {
            sections.append(GroupPolicyReport.text(result, mode: "logging"))
        } else {
            sections.append("Resultant Set of Policy (logging mode)\n\nGroup Policy: \(runtime.groupPolicyStatus)")
        }
        sections.append("Domain policy state: \(runtime.groupPolicyStatus)")
        if let layer = runtime.domainLayer {
            sections.append("Applied domain policy '\(layer.snapshot.policy.name)' (GPO '\(layer.record.gpoName)'\(layer.fromCache ? ", cached copy" : "")):\n"
                            + GroupPolicyReport.rules(layer.snapshot))
        }
        let persistent = runtime.storeSnapshots.first { $0.store == StoreLocation.persistent.rawValue }
        let local = runtime.storeSnapshots.first { $0.store == StoreLocation.local.rawValue }
        var layers = ["Layers, highest precedence first:"]
        layers.append("  dynamic    : " + (runtime.dynamic.rules.isEmpty ? "no rules" : "\(runtime.dynamic.rules.count) rule(s)"))
        layers.append("  persistent : " + (persistent.map { "policy '\($0.policy.name)' (\($0.rules.count) rules), in force" } ?? "no policy assigned"))
        layers.append("  domain     : " + (runtime.domainLayer.map { "policy '\($0.snapshot.policy.name)' from GPO '\($0.record.gpoName)', in force" + ($0.fromCache ? " (cached copy, read at \(AgentRuntime.timestamp($0.record.result.readAt)))" : "") } ?? "no policy assigned by Group Policy"))
        layers.append("  local      : " + (local.map { "policy '\($0.policy.name)' (\($0.rules.count) rules), " + (runtime.domainLayer == nil ? "in force" : "not in force: a GPO assigns the domain policy") } ?? "no policy assigned"))
        sections.append(layers.joined(separator: "\n"))
        return sections.joined(separator: "\n\n")
    }
}
