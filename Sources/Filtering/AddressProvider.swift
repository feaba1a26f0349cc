import Packet
import Policy

/// The machine's addresses and servers that `me` and the dynamic server types stand for
/// (reference a.6). Injected, so tests and the agent decide where they come from; the agent
/// recompiles the table when `generation` changes.
public protocol AddressProvider {
    /// Every address of this computer (`me`).
    var localAddresses: [IPAddress] { get }
    /// The current servers of a type (DNS from resolv.conf, DHCP from leases, the default
    /// gateway from the routing table, WINS from Ward's configuration).
    func servers(_ type: ServerType) -> [IPAddress]
    /// Directed-broadcast addresses of the local subnets (exemptions and the multicast rule).
    var broadcastAddresses: [IPAddress] { get }
}

/// A fixed provider (tests, and the `trace` command's overrides).
public struct StaticAddressProvider: AddressProvider, Sendable {
    public var localAddresses: [IPAddress]
    public var serverTable: [ServerType: [IPAddress]]
    public var broadcastAddresses: [IPAddress]

    public init(local: [IPAddress], servers: [ServerType: [IPAddress]] = [:], broadcast: [IPAddress] = []) {
        localAddresses = local
        serverTable = servers
        broadcastAddresses = broadcast
    }

    public func servers(_ type: ServerType) -> [IPAddress] { serverTable[type] ?? [] }
}
