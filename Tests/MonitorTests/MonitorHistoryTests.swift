import Monitor
import XCTest

final class MonitorHistoryTests: XCTestCase {
    func testRatesPerSecondAndCountsPerMinute() {
        var history = MonitorHistory()
        for second in 0..<130 {
            let pair = SnapshotFixture.pair(inbound: 1, outbound: 2, sent: UInt64(second) * 1_000, packetsSent: UInt64(second))
            history.record(SnapshotFixture.snapshot(uptime: Double(second), pairs: [pair], keyAdds: UInt64(second / 10), failures: UInt64(second / 60)))
        }
        let rates = history.rates(\.bytesSent)
        XCTAssertEqual(rates.count, 129)
        XCTAssertTrue(rates.allSatisfy { $0.perSecond == 1_000 }, "\(rates.prefix(3))")
        let negotiations = history.perMinute(\.negotiations)
        XCTAssertEqual(negotiations.map(\.minute), [0, 60, 120])
        XCTAssertEqual(negotiations.map(\.count), [5, 6, 1])
        XCTAssertEqual(history.perMinute(\.failures).map(\.count), [0, 1, 1])
        let view = HistoryView(history)
        XCTAssertEqual(view.saSeries.count, 1)
        XCTAssertEqual(view.saSeries[0].bytesPerSecond.last, 1_000)
        XCTAssertEqual(view.saSeries[0].packetsPerSecond.last, 1)
        XCTAssertEqual(view.saSeries[0].label, "10.77.1.2 in 0x1 / out 0x2")
    }

    func testTheWindowAndTheSeriesAreBounded() {
        var history = MonitorHistory(capacity: 10, maximumSeries: 2)
        for second in 0..<25 {
            // A new SA pair every 5 s: old pairs' series leave with the window.
            let spi = UInt32(second / 5 + 1)
            history.record(SnapshotFixture.snapshot(uptime: Double(second), pairs: [SnapshotFixture.pair(inbound: spi, outbound: spi + 100)]))
        }
        XCTAssertEqual(history.samples.count, 10)
        XCTAssertEqual(history.samples.first?.uptime, 15)
        XCTAssertEqual(history.series.map(\.inboundSPI), [4, 5])
        XCTAssertTrue(history.series.allSatisfy { $0.points.allSatisfy { $0.uptime >= 15 } })
        let crowded = (1...5).map { SnapshotFixture.pair(inbound: UInt32(100 + $0), outbound: UInt32(200 + $0)) }
        var full = MonitorHistory(capacity: 10, maximumSeries: 2)
        full.record(SnapshotFixture.snapshot(uptime: 0, pairs: crowded))
        XCTAssertEqual(full.series.count, 2)
        XCTAssertEqual(full.seriesOmitted, 3)
    }

    func testDropsAreCountedByReason() {
        var history = MonitorHistory()
        history.record(SnapshotFixture.snapshot(uptime: 0))
        history.record(SnapshotFixture.snapshot(uptime: 1, blocked: 4, badSPI: 2))
        let view = HistoryView(history)
        XCTAssertEqual(view.dropsPerMinute["blocked_outbound"], [4])
        XCTAssertEqual(view.dropsPerMinute["bad_spi"], [2])
        XCTAssertEqual(view.dropsPerMinute["replayed"], [0])
    }
}
