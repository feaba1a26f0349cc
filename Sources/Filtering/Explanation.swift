import Packet
import Policy

/// Why a packet got its verdict: the deciding filter and the nearest ones that did not match.
public struct Explanation: Sendable {
    public var packet: PacketSelector
    public var direction: Direction
    public var decision: Decision
    public var filter: SpecificFilter?
    /// Filters that came closest (fewest differing fields, then precedence), each with the first
    /// field that kept it from matching — or, for a matching filter of lower precedence, why it
    /// lost.
    public var candidates: [(filter: SpecificFilter, rank: Int, why: String)]

    /// Lines for `ward ipsec trace`.
    public var lines: [String] {
        var lines = ["Packet      : \(packet) (\(direction.rawValue))", "Decision    : \(decision.verdict.rawValue.uppercased())",
                     "Reason      : \(decision.reason)"]
        if let filter, let rank = decision.rank {
            let origin = filter.origin
            lines += [
                "Store       : \(origin.store)", "Policy      : \(origin.policy.name)", "Rule        : \(origin.rule.name)",
                "Filter List : \(origin.filterList.name)",
                "Filter      : #\(origin.filterIndex + 1) \(origin.filter.source) → \(origin.filter.destination)\(origin.filter.mirrored ? " mirrored" : "")\(origin.mirrorCopy ? " (reverse direction)" : "")",
                "Specific    : \(filter.selectorText)", "Weight      : \(filter.weight)", "Precedence  : \(rank + 1) of the table",
                "Action      : \(origin.filterAction.name) (\(origin.filterAction.action.rawValue))",
            ]
            if let tunnel = filter.tunnelEndpoint { lines.append("Tunnel      : \(tunnel)") }
        }
        if !candidates.isEmpty {
            lines.append("Nearest other filters:")
            for candidate in candidates {
                lines.append("  #\(candidate.rank + 1) rule '\(candidate.filter.origin.rule.name)' \(candidate.filter.selectorText) weight \(candidate.filter.weight.value): \(candidate.why)")
            }
        }
        return lines
    }
}

extension PolicyDecider {
    /// Decides `packet` and explains it (for people: this scans the whole table).
    public mutating func explain(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                                 protected: Bool = false, now: Double = 0, nearest: Int = 3) -> Explanation {
        let decision = decide(packet, direction: direction, interface: interface, protected: protected, now: now)
        let scored = table.filters.enumerated().compactMap { (rank, filter) -> (SpecificFilter, Int, Int, String)? in
            if rank == decision.rank { return nil }
            if let why = filter.mismatch(packet, interface: interface) {
                return (filter, rank, filter.distance(packet, interface: interface), why)
            }
            return (filter, rank, 0, "matches too, but filter #\((decision.rank ?? 0) + 1) is more specific or wins the tie")
        }
        let nearestOnes = scored.sorted { ($0.2, $0.1) < ($1.2, $1.1) }.prefix(nearest).map { (filter: $0.0, rank: $0.1, why: $0.3) }
        return Explanation(packet: packet, direction: direction, decision: decision,
                           filter: decision.rank.map { table.filters[$0] }, candidates: Array(nearestOnes))
    }
}
