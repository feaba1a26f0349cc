import Packet
import Policy

/// What happens to a packet.
public enum Verdict: String, Sendable, Equatable {
    case permit, block, negotiate
}

/// A verdict with the filter that decided it and why.
public struct Decision: Sendable {
    public var verdict: Verdict
    /// The deciding filter's rank in the table, if a filter decided.
    public var rank: Int?
    /// One line: why.
    public var reason: String

    public init(_ verdict: Verdict, rank: Int? = nil, reason: String) {
        self.verdict = verdict
        self.rank = rank
        self.reason = reason
    }
}

/// Decides packets with a compiled table, the default exemptions and the soft associations
/// (reference e.2, e.3, a.5):
///
/// 1. exempt traffic (IKE; more with lower `ipsecexempt`) passes untouched;
/// 2. the most specific matching filter decides; no match passes in the clear;
/// 3. permit and block are final;
/// 4. negotiate, outbound: IPsec is required — unless a soft association lets this peer talk
///    in the clear, or the destination is multicast/broadcast (no SA can exist: clear with
///    `soft=yes`, otherwise blocked);
/// 5. negotiate, inbound: a packet that arrived protected is accepted (the datapath checks it
///    came through the rule's SA); a clear one is dropped unless the action allows inbound
///    passthrough (`inpass`) or a soft association covers the peer.
public struct PolicyDecider {
    public let table: FilterTable
    public let exemptions: Exemptions
    public let broadcast: [IPAddress]
    public var softAssociations = SoftAssociations()

    public init(table: FilterTable, exemptions: Exemptions = .windows2003, broadcast: [IPAddress] = []) {
        self.table = table
        self.exemptions = exemptions
        self.broadcast = broadcast
    }

    public mutating func decide(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                                protected: Bool = false, now: Double = 0) -> Decision {
        if let reason = exemptions.reason(packet, broadcast: broadcast) { return Decision(.permit, reason: reason) }
        guard let rank = table.lookup(packet, interface: interface) else {
            return Decision(.permit, reason: "no filter matches: traffic passes in the clear")
        }
        let filter = table.filters[rank]
        let rule = "rule '\(filter.origin.rule.name)' of \(filter.origin.store) policy '\(filter.origin.policy.name)'"
        switch filter.action {
        case .permit: return Decision(.permit, rank: rank, reason: "\(rule) permits")
        case .block: return Decision(.block, rank: rank, reason: "\(rule) blocks")
        case .negotiate: break
        }
        let action = filter.origin.filterAction
        let peer = direction == .outbound ? packet.destination : packet.source
        if direction == .inbound {
            if protected { return Decision(.permit, rank: rank, reason: "\(rule) requires IPsec; the packet arrived protected") }
            if softAssociations.allowsClear(with: peer, now: now) {
                return Decision(.permit, rank: rank, reason: "\(rule): soft association with \(peer) (peer does not speak IPsec)")
            }
            if action.inboundPassthrough {
                return Decision(.permit, rank: rank, reason: "\(rule): inbound passthrough accepts this clear packet; replies are secured")
            }
            return Decision(.block, rank: rank, reason: "\(rule) requires IPsec; clear text dropped")
        }
        if Exemptions.isMulticastOrBroadcast(packet.destination, broadcast: broadcast) {
            return action.fallbackToClear
                ? Decision(.permit, rank: rank, reason: "\(rule): multicast/broadcast cannot be secured; sent in the clear (soft)")
                : Decision(.block, rank: rank, reason: "\(rule): multicast/broadcast cannot be secured and the action does not fall back to clear")
        }
        if action.fallbackToClear && softAssociations.allowsClear(with: peer, now: now) {
            return Decision(.permit, rank: rank, reason: "\(rule): soft association with \(peer) (peer does not speak IPsec)")
        }
        return Decision(.negotiate, rank: rank, reason: "\(rule) negotiates security with \(filter.tunnelEndpoint.map { "tunnel endpoint \($0)" } ?? "the peer")")
    }
}
