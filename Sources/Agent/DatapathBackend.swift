import ESP
import Filtering
import IKE
import Packet

/// What the agent asks of a datapath, whichever does the per-packet work: the userspace
/// `Datapath` (TUN devices and raw sockets, every kernel) or `KernelDatapath` (the kernel's
/// XFRM, programmed through netlink). One policy, one IKE, one monitor over either.
public protocol DatapathBackend: AnyObject {
    /// Installs a pair IKE negotiated, bound to the filter it serves; returns negotiations that
    /// packets it released still need; throws when the parameters are unusable (the agent then
    /// asks IKE to delete the pair).
    func install(_ pair: NegotiatedSAPair, now: Double) throws -> [AcquireRequest]
    /// Removes a pair IKE deleted (the peer's Delete, expiry, restart).
    func remove(inboundSPI: UInt32)
    /// Lifetimes on the clock: rekeys to ask for, and pairs that expired (removed already;
    /// their inbound SPIs are returned so IKE can send a Delete).
    func tick(now: Double) -> (rekeys: [AcquireRequest], expired: [UInt32])
    /// A negotiation with `peer` failed.
    func negotiationFailed(peer: IPAddress)
    /// `peer` answered IKE: a soft association with it ends (reference a.5).
    func peerAnswered(_ peer: IPAddress)
    /// After a policy change: inbound SPIs of the pairs the new table no longer negotiates.
    func pairsNoLongerCovered(now: Double) -> [UInt32]
    /// Installed pairs with their traffic, for the monitor.
    var securityAssociations: [InstalledSAPair] { get }
    /// IPsec statistics since the agent started (reference f.2).
    var totalStatistics: IPsecStatistics { get }
    /// The datapath's own counters (decisions, drops, queue).
    var counters: DatapathCounters { get }
    /// Which SA an outbound packet would leave under now (`ward ipsec trace`).
    func outboundChoice(for packet: PacketSelector, now: Double) -> OutboundSAChoice
}

/// What an outbound packet would meet now: no negotiation (the ruling says why), one of its
/// filter's SA pairs, or a negotiation for its filter (no SA of its own yet).
public enum OutboundSAChoice: Sendable {
    case notNegotiated(Ruling)
    case securityAssociation(outboundSPI: UInt32, inboundSPI: UInt32, peer: IPAddress, transform: String)
    case negotiation(AcquireRequest)

    /// One line for `trace`.
    public var text: String {
        switch self {
        case .notNegotiated: "no SA: the packet is not negotiated"
        case .securityAssociation(let outbound, let inbound, let peer, let transform):
            "leaves under SPI 0x\(String(outbound, radix: 16)) to \(peer) (inbound SPI 0x\(String(inbound, radix: 16)), \(transform)), its filter's own SA"
        case .negotiation(let request):
            "no SA of its filter yet: the packet would be held and a negotiation started with \(request.peer) for \(request.selector)"
        }
    }
}

extension Datapath: DatapathBackend {
    /// The decider's soft associations are the userspace datapath's: nothing else to end.
    public func peerAnswered(_ peer: IPAddress) {}

    public func outboundChoice(for packet: PacketSelector, now: Double) -> OutboundSAChoice {
        let ruling = policy.ruling(packet, direction: .outbound, now: now)
        guard case .negotiate(let rank) = ruling else { return .notNegotiated(ruling) }
        bindToCurrentTable()
        let peer = policy.decider.table.tunnelEndpoint(rank) ?? packet.destination
        if let index = table.outbound(rank: rank, peer: peer, for: packet) {
            let entry = table[index]
            return .securityAssociation(outboundSPI: entry.outbound.spi, inboundSPI: entry.inboundSPI, peer: entry.peer, transform: entry.transform)
        }
        return .negotiation(AcquireRequest(for: packet, rank: rank, in: policy.decider.table, sourceAddress: sourceAddress))
    }
}

extension RunningPolicy {
    /// Of `pairs`, those the table in force no longer asks for. A pair bound to a filter goes
    /// when that filter is no longer in the table as it was — removed, edited, its action,
    /// methods or tunnel endpoint changed, or no longer negotiating (Windows removes the SAs of
    /// filters that went away). A default response pair goes when an explicit filter now
    /// decides its traffic (a rule governs it now, with its own SA); otherwise it stays.
    func pairsNoLongerCovered(_ pairs: [(selector: TrafficSelector, peer: IPAddress, filter: FilterIdentity?, inboundSPI: UInt32)],
                              now: Double) -> [UInt32] {
        pairs.compactMap { pair -> UInt32? in
            if let filter = pair.filter { return decider.table.rank(of: filter) == nil ? pair.inboundSPI : nil }
            let selector = pair.selector
            let packet = PacketSelector(source: selector.local.network, destination: selector.remote.network, protocolNumber: selector.protocolID,
                                        sourcePort: selector.localPort, destinationPort: selector.remotePort)
            switch ruling(packet, direction: .outbound, now: now) {
            case .negotiate, .permit, .block, .multicastBlocked, .multicastInClear: return pair.inboundSPI
            default: return nil
            }
        }
    }
}
