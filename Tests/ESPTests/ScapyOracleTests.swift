import ESP
import Foundation
import Packet
import TestSupport
import Transforms
import XCTest

/// scapy's IPsec layer (an implementation we did not write) decrypts what Ward builds, and Ward
/// decapsulates what scapy builds: every algorithm both support, random keys and sizes,
/// transport and tunnel, IPv4 and IPv6, with and without UDP encapsulation, AH.
final class ScapyOracleTests: XCTestCase {
    static let python = "/usr/bin/python3"
    static let oracle = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Oracles/scapy_esp_oracle.py")

    /// Ward's algorithm, scapy's names for it.
    static let suites: [(EncryptionAlgorithm?, IntegrityAlgorithm?, String, String)] = [
        (.null, .hmacSHA1_96, "NULL", "HMAC-SHA1-96"),
        (.desCBC, .hmacMD5_96, "DES", "HMAC-MD5-96"),
        (.tripleDESCBC, .hmacSHA1_96, "3DES", "HMAC-SHA1-96"),
        (.aesCBC(keyBits: 128), .hmacSHA256_128, "AES-CBC", "SHA2-256-128"),
        (.aesCBC(keyBits: 192), .hmacSHA384_192, "AES-CBC", "SHA2-384-192"),
        (.aesCBC(keyBits: 256), .hmacSHA512_256, "AES-CBC", "SHA2-512-256"),
        (.aesGCM16(keyBits: 128), nil, "AES-GCM", "NULL"),
        (.aesGCM16(keyBits: 256), nil, "AES-GCM", "NULL"),
        (.chacha20Poly1305, nil, "CHACHA20-POLY1305", "NULL"),
        (nil, .hmacSHA1_96, "", "HMAC-SHA1-96"),      // AH
        (nil, .hmacSHA256_128, "", "SHA2-256-128"),  // AH
        (nil, .hmacMD5_96, "", "HMAC-MD5-96"),       // AH
    ]

    func scapyAvailable() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: Self.python)
        probe.arguments = ["-c", "import scapy.layers.ipsec"]
        probe.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: Self.python), (try? probe.run()) != nil else {
            throw XCTSkip("scapy oracle needs \(Self.python) with python3-scapy (scripts/setup.sh installs it)")
        }
        probe.waitUntilExit()
        if probe.terminationStatus != 0 { throw XCTSkip("scapy oracle: python3-scapy is not installed (scripts/setup.sh installs it)") }
    }

    struct Case {
        var name: String
        var parameters: SAParameters
        var plain: [UInt8]
        var wire: [UInt8]
        var json: [String: Any]
    }

    func testWardAndScapyInteroperate() throws {
        try scapyAvailable()
        var generator = SystemRandomNumberGenerator()
        var cases: [Case] = []
        let families = [("v4", IPAddress("10.77.1.1")!, IPAddress("10.77.2.2")!, IPAddress("10.77.100.1")!, IPAddress("10.77.200.1")!),
                        ("v6", IPAddress("fd77::1")!, IPAddress("fd77::2")!, IPAddress("fd77:100::1")!, IPAddress("fd77:200::1")!)]
        for (suiteIndex, suite) in Self.suites.enumerated() {
            let isAH = suite.0 == nil
            for family in families {
                for tunnel in [false, true] {
                    // scapy 2.5.0 handles NAT-T (RFC 3948) for IPv4 only: with IPv6 its decrypt
                    // leaves the UDP header in place. Ward's IPv6 UDP encapsulation is covered by
                    // the round-trip tests.
                    for udp in (isAH || family.0 == "v6" ? [false] : [false, true]) {
                        let size = Int.random(in: 0...1300, using: &generator)
                        let spi = UInt32.random(in: 0x100...0xFFFF_FFF0, using: &generator)
                        let encryptionKey = (0..<(suite.0?.keyMaterialLength ?? 0)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        let integrityKey = (0..<(suite.1?.keyLength ?? 0)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        let outer = (family.3, family.4)
                        let parameters = SAParameters(
                            spi: spi, securityProtocol: isAH ? .ah : .esp,
                            mode: tunnel ? .tunnel(source: outer.0, destination: outer.1) : .transport,
                            destination: tunnel ? outer.1 : family.2, encryption: suite.0, encryptionKey: encryptionKey,
                            integrity: suite.1, integrityKey: integrityKey, udpEncapsulation: udp ? (4500, 4500) : nil)
                        let plain = PacketFactory.udp(source: family.1, destination: family.2,
                                                      payload: (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
                        let sa = try SecurityAssociation(parameters, now: 0)
                        let buffer = PacketBuffer()
                        try buffer.load(plain)
                        try sa.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
                        let name = "\(suite.0.map { "\($0)" } ?? "AH") \(suite.1.map { "\($0)" } ?? "") \(family.0) \(tunnel ? "tunnel" : "transport")\(udp ? " udp" : "") \(size)B"
                        var json: [String: Any] = [
                            "name": name, "spi": spi, "protocol": isAH ? "ah" : "esp", "crypt": suite.2,
                            "crypt_key": encryptionKey.map { String(format: "%02x", $0) }.joined(),
                            "auth": suite.3, "auth_key": integrityKey.map { String(format: "%02x", $0) }.joined(),
                            "udp": udp, "seq": 7 + suiteIndex,
                            "wire": buffer.array.map { String(format: "%02x", $0) }.joined(),
                            "plain": plain.map { String(format: "%02x", $0) }.joined(),
                        ]
                        if tunnel { json["tunnel"] = [outer.0.description, outer.1.description] }
                        cases.append(Case(name: name, parameters: parameters, plain: plain, wire: buffer.array, json: json))
                    }
                }
            }
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("ward-scapy-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: input) }
        try JSONSerialization.data(withJSONObject: cases.map(\.json)).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.oracle.path, input.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, errorText)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        XCTAssertEqual(results.count, cases.count)
        var checked = 0
        for (testCase, result) in zip(cases, results) {
            if let error = result["error"] {
                XCTFail("\(testCase.name): scapy: \(error)")
                continue
            }
            // 1. scapy decrypts Ward's packet back to the original.
            XCTAssertEqual(result["decrypted"], testCase.json["plain"] as? String, "scapy could not read Ward's \(testCase.name)")
            // 2. Ward decapsulates scapy's packet back to the original.
            let sad = SecurityAssociationDatabase()
            sad.add(inbound: try SecurityAssociation(testCase.parameters, now: 0))
            let buffer = PacketBuffer()
            try buffer.load(hex(try XCTUnwrap(result["encrypted"])))
            do {
                let outcome = try sad.decapsulate(buffer, now: 0)
                XCTAssertEqual(outcome, .packet(spi: testCase.parameters.spi, innerSPI: nil, event: nil), testCase.name)
                XCTAssertEqual(buffer.array, testCase.plain, "Ward could not read scapy's \(testCase.name)")
            } catch {
                XCTFail("\(testCase.name): Ward rejected scapy's packet: \(error)")
            }
            checked += 1
        }
        print("scapy oracle: \(checked) of \(cases.count) cases checked in both directions")
    }
}

func hex(_ text: String) -> [UInt8] { Hex.bytes(text) }
