import Filtering
import Packet

extension PacketSelector {
    /// The 5-tuple of the IP packet at the start of `buffer`: addresses and protocol from the
    /// IP header, ports from the TCP or UDP header (0 for other protocols, and for non-first
    /// fragments, whose ports are not in the packet). Every offset is checked; a packet too
    /// short for its own headers throws naming the field.
    init(parsing buffer: PacketBuffer) throws(PacketError) {
        let layout = try IPLayout(buffer)
        var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
        if layout.nextHeader == 6 || layout.nextHeader == 17, !(try Self.isLaterFragment(buffer, layout)) {
            sourcePort = try buffer.uint16(at: layout.insertionOffset, field: "transport source port")
            destinationPort = try buffer.uint16(at: layout.insertionOffset + 2, field: "transport destination port")
        }
        self.init(source: layout.source, destination: layout.destination, protocolNumber: layout.nextHeader,
                  sourcePort: sourcePort, destinationPort: destinationPort)
    }

    /// IPv4 fragment offset ≠ 0 (RFC 791): the transport header is in the first fragment only.
    private static func isLaterFragment(_ buffer: PacketBuffer, _ layout: IPLayout) throws(PacketError) -> Bool {
        guard layout.version == 4 else { return false }
        return try buffer.uint16(at: 6, field: "IPv4 fragment offset") & 0x1FFF != 0
    }
}
