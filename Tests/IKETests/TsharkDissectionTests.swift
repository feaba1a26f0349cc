import Foundation
import IKE
import TestSupport
import XCTest

/// Wireshark's ISAKMP dissector reads every message Ward encodes without a malformed or error
/// mark, and finds the payloads Ward meant to send.
final class TsharkDissectionTests: XCTestCase {
    func udpPacket(_ payload: [UInt8]) -> [UInt8] {
        let total = 28 + payload.count
        var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0,
                               10, 77, 1, 1, 10, 77, 2, 2, 0x01, 0xF4, 0x01, 0xF4, UInt8((payload.count + 8) >> 8), UInt8((payload.count + 8) & 0xFF), 0, 0]
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        header[10] = UInt8((~sum >> 8) & 0xFF)
        header[11] = UInt8(~sum & 0xFF)
        return header + payload
    }

    func testTsharkDissectsWardsMessagesCleanly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") else {
            throw XCTSkip("tshark oracle needs /usr/bin/tshark (scripts/setup.sh installs it)")
        }
        let messages = [windowsMainMode1(), everyPayloadMessage()]
        let pcap = Pcap.raw(messages.map { udpPacket($0.encoded()) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ward-isakmp-\(UUID().uuidString).pcap")
        defer { if ProcessInfo.processInfo.environment["WARD_KEEP"] == nil { try? FileManager.default.removeItem(at: file) } else { print("kept \(file.path)") } }
        try pcap.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
        process.arguments = ["-n", "-r", file.path, "-T", "fields", "-E", "separator=|", "-e", "isakmp.exchangetype", "-e", "isakmp.typepayload",
                             "-e", "_ws.malformed", "-e", "_ws.expert.severity"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
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
