@testable import GroupPolicy
import XCTest

/// The client's timers on a controlled clock.
final class ScheduleTests: XCTestCase {
    func testRefreshesAtBasePlusJitterAndPollsAtTheInterval() {
        var schedule = GroupPolicySchedule(refreshBase: 5_400, refreshJitter: 1_800, now: 0, random: { $0 / 2 })
        XCTAssertEqual(schedule.due(now: 0), .refresh, "the first cycle is at once")
        schedule.succeeded(.refresh, now: 0, pollInterval: 180)
        XCTAssertNil(schedule.due(now: 179))
        XCTAssertEqual(schedule.due(now: 180), .poll)
        schedule.succeeded(.poll, now: 180, pollInterval: 180)
        XCTAssertEqual(schedule.wait(now: 200), 160)
        XCTAssertEqual(schedule.due(now: 6_300), .refresh, "90 minutes and 15 of the 30 random ones")
        XCTAssertNotEqual(schedule.due(now: 6_299), .refresh)
    }

    func testNoControllerBacksOffBySquaresUpTo166Minutes() {
        var schedule = GroupPolicySchedule(now: 0, random: { _ in 0 })
        var now = 0.0
        var waits: [Double] = []
        for _ in 0..<15 {
            schedule.unreachable(now: now)
            let wait = schedule.wait(now: now)
            waits.append(wait / 60)
            XCTAssertNil(schedule.due(now: now + wait - 1))
            XCTAssertEqual(schedule.due(now: now + wait), .refresh)
            now += wait
        }
        XCTAssertEqual(waits, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 166, 166, 166])
        schedule.succeeded(.refresh, now: now, pollInterval: 60)
        XCTAssertEqual(schedule.failures, 0)
        XCTAssertEqual(schedule.wait(now: now), 60)
    }

    func testUpdateNowRunsARefreshAtOnceEvenDuringABackOff() {
        var schedule = GroupPolicySchedule(now: 0)
        schedule.unreachable(now: 0)
        XCTAssertNil(schedule.due(now: 10))
        schedule.updateNow(now: 10)
        XCTAssertEqual(schedule.due(now: 10), .refresh)
    }
}
