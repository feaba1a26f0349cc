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

    /// Decides with an explanation (the `trace` command, logs): `ruling` plus the reason text.
    public mutating func decide(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                                protected: Bool = false, now: Double = 0) -> Decision {
        let ruling = ruling(packet, direction: direction, interface: interface, protected: protected, now: now)
        return Decision(ruling.verdict, rank: ruling.rank, reason: reason(ruling, packet: packet, direction: direction))
    }

    /// The datapath's decision: no text is built, nothing is allocated.
    public mutating func ruling(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                                protected: Bool = false, now: Double = 0) -> Ruling {
        if let exemption = exemptions.exemption(packet, broadcast: broadcast) { return .exempt(exemption) }
        guard let rank = table.lookup(packet, interface: interface) else { return .noFilter }
        // Fields are read in place: binding the filter (or its action) would copy the struct and
        // retain every policy object it refers to, on every packet.
        switch table.filters[rank].action {
        case .permit: return .permit(rank)
        case .block: return .block(rank)
        case .negotiate: break
        }
        let peer = direction == .outbound ? packet.destination : packet.source
        if direction == .inbound {
            if protected { return .arrivedProtected(rank) }
            if softAssociations.allowsClear(with: peer, now: now) { return .softAssociation(rank) }
            if table.filters[rank].origin.filterAction.inboundPassthrough { return .inboundPassthrough(rank) }
            return .clearDropped(rank)
        }
        let fallbackToClear = table.filters[rank].origin.filterAction.fallbackToClear
        if Exemptions.isMulticastOrBroadcast(packet.destination, broadcast: broadcast) {
            return fallbackToClear ? .multicastInClear(rank) : .multicastBlocked(rank)
        }
        if fallbackToClear && softAssociations.allowsClear(with: peer, now: now) { return .softAssociation(rank) }
        return .negotiate(rank)
    }

    /// One line: why `ruling` was reached for `packet`.
    public func reason(_ ruling: Ruling, packet: PacketSelector, direction: Direction) -> String {
        guard let rank = ruling.rank else {
            if case .exempt(let exemption) = ruling { return exemption.reason(level: exemptions.level) }
            return "no filter matches: traffic passes in the clear"
        }
        let filter = table.filters[rank]
        let rule = "rule '\(filter.origin.rule.name)' of \(filter.origin.store) policy '\(filter.origin.policy.name)'"
        let peer = direction == .outbound ? packet.destination : packet.source
        switch ruling {
        case .exempt, .noFilter: return ""
        case .permit: return "\(rule) permits"
        case .block: return "\(rule) blocks"
        case .arrivedProtected: return "\(rule) requires IPsec; the packet arrived protected"
        case .softAssociation: return "\(rule): soft association with \(peer) (peer does not speak IPsec)"
        case .inboundPassthrough: return "\(rule): inbound passthrough accepts this clear packet; replies are secured"
        case .clearDropped: return "\(rule) requires IPsec; clear text dropped"
        case .multicastInClear: return "\(rule): multicast/broadcast cannot be secured; sent in the clear (soft)"
        case .multicastBlocked: return "\(rule): multicast/broadcast cannot be secured and the action does not fall back to clear"
        case .negotiate:
            return "\(rule) negotiates security with \(filter.tunnelEndpoint.map { "tunnel endpoint \($0)" } ?? "the peer")"
        }
    }
}

/// How a packet was decided, without text: the verdict and the deciding filter's rank follow
/// from it (`PolicyDecider.reason` turns it into a sentence).
public enum Ruling: Sendable, Equatable {
    case exempt(Exemption)
    case noFilter
    case permit(Int)
    case block(Int)
    /// Inbound, negotiate filter, arrived through an SA.
    case arrivedProtected(Int)
    case softAssociation(Int)
    case inboundPassthrough(Int)
    /// Inbound, negotiate filter, arrived in the clear: dropped.
    case clearDropped(Int)
    case multicastInClear(Int)
    case multicastBlocked(Int)
    /// Outbound: must leave under an SA.
    case negotiate(Int)

    public var verdict: Verdict {
        switch self {
        case .exempt, .noFilter, .permit, .arrivedProtected, .softAssociation, .inboundPassthrough, .multicastInClear: .permit
        case .block, .clearDropped, .multicastBlocked: .block
        case .negotiate: .negotiate
        }
    }

    /// The deciding filter's rank in the table, if a filter decided.
    public var rank: Int? {
        switch self {
        case .exempt, .noFilter: nil
        case .permit(let rank), .block(let rank), .arrivedProtected(let rank), .softAssociation(let rank), .inboundPassthrough(let rank),
             .clearDropped(let rank), .multicastInClear(let rank), .multicastBlocked(let rank), .negotiate(let rank): rank
        }
    }
}
