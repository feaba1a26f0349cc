import ESP
import Filtering
import IKE
import Packet

/// What the agent asks of a datapath, whichever does the per-packet work: the userspace
/// `Datapath` (TUN devices and raw sockets, every kernel) or `KernelDatapath` (the kernel's
/// XFRM, programmed through netlink). One policy, one IKE, one monitor over either.
public protocol DatapathBackend: AnyObject {
    /// Installs a pair IKE negotiated; throws when the parameters are unusable (the agent then
    /// asks IKE to delete the pair).
    func install(_ pair: NegotiatedSAPair, now: Double) throws
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
}

extension Datapath: DatapathBackend {
    /// The decider's soft associations are the userspace datapath's: nothing else to end.
    public func peerAnswered(_ peer: IPAddress) {}
}

extension RunningPolicy {
    /// Of `pairs`, those the table in force no longer asks for: an explicit filter now permits
    /// or blocks their traffic, or negotiates it with another tunnel endpoint (Windows removes
    /// the SAs of filters that went away). Pairs whose traffic no filter covers stay (the
    /// default response rule keys those).
    func pairsNoLongerCovered(_ pairs: [(selector: TrafficSelector, peer: IPAddress, inboundSPI: UInt32)], now: Double) -> [UInt32] {
        pairs.compactMap { pair -> UInt32? in
            let selector = pair.selector
            let packet = PacketSelector(source: selector.local.network, destination: selector.remote.network, protocolNumber: selector.protocolID,
                                        sourcePort: selector.localPort, destinationPort: selector.remotePort)
            switch ruling(packet, direction: .outbound, now: now) {
            case .negotiate(let rank):
                guard let endpoint = decider.table.filters[rank].tunnelEndpoint else { return nil }
                return endpoint == pair.peer ? nil : pair.inboundSPI
            case .permit, .block, .multicastBlocked, .multicastInClear: return pair.inboundSPI
            default: return nil
            }
        }
    }
}
