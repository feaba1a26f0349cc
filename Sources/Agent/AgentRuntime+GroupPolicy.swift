import DomainClient
import Filtering
import Foundation
import GroupPolicy
import Platform
import Policy
import PolicyStore

/// The domain layer: the policy Group Policy assigns this host, in the local policy's place
/// (persistent ∪ (domain, else local) ∪ dynamic; reference e.1, [MS-GPIPSEC] §3.2.5.3).
struct DomainLayer {
    var snapshot: PolicySnapshot
    var record: DomainPolicyCache.Record
    /// In force from the cache, not (yet) confirmed by a domain controller.
    var fromCache: Bool
}

extension AgentRuntime {
    /// The stores' snapshots in precedence order with the domain layer in place: persistent
    /// first, then the domain's policy if a GPO assigns one, else the local store's.
    var effectiveStoreSnapshots: [PolicySnapshot] {
        let persistent = storeSnapshots.filter { $0.store == StoreLocation.persistent.rawValue }
        let local = storeSnapshots.filter { $0.store != StoreLocation.persistent.rawValue }
        return persistent + (domainLayer.map { [$0.snapshot] } ?? local)
    }

    var domainCache: DomainPolicyCache { DomainPolicyCache(path: configuration.domainCachePath) }

    /// At start: the cached domain policy goes in force with the rest, before any controller
    /// is asked (a host that boots with its controllers away keeps its domain policy).
    func loadDomainCache() {
        guard configuration.groupPolicy != nil else { return }
        do {
            guard let record = try domainCache.load() else {
                groupPolicyStatus = "no cached domain policy; waiting for a domain controller"
                return
            }
            domainLayer = DomainLayer(snapshot: try record.snapshot(), record: record, fromCache: true)
            groupPolicyResult = record.result
            groupPolicyStatus = "cached copy of the domain policy from GPO '\(record.gpoName)', read at \(Self.timestamp(record.result.readAt))"
            log(.notice, "applied cached copy of the domain policy", ["gpo": record.gpoName, "policy": domainLayer!.snapshot.policy.name,
                                                                      "read_at": Self.timestamp(record.result.readAt)])
        } catch {
            // A cache that cannot be read is kept for the administrator; the controllers decide.
            log(.error, "domain cache not used", ["reason": error])
        }
    }

    func startGroupPolicy() {
        guard groupPolicy == nil, let settings = configuration.groupPolicy else { return }
        let worker = GroupPolicyWorker(configuration: settings, cached: domainLayer?.record,
                                       clock: { MonotonicClock.seconds() },
                                       addresses: { SystemConfiguration.read().localAddresses })
        groupPolicy = worker
        worker.start()
        log(.notice, "group policy client started", ["domain": settings.domain, "account": settings.identity.account,
                                                     "keytab": settings.identity.keytab])
    }

    /// Applies what the Group Policy thread found since the last turn.
    func drainGroupPolicy() {
        guard let worker = groupPolicy else { return }
        for event in worker.takeEvents() { handle(event, worker: worker) }
    }

    private func handle(_ event: GroupPolicyWorker.Event, worker: GroupPolicyWorker) {
        switch event {
        case .unreachable, .failed: groupPolicyCycleFailed = true
        default: groupPolicyCycleFailed = false
        }
        switch event {
        case .applied(let snapshot, let record):
            groupPolicyResult = record.result
            domainOutageLogged = false
            let previous = domainLayer
            domainLayer = DomainLayer(snapshot: snapshot, record: record, fromCache: false)
            if let problem = applyPolicy() {
                domainLayer = previous
                worker.rejected()
                groupPolicyCycleFailed = true
                let status = "the policy of GPO '\(record.gpoName)' does not compile; the running policy stays: \(problem)"
                if status != groupPolicyStatus {
                    log(.error, "domain policy not applied; the running table stays", ["gpo": record.gpoName, "reason": problem])
                }
                groupPolicyStatus = status
                return
            }
            do { try domainCache.save(record) } catch {
                log(.error, "domain cache not written", ["path": configuration.domainCachePath, "reason": error])
            }
            groupPolicyStatus = "policy '\(snapshot.policy.name)' from GPO '\(record.gpoName)', read from \(record.result.controller) at \(Self.timestamp(record.result.readAt))"
            log(.notice, "domain policy applied", ["gpo": record.gpoName, "policy": snapshot.policy.name, "controller": record.result.controller,
                                                   "rules": snapshot.rules.count])
        case .unchanged(let result):
            groupPolicyResult = result
            domainOutageLogged = false
            if var layer = domainLayer, layer.fromCache {
                layer.fromCache = false
                domainLayer = layer
                log(.notice, "domain policy confirmed by a domain controller", ["gpo": layer.record.gpoName, "controller": result.controller])
            }
            if let layer = domainLayer {
                groupPolicyStatus = "policy '\(layer.snapshot.policy.name)' from GPO '\(layer.record.gpoName)', unchanged at \(Self.timestamp(result.readAt)) (\(result.controller))"
            }
        case .noPolicy(let result):
            groupPolicyResult = result
            domainOutageLogged = false
            groupPolicyStatus = "no GPO assigns an IPsec policy to this computer (read from \(result.controller) at \(Self.timestamp(result.readAt)))"
            guard let previous = domainLayer else {
                domainCache.remove()  // a cache the agent could not use goes too
                return
            }
            domainLayer = nil
            if let problem = applyPolicy() {
                domainLayer = previous
                log(.error, "domain policy not removed; the running table stays", ["reason": problem])
                return
            }
            domainCache.remove()
            log(.notice, "no GPO assigns an IPsec policy any more; the domain policy is removed", ["was_gpo": previous.record.gpoName])
        case .unreachable(let reason, let retry):
            if let layer = domainLayer {
                groupPolicyStatus = "no domain controller answered; cached copy of the domain policy from GPO '\(layer.record.gpoName)', read at \(Self.timestamp(layer.record.result.readAt))"
            } else {
                groupPolicyStatus = "no domain controller answered: \(reason)"
            }
            guard !domainOutageLogged else { return }
            domainOutageLogged = true
            log(.warning, "no domain controller answered", ["reason": reason, "retry_in_s": Int(retry)])
            if let layer = domainLayer {
                log(.notice, "applied cached copy of the domain policy", ["gpo": layer.record.gpoName, "policy": layer.snapshot.policy.name,
                                                                          "read_at": Self.timestamp(layer.record.result.readAt)])
            }
        case .failed(let reason, let result):
            if let result { groupPolicyResult = result }
            domainOutageLogged = false
            let status = "the domain policy was not applied; the running policy stays: \(reason)"
            // Once per distinct problem: the worker meets it again at every poll.
            if status != groupPolicyStatus { log(.error, "domain policy not applied; the running table stays", ["reason": reason]) }
            groupPolicyStatus = status
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
