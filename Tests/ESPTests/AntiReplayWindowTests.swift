import ESP
import XCTest

final class AntiReplayWindowTests: XCTestCase {
    func testEveryWindowSizeAcceptsOnceAndForgetsBehindTheWindow() {
        for size in [64, 100, 1024, 4096, 8192] {
            var window = AntiReplayWindow(size: size)
            XCTAssertEqual(window.size % 64, 0)
            XCTAssertGreaterThanOrEqual(window.size, size)
            XCTAssertEqual(window.check(0), .tooOld)
            // Out of order within the window is fine, each number once.
            for sequence in stride(from: UInt64(window.size), through: 1, by: -1) {
                XCTAssertEqual(window.check(sequence), .acceptable, "size \(size) seq \(sequence)")
                window.accept(sequence)
                XCTAssertEqual(window.check(sequence), .replayed)
            }
            window.accept(UInt64(window.size) * 3)
            XCTAssertEqual(window.check(UInt64(window.size) * 2), .tooOld)
            XCTAssertEqual(window.check(UInt64(window.size) * 2 + 1), .acceptable, "the window's oldest slot is free again")
            XCTAssertEqual(window.check(UInt64(window.size) * 3 - 1), .acceptable)
        }
    }

    func testBigJumpClearsEveryBlock() {
        var window = AntiReplayWindow(size: 128)
        for sequence in 1...128 as ClosedRange<UInt64> { window.accept(sequence) }
        window.accept(1_000_000)
        for sequence in (1_000_000 - 127)..<1_000_000 as Range<UInt64> {
            XCTAssertEqual(window.check(sequence), .acceptable)
        }
    }

    func testExtendedSequenceInference() {
        var window = AntiReplayWindow(size: 64)
        window.accept(UInt64(UInt32.max) - 10)
        XCTAssertEqual(window.inferExtended(low: UInt32.max - 20), UInt64(UInt32.max) - 20, "behind, same subspace")
        XCTAssertEqual(window.inferExtended(low: 5), (1 << 32) + 5, "wrapped: next subspace")
        window.accept((1 << 32) + 30)
        XCTAssertEqual(window.inferExtended(low: UInt32.max - 5), UInt64(UInt32.max) - 5, "case B: previous subspace")
        XCTAssertEqual(window.inferExtended(low: 40), (1 << 32) + 40)
    }
}
