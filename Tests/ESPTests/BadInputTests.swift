import ESP
import Packet
import Transforms
import XCTest

/// Every kind of bad inbound packet gets its own error and counter, and never traps.
final class BadInputTests: XCTestCase {
    let addresses = (IPAddress("10.77.1.1")!, IPAddress("10.77.2.2")!)

    func pair(_ encryption: EncryptionAlgorithm? = .aesCBC(keyBits: 128), _ integrity: IntegrityAlgorithm? = .hmacSHA1_96,
              protocol securityProtocol: IPsecProtocol = .esp, window: Int = 64, esn: Bool = false,
              lifetime: Lifetime = .unlimited, udp: Bool = false) throws -> (SecurityAssociation, SecurityAssociationDatabase, SecurityAssociation) {
        let parameters = SAParameters(spi: 0xABCD, securityProtocol: securityProtocol, destination: addresses.1,
                                      encryption: encryption, encryptionKey: keyBytes(encryption?.keyMaterialLength ?? 0, seed: 1),
                                      integrity: integrity, integrityKey: keyBytes(integrity?.keyLength ?? 0, seed: 2),
                                      extendedSequenceNumbers: esn, replayWindow: window, lifetime: lifetime,
                                      udpEncapsulation: udp ? (4500, 4500) : nil)
        let inbound = try SecurityAssociation(parameters, now: 0)
        let sad = SecurityAssociationDatabase()
        sad.add(inbound: inbound)
        return (try SecurityAssociation(parameters, now: 0), sad, inbound)
    }

    func sealed(_ sa: SecurityAssociation, payload: Int = 40) throws -> [UInt8] {
        let buffer = PacketBuffer()
        try buffer.load(PacketFactory.udp(source: addresses.0, destination: addresses.1, payload: keyBytes(payload, seed: 5)))
        try sa.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
        return buffer.array
    }

    func receive(_ sad: SecurityAssociationDatabase, _ bytes: [UInt8]) -> Result<SecurityAssociationDatabase.Inbound, ESPError> {
        let buffer = PacketBuffer()
        try! buffer.load(bytes)
        do { return .success(try sad.decapsulate(buffer, now: 0)) } catch { return .failure(error) }
    }

    func testWrongICVAndTagsAreNotAuthenticated() throws {
        for (encryption, integrity) in [(EncryptionAlgorithm.aesCBC(keyBits: 128), IntegrityAlgorithm?.some(.hmacSHA1_96)),
                                        (.aesGCM16(keyBits: 128), nil), (.chacha20Poly1305, nil)] {
            let (out, sad, inbound) = try pair(encryption, integrity)
            var wire = try sealed(out)
            wire[wire.count - 1] ^= 1
            XCTAssertEqual(receive(sad, wire), .failure(.authenticationFailed(spi: 0xABCD)))
            var flipped = try sealed(out)
            flipped[40] ^= 0x80  // ciphertext
            XCTAssertEqual(receive(sad, flipped), .failure(.authenticationFailed(spi: 0xABCD)))
            XCTAssertEqual(inbound.statistics.packetsNotAuthenticated, 2)
            XCTAssertEqual(sad.statistics.packetsNotAuthenticated, 2)
        }
    }

    func testUnknownSPI() throws {
        let (out, sad, _) = try pair()
        var wire = try sealed(out)
        wire[23] ^= 0xFF
        guard case .failure(.unknownSPI) = receive(sad, wire) else { return XCTFail("expected unknown SPI") }
        XCTAssertEqual(sad.statistics.badSPIPackets, 1)
    }

    func testReplayedAndTooOldSequenceNumbers() throws {
        let (out, sad, inbound) = try pair(window: 64)
        let first = try sealed(out)
        XCTAssertEqual(receive(sad, first), .success(.packet(spi: 0xABCD, innerSPI: nil, event: nil)))
        XCTAssertEqual(receive(sad, first), .failure(.replayed(sequence: 1)))
        for _ in 0..<70 { _ = receive(sad, try sealed(out)) }
        XCTAssertEqual(inbound.window?.highest, 71)
        // Sequence 2..7 are now more than 64 behind 71.
        let (outAgain, _, _) = try pair(window: 64)
        let old = try sealed(outAgain)  // sequence 1 again, from a second sender with the same keys
        XCTAssertEqual(receive(sad, old), .failure(.tooOld(sequence: 1)))
        XCTAssertEqual(inbound.statistics.packetsWithReplayDetection, 2)
    }

    func testBadPaddingShortAndUnalignedCiphertext() throws {
        // NULL encryption with integrity: the trailer is visible, so it can be forged and re-signed
        // only with the key; build a bad trailer by encapsulating, then damaging before signing.
        let (out, sad, inbound) = try pair(.null, .hmacSHA1_96)
        var wire = try sealed(out, payload: 3)
        // Truncate: fewer bytes than header + ICV.
        let truncated = Array(wire.prefix(20 + 8 + 4))
        var shortPacket = truncated
        shortPacket[3] = UInt8(shortPacket.count)
        let fixed = fixIPv4(shortPacket)
        guard case .failure(.badCiphertextLength) = receive(sad, fixed) else { return XCTFail("expected short ciphertext") }
        // Unaligned CBC ciphertext.
        let (cbcOut, cbcSAD, _) = try pair(.aesCBC(keyBits: 128), .hmacSHA1_96)
        var cbc = try sealed(cbcOut)
        cbc.insert(0, at: 50)
        cbc = fixIPv4(cbc)
        guard case .failure(.badCiphertextLength) = receive(cbcSAD, cbc) else { return XCTFail("expected unaligned ciphertext") }
        // A lying IPv4 total length.
        wire[2] = 0x7F
        guard case .failure(.malformed) = receive(sad, wire) else { return XCTFail("expected malformed length") }
        XCTAssertGreaterThanOrEqual(inbound.statistics.packetsNotDecrypted, 1)
    }

    func testTruncatedHeadersNeverTrap() throws {
        let (out, sad, _) = try pair()
        let wire = try sealed(out)
        for length in 0..<wire.count {
            let buffer = PacketBuffer()
            try buffer.load(wire.prefix(length))
            XCTAssertThrowsError(try sad.decapsulate(buffer, now: 0), "length \(length)")
        }
        let v6Oddities: [[UInt8]] = [
            [0x60, 0, 0, 0, 0, 8, 0, 64] + [UInt8](repeating: 0, count: 32) + [50, 200, 0, 0, 0, 0, 0, 0],  // HBH claims 1608 bytes
            [0x60, 0, 0, 0, 0, 8, 44, 64] + [UInt8](repeating: 0, count: 32) + [50, 0, 0, 0, 0, 0, 0, 0],  // fragment then ESP, no ESP bytes
            [0x70] + [UInt8](repeating: 0, count: 39),
        ]
        for packet in v6Oddities {
            let buffer = PacketBuffer()
            try buffer.load(packet)
            XCTAssertThrowsError(try sad.decapsulate(buffer, now: 0))
        }
    }

    func testDummyPacketsAreDropped() throws {
        let (out, sad, _) = try pair()
        // Encapsulate a "packet" whose transport protocol is 59 (no next header).
        var plain = PacketFactory.udp(source: addresses.0, destination: addresses.1, payload: [1, 2, 3, 4])
        plain[9] = 59
        plain = fixIPv4(plain)
        let buffer = PacketBuffer()
        try buffer.load(plain)
        try out.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
        XCTAssertEqual(try sad.decapsulate(buffer, now: 0), .dummy(spi: 0xABCD))
        XCTAssertEqual(sad.statistics.dummyPacketsDropped, 1)
    }

    func testUDP4500MarkerKeepaliveAndMismatch() throws {
        let (out, sad, _) = try pair(udp: true)
        let wire = try sealed(out)
        XCTAssertEqual(receive(sad, wire), .success(.packet(spi: 0xABCD, innerSPI: nil, event: nil)))
        var udpHeader: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0] + addresses.0.v4Octets + addresses.1.v4Octets
        let keepalive = fixIPv4(udpHeader + [0x11, 0x94, 0x11, 0x94, 0, 9, 0, 0, 0xFF])
        XCTAssertEqual(receive(sad, keepalive), .success(.natKeepalive))
        let ike = fixIPv4(udpHeader + [0x11, 0x94, 0x11, 0x94, 0, 20, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 7, count: 8))
        XCTAssertEqual(receive(sad, ike), .success(.ike))
        udpHeader[9] = 6
        XCTAssertEqual(receive(sad, fixIPv4(udpHeader + [UInt8](repeating: 0, count: 20))), .success(.notIPsec))
        // The same SA without UDP expected: mismatch.
        let (_, plainSAD, _) = try pair(udp: false)
        XCTAssertEqual(receive(plainSAD, wire), .failure(.encapsulationMismatch(spi: 0xABCD)))
    }

    func testLifetimesReportSoftThenHardAndStop() throws {
        let (out, _, _) = try pair(lifetime: Lifetime(softSeconds: 10, hardSeconds: 20, softBytes: 100, hardBytes: 0))
        let buffer = PacketBuffer()
        let plain = PacketFactory.udp(source: addresses.0, destination: addresses.1, payload: keyBytes(60, seed: 1))
        try buffer.load(plain)
        XCTAssertNil(try out.encapsulate(buffer, now: 1, ivSource: RandomIVSource()))
        try buffer.load(plain)
        XCTAssertEqual(try out.encapsulate(buffer, now: 2, ivSource: RandomIVSource()), .soft, "136 payload bytes > 100")
        try buffer.load(plain)
        XCTAssertNil(try out.encapsulate(buffer, now: 3, ivSource: RandomIVSource()), "soft is reported once")
        XCTAssertEqual(out.lifetimeEvent(now: 20), .hard)
        try buffer.load(plain)
        XCTAssertThrowsError(try out.encapsulate(buffer, now: 21, ivSource: RandomIVSource())) {
            XCTAssertEqual($0 as? ESPError, .expired(spi: 0xABCD))
        }
    }

    func testSequenceNumbersCycleOnlyWithESN() throws {
        let (out, sad, inbound) = try pair(window: 4096, esn: true)
        out.testingSetSequence(UInt64(UInt32.max) - 2)
        for _ in 0..<6 {
            XCTAssertEqual(receive(sad, try sealed(out)), .success(.packet(spi: 0xABCD, innerSPI: nil, event: nil)))
        }
        XCTAssertEqual(out.sequence, UInt64(UInt32.max) + 4)
        XCTAssertEqual(inbound.window?.highest, UInt64(UInt32.max) + 4, "the receiver inferred the high bits")
        let (plain, _, _) = try pair(esn: false)
        plain.testingSetSequence(UInt64(UInt32.max))
        XCTAssertThrowsError(try sealed(plain)) { XCTAssertEqual($0 as? ESPError, .sequenceExhausted(spi: 0xABCD)) }
    }

    func testConfigurationErrors() {
        XCTAssertThrowsError(try pair(.aesGCM16(keyBits: 128), .hmacSHA1_96))
        XCTAssertThrowsError(try pair(.null, nil))
        XCTAssertThrowsError(try pair(.aesCBC(keyBits: 128), nil, protocol: .ah))
        XCTAssertThrowsError(try pair(window: 0, esn: true))
    }

    func fixIPv4(_ packet: [UInt8]) -> [UInt8] {
        var packet = packet
        packet[2] = UInt8(packet.count >> 8)
        packet[3] = UInt8(packet.count & 0xFF)
        let buffer = PacketBuffer()
        try! buffer.load(packet)
        try! IPLayout.updateIPv4Checksum(buffer, headerLength: 20)
        return buffer.array
    }
}

extension IPAddress {
    var v4Octets: [UInt8] { if case .v4(let a) = self { a.octets } else { [] } }
}

/// RFC 3948 §3.1.2: after transport-mode decapsulation through a NAT, the inner TCP/UDP
/// checksum covers addresses the NAT changed; Ward recomputes it.
final class NATChecksumTests: XCTestCase {
    func testInnerChecksumIsValidAfterTheNATRewroteTheSource() throws {
        let original = (IPAddress("10.77.1.1")!, IPAddress("10.77.2.2")!)
        let parameters = SAParameters(spi: 0x77, destination: original.1, encryption: .aesGCM16(keyBits: 128),
                                      encryptionKey: keyBytes(20, seed: 4), udpEncapsulation: (4500, 4500))
        let out = try SecurityAssociation(parameters, now: 0)
        let sad = SecurityAssociationDatabase()
        sad.add(inbound: try SecurityAssociation(parameters, now: 0))
        let buffer = PacketBuffer()
        try buffer.load(PacketFactory.udp(source: original.0, destination: original.1, payload: keyBytes(33, seed: 8)))
        try out.encapsulate(buffer, now: 0, ivSource: RandomIVSource())
        // The NAT rewrites the source address (and fixes only the IP header checksum).
        try buffer.setUInt32(IPv4Address(192, 0, 2, 77).value, at: 12)
        try IPLayout.updateIPv4Checksum(buffer, headerLength: 20)
        XCTAssertEqual(try sad.decapsulate(buffer, now: 0), .packet(spi: 0x77, innerSPI: nil, event: nil))
        let layout = try IPLayout(buffer)
        XCTAssertEqual(layout.source, IPAddress("192.0.2.77"))
        XCTAssertEqual(layout.nextHeader, 17)
        // Verify the UDP checksum over the pseudo-header with the rewritten address.
        var sum = InternetChecksum()
        sum.add(UnsafeRawBufferPointer(try buffer.region(12, 8)))
        sum.add(UInt16(17))
        sum.add(UInt16(buffer.count - 20))
        sum.add(UnsafeRawBufferPointer(try buffer.region(20, buffer.count - 20)))
        XCTAssertEqual(sum.value, 0, "inner UDP checksum verifies with the NAT's address")
    }
}
