import ESP
import Packet
import Transforms

/// Builds plain IPv4/IPv6 UDP packets with valid checksums, for the ESP tests.
enum PacketFactory {
    static func udp(source: IPAddress, destination: IPAddress, sourcePort: UInt16 = 40000, destinationPort: UInt16 = 7,
                    payload: [UInt8], hopLimit: UInt8 = 64, tos: UInt8 = 0) -> [UInt8] {
        let udpLength = 8 + payload.count
        var packet: [UInt8]
        if case .v4(let s) = source, case .v4(let d) = destination {
            let total = 20 + udpLength
            packet = [0x45, tos, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34, 0x40, 0, hopLimit, 17, 0, 0]
                + s.octets + d.octets
        } else if case .v6(let s) = source, case .v6(let d) = destination {
            packet = [0x60 | tos >> 4, tos << 4, 0, 0, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 17, hopLimit] + s.octets + d.octets
        } else {
            fatalError("mixed families")
        }
        packet += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
                   UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + payload
        let buffer = PacketBuffer()
        try! buffer.load(packet)
        let layout = try! IPLayout(buffer)
        if layout.version == 4 { try! IPLayout.updateIPv4Checksum(buffer, headerLength: 20) }
        try! buffer.setUInt16(1, at: layout.insertionOffset + 6)  // non-zero so the recompute is not skipped
        try! IPLayout.recomputeTransportChecksum(buffer, layout: layout, protocolNumber: 17, offset: layout.insertionOffset)
        return buffer.array
    }
}

/// A fixed IV source, so other implementations can be compared byte for byte.
final class FixedIVSource: IVSource {
    var byte: UInt8
    init(_ byte: UInt8) { self.byte = byte }
    func fill(_ iv: UnsafeMutableRawBufferPointer) throws(TransformError) {
        for index in 0..<iv.count { iv[index] = byte &+ UInt8(truncatingIfNeeded: index) }
    }
}

/// Deterministic key bytes.
func keyBytes(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0 &* 7) } }
