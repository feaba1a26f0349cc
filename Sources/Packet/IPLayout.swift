/// Where things are in an IPv4 or IPv6 packet at the start of a buffer: found once, checked
/// against the buffer, then used to insert or remove IPsec headers in place.
public struct IPLayout: Equatable, Sendable {
    public var version: Int
    /// IPv4: the header length (IHL × 4). IPv6: 40.
    public var baseHeaderLength: Int
    /// Where a transport-mode IPsec header goes (RFC 4303 §3.1.1): after the IPv4 header, or
    /// after IPv6's hop-by-hop, routing and fragment headers (and a destination-options
    /// header that precedes a routing header).
    public var insertionOffset: Int
    /// The byte holding the protocol / next header value that the insertion point follows.
    public var nextHeaderFieldOffset: Int
    /// The protocol of what follows the insertion point (TCP 6, UDP 17, ESP 50, …).
    public var nextHeader: UInt8
    /// The packet's length according to its header (IPv4 total length, IPv6 40 + payload length).
    public var totalLength: Int
    public var source: IPAddress
    public var destination: IPAddress

    /// Reads the IP header at the start of `buffer`; every field is checked before use.
    public init(_ buffer: PacketBuffer) throws(PacketError) {
        let first = try buffer.uint8(at: 0, field: "IP version")
        version = Int(first >> 4)
        switch version {
        case 4:
            baseHeaderLength = Int(first & 0x0F) * 4
            guard baseHeaderLength >= 20 else { throw .invalid(field: "IPv4 header length", offset: 0, value: baseHeaderLength) }
            _ = try buffer.region(0, baseHeaderLength, field: "IPv4 header")
            totalLength = Int(try buffer.uint16(at: 2))
            guard totalLength >= baseHeaderLength, totalLength <= buffer.count else {
                throw .invalid(field: "IPv4 total length", offset: 2, value: totalLength)
            }
            nextHeader = try buffer.uint8(at: 9)
            nextHeaderFieldOffset = 9
            insertionOffset = baseHeaderLength
            let s = try buffer.uint32(at: 12), d = try buffer.uint32(at: 16)
            source = .v4(IPv4Address(s))
            destination = .v4(IPv4Address(d))
        case 6:
            baseHeaderLength = 40
            _ = try buffer.region(0, 40, field: "IPv6 header")
            totalLength = 40 + Int(try buffer.uint16(at: 4))
            guard totalLength <= buffer.count else { throw .invalid(field: "IPv6 payload length", offset: 4, value: totalLength - 40) }
            source = .v6(try Self.v6Address(buffer, at: 8))
            destination = .v6(try Self.v6Address(buffer, at: 24))
            var next = try buffer.uint8(at: 6)
            var fieldOffset = 6
            var offset = 40
            // Walk the headers that stay in front of an IPsec header.
            while true {
                let isRoutingAhead: Bool
                if next == 60 {
                    // Destination options stay in front only when a routing header follows.
                    let following = try buffer.uint8(at: offset, field: "IPv6 destination options")
                    isRoutingAhead = following == 43
                } else {
                    isRoutingAhead = false
                }
                guard next == 0 || next == 43 || next == 44 || isRoutingAhead else { break }
                let length = next == 44 ? 8 : (Int(try buffer.uint8(at: offset + 1, field: "IPv6 extension header length")) + 1) * 8
                guard offset + length <= totalLength else { throw .truncated(field: "IPv6 extension header", offset: offset, needed: length, available: totalLength - offset) }
                fieldOffset = offset
                next = try buffer.uint8(at: offset)
                offset += length
            }
            nextHeader = next
            nextHeaderFieldOffset = fieldOffset
            insertionOffset = offset
        default:
            throw .invalid(field: "IP version", offset: 0, value: version)
        }
    }

    private static func v6Address(_ buffer: PacketBuffer, at offset: Int) throws(PacketError) -> IPv6Address {
        IPv6Address(octets: UnsafeRawBufferPointer(try buffer.region(offset, 16, field: "IPv6 address")))
    }

    /// Rewrites the IPv4 header checksum (RFC 791) of the header at the start of `buffer`.
    public static func updateIPv4Checksum(_ buffer: PacketBuffer, headerLength: Int) throws(PacketError) {
        try buffer.setUInt16(0, at: 10)
        var checksum = InternetChecksum()
        checksum.add(UnsafeRawBufferPointer(try buffer.region(0, headerLength)))
        try buffer.setUInt16(checksum.value, at: 10)
    }

    /// Writes an address's bytes at `offset`.
    public static func write(_ address: IPAddress, to buffer: PacketBuffer, at offset: Int) throws(PacketError) {
        switch address {
        case .v4(let a): try buffer.setUInt32(a.value, at: offset)
        case .v6(let a):
            try buffer.setUInt32(UInt32(truncatingIfNeeded: a.high >> 32), at: offset)
            try buffer.setUInt32(UInt32(truncatingIfNeeded: a.high), at: offset + 4)
            try buffer.setUInt32(UInt32(truncatingIfNeeded: a.low >> 32), at: offset + 8)
            try buffer.setUInt32(UInt32(truncatingIfNeeded: a.low), at: offset + 12)
        }
    }

    /// Recomputes the TCP or UDP checksum of a transport header at `offset` (pseudo-header from
    /// the packet's addresses). RFC 3948 §3.1.2: after transport-mode decapsulation through a
    /// NAT, the checksum the peer computed covers addresses the NAT has since changed.
    public static func recomputeTransportChecksum(_ buffer: PacketBuffer, layout: IPLayout, protocolNumber: UInt8,
                                                  offset: Int) throws(PacketError) {
        let length = layout.totalLength - offset
        let checksumOffset: Int
        switch protocolNumber {
        case 6: checksumOffset = offset + 16
        case 17: checksumOffset = offset + 6
        default: return
        }
        _ = try buffer.region(offset, protocolNumber == 6 ? 20 : 8, field: protocolNumber == 6 ? "TCP header" : "UDP header")
        if protocolNumber == 17, layout.version == 4, try buffer.uint16(at: checksumOffset) == 0 { return }  // IPv4 UDP: no checksum
        try buffer.setUInt16(0, at: checksumOffset)
        var sum = InternetChecksum()
        let addressLength = layout.version == 4 ? 4 : 16
        let sourceOffset = layout.version == 4 ? 12 : 8
        sum.add(UnsafeRawBufferPointer(try buffer.region(sourceOffset, addressLength * 2)))
        if layout.version == 4 {
            sum.add(UInt16(protocolNumber))
            sum.add(UInt16(length))
        } else {
            sum.add(UInt16(truncatingIfNeeded: length >> 16))
            sum.add(UInt16(truncatingIfNeeded: length))
            sum.add(UInt16(protocolNumber))
        }
        sum.add(UnsafeRawBufferPointer(try buffer.region(offset, length)))
        var value = sum.value
        if protocolNumber == 17 && value == 0 { value = 0xFFFF }
        try buffer.setUInt16(value, at: checksumOffset)
    }
}
