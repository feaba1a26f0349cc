import Foundation
import Packet

/// A non-blocking UDP socket bound to one local address and port — IKE's 500 and 4500. The
/// caller polls ``descriptor`` and drains with ``receive(into:)``; nothing here allocates per
/// datagram.
public final class UDPSocket {
    public let descriptor: Int32
    public let address: IPAddress
    /// The bound port (the kernel's choice when 0 was asked for).
    public let port: UInt16

    /// Binds `address`:`port` (port 0: any free port). Throws naming the address and port.
    /// `mark`: the socket mark (SO_MARK) its packets carry — the agent's, so that the packet
    /// filter never steers IKE back into the agent.
    public init(address: IPAddress, port: UInt16, mark: UInt32? = nil) throws(SocketError) {
        let family = address.isIPv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket for \(address)") }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if var mark { setsockopt(descriptor, SOL_SOCKET, SO_MARK, &mark, socklen_t(MemoryLayout<UInt32>.size)) }
        if !address.isIPv4 { setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size)) }
        let bound = SocketAddress.with(address, port: port) { bind(descriptor, $0, $1) }
        guard bound == 0 else {
            let error = SocketError("bind \(address) port \(port)")
            close(descriptor)
            throw error
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        guard named == 0, let (_, boundPort) = SocketAddress.decode(storage) else {
            let error = SocketError("getsockname \(address)")
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.address = address
        self.port = boundPort
    }

    deinit { close(descriptor) }

    /// Lets the kernel take ESP in UDP off this socket (UDP_ENCAP_ESPINUDP, RFC 3948): ESP goes
    /// to the SAD, keepalives are dropped, IKE (non-ESP marker) still arrives here. The
    /// kernel datapath needs it on port 4500.
    public func decapsulateESPInKernel() throws(SocketError) {
        var type: Int32 = 2  // UDP_ENCAP_ESPINUDP
        guard setsockopt(descriptor, Int32(IPPROTO_UDP), 100 /* UDP_ENCAP */, &type, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError("UDP_ENCAP on \(address) port \(port)")
        }
    }

    /// Reads one waiting datagram into `buffer`: its length and sender, or nil when none waits.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, from: IPAddress, port: UInt16)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, buffer.baseAddress, buffer.count, 0, $0, &length) }
        }
        guard count >= 0, let (from, port) = SocketAddress.decode(storage) else { return nil }
        return (count, from, port)
    }

    /// Sends one datagram. Throws naming the destination when the kernel refuses it.
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: IPAddress, port: UInt16) throws(SocketError) {
        let sent = SocketAddress.with(destination, port: port) { sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, $1) }
        guard sent == bytes.count else { throw SocketError("send \(bytes.count) bytes to \(destination) port \(port)") }
    }
}
