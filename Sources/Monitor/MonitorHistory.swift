import Agent
import Foundation

/// The last hour of the agent's snapshots, one sample a second: totals for the rate plots,
/// IKE outcomes for the per-minute bars, drops by reason, and bytes per SA pair.
///
/// Fed one snapshot at a time (`record`); keeps at most `capacity` samples and `maximumSeries`
/// SA series, so its memory is bounded whatever the traffic or the number of SAs.
public struct MonitorHistory: Sendable {
    /// One second of the agent: running totals since it started.
    public struct Sample: Sendable, Equatable {
        public var uptime: Double
        public var wallClock: Date
        public var bytesSent: UInt64
        public var bytesReceived: UInt64
        public var packetsSent: UInt64
        public var packetsReceived: UInt64
        /// Quick Mode SA pairs negotiated (`Total Key Add`).
        public var negotiations: UInt64
        /// Negotiation and authentication failures.
        public var failures: UInt64
        /// Dropped packets, per `DropReason`, in `DropReason.allCases` order.
        public var drops: [UInt64]
    }

    /// Why packets were dropped, as the plot and `/metrics` name them.
    public enum DropReason: String, CaseIterable, Sendable {
        case blockedOutbound = "blocked_outbound", blockedInbound = "blocked_inbound", clearDropped = "clear_dropped"
        case policyMismatch = "policy_mismatch", heldDropped = "held_dropped", malformed, badSPI = "bad_spi"
        case notDecrypted = "not_decrypted", notAuthenticated = "not_authenticated", replayed

        /// The value of this reason in a snapshot (the names `show stats` gives it are in `Docs/metrics.md`).
        public func count(in snapshot: AgentSnapshot) -> UInt64 {
            let counters = snapshot.counters, ipsec = snapshot.ipsec
            switch self {
            case .blockedOutbound: return counters.outboundBlocked
            case .blockedInbound: return counters.inboundBlocked
            case .clearDropped: return counters.inboundClearDropped
            case .policyMismatch: return counters.inboundPolicyMismatch
            case .heldDropped: return counters.queueDropped
            case .malformed: return counters.malformed + ipsec.malformedPackets
            case .badSPI: return ipsec.badSPIPackets
            case .notDecrypted: return ipsec.packetsNotDecrypted
            case .notAuthenticated: return ipsec.packetsNotAuthenticated
            case .replayed: return ipsec.packetsWithReplayDetection
            }
        }
    }

    /// Bytes and packets through one SA pair over time (as `show qmsas` counts them).
    public struct Series: Sendable, Equatable {
        public var inboundSPI: UInt32
        public var outboundSPI: UInt32
        public var peer: String
        public var points: [Point]
    }

    /// One second of one SA pair: its running totals.
    public struct Point: Sendable, Equatable {
        public var uptime: Double
        public var bytes: UInt64
        public var packets: UInt64
    }

    public let capacity: Int
    public let maximumSeries: Int
    public private(set) var samples: [Sample] = []
    /// SA pairs by inbound SPI, oldest first; a pair's series stays after the pair is gone
    /// until its last point falls out of the window.
    public private(set) var series: [Series] = []
    /// SA pairs of the latest snapshot that have no series because `maximumSeries` were kept.
    public private(set) var seriesOmitted = 0

    public init(capacity: Int = 3_600, maximumSeries: Int = 32) {
        self.capacity = capacity
        self.maximumSeries = maximumSeries
    }

    public mutating func record(_ snapshot: AgentSnapshot) {
        let ipsec = snapshot.ipsec
        samples.append(Sample(uptime: snapshot.uptime, wallClock: snapshot.takenAt,
                              bytesSent: ipsec.confidentialBytesSent + ipsec.authenticatedBytesSent,
                              bytesReceived: ipsec.confidentialBytesReceived + ipsec.authenticatedBytesReceived,
                              packetsSent: ipsec.packetsSent, packetsReceived: ipsec.packetsReceived,
                              negotiations: snapshot.ike.totalKeyAdd,
                              failures: snapshot.ike.negotiationFailures + snapshot.ike.authenticationFailures,
                              drops: DropReason.allCases.map { $0.count(in: snapshot) }))
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        let oldest = samples.first?.uptime ?? snapshot.uptime
        series.removeAll { ($0.points.last?.uptime ?? -.infinity) < oldest }
        for index in series.indices {
            series[index].points.removeAll { $0.uptime < oldest }
        }
        seriesOmitted = 0
        for pair in snapshot.quickModeSAs {
            let point = Point(uptime: snapshot.uptime,
                              bytes: pair.outbound.confidentialBytesSent + pair.outbound.authenticatedBytesSent
                                  + pair.inbound.confidentialBytesReceived + pair.inbound.authenticatedBytesReceived,
                              packets: pair.outbound.packetsSent + pair.inbound.packetsReceived)
            if let index = series.firstIndex(where: { $0.inboundSPI == pair.inboundSPI }) {
                series[index].points.append(point)
            } else if series.count < maximumSeries {
                series.append(Series(inboundSPI: pair.inboundSPI, outboundSPI: pair.outboundSPI, peer: "\(pair.peer)", points: [point]))
            } else {
                seriesOmitted += 1
            }
        }
    }

    /// Differences between consecutive samples, per second: what the rate plots draw.
    public func rates(_ value: (Sample) -> UInt64) -> [(uptime: Double, perSecond: Double)] {
        zip(samples, samples.dropFirst()).map { earlier, later in
            let seconds = max(later.uptime - earlier.uptime, 0.001)
            let difference = value(later) >= value(earlier) ? value(later) - value(earlier) : value(later)
            return (later.uptime, Double(difference) / seconds)
        }
    }

    /// Counts per whole minute of uptime over the window (the last minute is still filling):
    /// minute start and how much `value` grew in it.
    public func perMinute(_ value: (Sample) -> UInt64) -> [(minute: Double, count: UInt64)] {
        var buckets: [(minute: Double, count: UInt64)] = []
        for (earlier, later) in zip(samples, samples.dropFirst()) {
            let minute = (later.uptime / 60).rounded(.down) * 60
            let grown = value(later) >= value(earlier) ? value(later) - value(earlier) : value(later)
            if buckets.last?.minute == minute { buckets[buckets.count - 1].count += grown } else { buckets.append((minute, grown)) }
        }
        return buckets
    }
}
