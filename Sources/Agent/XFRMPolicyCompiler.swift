import Filtering
import Packet
import Policy
import XFRM

/// Compiles the filter table in force into the kernel's SPD (`Docs/datapath.md`, "Kernel
/// backend"). Pure: the same table and addresses give the same policies.
///
/// Ward owns the XFRM policies whose priority lies in `band` (lower wins):
///  - `band.lowerBound + 0…99`: exemptions — IKE (UDP 500/4500 either side, always), IPv6
///    neighbour discovery, and what `ipsecexempt` adds (Kerberos, RSVP, multicast/broadcast);
///  - `+ 1000 + 2 × rank + 1`: each specific filter in precedence order, in both directions (a
///    packet meets the table as it would in the userspace datapath: one table, looked up
///    with the packet's own addresses), plus `forward` for tunnel filters. Permit → `allow`;
///    block → `block`; negotiate → `allow` with an ESP (or AH) template carrying the reqid of
///    the filter's binding (`reqids`: one per filter and its mirror, so the kernel uses and
///    accepts only the SAs negotiated for that filter) — inbound the template is optional
///    when the action allows inbound passthrough.
/// `+ 1000 + 2 × rank` is left free for a soft association's clear-text policy (`KernelDatapath`).
/// Selectors the kernel identifies as the same policy keep the first (most specific) filter.
public enum XFRMPolicyCompiler {
    public static let band: Range<UInt32> = 2_000_000..<3_000_000
    /// The reqid of SAs bound to no filter (the default response rule's) and of templates
    /// compiled without bindings; it lies in `reqids`.
    public static let reqid: UInt32 = 0x5741_5244  // "WARD"
    /// Every SA and template of Ward's carries a reqid from here ("WA" and 16 bits): the agent
    /// finds what a previous run left by it. Each filter binding gets its own.
    public static let reqids: ClosedRange<UInt32> = 0x5741_0000...0x5741_FFFF
    static let filterBase: UInt32 = band.lowerBound + 1000
    /// `XFRMSelector.owner` of soft associations' clear-text policies.
    static let softAssociationOwner: UInt32 = 1

    /// The priority of the filter of this rank (odd offsets: each filter has a free slot just
    /// ahead of it for a soft association's clear-text policy).
    public static func priority(forRank rank: Int) -> UInt32 { filterBase + 2 * UInt32(rank) + 1 }

    /// The slot just ahead of the filter of this rank: a soft association narrowed to that
    /// filter's traffic with one peer wins over it, and over nothing more specific.
    static func softPriority(forRank rank: Int) -> UInt32 { filterBase + 2 * UInt32(rank) }

    /// The rank of the filter a policy of this priority stands for, or nil for an exemption
    /// or a priority outside Ward's band.
    public static func rank(forPriority priority: UInt32) -> Int? {
        guard priority > filterBase, priority < band.upperBound, (priority - filterBase) % 2 == 1 else { return nil }
        return Int((priority - filterBase) / 2)
    }

    /// `reqids`: per rank, the reqid of the filter's binding (`KernelDatapath.reqids(for:)`);
    /// absent, every template carries `reqid`.
    public static func policies(table: FilterTable, exemptions: Exemptions, broadcast: [IPAddress], localAddresses: Set<IPAddress>,
                                sourceAddress: (IPAddress) -> IPAddress?, reqids: [UInt32] = []) -> [XFRMPolicy] {
        var policies = exemptionPolicies(exemptions, broadcast: broadcast)
        var seen = Set(policies.map(\.key))
        for (rank, filter) in table.filters.enumerated() {
            guard filter.source.network.isIPv4 == filter.destination.network.isIPv4, rank < Int(band.upperBound - filterBase) / 2 else { continue }
            let selector = XFRMSelector(source: filter.source, destination: filter.destination, protocolNumber: filter.protocolNumber ?? 0,
                                        sourcePort: filter.sourcePort, destinationPort: filter.destinationPort)
            var directions: [XFRMDirection] = [.outbound, .inbound]
            if filter.tunnelEndpoint != nil { directions.append(.forward) }
            for direction in directions {
                let policy = XFRMPolicy(selector: selector, direction: direction, action: filter.action == .block ? .block : .allow,
                                        priority: priority(forRank: rank),
                                        templates: filter.action == .negotiate
                                            ? [template(filter, direction, table, localAddresses, sourceAddress,
                                                        reqid: rank < reqids.count && reqids[rank] != 0 ? reqids[rank] : reqid)] : [])
                if seen.insert(policy.key).inserted { policies.append(policy) }
            }
        }
        return policies
    }

    /// The SA a negotiate filter requires: ESP unless every offer of the action is AH only.
    static func template(_ filter: SpecificFilter, _ direction: XFRMDirection, _ table: FilterTable, _ localAddresses: Set<IPAddress>,
                         _ sourceAddress: (IPAddress) -> IPAddress?, reqid: UInt32) -> XFRMTemplate {
        let methods = filter.origin.filterAction.securityMethods
        let securityProtocol: UInt8 = !methods.isEmpty && methods.allSatisfy({ $0.esp == nil }) ? 51 : 50
        let optional = direction != .outbound && filter.origin.filterAction.inboundPassthrough
        guard let endpoint = filter.tunnelEndpoint else {
            return XFRMTemplate(securityProtocol: securityProtocol, optional: optional, reqid: reqid)
        }
        // Tunnel: the outer addresses. A rule whose endpoint is this host is the inbound half
        // of a tunnel (reference a.8): its remote gateway is the endpoint of the rule for the
        // opposite direction.
        let remote: IPAddress, local: IPAddress?
        if localAddresses.contains(endpoint) {
            local = endpoint
            remote = table.filters.first(where: { other in
                other.source == filter.destination && other.destination == filter.source
                    && other.tunnelEndpoint.map { !localAddresses.contains($0) } == true
            })?.tunnelEndpoint ?? endpoint
        } else {
            remote = endpoint
            local = sourceAddress(endpoint)
        }
        if direction == .outbound {
            return XFRMTemplate(securityProtocol: securityProtocol, tunnelSource: local, tunnelDestination: remote, optional: false, reqid: reqid)
        }
        return XFRMTemplate(securityProtocol: securityProtocol, tunnelSource: remote, tunnelDestination: local ?? endpoint, optional: optional, reqid: reqid)
    }

    /// Exempt traffic, ahead of every filter, both directions.
    static func exemptionPolicies(_ exemptions: Exemptions, broadcast: [IPAddress]) -> [XFRMPolicy] {
        let any4 = Subnet(address: .v4(.any), prefixLength: 0)!, any6 = Subnet(address: IPAddress("::")!, prefixLength: 0)!
        var selectors: [XFRMSelector] = []
        for any in [any4, any6] {
            for port: UInt16 in [500, 4500] {
                selectors.append(XFRMSelector(source: any, destination: any, protocolNumber: 17, sourcePort: port))
                selectors.append(XFRMSelector(source: any, destination: any, protocolNumber: 17, destinationPort: port))
            }
            if exemptions.level == 0 || exemptions.level == 2 {
                selectors.append(XFRMSelector(source: any, destination: any, protocolNumber: 46))
                for transport: UInt8 in [6, 17] {
                    selectors.append(XFRMSelector(source: any, destination: any, protocolNumber: transport, sourcePort: 88))
                    selectors.append(XFRMSelector(source: any, destination: any, protocolNumber: transport, destinationPort: 88))
                }
            }
        }
        // IPv6 neighbour discovery and MLD (ICMPv6 types in the source port field): without
        // them no IPv6 neighbour is reachable, protected or not.
        for type: UInt16 in [130, 131, 132, 133, 134, 135, 136, 143] {
            selectors.append(XFRMSelector(source: any6, destination: any6, protocolNumber: 58, sourcePort: type))
        }
        if exemptions.level == 0 || exemptions.level == 1 {
            selectors.append(XFRMSelector(source: any4, destination: Subnet(address: .v4(IPv4Address(224, 0, 0, 0)), prefixLength: 4)!))
            selectors.append(XFRMSelector(source: any6, destination: Subnet(address: IPAddress("ff00::")!, prefixLength: 8)!))
            for address in [IPAddress.v4(.broadcast)] + broadcast {
                selectors.append(XFRMSelector(source: address.isIPv4 ? any4 : any6, destination: Subnet(host: address)))
            }
        }
        var policies: [XFRMPolicy] = []
        for (index, selector) in selectors.enumerated() {
            for direction in [XFRMDirection.outbound, .inbound] {
                policies.append(XFRMPolicy(selector: selector, direction: direction, action: .allow, priority: band.lowerBound + UInt32(min(index, 99))))
            }
        }
        return policies
    }
}
