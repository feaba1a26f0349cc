import Filtering
import Foundation
import Packet
import Policy

/// The `ipsec dynamic` objects (reference c.1–c.5): Main Mode and Quick Mode policies and rules
/// that live only in the running agent — never in a store, gone when the agent restarts, as in
/// Windows. Compiled as one more policy source ahead of the stores ([NF]: on equal weight a
/// dynamic filter wins over a stored one, as the most recent administrative intent).
struct DynamicPolicy {
    struct MainModePolicy {
        var name: String
        var isakmp: ISAKMPSettings
        /// `softsaexpirationtime`: idle lifetime of a soft (clear) association, seconds.
        var softSAExpiration: Int
    }

    struct QuickModePolicy {
        var name: String
        var soft: Bool
        var pfs: Bool
        var securityMethods: [QuickModeSecurityMethod]
    }

    /// What identifies a dynamic rule (reference c.4: rules have no name).
    struct RuleKey: Hashable {
        var source: FilterAddress
        var destination: FilterAddress
        var protocolSelector: ProtocolSelector
        var sourcePort: UInt16
        var destinationPort: UInt16
        var mirrored: Bool
        var connectionType: ConnectionType
        var tunnelEndpoint: IPAddress?
    }

    struct Rule {
        var key: RuleKey
        var mainModePolicy: String
        var quickModePolicy: String?
        var actionInbound: FilterAction.Action
        var actionOutbound: FilterAction.Action
        var authentication: [AuthenticationMethod]
    }

    private(set) var mainModePolicies: [MainModePolicy] = []
    private(set) var quickModePolicies: [QuickModePolicy] = []
    private(set) var rules: [Rule] = []

    var isEmpty: Bool { mainModePolicies.isEmpty && quickModePolicies.isEmpty && rules.isEmpty }

    func mainModePolicy(_ name: String) -> MainModePolicy? { mainModePolicies.first { $0.name.caseInsensitiveCompare(name) == .orderedSame } }
    func quickModePolicy(_ name: String) -> QuickModePolicy? { quickModePolicies.first { $0.name.caseInsensitiveCompare(name) == .orderedSame } }

    mutating func add(_ policy: MainModePolicy) throws(DynamicError) {
        guard mainModePolicy(policy.name) == nil else { throw DynamicError("add mmpolicy: a main mode policy named '\(policy.name)' already exists") }
        mainModePolicies.append(policy)
    }

    mutating func add(_ policy: QuickModePolicy) throws(DynamicError) {
        guard quickModePolicy(policy.name) == nil else { throw DynamicError("add qmpolicy: a quick mode policy named '\(policy.name)' already exists") }
        quickModePolicies.append(policy)
    }

    mutating func replace(_ policy: MainModePolicy) {
        if let index = mainModePolicies.firstIndex(where: { $0.name.caseInsensitiveCompare(policy.name) == .orderedSame }) { mainModePolicies[index] = policy }
    }

    mutating func replace(_ policy: QuickModePolicy) {
        if let index = quickModePolicies.firstIndex(where: { $0.name.caseInsensitiveCompare(policy.name) == .orderedSame }) { quickModePolicies[index] = policy }
    }

    /// Deletes a policy (or all, `name` nil); one a rule still uses is refused ([NF] c.5).
    mutating func deleteMainModePolicy(_ name: String?) throws(DynamicError) {
        let doomed = mainModePolicies.filter { name == nil || $0.name.caseInsensitiveCompare(name!) == .orderedSame }
        if let name, doomed.isEmpty { throw DynamicError("delete mmpolicy: no main mode policy named '\(name)'") }
        for policy in doomed where rules.contains(where: { $0.mainModePolicy.caseInsensitiveCompare(policy.name) == .orderedSame }) {
            throw DynamicError("delete mmpolicy: '\(policy.name)' is used by a rule; delete the rule first")
        }
        mainModePolicies.removeAll { policy in doomed.contains { $0.name == policy.name } }
    }

    mutating func deleteQuickModePolicy(_ name: String?) throws(DynamicError) {
        let doomed = quickModePolicies.filter { name == nil || $0.name.caseInsensitiveCompare(name!) == .orderedSame }
        if let name, doomed.isEmpty { throw DynamicError("delete qmpolicy: no quick mode policy named '\(name)'") }
        for policy in doomed where rules.contains(where: { $0.quickModePolicy?.caseInsensitiveCompare(policy.name) == .orderedSame }) {
            throw DynamicError("delete qmpolicy: '\(policy.name)' is used by a rule; delete the rule first")
        }
        quickModePolicies.removeAll { policy in doomed.contains { $0.name == policy.name } }
    }

    func ruleIndex(_ key: RuleKey) -> Int? { rules.firstIndex { $0.key == key } }

    mutating func add(_ rule: Rule) throws(DynamicError) {
        guard ruleIndex(rule.key) == nil else { throw DynamicError("add rule: a rule with this filter already exists; use set rule") }
        try check(rule, command: "add rule")
        rules.append(rule)
    }

    mutating func replace(_ rule: Rule) throws(DynamicError) {
        guard let index = ruleIndex(rule.key) else { throw DynamicError("set rule: no rule has this filter") }
        try check(rule, command: "set rule")
        rules[index] = rule
    }

    mutating func deleteRule(_ key: RuleKey?) throws(DynamicError) {
        guard let key else { rules.removeAll(); return }
        guard let index = ruleIndex(key) else { throw DynamicError("delete rule: no rule has this filter") }
        rules.remove(at: index)
    }

    mutating func deleteAll() {
        rules.removeAll()
        mainModePolicies.removeAll()
        quickModePolicies.removeAll()
    }

    private func check(_ rule: Rule, command: String) throws(DynamicError) {
        guard mainModePolicy(rule.mainModePolicy) != nil else {
            throw DynamicError("\(command): mmpolicy: no main mode policy named '\(rule.mainModePolicy)' (add mmpolicy first)")
        }
        let negotiates = rule.actionInbound == .negotiate || rule.actionOutbound == .negotiate
        if negotiates {
            guard let name = rule.quickModePolicy else { throw DynamicError("\(command): qmpolicy: a negotiate action needs a quick mode policy") }
            guard quickModePolicy(name) != nil else { throw DynamicError("\(command): qmpolicy: no quick mode policy named '\(name)'") }
        }
        if rule.key.tunnelEndpoint != nil && rule.key.mirrored {
            throw DynamicError("\(command): mirrored: a tunnel rule cannot be mirrored (one rule per direction)")
        }
    }

    /// The dynamic objects as policy snapshots the filter compiler takes: one per Main Mode
    /// policy, each rule a filter list of one filter (two when inbound and outbound actions
    /// differ: the outbound filter and its mirror, each with its own action).
    ///
    /// Every object's ID is derived from what it is (the Main Mode policy's name, the rule's
    /// key and part), so that recompiling the same dynamic rules gives the same filter
    /// identities and their SA pairs stay bound (`FilterIdentity`).
    func snapshots() -> [PolicySnapshot] {
        mainModePolicies.compactMap { mm -> PolicySnapshot? in
            let policy = IPsecPolicy(id: Self.stableID("policy \(mm.name.lowercased())"), name: "dynamic: \(mm.name)", assigned: true, isakmp: mm.isakmp)
            var lists: [FilterList] = [], actions: [FilterAction] = [], compiled: [Policy.Rule] = []
            for (index, rule) in rules.enumerated() where rule.mainModePolicy.caseInsensitiveCompare(mm.name) == .orderedSame {
                let qm = rule.quickModePolicy.flatMap(quickModePolicy)
                let ruleName = "\(mm.name.lowercased()) \(rule.key)"
                func action(_ kind: FilterAction.Action, inbound: Bool) -> FilterAction {
                    FilterAction(id: Self.stableID("action \(ruleName) \(kind) \(inbound)"), name: "\(qm?.name ?? kind.rawValue) (\(kind.rawValue))", action: kind, quickModePFS: qm?.pfs ?? false,
                                 inboundPassthrough: inbound, fallbackToClear: qm?.soft ?? false,
                                 securityMethods: kind == .negotiate ? (qm?.securityMethods ?? []) : [])
                }
                let filter = Filter(id: Self.stableID("filter \(ruleName)"), source: rule.key.source, destination: rule.key.destination, protocolSelector: rule.key.protocolSelector,
                                    sourcePort: rule.key.sourcePort, destinationPort: rule.key.destinationPort, mirrored: rule.key.mirrored)
                var parts: [(Filter, FilterAction)]
                if rule.actionInbound == rule.actionOutbound || !rule.key.mirrored {
                    parts = [(filter, action(rule.actionOutbound, inbound: false))]
                } else if rule.actionOutbound == .negotiate && rule.actionInbound == .permit {
                    // Windows' inbound passthrough: clear in, secured out.
                    parts = [(filter, action(.negotiate, inbound: true))]
                } else {
                    var outbound = filter, inbound = filter
                    outbound.mirrored = false
                    inbound.mirrored = false
                    (inbound.source, inbound.destination) = (filter.destination, filter.source)
                    (inbound.sourcePort, inbound.destinationPort) = (filter.destinationPort, filter.sourcePort)
                    parts = [(outbound, action(rule.actionOutbound, inbound: false)), (inbound, action(rule.actionInbound, inbound: false))]
                }
                for (part, (partFilter, partAction)) in parts.enumerated() {
                    let list = FilterList(id: Self.stableID("list \(ruleName) \(part)"), name: "dynamic rule \(index + 1)\(parts.count > 1 ? (part == 0 ? " out" : " in") : "")", filters: [partFilter])
                    lists.append(list)
                    actions.append(partAction)
                    compiled.append(Policy.Rule(id: Self.stableID("rule \(ruleName) \(part)"), policyID: policy.id, name: list.name, filterListID: list.id, filterActionID: partAction.id,
                                                tunnelEndpoint: rule.key.tunnelEndpoint, connectionType: rule.key.connectionType,
                                                authenticationMethods: rule.authentication))
                }
            }
            return compiled.isEmpty ? nil : PolicySnapshot(store: "dynamic", policy: policy, rules: compiled, filterLists: lists, filterActions: actions)
        }
    }
}

extension DynamicPolicy {
    /// A UUID that depends only on `text` (two FNV-1a 64-bit hashes with different offsets,
    /// RFC 4122 version 8 bits set): the same dynamic object gets the same ID on every compile.
    static func stableID(_ text: String) -> UUID {
        func fnv(_ offset: UInt64) -> UInt64 {
            var hash = offset
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            return hash
        }
        let high = (fnv(0xCBF2_9CE4_8422_2325) & ~0xF000) | 0x8000, low = (fnv(0x84222325_CBF29CE4) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

/// A dynamic command that cannot be carried out: names the command and the parameter.
struct DynamicError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
