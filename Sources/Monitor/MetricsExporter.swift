import Agent
import ESP
import Foundation
import IKE
import Prometheus

/// `/metrics`: the agent's counters in Prometheus' text format, with stable names and labels
/// (`Docs/metrics.md`). Values come from the same snapshot `show stats` prints, so the two
/// agree; counters grow by the difference between snapshots (the agent's totals only grow,
/// and a total that went down — a new kernel datapath's counters — starts the counter again).
///
/// Per-SA series are labelled by peer, SPI and direction, for at most `maximumSAPairs` pairs at
/// once; pairs beyond that are counted in `ward_ipsec_sa_series_omitted`, and a pair's series
/// are unregistered when the pair goes away, so the output's size stays bounded.
public final class MetricsExporter: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let maximumSAPairs: Int
    /// Accessed only from the monitor's serial queue (`MonitorState`).
    private var counters: [String: (Counter, UInt64)] = [:]
    private var gauges: [String: Gauge] = [:]
    private var saSeries: [UInt32: [Counter]] = [:]
    private var saTotals: [String: UInt64] = [:]
    private let omitted: Gauge

    public init(maximumSAPairs: Int = 64) {
        self.maximumSAPairs = maximumSAPairs
        omitted = registry.makeGauge(descriptor: Self.descriptor("ward_ipsec_sa_series_omitted",
                                                                 "SA pairs in force that have no per-SA series because the cap was reached."))
    }

    /// The text format, for a scrape.
    public func exposition() -> String { registry.emitToString() }

    /// Brings every metric to the snapshot's values.
    public func update(_ snapshot: AgentSnapshot) {
        let counters = snapshot.counters, ipsec = snapshot.ipsec, ike = snapshot.ike
        for (result, value) in [("permitted", counters.outboundPermitted), ("blocked", counters.outboundBlocked), ("protected", counters.outboundProtected)] {
            count("ward_ipsec_packets_total", ["direction": "outbound", "result": result], value, "Packets the datapath decided, by direction and verdict.")
        }
        for (result, value) in [("permitted", counters.inboundPermitted), ("blocked", counters.inboundBlocked), ("protected", counters.inboundProtected),
                                ("clear_dropped", counters.inboundClearDropped), ("policy_mismatch", counters.inboundPolicyMismatch)] {
            count("ward_ipsec_packets_total", ["direction": "inbound", "result": result], value, "Packets the datapath decided, by direction and verdict.")
        }
        for reason in MonitorHistory.DropReason.allCases {
            count("ward_ipsec_drops_total", ["reason": reason.rawValue], reason.count(in: snapshot), "Packets dropped, by reason.")
        }
        let bytes = "IPsec bytes by kind (confidential: ESP with a cipher; authenticated: AH or ESP-NULL; transport/tunnel: by mode)."
        for (kind, sent, received) in [("confidential", ipsec.confidentialBytesSent, ipsec.confidentialBytesReceived),
                                       ("authenticated", ipsec.authenticatedBytesSent, ipsec.authenticatedBytesReceived),
                                       ("transport", ipsec.transportBytesSent, ipsec.transportBytesReceived),
                                       ("tunnel", ipsec.bytesSentInTunnels, ipsec.bytesReceivedInTunnels)] {
            count("ward_ipsec_bytes_total", ["direction": "sent", "kind": kind], sent, bytes)
            count("ward_ipsec_bytes_total", ["direction": "received", "kind": kind], received, bytes)
        }
        count("ward_ipsec_esp_packets_total", ["direction": "sent"], ipsec.packetsSent, "ESP/AH packets sent and received.")
        count("ward_ipsec_esp_packets_total", ["direction": "received"], ipsec.packetsReceived, "ESP/AH packets sent and received.")
        count("ward_ipsec_acquires_total", [:], counters.acquires, "Packets that found no SA and started a negotiation.")
        for (fate, value) in [("held", counters.queued), ("sent", counters.queueFlushed), ("dropped", counters.queueDropped)] {
            count("ward_ipsec_held_packets_total", ["fate": fate], value, "Packets held while IKE negotiated, and what became of them.")
        }
        let outcomes = "IKE negotiations by outcome: Quick Mode SA pairs established, negotiation and authentication failures."
        count("ward_ike_negotiations_total", ["outcome": "established"], ike.totalKeyAdd, outcomes)
        count("ward_ike_negotiations_total", ["outcome": "negotiation_failed"], ike.negotiationFailures, outcomes)
        count("ward_ike_negotiations_total", ["outcome": "authentication_failed"], ike.authenticationFailures, outcomes)
        count("ward_ike_acquires_total", [:], ike.totalAcquire, "Acquires IKE received (Total Acquire).")
        let errors = "IKE errors by kind (the IKE statistics of `show stats`)."
        for (kind, value) in [("acquire_failure", ike.acquireFailures), ("receive_failure", ike.receiveFailures), ("send_failure", ike.sendFailures),
                              ("invalid_cookie", ike.invalidCookiesReceived), ("invalid_packet", ike.invalidPacketsReceived),
                              ("get_spi_failure", ike.getSPIFailures), ("key_add_failure", ike.keyAddFailures), ("key_update_failure", ike.keyUpdateFailures)] {
            count("ward_ike_errors_total", ["kind": kind], value, errors)
        }
        gauge("ward_ike_main_mode_sas", ike.mainModeSAs, "Main Mode SAs (IKE's Main Mode SAs statistic).")
        gauge("ward_ike_quick_mode_sas", ike.quickModeSAs, "Quick Mode SAs (IKE's Quick Mode SAs statistic).")
        gauge("ward_ike_active_acquires", ike.activeAcquire, "Negotiations waiting (Active Acquire).")
        gauge("ward_ike_soft_associations", ike.softAssociations, "Soft associations (clear traffic allowed after an unanswered negotiation).")
        gauge("ward_ipsec_security_associations", UInt64(snapshot.quickModeSAs.count), "SA pairs installed (Active Security Associations).")
        gauge("ward_ipsec_active_tunnels", UInt64(snapshot.activeTunnels), "SA pairs in tunnel mode (Active Tunnels).")
        gauge("ward_policy_compile_seconds", snapshot.compileSeconds, "How long the last filter table compile took.")
        gauge("ward_policy_last_change_timestamp_seconds", snapshot.lastPolicyChange?.timeIntervalSince1970 ?? 0,
              "When the table in force was compiled (Unix time; 0: none yet).")
        gauge("ward_policy_table_generation", UInt64(snapshot.tableGeneration), "The table in force's generation (one more per compile).")
        gauge("ward_policy_filters", UInt64(snapshot.filterCount), "Specific filters in the table in force.")
        gauge("ward_agent_start_timestamp_seconds", snapshot.agentStarted.timeIntervalSince1970, "When wardd started (Unix time).")
        updateSASeries(snapshot.quickModeSAs)
    }

    private func updateSASeries(_ pairs: [InstalledSAPair]) {
        let live = Set(pairs.map(\.inboundSPI))
        for (spi, series) in saSeries where !live.contains(spi) {
            for counter in series { registry.unregisterCounter(counter) }
            saSeries[spi] = nil
            saTotals = saTotals.filter { !$0.key.hasPrefix("\(spi)/") }
        }
        var omittedPairs = 0
        for pair in pairs {
            if saSeries[pair.inboundSPI] == nil {
                guard saSeries.count < maximumSAPairs else { omittedPairs += 1; continue }
                let peer = "\(pair.peer)", outSPI = Self.hex(pair.outboundSPI), inSPI = Self.hex(pair.inboundSPI)
                saSeries[pair.inboundSPI] = [
                    registry.makeCounter(descriptor: Self.descriptor("ward_ipsec_sa_bytes_total", "Bytes through one SA (labelled by the SA's own SPI), as show qmsas counts them."), labels: [("peer", peer), ("spi", outSPI), ("direction", "outbound")]),
                    registry.makeCounter(descriptor: Self.descriptor("ward_ipsec_sa_bytes_total", "Bytes through one SA (labelled by the SA's own SPI), as show qmsas counts them."), labels: [("peer", peer), ("spi", inSPI), ("direction", "inbound")]),
                    registry.makeCounter(descriptor: Self.descriptor("ward_ipsec_sa_packets_total", "Packets through one SA (labelled by the SA's own SPI)."), labels: [("peer", peer), ("spi", outSPI), ("direction", "outbound")]),
                    registry.makeCounter(descriptor: Self.descriptor("ward_ipsec_sa_packets_total", "Packets through one SA (labelled by the SA's own SPI)."), labels: [("peer", peer), ("spi", inSPI), ("direction", "inbound")]),
                ]
            }
            guard let series = saSeries[pair.inboundSPI] else { continue }
            let values = [pair.outbound.confidentialBytesSent + pair.outbound.authenticatedBytesSent,
                          pair.inbound.confidentialBytesReceived + pair.inbound.authenticatedBytesReceived,
                          pair.outbound.packetsSent, pair.inbound.packetsReceived]
            for (index, value) in values.enumerated() {
                let key = "\(pair.inboundSPI)/\(index)"
                advance(series[index], from: saTotals[key] ?? 0, to: value)
                saTotals[key] = value
            }
        }
        omitted.set(Double(omittedPairs))
    }

    /// A metric's name and HELP text (no unit suffix: the names carry their units).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The SPI as `show qmsas` prints it.
    static func hex(_ spi: UInt32) -> String { "0x" + String(spi, radix: 16) }

    private func count(_ name: String, _ labels: [String: String], _ value: UInt64, _ help: String) {
        let ordered = labels.sorted { $0.key < $1.key }
        let key = name + ordered.map { "|\($0.key)=\($0.value)" }.joined()
        let (counter, previous) = counters[key] ?? (registry.makeCounter(descriptor: Self.descriptor(name, help), labels: ordered.map { ($0.key, $0.value) }), 0)
        advance(counter, from: previous, to: value)
        counters[key] = (counter, value)
    }

    private func advance(_ counter: Counter, from previous: UInt64, to value: UInt64) {
        if value >= previous {
            if value > previous { counter.increment(by: Int64(clamping: value - previous)) }
        } else {
            counter.reset()
            counter.increment(by: Int64(clamping: value))
        }
    }

    private func gauge(_ name: String, _ value: UInt64, _ help: String) { gauge(name, Double(value), help) }

    private func gauge(_ name: String, _ value: Double, _ help: String) {
        let gauge = gauges[name] ?? registry.makeGauge(descriptor: Self.descriptor(name, help))
        gauges[name] = gauge
        gauge.set(value)
    }
}
