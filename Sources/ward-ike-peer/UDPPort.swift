import Foundation
import Packet

/// A UDP socket bound to one local IPv4 address and port (500 or 4500).
struct UDPPort {
    let descriptor: Int32
    let port: UInt16

    init(address: IPAddress, port: UInt16) {
        guard case .v4(let v4) = address else { Options.fail("IPv4 only") }
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { Options.fail("socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        bound.sin_port = port.bigEndian
        bound.sin_addr.s_addr = v4.value.bigEndian
        let result = withUnsafePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard result == 0 else { Options.fail("bind \(address):\(port): \(String(cString: strerror(errno)))") }
        self.descriptor = descriptor
        self.port = port
    }

    /// One datagram and its sender, or nil when none is waiting.
    func receive() -> (payload: [UInt8], from: IPAddress, port: UInt16)? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, &length) } }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer.prefix(count)), .v4(IPv4Address(UInt32(bigEndian: from.sin_addr.s_addr))), UInt16(bigEndian: from.sin_port))
    }

    func send(_ payload: [UInt8], to address: IPAddress, port: UInt16) {
        guard case .v4(let v4) = address else { return }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = v4.value.bigEndian
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if sent != payload.count { print("send to \(address):\(port) failed: \(String(cString: strerror(errno)))") }
    }
}
