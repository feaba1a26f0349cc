import Foundation
import Packet

/// Turns a DNS name into addresses. netsh resolves a name once, when the command runs
/// (reference a.6), so this is the only network lookup the command language makes.
public protocol NameResolver: Sendable {
    /// The addresses `name` resolves to, or an empty list when it does not resolve.
    func resolve(_ name: String) -> [IPAddress]
    /// The name an address reverse-resolves to (`resolvedns=yes`), or nil.
    func name(for address: IPAddress) -> String?
}

/// The system resolver (`getaddrinfo`): /etc/hosts, DNS, whatever nsswitch says.
public struct SystemNameResolver: NameResolver {
    public init() {}

    public func resolve(_ name: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
               let address = IPAddress(Self.text(buffer)), !addresses.contains(address) {
                addresses.append(address)
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func name(for address: IPAddress) -> String? {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address.description, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NAMEREQD) == 0
        else { return nil }
        return Self.text(buffer)
    }
}

/// A fixed table of names, for tests and offline use.
public struct StaticNameResolver: NameResolver {
    public var table: [String: [IPAddress]]

    public init(_ table: [String: [IPAddress]]) { self.table = table }

    public func resolve(_ name: String) -> [IPAddress] { table[name.lowercased()] ?? [] }

    public func name(for address: IPAddress) -> String? {
        table.first { $0.value.contains(address) }?.key
    }
}
