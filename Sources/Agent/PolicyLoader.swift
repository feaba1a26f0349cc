import Filtering
import Foundation
import PolicyStore

/// Reads the effective policy from the stores and notices when it may have changed.
///
/// The persistent store's assigned policy comes first, then the local store's (reference e.1;
/// the domain store joins when it exists). A change is noticed by the database file and its
/// write-ahead log changing size or modification time — checked every second, and at the
/// latest every polling interval of the assigned policy (reference a.1) even if the files
/// look unchanged.
public final class PolicyLoader {
    let path: String
    private var lastSignature: [Int64] = []
    private var lastLoad: Double = -.infinity

    init(path: String) { self.path = path }

    /// The stores' assigned policies with everything their rules link to.
    func snapshots() throws -> [PolicySnapshot] {
        let database = try PolicyDatabase(path: path)
        return try Self.assignedSnapshots { location, body in try database.read(location, body) }
    }

    /// The assigned policy of each store, in precedence order (persistent, then local), as
    /// snapshots for the filter compiler; `read` runs a read transaction on one store (the
    /// agent's own database, or `ward ipsec trace`'s session).
    public static func assignedSnapshots(
        _ read: (StoreLocation, (StoreTransaction) throws -> PolicySnapshot?) throws -> PolicySnapshot?
    ) rethrows -> [PolicySnapshot] {
        try [StoreLocation.persistent, .local].compactMap { location in
            try read(location) { transaction in
                guard let policy = try transaction.assignedPolicy() else { return nil }
                return PolicySnapshot(store: location.rawValue, policy: policy, rules: try transaction.rules(ofPolicy: policy.id),
                                      filterLists: try transaction.filterLists(), filterActions: try transaction.filterActions())
            }
        }
    }

    /// Whether the stores should be read again: the files changed, or `pollingInterval`
    /// seconds passed since the last read.
    func shouldReload(now: Double, pollingInterval: Double) -> Bool {
        let signature = [path, path + "-wal"].flatMap { file -> [Int64] in
            var status = stat()
            guard stat(file, &status) == 0 else { return [-1, -1] }
            return [Int64(status.st_size), Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)]
        }
        if signature != lastSignature || now - lastLoad >= pollingInterval {
            lastSignature = signature
            lastLoad = now
            return true
        }
        return false
    }
}
