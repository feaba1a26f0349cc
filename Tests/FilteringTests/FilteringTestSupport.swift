import Filtering
import Foundation
import Packet
import Policy

/// Builds one-policy snapshots quickly.
struct PolicyBuilder {
    var policy = IPsecPolicy(name: "P", assigned: true)
    var rules: [Rule] = []
    var lists: [FilterList] = []
    var actions: [FilterAction] = []

    mutating func rule(_ name: String, _ filters: [Filter], action: FilterAction.Action, inpass: Bool = false, soft: Bool = false,
                       tunnel: IPAddress? = nil, connection: ConnectionType = .all) {
        let list = FilterList(name: "\(name) list", filters: filters)
        let filterAction = FilterAction(name: "\(name) action", action: action, inboundPassthrough: inpass, fallbackToClear: soft,
                                        securityMethods: action == .negotiate ? QuickModeSecurityMethod.requireSecurityDefaults : [])
        lists.append(list)
        actions.append(filterAction)
        rules.append(Rule(policyID: policy.id, name: name, filterListID: list.id, filterActionID: filterAction.id,
                          tunnelEndpoint: tunnel, connectionType: connection))
    }

    func snapshot(_ store: String = "local") -> PolicySnapshot {
        PolicySnapshot(store: store, policy: policy, rules: rules, filterLists: lists, filterActions: actions)
    }
}

func address(_ text: String) -> IPAddress { IPAddress(text)! }
func subnet(_ text: String) -> FilterAddress { .subnet(Subnet(text)!) }

let me4 = address("10.77.1.1"), me6 = address("fd77::1")
let localMachine = StaticAddressProvider(local: [me4, me6], servers: [
    .dns: [address("10.77.0.53")], .gateway: [address("10.77.0.1")], .dhcp: [address("10.77.0.67")], .wins: [address("10.77.0.44")],
], broadcast: [address("10.77.255.255")])

func decider(_ snapshots: [PolicySnapshot], exemptions: Exemptions = .windows2003) throws -> PolicyDecider {
    PolicyDecider(table: FilterTable(try FilterCompiler.compile(snapshots, addresses: localMachine)), exemptions: exemptions,
                  broadcast: localMachine.broadcastAddresses)
}

func tcp(_ source: IPAddress, _ destination: IPAddress, _ sport: UInt16 = 40000, _ dport: UInt16 = 80) -> PacketSelector {
    PacketSelector(source: source, destination: destination, protocolNumber: 6, sourcePort: sport, destinationPort: dport)
}
