import Filtering
import Packet
import Policy

/// The branch-office policy of the SA-binding issue, as a new user writes it: two tunnel rule
/// pairs towards one gateway — a broad one (`local`.0/24 ↔ `remote`.0/24, ESP[3DES,MD5]) and a
/// specific one inside it (`local`.128/25 ↔ `remote`.128/25, ESP[AES256,SHA256] with PFS) —
/// each direction its own rule (Windows tunnel rules are not mirrored).
public enum BranchOfficePolicy {
    public static let broadMethods = "ESP[3DES,MD5]"
    public static let specificMethods = "ESP[AES256,SHA256]"

    /// This side's snapshot: `me` is this gateway, `gateway` the other; `local`/`remote` are
    /// the subnets' first three octets ("10.77.1"). `broadFirst` orders the rules.
    public static func snapshot(me: IPAddress, gateway: IPAddress, local: String, remote: String, broadFirst: Bool = true,
                                key: String = "branch") throws -> PolicySnapshot {
        let policy = IPsecPolicy(name: "Branch", assigned: true)
        func subnet(_ prefix: String, _ suffix: String) -> FilterAddress { .subnet(Subnet("\(prefix).\(suffix)")!) }
        let broad = FilterAction(name: "Broad", action: .negotiate, securityMethods: try QuickModeSecurityMethod.parseList(broadMethods))
        let specific = FilterAction(name: "Specific", action: .negotiate, quickModePFS: true,
                                    securityMethods: try QuickModeSecurityMethod.parseList(specificMethods))
        var lists: [FilterList] = [], rules: [Rule] = []
        func add(_ name: String, from: FilterAddress, to: FilterAddress, action: FilterAction, endpoint: IPAddress) {
            let list = FilterList(name: name, filters: [Filter(source: from, destination: to, mirrored: false)])
            lists.append(list)
            rules.append(Rule(policyID: policy.id, name: name, filterListID: list.id, filterActionID: action.id, tunnelEndpoint: endpoint,
                              authenticationMethods: [.preSharedKey(key)]))
        }
        let pairs: [(String, String, FilterAction)] = [("broad", "0/24", broad), ("specific", "128/25", specific)]
        for (name, suffix, action) in broadFirst ? pairs : pairs.reversed() {
            add("\(name) out", from: subnet(local, suffix), to: subnet(remote, suffix), action: action, endpoint: gateway)
            add("\(name) in", from: subnet(remote, suffix), to: subnet(local, suffix), action: action, endpoint: me)
        }
        return PolicySnapshot(store: "local", policy: policy, rules: rules, filterLists: lists, filterActions: [broad, specific])
    }

    /// The policy in force on one side.
    public static func running(me: IPAddress, gateway: IPAddress, local: String, remote: String, broadFirst: Bool = true) throws -> RunningPolicy {
        let running = RunningPolicy()
        try running.update([try snapshot(me: me, gateway: gateway, local: local, remote: remote, broadFirst: broadFirst)],
                           addresses: StaticAddressProvider(local: [me], servers: [:], broadcast: []))
        return running
    }
}
