import Packet

/// ICMP echo packets (IPv4), built and answered in place: the traffic that proves the keys.
enum EchoTraffic {
    /// An echo request from `source` to `destination` with a recognisable payload.
    static func request(from source: IPAddress, to destination: IPAddress, sequence: UInt16) -> [UInt8] {
        guard case .v4(let s) = source, case .v4(let d) = destination else { return [] }
        var icmp: [UInt8] = [8, 0, 0, 0, 0x57, 0x41, UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + Array("ward-ike-peer echo".utf8)
        let checksum = sum(icmp)
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xFF)
        return ipv4(protocol: 1, source: s, destination: d, payload: icmp)
    }

    /// An IPv4 header around `payload` (checksum filled).
    static func ipv4(protocol number: UInt8, source: IPv4Address, destination: IPv4Address, payload: [UInt8]) -> [UInt8] {
        let length = 20 + payload.count
        var header: [UInt8] = [0x45, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0x40, 0, 64, number, 0, 0]
            + source.octets + destination.octets
        let checksum = sum(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xFF)
        return header + payload
    }

    /// A received UDP payload made whole again (IP + UDP headers), as the SAD expects packets.
    /// The UDP checksum stays zero: RFC 3948 §3.1 lets an ESP-in-UDP receiver ignore it.
    static func udpPacket(_ payload: [UInt8], from source: IPAddress, _ sourcePort: UInt16, to destination: IPAddress, _ destinationPort: UInt16) -> [UInt8] {
        let length = 8 + payload.count
        let udp: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
                            UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
        switch (source, destination) {
        case let (.v4(s), .v4(d)):
            return ipv4(protocol: 17, source: s, destination: d, payload: udp + payload)
        case let (.v6(s), .v6(d)):
            return [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 17, 64] + s.octets + d.octets + udp + payload
        default:
            return []
        }
    }

    /// Bytes of the outer IP and UDP headers of an ESP-in-UDP packet from `address`.
    static func outerHeaderLength(_ address: IPAddress) -> Int { address.isIPv4 ? 28 : 48 }

    static func sum(_ bytes: [UInt8]) -> UInt16 {
        var checksum = InternetChecksum()
        bytes.withUnsafeBytes { checksum.add($0) }
        return checksum.value
    }

    /// What an inner packet is to the peer tool.
    enum Kind { case request, reply, other }

    static func kind(_ packet: [UInt8]) -> Kind {
        guard packet.count >= 28, packet[0] >> 4 == 4, packet[9] == 1 else { return .other }
        let offset = Int(packet[0] & 0x0F) * 4
        guard packet.count > offset else { return .other }
        switch packet[offset] {
        case 8: return .request
        case 0: return .reply
        default: return .other
        }
    }

    /// The echo reply to a request: addresses swapped, type 0, checksums recomputed.
    static func reply(to request: [UInt8]) -> [UInt8] {
        let offset = Int(request[0] & 0x0F) * 4
        var icmp = Array(request[offset...])
        icmp[0] = 0
        icmp[2] = 0
        icmp[3] = 0
        let checksum = sum(icmp)
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xFF)
        let source = IPv4Address(request[12], request[13], request[14], request[15])
        let destination = IPv4Address(request[16], request[17], request[18], request[19])
        return ipv4(protocol: 1, source: destination, destination: source, payload: icmp)
    }
}
