import Foundation
import IKE
import XCTest

/// The IKE statistics carry the monitor's names in the reference's order (f.1), and bad
/// datagrams are counted where the monitor shows them.
final class IKEStatisticsTests: XCTestCase {
    func testNamesAndOrderFollowTheReferenceTable() throws {
        let names = IKEStatistics().named.map(\.0)
        XCTAssertEqual(names.count, 23)
        XCTAssertEqual(Array(names.prefix(8)), ["Active Acquire", "Active Receive", "Acquire Failures", "Receive Failures", "Send Failures",
                                               "Acquire Heap Size", "Receive Heap Size", "Authentication Failures"],
                       "the 2003 monitor page's documented order")
        XCTAssertEqual(Set(names).count, names.count, "no duplicate names")
        XCTAssertTrue(IKEStatistics().named.allSatisfy { $0.1 == 0 }, "everything starts at zero")
    }

    func testMalformedDatagramsAndRefusedOffersAreCounted() {
        var statistics = IKEStatistics()
        for bytes in [[UInt8](repeating: 0, count: 10), [UInt8](repeating: 0xFF, count: 40)] {
            do { _ = try ISAKMPMessage.decode(bytes) } catch { statistics.count(error) }
        }
        var refusals: [String] = []
        if Phase1Selection.choose(from: SecurityAssociationPayload(proposals: []), acceptable: [], refusals: &refusals) == nil {
            statistics.countNoProposalChosen()
        }
        let named = Dictionary(uniqueKeysWithValues: statistics.named)
        XCTAssertEqual(named["Invalid Packets Received"], 2)
        XCTAssertEqual(named["Negotiation Failures"], 1)
        XCTAssertEqual(statistics.named.map(\.1).reduce(0, +), 3, "nothing else moved")
    }
}
