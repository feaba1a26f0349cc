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
    /// The host's Kerberos credentials; nil leaves Kerberos out of every offer.
    public var kerberos: (any GSSMechanism)?

    public init(_ running: RunningPolicy, certificates: CertificateSettings? = nil, kerberos: (any GSSMechanism)? = nil) {
        self.running = running
        self.certificates = certificates
        self.kerberos = kerberos
    }

    /// The rank of the filter that contains the whole of `selector` (most specific first), if it
    /// negotiates. A proposal that only overlaps a negotiate filter is not answered by it: a
    /// peer offering 10.77.1.0/24 gets the /24 rule's answer even where a /25 inside it has
    /// its own, and the /25's traffic is negotiated (and checked) separately.
    func negotiateFilter(containing selector: TrafficSelector) -> Int? {
        let table = running.decider.table
        guard let rank = table.filter(containing: selector.local, selector.remote, protocolNumber: selector.protocolID,
                                      localPort: selector.localPort, remotePort: selector.remotePort),
              table.filters[rank].action == .negotiate else { return nil }
        return rank
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
            return MainModePolicy(isakmp: origin.policy.isakmp, authentication: origin.rule.authenticationMethods, certificates: certificates,
                                  kerberos: kerberos)
        }
        guard let fallback = running.defaultResponse?.policy else { return nil }
        return MainModePolicy(isakmp: fallback.isakmp, authentication: fallback.defaultResponseRule.authenticationMethods,
                              certificates: certificates, kerberos: kerberos)
    }

    public func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy? {
        if let rank = negotiateFilter(containing: selector) { return policy(rank) }
        guard let fallback = running.defaultResponse?.policy, selector.remote.isHost, selector.remote.network == peer else { return nil }
        return QuickModePolicy(fallback.defaultResponseRule)
    }

    /// An acquire's filter answers with its own action, even where another filter's SA would
    /// cover the addresses; a filter no longer in the table (or no longer negotiating) answers
    /// nothing, so the traffic is not keyed under a rule that no longer governs it.
    public func quickMode(for selector: TrafficSelector, peer: IPAddress, filter: FilterIdentity?) -> QuickModePolicy? {
        guard let filter else { return quickMode(for: selector, peer: peer) }
        guard let rank = running.decider.table.rank(of: filter) else { return nil }
        return policy(rank)
    }

    /// The Quick Mode policy of the negotiate filter of `rank`, bound to it.
    private func policy(_ rank: Int) -> QuickModePolicy {
        let table = running.decider.table
        let origin = table.filters[rank].origin
        var policy = QuickModePolicy(origin.filterAction, tunnel: origin.rule.isTunnel)
        policy.filter = table.identity(rank)
        return policy
    }
}
