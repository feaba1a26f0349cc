/// When the client next asks the directory, fed a monotonic clock (seconds) and a random
/// source, as the rest of Ward's engines are:
/// - the assignment (which GPO, which policy) at the Group Policy refresh: `refreshBase` plus
///   up to `refreshJitter` at random (90 + 0–30 minutes by default, [MS-GPOL] §3.2.5.1);
/// - the assigned policy's stamp every polling interval (the policy's own, [MS-GPIPSEC]
///   §3.2.6.1, or the agent's override);
/// - after a failure to reach any domain controller, the back-off of [MS-GPIPSEC] §3.2.5.1:
///   the n-th failure in a row waits min(n², 166) minutes (1, 4, 9, … 166), for both;
/// - `updateNow()` (`ward ipsec gpupdate`): both at once.
public struct GroupPolicySchedule: Sendable {
    public enum Work: Equatable, Sendable {
        /// Discover the GPOs, then read the policy if its stamp changed.
        case refresh
        /// Compare the assigned policy's stamp; fetch it if it changed.
        case poll
    }

    public var refreshBase: Double
    public var refreshJitter: Double
    /// The directory has not answered this many times in a row.
    public private(set) var failures = 0
    private var nextRefresh: Double
    private var nextPoll: Double
    private let random: @Sendable (Double) -> Double

    /// - Parameter random: a number in 0…limit (injected: the tests pin it).
    public init(refreshBase: Double = 5_400, refreshJitter: Double = 1_800, now: Double,
                random: @escaping @Sendable (Double) -> Double = { Double.random(in: 0...$0) }) {
        self.refreshBase = refreshBase
        self.refreshJitter = refreshJitter
        self.random = random
        nextRefresh = now
        nextPoll = now
    }

    /// What is due at `now`, if anything.
    public func due(now: Double) -> Work? {
        if now >= nextRefresh { return .refresh }
        if now >= nextPoll { return .poll }
        return nil
    }

    /// Seconds until the next work (for the worker's wait).
    public func wait(now: Double) -> Double { max(0, min(nextRefresh, nextPoll) - now) }

    /// `work` completed; the assigned policy polls every `pollInterval` seconds.
    public mutating func succeeded(_ work: Work, now: Double, pollInterval: Double) {
        failures = 0
        nextPoll = now + max(1, pollInterval)
        if work == .refresh { nextRefresh = now + refreshBase + random(refreshJitter) }
    }

    /// No domain controller answered: back off, for the assignment and the policy alike.
    public mutating func unreachable(now: Double) {
        failures += 1
        let minutes = Double(min(failures * failures, 166))
        nextRefresh = now + minutes * 60
        nextPoll = nextRefresh
    }

    /// `gpupdate`: refresh at once.
    public mutating func updateNow(now: Double) {
        nextRefresh = now
        nextPoll = now
    }
}
