import Foundation
import Packet

/// The address this host sends from to reach a destination, as the kernel's routing chooses it:
/// a UDP socket is connected (nothing is sent) and asked its local name. IKE needs it for a
/// tunnel rule, whose traffic's own source address is an inner one.
public enum SourceAddress {
    public static func toward(_ destination: IPAddress) -> IPAddress? {
        let descriptor = socket(destination.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard SocketAddress.with(destination, port: 500, { connect(descriptor, $0, $1) }) == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        guard named == 0 else { return nil }
        return SocketAddress.decode(storage)?.0
    }
}
