import Foundation
import IKE
import TestSupport
import XCTest

/// Wireshark's ISAKMP dissector reads every message Ward encodes without a malformed or error
/// mark, and finds the payloads Ward meant to send.
final class TsharkDissectionTests: XCTestCase {
    func testTsharkDissectsWardsMessagesCleanly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") else {
            throw XCTSkip("tshark oracle needs /usr/bin/tshark (scripts/setup.sh installs it)")
        }
        let messages = [windowsMainMode1(), everyPayloadMessage()]
        let pcap = Pcap.raw(messages.map { Pcap.ipv4UDP($0.encoded(), from: [10, 77, 1, 1], to: [10, 77, 2, 2]) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ward-isakmp-\(UUID().uuidString).pcap")
        defer { if ProcessInfo.processInfo.environment["WARD_KEEP"] == nil { try? FileManager.default.removeItem(at: file) } else { print("kept \(file.path)") } }
        try pcap.write(to: file)
        let text = try Subprocess.run("/usr/bin/tshark", ["-n", "-r", file.path, "-T", "fields", "-E", "separator=|", "-e", "isakmp.exchangetype",
                                                           "-e", "isakmp.typepayload", "-e", "_ws.malformed", "-e", "_ws.expert.severity"]).output
        let lines = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.count, 2, text)
        XCTAssertEqual(lines.first?[0], "2", "Identity Protection (Main Mode)")
        XCTAssertEqual(lines.first?[1], "1,2,3,3,3,3,13,13", "SA (proposal, four transforms), VID, VID: \(text)")
        XCTAssertEqual(lines.last?[0], "32", "Quick Mode")
        XCTAssertEqual(lines.last?[1], "8,1,2,3,3,10,4,5,5,21,11,12,6,7,9,20", text)
        for line in lines {
            XCTAssertEqual(line[2], "", "tshark marks a message malformed: \(text)")
            // Expert severities: 8388608 = error; notes/chats/warnings are fine.
            XCTAssertFalse(line[3].split(separator: ",").contains { Int($0) ?? 0 >= 8_388_608 }, "tshark reports an error: \(text)")
        }
    }
}
