import Foundation
import Policy

/// One store's assigned policy with everything its rules link to: the input of compilation.
/// Snapshots are given in precedence order — persistent first, then the assigned local (or,
/// later, domain) policy (reference e.1).
public struct PolicySnapshot: Sendable {
    /// "persistent", "local", "domain": shown by `trace`.
    public var store: String
    public var policy: IPsecPolicy
    public var rules: [Rule]
    public var filterLists: [UUID: FilterList]
    public var filterActions: [UUID: FilterAction]

    public init(store: String, policy: IPsecPolicy, rules: [Rule], filterLists: [FilterList], filterActions: [FilterAction]) {
        self.store = store
        self.policy = policy
        self.rules = rules
        self.filterLists = Dictionary(filterLists.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.filterActions = Dictionary(filterActions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A policy that cannot be compiled: the rule and filter are named. The running table stays.
public struct CompileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
