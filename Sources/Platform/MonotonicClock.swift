import Foundation

/// The system's monotonic clock (CLOCK_MONOTONIC), in seconds: what the agent and the test
/// peer feed the sans-I/O engines, which take time as a number and never read a clock.
public enum MonotonicClock {
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
