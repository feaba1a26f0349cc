import Certificates
import Filtering
import Packet
import Policy
import Transforms

/// The IKE engine's view of the policy in force: negotiate filters of the compiled table decide
/// which rule keys a peer and some traffic; peers and traffic no filter covers get the default
/// response rule of the policy that has it active (reference a.5), or nothing.
public final class RunningPolicyProvider: IKEPolicyProvider {
    let running: RunningPolicy
    /// The certificate store as last read, with `strongcrlcheck`; nil leaves certificate
    /// methods out of every offer.
    public var certificates: CertificateSettings?

    public init(_ running: RunningPolicy, certificates: CertificateSettings? = nil) {
        self.running = running
        self.certificates = certificates
    }

    /// The negotiate filter that decides `selector`, looked up as an outbound packet.
    func negotiateFilter(_ selector: TrafficSelector) -> SpecificFilter? {
        let packet = PacketSelector(source: selector.local.network, destination: selector.remote.network, protocolNumber: selector.protocolID,
                                    sourcePort: selector.localPort, destinationPort: selector.remotePort)
        let table = running.decider.table
        guard let rank = table.lookup(packet) else { return nil }
        let filter = table.filters[rank]
        return filter.action == .negotiate ? filter : nil
    }

    public func mainMode(local: IPAddress, peer: IPAddress) -> MainModePolicy? {
        let table = running.decider.table
        // A tunnel rule keys with its endpoint; a transport rule with the hosts its filters
        // cover — Main Mode filters are the Quick Mode filters' addresses, whatever protocol
        // and ports those name. The table is in precedence order: the first match is the best.
        let origin = table.filters.first { $0.action == .negotiate && $0.tunnelEndpoint == peer }?.origin
            ?? table.filters.first {
                $0.action == .negotiate && $0.tunnelEndpoint == nil && $0.source.contains(local) && $0.destination.contains(peer)
            }?.origin
        if let origin {
            return MainModePolicy(isakmp: origin.policy.isakmp, authentication: origin.rule.authenticationMethods, certificates: certificates)
        }
        guard let fallback = running.defaultResponse?.policy else { return nil }
        return MainModePolicy(isakmp: fallback.isakmp, authentication: fallback.defaultResponseRule.authenticationMethods, certificates: certificates)
    }

    public func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy? {
        if let origin = negotiateFilter(selector)?.origin {
            return QuickModePolicy(origin.filterAction, tunnel: origin.rule.isTunnel)
        }
        guard let fallback = running.defaultResponse?.policy, selector.remote.isHost, selector.remote.network == peer else { return nil }
        return QuickModePolicy(fallback.defaultResponseRule)
    }
}
