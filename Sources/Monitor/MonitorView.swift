import Agent
import ESP
import Foundation
import IKE

/// The IP Security Monitor's data as the page fetches it (`/api/monitor`, `/api/events`):
/// the SAs with the fields and number formats of `show mmsas` and `show qmsas`, and the
/// statistics with the names and values of `show stats`.
public struct MonitorView: Encodable, Sendable {
    public struct Statistic: Encodable, Sendable, Equatable {
        public var name: String
        public var value: UInt64
    }

    public struct MainModeRow: Encodable, Sendable {
        public var local: String, peer: String, peerIdentity: String, authentication: String
        public var peerRootCA: String?, peerPrincipal: String?
        public var securityMethod: String, cookies: String, role: String, state: String, natTraversal: String
    }

    public struct QuickModeRow: Encodable, Sendable {
        public var peer: String, source: String, destination: String, protocolNumber: String, sourcePort: UInt16, destinationPort: UInt16
        public var rule: String, mode: String, offer: String, inboundSPI: String, outboundSPI: String, encapsulation: String
        public var ageSeconds: Int, packetsSent: UInt64, packetsReceived: UInt64, bytesSent: UInt64, bytesReceived: UInt64
    }

    public var takenAt: String
    public var generation: Int
    public var policy: String
    public var datapath: String
    public var mainModeSAs: [MainModeRow]
    public var quickModeSAs: [QuickModeRow]
    public var ikeStatistics: [Statistic]
    public var ipsecStatistics: [Statistic]
    public var datapathCounters: [Statistic]

    public init(_ snapshot: AgentSnapshot, generation: Int) {
        takenAt = ISO8601DateFormatter().string(from: snapshot.takenAt)
        self.generation = generation
        policy = snapshot.policySummary
        datapath = snapshot.datapath
        mainModeSAs = snapshot.mainModeSAs.map { sa in
            MainModeRow(local: "\(sa.local.address):\(sa.local.port)", peer: "\(sa.remote.address):\(sa.remote.port)",
                        peerIdentity: sa.peerID ?? "(not yet proven)", authentication: sa.authentication,
                        peerRootCA: sa.peerRootCA, peerPrincipal: sa.peerPrincipal, securityMethod: sa.transform, cookies: sa.cookies,
                        role: sa.initiator ? "initiator" : "responder", state: sa.established ? "established" : "negotiating",
                        natTraversal: sa.natDetected ? "yes" : "no")
        }
        quickModeSAs = snapshot.quickModeSAs.map { pair in
            let selector = pair.selector
            return QuickModeRow(peer: "\(pair.peer)", source: "\(selector.local)", destination: "\(selector.remote)",
                                protocolNumber: selector.protocolID == 0 ? "ANY" : String(selector.protocolID),
                                sourcePort: selector.localPort, destinationPort: selector.remotePort,
                                rule: pair.serves.map { "\($0.rule) (\($0.store) policy '\($0.policy)')" } ?? "default response rule",
                                mode: pair.tunnel ? "Tunnel (endpoint \(pair.peer))" : "Transport", offer: pair.transform,
                                inboundSPI: MetricsExporter.hex(pair.inboundSPI), outboundSPI: MetricsExporter.hex(pair.outboundSPI),
                                encapsulation: pair.udpEncapsulated ? "UDP 4500 (NAT traversal)" : "none",
                                ageSeconds: Int(snapshot.uptime - pair.installedAt),
                                packetsSent: pair.outbound.packetsSent, packetsReceived: pair.inbound.packetsReceived,
                                bytesSent: pair.outbound.confidentialBytesSent + pair.outbound.authenticatedBytesSent,
                                bytesReceived: pair.inbound.confidentialBytesReceived + pair.inbound.authenticatedBytesReceived)
        }
        ikeStatistics = snapshot.ike.named.map { Statistic(name: $0.0, value: $0.1) }
        ipsecStatistics = snapshot.ipsecStatisticsNamed.map { Statistic(name: $0.0, value: $0.1) }
        datapathCounters = snapshot.counters.named.map { Statistic(name: $0.0, value: $0.1) }
    }
}

/// The plots' data (`/api/history`): rates per second over the last hour, IKE outcomes and
/// drops per minute, bytes and packets per second per SA pair. Times are seconds of agent uptime.
public struct HistoryView: Encodable, Sendable {
    public struct SASeries: Encodable, Sendable {
        public var label: String
        public var seconds: [Double]
        public var bytesPerSecond: [Double]
        public var packetsPerSecond: [Double]
    }

    public var seconds: [Double]
    public var bytesSentPerSecond: [Double]
    public var bytesReceivedPerSecond: [Double]
    public var packetsSentPerSecond: [Double]
    public var packetsReceivedPerSecond: [Double]
    public var minutes: [Double]
    public var negotiationsPerMinute: [UInt64]
    public var failuresPerMinute: [UInt64]
    public var dropsPerMinute: [String: [UInt64]]
    public var saSeries: [SASeries]
    public var saSeriesOmitted: Int

    public init(_ history: MonitorHistory) {
        let sent = history.rates(\.bytesSent), received = history.rates(\.bytesReceived)
        seconds = sent.map(\.uptime)
        bytesSentPerSecond = sent.map(\.perSecond)
        bytesReceivedPerSecond = received.map(\.perSecond)
        packetsSentPerSecond = history.rates(\.packetsSent).map(\.perSecond)
        packetsReceivedPerSecond = history.rates(\.packetsReceived).map(\.perSecond)
        let negotiations = history.perMinute(\.negotiations)
        minutes = negotiations.map(\.minute)
        negotiationsPerMinute = negotiations.map(\.count)
        failuresPerMinute = history.perMinute(\.failures).map(\.count)
        var drops: [String: [UInt64]] = [:]
        for (index, reason) in MonitorHistory.DropReason.allCases.enumerated() {
            drops[reason.rawValue] = history.perMinute { $0.drops[index] }.map(\.count)
        }
        dropsPerMinute = drops
        saSeries = history.series.map { series in
            let steps = zip(series.points, series.points.dropFirst())
            func rate(_ value: (MonitorHistory.Point) -> UInt64) -> [Double] {
                steps.map { earlier, later in Double(value(later) &- value(earlier)) / max(later.uptime - earlier.uptime, 0.001) }
            }
            return SASeries(label: "\(series.peer) in \(MetricsExporter.hex(series.inboundSPI)) / out \(MetricsExporter.hex(series.outboundSPI))",
                            seconds: steps.map { $0.1.uptime }, bytesPerSecond: rate(\.bytes), packetsPerSecond: rate(\.packets))
        }
        saSeriesOmitted = history.seriesOmitted
    }
}
