import Foundation
import Packet
import Policy

/// Turns assigned policies into the specific filters the table decides with (reference e.2):
///
/// 1. take each snapshot in precedence order (persistent first), each active rule, its list;
/// 2. check every filter again (an imported store is not trusted), naming policy, rule, filter;
/// 3. expand `me`, `any` and the server types through the `AddressProvider` (one specific
///    filter per address pair of the same family);
/// 4. add the reverse direction of mirrored filters;
/// 5. weigh each filter and sort: weight, then block > permit > negotiate, then store
///    precedence, rule name and filter position — a total, deterministic order.
public enum FilterCompiler {
    public static func compile(_ snapshots: [PolicySnapshot], addresses: AddressProvider) throws(CompileError) -> [SpecificFilter] {
        var filters: [SpecificFilter] = []
        for (storeRank, snapshot) in snapshots.enumerated() {
            for rule in snapshot.rules where rule.active {
                let place = "\(snapshot.store) policy '\(snapshot.policy.name)', rule '\(rule.name)'"
                guard let list = snapshot.filterLists[rule.filterListID] else {
                    throw CompileError(message: "\(place): its filter list is missing")
                }
                guard let action = snapshot.filterActions[rule.filterActionID] else {
                    throw CompileError(message: "\(place): its filter action is missing")
                }
                for (index, filter) in list.filters.enumerated() {
                    let where_ = "\(place), filter list '\(list.name)' filter \(index + 1) (\(filter.source) → \(filter.destination))"
                    do { try filter.validate() } catch { throw CompileError(message: "\(where_): \(error)") }
                    if rule.isTunnel && filter.mirrored {
                        throw CompileError(message: "\(where_): a mirrored filter cannot describe a tunnel (one rule per direction)")
                    }
                    let origin = FilterOrigin(store: snapshot.store, storeRank: storeRank, policy: snapshot.policy, rule: rule,
                                              filterList: list, filter: filter, filterIndex: index, mirrorCopy: false, filterAction: action)
                    filters += expand(filter, origin: origin, addresses: addresses, connectionType: rule.connectionType)
                }
            }
        }
        filters.sort(by: precedes)
        return filters
    }

    /// The default response rule IKE answers with when no filter covers a peer (reference d.7):
    /// that of the highest-precedence policy that has it active. It never overrides a filter.
    public static func defaultResponse(_ snapshots: [PolicySnapshot]) -> (store: String, policy: IPsecPolicy)? {
        snapshots.first { $0.policy.defaultResponseRule.active }.map { ($0.store, $0.policy) }
    }

    /// The total order of the table: the first matching filter in it decides.
    static func precedes(_ a: SpecificFilter, _ b: SpecificFilter) -> Bool {
        if a.weight != b.weight { return a.weight > b.weight }
        if a.actionRank != b.actionRank { return a.actionRank < b.actionRank }
        if a.origin.storeRank != b.origin.storeRank { return a.origin.storeRank < b.origin.storeRank }
        if a.origin.rule.name != b.origin.rule.name { return a.origin.rule.name < b.origin.rule.name }
        if a.origin.filterIndex != b.origin.filterIndex { return a.origin.filterIndex < b.origin.filterIndex }
        if a.origin.mirrorCopy != b.origin.mirrorCopy { return !a.origin.mirrorCopy }
        return (a.source.network, a.destination.network) < (b.source.network, b.destination.network)
    }

    static func subnets(_ address: FilterAddress, addresses: AddressProvider) -> [Subnet] {
        switch address {
        case .me: addresses.localAddresses.map(Subnet.init(host:))
        case .any: [Subnet(address: .v4(.any), prefixLength: 0)!, Subnet(address: .v6(.any), prefixLength: 0)!]
        case .subnet(let subnet): [subnet]
        case .server(let type): addresses.servers(type).map(Subnet.init(host:))
        }
    }

    static func expand(_ filter: Filter, origin: FilterOrigin, addresses: AddressProvider, connectionType: ConnectionType) -> [SpecificFilter] {
        let sources = subnets(filter.source, addresses: addresses)
        let destinations = subnets(filter.destination, addresses: addresses)
        var result: [SpecificFilter] = []
        for source in sources {
            for destination in destinations where source.network.isIPv4 == destination.network.isIPv4 {
                result.append(make(source, destination, filter.sourcePort, filter.destinationPort, filter, origin, connectionType))
                if filter.mirrored {
                    var reverse = origin
                    reverse.mirrorCopy = true
                    result.append(make(destination, source, filter.destinationPort, filter.sourcePort, filter, reverse, connectionType))
                }
            }
        }
        return result
    }

    static func make(_ source: Subnet, _ destination: Subnet, _ sourcePort: UInt16, _ destinationPort: UInt16, _ filter: Filter,
                     _ origin: FilterOrigin, _ connectionType: ConnectionType) -> SpecificFilter {
        // IPv4 and IPv6 prefixes weigh alike: an IPv6 host (/128) is as specific as an IPv4 one.
        func scaled(_ subnet: Subnet) -> Int { subnet.network.isIPv4 ? subnet.prefixLength * 4 : subnet.prefixLength }
        let weight = FilterWeight(sourcePrefix: scaled(source), destinationPrefix: scaled(destination),
                                  protocolGiven: filter.protocolSelector.number != nil,
                                  sourcePortGiven: sourcePort != 0, destinationPortGiven: destinationPort != 0,
                                  isIPv4: source.network.isIPv4)
        return SpecificFilter(source: source, destination: destination, protocolNumber: filter.protocolSelector.number,
                              sourcePort: sourcePort, destinationPort: destinationPort, connectionType: connectionType,
                              weight: weight, origin: origin)
    }
}
