import Packet

/// ESP that arrives on UDP 4500 reaches the agent as the datagram's payload; the SAD decodes
/// whole packets (RFC 3948 §3.2: the receiver strips IP and UDP headers it has checked). This
/// puts an IPv4 and a UDP header back in front of the payload, in the buffer's headroom, so the
/// packet looks as it did on the wire. The UDP checksum is zero (allowed for ESP in UDP over
/// IPv4, RFC 3948 §2.1; the SAD reads it for neither family, the kernel checked it).
enum UDPEncapsulationHeaders {
    static let length = 28

    static func restore(_ buffer: PacketBuffer, from source: IPAddress, port sourcePort: UInt16,
                        to destination: IPAddress, port destinationPort: UInt16) throws(PacketError) {
        if case .v6(let from) = source, case .v6(let to) = destination {
            return try restoreIPv6(buffer, from: from, port: sourcePort, to: to, port: destinationPort)
        }
        guard case .v4(let from) = source, case .v4(let to) = destination else {
            throw .invalid(field: "UDP-encapsulated ESP address family", offset: 0, value: 0)
        }
        let payload = buffer.count
        guard payload + length <= 65_535 else { throw .invalid(field: "UDP-encapsulated ESP length", offset: 0, value: payload) }
        let header = try buffer.prepend(length)
        header.initializeMemory(as: UInt8.self, repeating: 0)
        try buffer.setUInt8(0x45, at: 0)
        try buffer.setUInt16(UInt16(payload + length), at: 2)
        try buffer.setUInt8(64, at: 8)
        try buffer.setUInt8(17, at: 9)
        try buffer.setUInt32(from.value, at: 12)
        try buffer.setUInt32(to.value, at: 16)
        try IPLayout.updateIPv4Checksum(buffer, headerLength: 20)
        try buffer.setUInt16(sourcePort, at: 20)
        try buffer.setUInt16(destinationPort, at: 22)
        try buffer.setUInt16(UInt16(payload + 8), at: 24)
    }

    /// The IPv6 form: a 40-byte header (next header UDP) and the UDP header.
    private static func restoreIPv6(_ buffer: PacketBuffer, from source: IPv6Address, port sourcePort: UInt16,
                                    to destination: IPv6Address, port destinationPort: UInt16) throws(PacketError) {
        let payload = buffer.count
        guard payload + 8 <= 65_535 else { throw .invalid(field: "UDP-encapsulated ESP length", offset: 0, value: payload) }
        let header = try buffer.prepend(48)
        header.initializeMemory(as: UInt8.self, repeating: 0)
        try buffer.setUInt8(0x60, at: 0)
        try buffer.setUInt16(UInt16(payload + 8), at: 4)
        try buffer.setUInt8(17, at: 6)
        try buffer.setUInt8(64, at: 7)
        try IPLayout.write(.v6(source), to: buffer, at: 8)
        try IPLayout.write(.v6(destination), to: buffer, at: 24)
        try buffer.setUInt16(sourcePort, at: 40)
        try buffer.setUInt16(destinationPort, at: 42)
        try buffer.setUInt16(UInt16(payload + 8), at: 44)
    }
}
