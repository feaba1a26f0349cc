import Foundation
import Packet

/// The addresses of this machine's interfaces (getifaddrs), and the IPv4 directed broadcasts.
enum InterfaceAddresses {
    static func current() -> (local: [IPAddress], broadcast: [IPAddress]) {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0, let list = first else { return ([], []) }
        defer { freeifaddrs(list) }
        var local: [IPAddress] = [], broadcast: [IPAddress] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
                if !v4.isLoopback { local.append(.v4(v4)) }
                if let mask = entry.pointee.ifa_netmask, !v4.isLoopback {
                    let m = mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                    if m != UInt32.max { broadcast.append(.v4(IPv4Address(v4.value | ~m))) }
                }
            case AF_INET6:
                let v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer -> IPv6Address in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { IPv6Address(octets: $0) }
                }
                if !(v6.high == 0 && v6.low == 1) { local.append(.v6(v6)) }
            default:
                continue
            }
        }
        return (local, broadcast)
    }
}
