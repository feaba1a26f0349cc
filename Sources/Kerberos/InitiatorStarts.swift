import Foundation
import IKE

/// Initiators' first GSS steps, each on a thread of its own, collected by exchange: the IKE
/// engine asks, gets `.pending` while the step runs, and the result once it is done.
/// Results nobody collects (the exchange died) are dropped, oldest first, beyond 256.
final class InitiatorStarts: @unchecked Sendable {
    private enum State {
        case running
        case done(GSSInitiation)
    }

    private let lock = NSLock()
    private var states: [UInt64: State] = [:]
    private var order: [UInt64] = []
    static let limit = 256

    /// The result for `exchange` if its step is done (and forgets it), else `.pending` —
    /// starting `step` on a new thread the first time.
    func take(_ exchange: UInt64, _ step: @escaping @Sendable () -> GSSInitiation) -> GSSInitiation {
        lock.lock()
        defer { lock.unlock() }
        switch states[exchange] {
        case .running?:
            return .pending
        case .done(let result)?:
            states.removeValue(forKey: exchange)
            order.removeAll { $0 == exchange }
            return result
        case nil:
            states[exchange] = .running
            order.append(exchange)
            while order.count > Self.limit { states.removeValue(forKey: order.removeFirst()) }
            Thread.detachNewThread { [self] in
                let result = step()
                lock.lock()
                if states[exchange] != nil { states[exchange] = .done(result) }
                lock.unlock()
            }
            return .pending
        }
    }
}
