import Filtering
import Foundation
import Netsh
import Policy
import PolicyStore

/// The console's changes, each one netsh command in a session of its own on the policy store:
/// the same store transaction, the same validation and the same one-line error as
/// `ward ipsec static …` (a failed command leaves the store as it was).
public struct PolicyEditor: Sendable {
    public let storePath: String
    public let socketPath: String

    public init(storePath: String, socketPath: String) {
        self.storePath = storePath
        self.socketPath = socketPath
    }

    /// One change the console offers.
    public enum Change: Sendable, Equatable {
        case activateRule(store: StoreLocation, policy: String, rule: String, active: Bool)
        case assignPolicy(store: StoreLocation, policy: String, assigned: Bool)
    }

    /// The netsh lines a change is (a store selection, then the command).
    public static func lines(for change: Change) -> [String] {
        switch change {
        case .activateRule(let store, let policy, let rule, let active):
            return ["ipsec static set store location=\(store.rawValue)",
                    "ipsec static set rule name=\(Tokenizer.quote(rule)) policy=\(Tokenizer.quote(policy)) activate=\(active ? "yes" : "no")"]
        case .assignPolicy(let store, let policy, let assigned):
            return ["ipsec static set store location=\(store.rawValue)",
                    "ipsec static set policy name=\(Tokenizer.quote(policy)) assign=\(assigned ? "yes" : "no")"]
        }
    }

    /// Runs a change; the error is netsh's own message.
    public func apply(_ change: Change) -> Result<String, ConsoleError> {
        run(Self.lines(for: change))
    }

    /// `ipsec trace …` with the given parameters (already checked to be tag=value pairs of the
    /// trace command's tags), as `ward ipsec trace` prints it.
    public func trace(_ parameters: [(String, String)]) -> Result<String, ConsoleError> {
        run(["ipsec trace " + parameters.map { "\($0.0)=\(Tokenizer.quote($0.1))" }.joined(separator: " ")])
    }

    private func run(_ lines: [String]) -> Result<String, ConsoleError> {
        let path = storePath
        let session = NetshSession(openDatabase: { () throws(StoreError) in try PolicyDatabase(path: path) })
        session.register(TraceCommand.command(socketPath: socketPath))
        var output: [String] = []
        do {
            for line in lines { output.append(try session.execute(line).text) }
            try session.finish()
        } catch {
            session.abandon()
            return .failure(ConsoleError(error.message))
        }
        return .success(output.filter { !$0.isEmpty }.joined(separator: "\n"))
    }

    /// Every policy of the persistent and local stores, each with its rules and the store's
    /// filter lists and filter actions (the policy page; assigned or not).
    public func catalog() -> Result<[PolicySnapshot], ConsoleError> {
        do {
            let database = try PolicyDatabase(path: storePath)
            var entries: [PolicySnapshot] = []
            for location in [StoreLocation.persistent, .local] {
                try database.read(location) { transaction in
                    let lists = try transaction.filterLists(), actions = try transaction.filterActions()
                    for policy in try transaction.policies() {
                        entries.append(PolicySnapshot(store: location.rawValue, policy: policy, rules: try transaction.rules(ofPolicy: policy.id),
                                                      filterLists: lists, filterActions: actions))
                    }
                }
            }
            return .success(entries)
        } catch {
            return .failure(ConsoleError("the policy store \(storePath) cannot be read: \(error)"))
        }
    }
}
