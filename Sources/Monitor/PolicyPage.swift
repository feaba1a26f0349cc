import Agent
import Filtering
import Foundation
import Policy

/// The policy as the IP Security Policy Management snap-in shows it: the stores' policies and
/// which is assigned; for each assigned policy its rules (filter list, filter action,
/// authentication methods, tunnel endpoint, connection type), its filter lists with their
/// filters, its filter actions with their security methods. The administrator gets buttons
/// (assign/unassign, activate/deactivate) that post to `/policy/assign` and `/policy/rule`.
/// Authentication methods are named without their secrets: a preshared key never appears.
public enum PolicyPage {
    public static func body(catalog: Result<[PolicySnapshot], ConsoleError>, inForce: [PolicySnapshot], role: ConsoleAccess.Role,
                            csrf: String, message: String?) -> String {
        let administrator = role == .administrator
        var html = message.map { "<p class=\"message\" id=\"message\">\(PageLayout.escape($0))</p>" } ?? ""
        let entries: [PolicySnapshot]
        switch catalog {
        case .success(let found): entries = found
        case .failure(let error):
            return html + "<p class=\"warning\">\(PageLayout.escape(error.description))</p>"
        }
        html += "<h2>Policies in the stores</h2>"
        html += PageLayout.table(id: "policies", ["Store", "Policy", "Description", "Assigned", "Rules"] + (administrator ? [""] : []), entries.map { entry in
            var cells = [entry.store, entry.policy.name, entry.policy.description, entry.policy.assigned ? "yes" : "no", String(entry.rules.count)]
                .map(PageLayout.escape)
            if administrator {
                cells.append(PageLayout.button(entry.policy.assigned ? "Unassign" : "Assign", action: "/policy/assign",
                                               fields: [("store", entry.store), ("policy", entry.policy.name), ("assign", entry.policy.assigned ? "no" : "yes")],
                                               csrf: csrf, id: "assign-\(entry.store)-\(entry.policy.name)"))
            }
            return cells
        })
        for entry in entries where entry.policy.assigned {
            html += "<h2>Assigned policy '\(PageLayout.escape(entry.policy.name))' (\(entry.store) store)</h2>"
            html += details(entry, editable: administrator, csrf: csrf)
        }
        for layer in inForce where layer.store == "domain" {
            html += "<h2>Domain policy '\(PageLayout.escape(layer.policy.name))' (from Group Policy; change it in the domain store)</h2>"
            html += details(layer, editable: false, csrf: csrf)
        }
        return html
    }

    /// Rules, then the filter lists and filter actions they use.
    static func details(_ snapshot: PolicySnapshot, editable: Bool, csrf: String) -> String {
        var html = PageLayout.table(id: "rules-\(snapshot.store)",
                                    ["Rule", "IP Filter List", "Filter Action", "Authentication Methods", "Tunnel Setting", "Connection Type", "Active"]
                                        + (editable ? [""] : []),
                                    snapshot.rules.map { rule in
            var cells = [rule.name, snapshot.filterLists[rule.filterListID]?.name ?? "(missing)",
                         snapshot.filterActions[rule.filterActionID]?.name ?? "(missing)",
                         rule.authenticationMethods.map(MonitorReport.authenticationText).joined(separator: ", "),
                         rule.tunnelEndpoint.map { "\($0)" } ?? "None", rule.connectionType.rawValue.uppercased(), rule.active ? "yes" : "no"]
                .map(PageLayout.escape)
            if editable {
                cells.append(PageLayout.button(rule.active ? "Deactivate" : "Activate", action: "/policy/rule",
                                               fields: [("store", snapshot.store), ("policy", snapshot.policy.name), ("rule", rule.name),
                                                        ("activate", rule.active ? "no" : "yes")],
                                               csrf: csrf, id: "rule-\(snapshot.store)-\(rule.name)"))
            }
            return cells
        })
        var listIDs: [UUID] = [], actionIDs: [UUID] = []
        for rule in snapshot.rules {
            if !listIDs.contains(rule.filterListID) { listIDs.append(rule.filterListID) }
            if !actionIDs.contains(rule.filterActionID) { actionIDs.append(rule.filterActionID) }
        }
        html += "<h3>IP filter lists</h3>"
        for list in listIDs.compactMap({ snapshot.filterLists[$0] }) {
            html += "<h4>\(PageLayout.escape(list.name))</h4>"
            html += PageLayout.table(["Source", "Destination", "Protocol", "Source Port", "Destination Port", "Mirrored", "Description"],
                                     list.filters.map { filter in
                [filter.sourceDNSName ?? "\(filter.source)", filter.destinationDNSName ?? "\(filter.destination)", "\(filter.protocolSelector)",
                 filter.sourcePort == 0 ? "ANY" : String(filter.sourcePort), filter.destinationPort == 0 ? "ANY" : String(filter.destinationPort),
                 filter.mirrored ? "yes" : "no", filter.description].map(PageLayout.escape)
            })
        }
        html += "<h3>Filter actions</h3>"
        html += PageLayout.table(["Filter Action", "Action", "Security Methods", "PFS", "Inbound Pass-through", "Fall back to clear"],
                                 actionIDs.compactMap { snapshot.filterActions[$0] }.map { action in
            [action.name, action.action.rawValue, action.securityMethods.map(\.description).joined(separator: " "),
             action.quickModePFS ? "yes" : "no", action.inboundPassthrough ? "yes" : "no", action.fallbackToClear ? "yes" : "no"].map(PageLayout.escape)
        })
        return html
    }
}
