import Foundation
import Packet

/// Raw IP sockets: one that receives a protocol (ESP, 50; AH, 51) whole with its IP header,
/// and one that sends complete packets the caller built (IP_HDRINCL). Both carry the agent's
/// socket mark, so the packet-filter rules let what the agent sends leave untouched instead of
/// routing it back into the agent.
public final class RawIPSocket {
    public let descriptor: Int32

    /// A receiving socket for IPv4 `protocolNumber`, or a sending one (`protocolNumber` nil:
    /// IPPROTO_RAW, header included — for IPv6 too when `ipv6`, where IPPROTO_RAW implies it).
    public init(receiving protocolNumber: UInt8?, mark: UInt32, ipv6: Bool = false) throws(SocketError) {
        let proto = protocolNumber.map(Int32.init) ?? Int32(IPPROTO_RAW)
        let descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        guard descriptor >= 0 else { throw SocketError("raw socket for protocol \(proto)") }
        var value = mark
        guard setsockopt(descriptor, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            let error = SocketError("SO_MARK on raw socket")
            close(descriptor)
            throw error
        }
        if protocolNumber == nil && !ipv6 {
            var on: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_IP), IP_HDRINCL, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Reads one packet (IP header included) into `buffer`. False when none waits.
    public func read(into buffer: PacketBuffer) -> Bool {
        buffer.fill { room in recv(descriptor, room.baseAddress, room.count, 0) } > 0
    }

    /// Sends a complete IP packet (of the socket's family) to `destination`.
    @discardableResult
    public func send(_ packet: UnsafeRawBufferPointer, to destination: IPAddress) -> Bool {
        SocketAddress.with(destination, port: 0) { sendto(descriptor, packet.baseAddress, packet.count, 0, $0, $1) } == packet.count
    }
}
