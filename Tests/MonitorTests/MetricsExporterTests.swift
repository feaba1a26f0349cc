import Agent
import Monitor
import XCTest

final class MetricsExporterTests: XCTestCase {
    /// `name{labels} value` lines of the exposition.
    func values(_ exporter: MetricsExporter) -> [String: String] {
        var result: [String: String] = [:]
        for line in exporter.exposition().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            result[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return result
    }

    func testCountersFollowTheSnapshotsTotals() {
        let exporter = MetricsExporter()
        exporter.update(SnapshotFixture.snapshot(uptime: 1, protected: 5, keyAdds: 1))
        exporter.update(SnapshotFixture.snapshot(uptime: 2, protected: 12, keyAdds: 2, failures: 1))
        let metrics = values(exporter)
        XCTAssertEqual(metrics[#"ward_ipsec_packets_total{direction="outbound",result="protected"}"#], "12")
        XCTAssertEqual(metrics[#"ward_ike_negotiations_total{outcome="established"}"#], "2")
        XCTAssertEqual(metrics[#"ward_ike_negotiations_total{outcome="negotiation_failed"}"#], "1")
        XCTAssertEqual(metrics["ward_policy_table_generation"], "3.0")
        XCTAssertTrue(exporter.exposition().contains("# HELP ward_ipsec_packets_total Packets the datapath decided"))
        XCTAssertTrue(exporter.exposition().contains("# TYPE ward_ipsec_packets_total counter"))
        // A total that went down (a new datapath's counters) starts the counter again.
        exporter.update(SnapshotFixture.snapshot(uptime: 3, protected: 4))
        XCTAssertEqual(values(exporter)[#"ward_ipsec_packets_total{direction="outbound",result="protected"}"#], "4")
    }

    func testPerSASeriesAreCappedAndLeaveWithTheirPair() {
        let exporter = MetricsExporter(maximumSAPairs: 2)
        let pairs = (1...3).map { (index: Int) -> InstalledSAPair in
            SnapshotFixture.pair(inbound: UInt32(0x100 + index), outbound: UInt32(0x200 + index), sent: UInt64(index * 1_000), received: 7)
        }
        exporter.update(SnapshotFixture.snapshot(uptime: 1, pairs: pairs))
        var metrics = values(exporter)
        XCTAssertEqual(metrics[#"ward_ipsec_sa_bytes_total{peer="10.77.1.2",spi="0x201",direction="outbound"}"#], "1000")
        XCTAssertEqual(metrics[#"ward_ipsec_sa_bytes_total{peer="10.77.1.2",spi="0x101",direction="inbound"}"#], "7")
        XCTAssertNil(metrics[#"ward_ipsec_sa_bytes_total{peer="10.77.1.2",spi="0x203",direction="outbound"}"#])
        XCTAssertEqual(metrics["ward_ipsec_sa_series_omitted"], "1.0")
        exporter.update(SnapshotFixture.snapshot(uptime: 2, pairs: [pairs[2]]))
        metrics = values(exporter)
        XCTAssertNil(metrics[#"ward_ipsec_sa_bytes_total{peer="10.77.1.2",spi="0x201",direction="outbound"}"#], "a deleted pair's series is gone")
        XCTAssertEqual(metrics[#"ward_ipsec_sa_bytes_total{peer="10.77.1.2",spi="0x203",direction="outbound"}"#], "3000")
        XCTAssertEqual(metrics["ward_ipsec_sa_series_omitted"], "0.0")
    }
}
