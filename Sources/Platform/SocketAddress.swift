import Foundation
import Packet

/// IPv4 and IPv6 socket addresses to and from Ward's address type, for the socket calls.
enum SocketAddress {
    /// Calls `body` with a `sockaddr` for `address`:`port` and its length.
    static func with<Result>(_ address: IPAddress, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch address {
        case .v4(let v4):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = port.bigEndian
            storage.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let v6):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { bytes in
                for (index, byte) in v6.octets.enumerated() { bytes[index] = byte }
            }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// The address and port in a `sockaddr_storage` filled by the kernel, or nil for another family.
    static func decode(_ storage: sockaddr_storage) -> (IPAddress, UInt16)? {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer -> (IPAddress, UInt16)? in
            switch Int32(storage.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    (.v4(IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))), UInt16(bigEndian: $0.pointee.sin_port))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    (.v6(withUnsafeBytes(of: v6.pointee.sin6_addr) { IPv6Address(octets: $0) }), UInt16(bigEndian: v6.pointee.sin6_port))
                }
            default:
                return nil
            }
        }
    }
}

/// A socket call that failed: what was attempted and the system's reason.
public struct SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var reason: String

    init(_ operation: String, errno code: Int32 = errno) {
        self.operation = operation
        reason = String(cString: strerror(code))
    }

    public var description: String { "\(operation): \(reason)" }
}
