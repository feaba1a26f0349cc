import ESP
import Filtering
import Foundation
import GroupPolicy
import IKE
import PolicyStore

/// What the agent's loop hands the console once a second: every view the IP Security Monitor,
/// RSoP and policy pages draw, copied out of the loop so that no reader ever touches the
/// loop's own state (readers are other threads; the loop never waits for them).
public struct AgentSnapshot: Sendable {
    /// When the loop took it, by the wall clock and by the agent's monotonic clock.
    public var takenAt: Date
    public var uptime: Double
    /// `show mmsas` and `show qmsas`, as values.
    public var mainModeSAs: [MainModeSummary]
    public var quickModeSAs: [InstalledSAPair]
    /// `show stats`: IKE's statistics, the IPsec driver's totals and the datapath's verdicts.
    public var ike: IKEStatistics
    public var ipsec: IPsecStatistics
    public var counters: DatapathCounters
    /// Pending key operations and active tunnels, as `show stats type=ipsec` prints them.
    public var pendingKeyOperations: UInt64
    public var activeTunnels: Int
    /// The policy in force: the summary `show config` gives, the table's generation and size,
    /// how long the last compile took and when the table last changed.
    public var policySummary: String
    public var tableGeneration: Int
    public var filterCount: Int
    public var compileSeconds: Double
    public var lastPolicyChange: Date?
    /// The layers in force, highest precedence first after the dynamic rules: the stores'
    /// assigned policies with the domain's in the local one's place (`effectiveStoreSnapshots`).
    public var layers: [PolicySnapshot]
    /// Which store each layer came from and whether it is in force, in words (RSoP).
    public var layerStates: [LayerState]
    public var dynamicRuleCount: Int
    /// Group Policy's last result (GPO list, precedence, why each was or was not applied).
    public var groupPolicy: GroupPolicyResult?
    public var groupPolicyStatus: String
    /// `ward ipsec show rsop`, as the agent answers it.
    public var resultantSetOfPolicyText: String
    /// "userspace" or "kernel (XFRM, N policies)".
    public var datapath: String
    public var agentStarted: Date

    /// One layer of the resultant set of policy.
    public struct LayerState: Sendable, Equatable {
        public var layer: String
        public var source: String
        public var inForce: Bool
        public var detail: String
    }
}

extension AgentRuntime {
    /// The snapshot of this turn of the loop (cheap: values copied, texts of a few KB).
    public func snapshot() -> AgentSnapshot {
        let pairs = backend.securityAssociations
        let persistent = storeSnapshots.first { $0.store == StoreLocation.persistent.rawValue }
        let local = storeSnapshots.first { $0.store == StoreLocation.local.rawValue }
        var states = [AgentSnapshot.LayerState(layer: "dynamic", source: "ipsec dynamic", inForce: !dynamic.rules.isEmpty,
                                               detail: dynamic.rules.isEmpty ? "no rules" : "\(dynamic.rules.count) rule(s)")]
        states.append(.init(layer: "persistent", source: persistent.map { "policy '\($0.policy.name)'" } ?? "-", inForce: persistent != nil,
                            detail: persistent.map { "\($0.rules.count) rules, in force" } ?? "no policy assigned"))
        if let layer = domainLayer {
            states.append(.init(layer: "domain", source: "policy '\(layer.snapshot.policy.name)' from GPO '\(layer.record.gpoName)'", inForce: true,
                                detail: layer.fromCache ? "cached copy, read at \(AgentRuntime.timestamp(layer.record.result.readAt))" : "in force"))
        } else {
            states.append(.init(layer: "domain", source: "-", inForce: false, detail: groupPolicyStatus))
        }
        states.append(.init(layer: "local", source: local.map { "policy '\($0.policy.name)'" } ?? "-", inForce: local != nil && domainLayer == nil,
                            detail: local == nil ? "no policy assigned"
                                : domainLayer == nil ? "\(local!.rules.count) rules, in force" : "not in force: a GPO assigns the domain policy"))
        return AgentSnapshot(
            takenAt: Date(), uptime: now, mainModeSAs: engine.mainModeSummaries, quickModeSAs: pairs,
            ike: engine.statistics, ipsec: backend.totalStatistics, counters: backend.counters,
            pendingKeyOperations: engine.statistics.activeAcquire, activeTunnels: pairs.filter(\.tunnel).count,
            policySummary: policySummary, tableGeneration: policy.generation, filterCount: policy.decider.table.filters.count,
            compileSeconds: lastCompileSeconds, lastPolicyChange: lastPolicyChange,
            layers: effectiveStoreSnapshots, layerStates: states, dynamicRuleCount: dynamic.rules.count,
            groupPolicy: groupPolicyResult, groupPolicyStatus: groupPolicyStatus,
            resultantSetOfPolicyText: ResultantSetOfPolicy(runtime: self).text,
            datapath: kernel.map { "kernel (XFRM, \($0.installedPolicies.count) policies)" } ?? "userspace",
            agentStarted: startedAt)
    }

    /// Hands the console this turn's snapshot, when a console is attached.
    func publishSnapshot() {
        guard let monitor else { return }
        monitor(snapshot())
    }
}

extension AgentSnapshot {
    /// `show stats type=ipsec`'s first block, as name and value.
    public var ipsecStatisticsNamed: [(String, UInt64)] {
        Self.quickModeStatistics(pairs: quickModeSAs, pending: pendingKeyOperations, keyAdditions: ike.totalKeyAdd, totals: ipsec)
    }

    /// The IPsec driver's statistics in the monitor's order (reference f.2): the SA counts, then
    /// the totals. One list for `show stats` and the console, so they cannot drift apart.
    static func quickModeStatistics(pairs: [InstalledSAPair], pending: UInt64, keyAdditions: UInt64, totals: IPsecStatistics) -> [(String, UInt64)] {
        [("Active Security Associations", UInt64(pairs.count)), ("Offloaded Security Associations", 0),
         ("Pending Key Operations", pending), ("Key Additions", keyAdditions),
         ("Active Tunnels", UInt64(pairs.filter(\.tunnel).count))] + totals.named
    }
}
