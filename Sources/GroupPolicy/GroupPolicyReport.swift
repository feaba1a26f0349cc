import Filtering
import Foundation
import Policy

/// The Group Policy half of `ward ipsec show rsop`: the computer, where it sits, and every GPO
/// in its list that assigns an IPsec policy, with its scope of management, its precedence
/// (1 = applied) and why each other one lost, as the RSoP snap-in's IP Security page lists
/// them (WMI `RSOP_IPSECPolicySetting`).
public enum GroupPolicyReport {
    public static func text(_ result: GroupPolicyResult, mode: String) -> String {
        func line(_ label: String, _ value: String) -> String { label.padding(toLength: 18, withPad: " ", startingAt: 0) + ": " + value }
        let formatter = ISO8601DateFormatter()
        var lines = ["Resultant Set of Policy (\(mode) mode)", "",
                     line("Computer", result.account == "(planning)" ? "a computer in \(result.computerDN.parentDN ?? "")" : "\(result.account) (\(result.computerDN))"),
                     line("Domain", result.domain),
                     line("Site", result.site ?? "none (no subnet object holds this host's addresses)"),
                     line("Read from", "\(result.controller) at \(formatter.string(from: result.readAt))"),
                     line("Security groups", result.tokenSIDs.map(\.description).joined(separator: " ")),
                     line("Containers", result.scopes.map { "\($0.dn) (\($0.kind.rawValue)\($0.blocksInheritance ? ", blocks inheritance" : ""))" }.joined(separator: "; ")),
                     ""]
        guard !result.candidates.isEmpty else {
            lines.append("No GPO linked to these containers assigns an IPsec policy.")
            return lines.joined(separator: "\n")
        }
        lines.append("GPOs assigning an IPsec policy, highest precedence first:")
        for candidate in result.candidates {
            lines += ["", line("GPO Name", candidate.gpoName), line("SOM", "\(candidate.scope) (\(candidate.scopeKind.rawValue)\(candidate.enforced ? ", enforced" : ""))"),
                      line("Precedence", candidate.precedence.map(String.init) ?? "-"),
                      line("Assigned Policy", candidate.policyName ?? candidate.policyDN ?? "unknown"),
                      line("Status", candidate.applied ? "applied" : "not applied: \(candidate.exclusion?.description ?? "")")]
        }
        return lines.joined(separator: "\n")
    }

    /// One block per rule, as the snap-in's rule list shows it.
    public static func rules(_ snapshot: PolicySnapshot) -> String {
        snapshot.rules.map { rule in
            let list = snapshot.filterLists[rule.filterListID]
            let action = snapshot.filterActions[rule.filterActionID]
            let methods = rule.authenticationMethods.map { method -> String in
                switch method {
                case .kerberos: "Kerberos"
                case .preSharedKey: "preshared key"
                case .certificate(let ca): "certificate (\(ca.name))"
                }
            }
            return ["  Rule            : \(rule.name)\(rule.active ? "" : " (inactive)")",
                    "  Filter List     : \(list?.name ?? "?") (\(list?.filters.count ?? 0) filters)",
                    "  Filter Action   : \(action.map { "\($0.name) (\($0.action.rawValue))" } ?? "?")",
                    "  Authentication  : \(methods.isEmpty ? "none" : methods.joined(separator: ", "))",
                    "  Tunnel Endpoint : \(rule.tunnelEndpoint.map { "\($0)" } ?? "none")",
                    "  Connection Type : \(rule.connectionType.rawValue.uppercased())"].joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}
