import ESP
import Foundation
import Packet
import TestSupport
import Transforms
import XCTest

/// Wireshark's ESP dissector (tshark), given the SA table, decrypts a capture of Ward's packets,
/// checks every ICV, and finds the inner packets Ward protected.
final class TsharkOracleTests: XCTestCase {
    static let tshark = "/usr/bin/tshark"

    /// Ward's suite, tshark's names (uat:esp_sa, Wireshark 4.0).
    static let suites: [(EncryptionAlgorithm, IntegrityAlgorithm?, String, String)] = [
        (.desCBC, .hmacMD5_96, "DES-CBC [RFC2405]", "HMAC-MD5-96 [RFC2403]"),
        (.tripleDESCBC, .hmacSHA1_96, "TripleDES-CBC [RFC2451]", "HMAC-SHA-1-96 [RFC2404]"),
        (.aesCBC(keyBits: 128), .hmacSHA256_128, "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"),
        (.aesCBC(keyBits: 256), .hmacSHA512_256, "AES-CBC [RFC3602]", "HMAC-SHA-512-256 [RFC4868]"),
        (.aesCBC(keyBits: 192), .hmacSHA384_192, "AES-CBC [RFC3602]", "HMAC-SHA-384-192 [RFC4868]"),
        (.aesGCM16(keyBits: 128), nil, "AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
        (.aesGCM16(keyBits: 256), nil, "AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
        (.null, .hmacSHA1_96, "NULL", "HMAC-SHA-1-96 [RFC2404]"),
    ]

    func testTsharkDecryptsWardsCapture() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tshark) else {
            throw XCTSkip("tshark oracle needs \(Self.tshark) (scripts/setup.sh installs Debian's tshark)")
        }
        var packets: [[UInt8]] = []
        var expected: [(spi: UInt32, payload: [UInt8])] = []
        var options: [String] = []
        var generator = SystemRandomNumberGenerator()
        for (index, suite) in Self.suites.enumerated() {
            let v6 = index % 3 == 2
            let tunnel = index % 2 == 1
            let udp = index == 6
            let inner = v6 ? (IPAddress("fd77::1")!, IPAddress("fd77::2")!) : (IPAddress("10.77.1.1")!, IPAddress("10.77.2.2")!)
            let outer = v6 ? (IPAddress("fd77:100::1")!, IPAddress("fd77:200::1")!) : (IPAddress("10.77.100.1")!, IPAddress("10.77.200.1")!)
            let addresses = tunnel ? outer : inner
            let spi = UInt32(0x5000 + index)
            let encryptionKey = (0..<suite.0.keyMaterialLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let integrityKey = (0..<(suite.1?.keyLength ?? 0)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let sa = try SecurityAssociation(SAParameters(
                spi: spi, mode: tunnel ? .tunnel(source: outer.0, destination: outer.1) : .transport, destination: addresses.1,
                encryption: suite.0, encryptionKey: encryptionKey, integrity: suite.1, integrityKey: integrityKey,
                udpEncapsulation: udp ? (4500, 4500) : nil), now: 0)
            for _ in 0..<3 {
                let payload = (0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let buffer = PacketBuffer()
                try buffer.load(PacketFactory.udp(source: inner.0, destination: inner.1, destinationPort: 33333, payload: payload))
                try sa.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
                packets.append(buffer.array)
                expected.append((spi, payload))
            }
            let hexKey = { (bytes: [UInt8]) in bytes.isEmpty ? "" : "0x" + bytes.map { String(format: "%02x", $0) }.joined() }
            options += ["-o", "uat:esp_sa:\"\(v6 ? "IPv6" : "IPv4")\",\"*\",\"*\",\"\(String(format: "0x%08x", spi))\",\"\(suite.2)\",\"\(hexKey(encryptionKey))\",\"\(suite.3)\",\"\(hexKey(integrityKey))\""]
        }
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("ward-tshark-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: capture) }
        try Pcap.raw(packets).write(to: capture)
        // The inner payloads are random bytes: decode them as data, so that no heuristic UDP
        // dissector mistakes one for its protocol and aborts the frame before the ESP trailer
        // (seen once in CI: one frame of 24 with neither payload nor ICV verdict).
        let (text, status) = try Subprocess.run(Self.tshark, ["-n", "-r", capture.path, "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                                                              "-d", "udp.port==33333,data", "-d", "udp.port==40000,data"]
            + options + ["-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "esp.spi", "-e", "esp.sequence",
                         "-e", "esp.icv_good", "-e", "esp.icv_bad", "-e", "data.data"])
        XCTAssertEqual(status, 0)
        let lines = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.count, packets.count, text)
        for (line, want) in zip(lines, expected) {
            guard line.count >= 6 else { XCTFail("short tshark line \(line)"); continue }
            XCTAssertEqual(line[1], String(format: "0x%08x", want.spi), "frame \(line[0])")
            XCTAssertNotEqual(line[4], "1", "frame \(line[0]): tshark found a bad ICV")
            XCTAssertEqual(line[5].replacingOccurrences(of: ":", with: ""), want.payload.map { String(format: "%02x", $0) }.joined(),
                           "frame \(line[0]) (SPI \(line[1])): tshark's decryption differs from Ward's inner payload")
        }
        let verifiedICVs = lines.filter { $0.count > 3 && $0[3] == "1" }.count
        XCTAssertEqual(verifiedICVs, packets.count, "tshark verified every ICV (HMAC and GCM tag)")
        print("tshark oracle: \(lines.count) packets decrypted, \(verifiedICVs) ICVs verified")
    }
}
