import Agent
import Foundation
import GroupPolicy

/// The RSoP page: every layer that contributes, highest precedence first, in force or not and
/// why; the GPOs Group Policy considered (precedence, applied or why not); then the agent's
/// own RSoP report (`ward ipsec show rsop`) in full.
public enum ResultantSetOfPolicyPage {
    public static func body(_ snapshot: AgentSnapshot?) -> String {
        guard let snapshot else { return "<p class=\"warning\">The agent has not sent a snapshot yet.</p>" }
        var html = "<h2>Layers, highest precedence first</h2>"
        html += PageLayout.table(id: "layers", ["Layer", "Source", "In force", "Detail"], snapshot.layerStates.map {
            [$0.layer, $0.source, $0.inForce ? "yes" : "no", $0.detail].map(PageLayout.escape)
        })
        html += "<h2>Group Policy</h2><p id=\"gp-status\">\(PageLayout.escape(snapshot.groupPolicyStatus))</p>"
        if let result = snapshot.groupPolicy {
            html += "<p>Computer \(PageLayout.escape(result.computerDN)) in \(PageLayout.escape(result.domain)), site "
                + "\(PageLayout.escape(result.site ?? "(none)")), read from \(PageLayout.escape(result.controller)) at "
                + "\(PageLayout.escape(ISO8601DateFormatter().string(from: result.readAt)))</p>"
            html += PageLayout.table(id: "gpos", ["GPO", "Linked to", "Enforced", "IPsec policy", "Precedence", "Applied", "Why not"],
                                     result.candidates.map { candidate in
                [candidate.gpoName, candidate.scope, candidate.enforced ? "yes" : "no", candidate.policyName ?? "(none)",
                 candidate.precedence.map(String.init) ?? "-", candidate.applied ? "yes" : "no",
                 candidate.exclusion.map { "\($0)" } ?? ""].map(PageLayout.escape)
            })
        }
        html += "<h2>Report</h2><pre id=\"rsop-report\">\(PageLayout.escape(snapshot.resultantSetOfPolicyText))</pre>"
        return html
    }
}
