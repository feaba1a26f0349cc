import ESP
import Packet
import Transforms
import XCTest

/// Ward to Ward: every algorithm, mode, family and encapsulation survives a round trip, and the
/// bytes on the wire have the layout RFC 4303 / 4302 / 3948 give.
final class RoundTripTests: XCTestCase {
    static let suites: [(EncryptionAlgorithm?, IntegrityAlgorithm?)] = [
        (.null, .hmacSHA1_96), (.desCBC, .hmacMD5_96), (.tripleDESCBC, .hmacSHA1_96), (.aesCBC(keyBits: 128), .hmacSHA256_128),
        (.aesCBC(keyBits: 192), .hmacSHA384_192), (.aesCBC(keyBits: 256), .hmacSHA512_256), (.aesGCM16(keyBits: 128), nil),
        (.aesGCM16(keyBits: 256), nil), (.chacha20Poly1305, nil), (.aesCBC(keyBits: 128), nil),
    ]

    static let v4 = (IPAddress("10.77.1.1")!, IPAddress("10.77.2.2")!)
    static let v6 = (IPAddress("fd77::1")!, IPAddress("fd77::2")!)

    func parameters(_ suite: (EncryptionAlgorithm?, IntegrityAlgorithm?), protocol securityProtocol: IPsecProtocol = .esp,
                    tunnel: Bool, outer: (IPAddress, IPAddress), udp: Bool = false, esn: Bool = false, spi: UInt32 = 0x1000) -> SAParameters {
        SAParameters(spi: spi, securityProtocol: securityProtocol,
                     mode: tunnel ? .tunnel(source: outer.0, destination: outer.1) : .transport, destination: outer.1,
                     encryption: suite.0, encryptionKey: keyBytes(suite.0?.keyMaterialLength ?? 0, seed: 3),
                     integrity: suite.1, integrityKey: keyBytes(suite.1?.keyLength ?? 0, seed: 9),
                     extendedSequenceNumbers: esn, udpEncapsulation: udp ? (4500, 4500) : nil)
    }

    func roundTrip(_ parameters: SAParameters, inner: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let outbound = try SecurityAssociation(parameters, now: 0)
        let inbound = try SecurityAssociation(parameters, now: 0)
        let sad = SecurityAssociationDatabase()
        sad.add(inbound: inbound)
        let buffer = PacketBuffer()
        try buffer.load(inner)
        try outbound.encapsulate(buffer, now: 1, ivSource: RandomIVSource())
        let wire = buffer.array
        XCTAssertNotEqual(wire, inner, file: file, line: line)
        let result = try sad.decapsulate(buffer, now: 1)
        XCTAssertEqual(result, .packet(spi: parameters.spi, innerSPI: nil, event: nil), file: file, line: line)
        XCTAssertEqual(buffer.array, inner, "\(parameters.encryption.map { "\($0)" } ?? "AH") \(parameters.mode)", file: file, line: line)
        return wire
    }

    func testEverySuiteModeFamilyAndEncapsulation() throws {
        for suite in Self.suites where !(suite.0 == .aesCBC(keyBits: 128) && suite.1 == nil) {
            for (family, addresses) in [("v4", Self.v4), ("v6", Self.v6)] {
                for tunnel in [false, true] {
                    for udp in [false, true] {
                        for size in [0, 1, 13, 200, 1400] {
                            let inner = PacketFactory.udp(source: addresses.0, destination: addresses.1, payload: keyBytes(size, seed: UInt8(size % 250)))
                            let wire = try roundTrip(parameters(suite, tunnel: tunnel, outer: addresses, udp: udp), inner: inner)
                            let layout = try IPLayout({ let b = PacketBuffer(); try b.load(wire); return b }())
                            XCTAssertEqual(layout.nextHeader, udp ? 17 : 50, "\(family) \(suite)")
                        }
                    }
                }
            }
        }
    }

    func testMixedFamilyTunnels() throws {
        // IPv6 inside an IPv4 tunnel and IPv4 inside an IPv6 tunnel (RFC 4301 allows both).
        for (inner, outer) in [(Self.v6, Self.v4), (Self.v4, Self.v6)] {
            for suite in [Self.suites[3], Self.suites[6]] {
                let packet = PacketFactory.udp(source: inner.0, destination: inner.1, payload: keyBytes(99, seed: 6))
                let wire = try roundTrip(parameters(suite, tunnel: true, outer: outer), inner: packet)
                XCTAssertEqual(wire[0] >> 4, outer.0.isIPv4 ? 4 : 6)
            }
            let ah = PacketFactory.udp(source: inner.0, destination: inner.1, payload: keyBytes(50, seed: 7))
            _ = try roundTrip(parameters((nil, .hmacSHA256_128), protocol: .ah, tunnel: true, outer: outer), inner: ah)
        }
    }

    func testCBCWithoutIntegrityIsConfidentialityOnly() throws {
        let inner = PacketFactory.udp(source: Self.v4.0, destination: Self.v4.1, payload: [1, 2, 3])
        _ = try roundTrip(parameters((.aesCBC(keyBits: 128), nil), tunnel: false, outer: Self.v4), inner: inner)
    }

    func testWireLayoutOfTransportESP() throws {
        let inner = PacketFactory.udp(source: Self.v4.0, destination: Self.v4.1, payload: Array(repeating: 0xAB, count: 10))
        let sa = try SecurityAssociation(parameters((.aesCBC(keyBits: 128), .hmacSHA1_96), tunnel: false, outer: Self.v4, spi: 0xC0FFEE), now: 0)
        let buffer = PacketBuffer()
        try buffer.load(inner)
        try sa.encapsulate(buffer, now: 0, ivSource: FixedIVSource(0x40))
        let wire = buffer.array
        // IPv4 header 20 + ESP 8 + IV 16 + (UDP 18 + pad 12 + 2 = 32) + ICV 12.
        XCTAssertEqual(wire.count, 20 + 8 + 16 + 32 + 12)
        XCTAssertEqual(wire[9], 50)
        XCTAssertEqual(Array(wire[20..<28]), [0, 0xC0, 0xFF, 0xEE, 0, 0, 0, 1])
        XCTAssertEqual(Array(wire[28..<44]), (0..<16).map { 0x40 + UInt8($0) })
        XCTAssertEqual(Array(wire[2..<4]), [0, UInt8(wire.count)])
        var checksum = InternetChecksum()
        wire[0..<20].withUnsafeBytes { checksum.add($0) }
        XCTAssertEqual(checksum.value, 0, "IPv4 header checksum verifies")
        XCTAssertEqual(sa.sequence, 1)
        XCTAssertEqual(sa.statistics.confidentialBytesSent, 18)
        XCTAssertEqual(sa.statistics.transportBytesSent, 18)
    }

    func testAHTransportAndTunnelBothFamilies() throws {
        for integrity in IntegrityAlgorithm.allCases {
            for (addresses) in [Self.v4, Self.v6] {
                for tunnel in [false, true] {
                    let inner = PacketFactory.udp(source: addresses.0, destination: addresses.1, payload: keyBytes(77, seed: 1))
                    let wire = try roundTrip(parameters((nil, integrity), protocol: .ah, tunnel: tunnel, outer: addresses), inner: inner)
                    let buffer = PacketBuffer()
                    try buffer.load(wire)
                    XCTAssertEqual(try IPLayout(buffer).nextHeader, 51)
                }
            }
        }
    }

    func testAHAndESPBundle() throws {
        let inner = PacketFactory.udp(source: Self.v4.0, destination: Self.v4.1, payload: keyBytes(100, seed: 2))
        let esp = parameters((.aesGCM16(keyBits: 128), nil), tunnel: false, outer: Self.v4, spi: 0x200)
        let ah = parameters((nil, .hmacSHA256_128), protocol: .ah, tunnel: false, outer: Self.v4, spi: 0x201)
        let outESP = try SecurityAssociation(esp, now: 0), outAH = try SecurityAssociation(ah, now: 0)
        let sad = SecurityAssociationDatabase()
        sad.add(inbound: try SecurityAssociation(esp, now: 0))
        sad.add(inbound: try SecurityAssociation(ah, now: 0))
        let buffer = PacketBuffer()
        try buffer.load(inner)
        try outESP.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
        try outAH.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
        XCTAssertEqual(buffer.array[9], 51)
        XCTAssertEqual(buffer.array[20], 50, "AH's next header is ESP")
        XCTAssertEqual(try sad.decapsulate(buffer, now: 0), .packet(spi: 0x201, innerSPI: 0x200, event: nil))
        XCTAssertEqual(buffer.array, inner)
    }

    func testAHOverUDPIsRefused() {
        XCTAssertThrowsError(try SecurityAssociation(parameters((nil, .hmacSHA1_96), protocol: .ah, tunnel: false, outer: Self.v4, udp: true), now: 0)) {
            XCTAssertEqual($0 as? ESPError, .ahOverUDP)
        }
    }
}
