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

/// Receives ESP over IPv6. An IPv6 raw socket delivers the payload without the IPv6 header
/// (RFC 3542 §3), so the header is rebuilt in front of it — source from the sender's address,
/// destination from IPV6_PKTINFO — and the SAD sees the packet as it crossed the wire
/// (extension headers before ESP are not kept; transport mode restores the next header).
public final class RawESP6Socket {
    public let descriptor: Int32
    /// Ancillary data of each receive, allocated once.
    private var control = [UInt8](repeating: 0, count: 64)

    public init(mark: UInt32) throws(SocketError) {
        let descriptor = socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 50)
        guard descriptor >= 0 else { throw SocketError("raw IPv6 socket for ESP") }
        var value = mark
        setsockopt(descriptor, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size))
        var on: Int32 = 1
        guard setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let error = SocketError("IPV6_RECVPKTINFO")
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Reads one ESP packet and puts an IPv6 header (40 bytes, next header 50) in front of it.
    /// False when none waits or the packet cannot be framed.
    public func read(into buffer: PacketBuffer) -> Bool {
        var source = sockaddr_in6()
        var destination: IPv6Address?
        let count = buffer.fill(headroom: 256) { room -> Int in
            var vector = iovec(iov_base: room.baseAddress, iov_len: room.count)
            return withUnsafeMutablePointer(to: &source) { sourcePointer in
                control.withUnsafeMutableBytes { controlBytes in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(sourcePointer)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let received = withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        return recvmsg(descriptor, &message, 0)
                    }
                    guard received >= 0 else { return received }
                    // struct cmsghdr { size_t len; int level; int type; } then in6_pktinfo
                    // { struct in6_addr addr; unsigned ifindex; } (RFC 3542 §6.1).
                    var offset = 0
                    let headerSize = MemoryLayout<Int>.size + 8
                    while offset + headerSize + 16 <= message.msg_controllen {
                        let length = controlBytes.load(fromByteOffset: offset, as: Int.self)
                        let level = controlBytes.load(fromByteOffset: offset + MemoryLayout<Int>.size, as: Int32.self)
                        let type = controlBytes.load(fromByteOffset: offset + MemoryLayout<Int>.size + 4, as: Int32.self)
                        guard length >= headerSize else { break }
                        if level == Int32(IPPROTO_IPV6) && type == IPV6_PKTINFO {
                            destination = IPv6Address(octets: UnsafeRawBufferPointer(rebasing: controlBytes[(offset + headerSize)..<(offset + headerSize + 16)]))
                        }
                        offset += (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
                    }
                    return received
                }
            }
        }
        guard count > 0, let destination, count <= 65_535, let header = try? buffer.prepend(40) else { return false }
        header.initializeMemory(as: UInt8.self, repeating: 0)
        header[0] = 0x60
        header[4] = UInt8(count >> 8)
        header[5] = UInt8(count & 0xFF)
        header[6] = 50
        header[7] = 64
        withUnsafeBytes(of: source.sin6_addr) { for index in 0..<16 { header[8 + index] = $0[index] } }
        for index in 0..<8 {
            header[24 + index] = UInt8(truncatingIfNeeded: destination.high >> (56 - 8 * UInt64(index)))
            header[32 + index] = UInt8(truncatingIfNeeded: destination.low >> (56 - 8 * UInt64(index)))
        }
        return true
    }
}
