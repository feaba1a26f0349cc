import Agent
import Dispatch
import Foundation

/// Where the agent's loop leaves its snapshot and where the console reads it.
///
/// `publish` is called on the agent's loop: it hands the snapshot to a serial queue and
/// returns at once, so no console reader — however many, however slow — ever holds up the
/// loop. The queue folds the snapshot into the history and the metrics; readers take a copy
/// of the latest state under a lock held only for that copy.
public final class MonitorState: @unchecked Sendable {
    public let metrics: MetricsExporter
    private let queue = DispatchQueue(label: "ward.monitor")
    private let lock = NSLock()
    private var latestSnapshot: AgentSnapshot?
    private var latestHistory: MonitorHistory
    /// Increases with every snapshot folded in (the live page waits for a new one).
    private var generation = 0

    public init(history: MonitorHistory = MonitorHistory(), metrics: MetricsExporter = MetricsExporter()) {
        latestHistory = history
        self.metrics = metrics
    }

    /// The agent's `monitor` hook.
    public func publish(_ snapshot: AgentSnapshot) {
        queue.async { [self] in ingest(snapshot) }
    }

    /// Folds one snapshot in now (the queue's work; tests call it directly).
    public func ingest(_ snapshot: AgentSnapshot) {
        metrics.update(snapshot)
        lock.lock()
        latestHistory.record(snapshot)
        latestSnapshot = snapshot
        generation += 1
        lock.unlock()
    }

    /// The latest snapshot, its history, and its generation.
    public var current: (snapshot: AgentSnapshot?, history: MonitorHistory, generation: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (latestSnapshot, latestHistory, generation)
    }

    /// Waits until everything published so far has been folded in (tests).
    public func settle() { queue.sync {} }
}
