import Filtering
import Foundation
import Packet
import Policy

/// The machine's addresses and servers, read from where Linux keeps them (reference a.6):
/// local addresses from the interfaces, DNS servers from resolv.conf, the default gateway from
/// the routing table, DHCP servers from client lease files, WINS servers from Ward's own
/// configuration (Linux has no WINS client). A value: the agent reads one, compares it with the
/// last, and recompiles the filter table when it changed.
public struct SystemConfiguration: AddressProvider, Equatable, Sendable {
    public var localAddresses: [IPAddress]
    public var broadcastAddresses: [IPAddress]
    public var dnsServers: [IPAddress]
    public var gateways: [IPAddress]
    public var dhcpServers: [IPAddress]
    public var winsServers: [IPAddress]

    public init(localAddresses: [IPAddress] = [], broadcastAddresses: [IPAddress] = [], dnsServers: [IPAddress] = [],
                gateways: [IPAddress] = [], dhcpServers: [IPAddress] = [], winsServers: [IPAddress] = []) {
        self.localAddresses = localAddresses
        self.broadcastAddresses = broadcastAddresses
        self.dnsServers = dnsServers
        self.gateways = gateways
        self.dhcpServers = dhcpServers
        self.winsServers = winsServers
    }

    public func servers(_ type: ServerType) -> [IPAddress] {
        switch type {
        case .dns: dnsServers
        case .wins: winsServers
        case .dhcp: dhcpServers
        case .gateway: gateways
        }
    }

    /// Where `read` looks; tests point these at files of their own.
    public struct Paths: Sendable {
        public var resolvConf = "/etc/resolv.conf"
        public var ipv4Routes = "/proc/net/route"
        public var ipv6Routes = "/proc/net/ipv6_route"
        public var leaseDirectories = ["/var/lib/dhcp", "/var/lib/dhclient", "/run/systemd/netif/leases"]
        public var winsFile = "/etc/ward/wins"
        public init() {}
    }

    /// Reads the current configuration. Missing files mean "none of that kind", not an error.
    public static func read(paths: Paths = Paths()) -> SystemConfiguration {
        let (local, broadcast) = InterfaceAddresses.current()
        func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        var dhcp: [IPAddress] = []
        for directory in paths.leaseDirectories {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                dhcp += ConfigurationParsers.dhcpServers(inLease: text(directory + "/" + file))
            }
        }
        return SystemConfiguration(
            localAddresses: local, broadcastAddresses: broadcast,
            dnsServers: ConfigurationParsers.nameservers(inResolvConf: text(paths.resolvConf)),
            gateways: ConfigurationParsers.defaultGateways(ipv4Routes: text(paths.ipv4Routes), ipv6Routes: text(paths.ipv6Routes)),
            dhcpServers: unique(dhcp), winsServers: ConfigurationParsers.addressList(text(paths.winsFile)))
    }

    static func unique(_ addresses: [IPAddress]) -> [IPAddress] {
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}

/// Pure parsers of the configuration files, tested with fixed texts.
public enum ConfigurationParsers {
    /// `nameserver ADDRESS` lines of resolv.conf (comments and other keywords ignored).
    public static func nameservers(inResolvConf text: String) -> [IPAddress] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            return IPAddress(words[1].split(separator: "%")[0])  // drop an IPv6 zone
        }
    }

    /// Default routes' gateways: /proc/net/route (hex, little-endian) and /proc/net/ipv6_route.
    public static func defaultGateways(ipv4Routes: String, ipv6Routes: String) -> [IPAddress] {
        var gateways: [IPAddress] = []
        for line in ipv4Routes.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, fields[1] == "00000000", fields[7] == "00000000",
                  let gateway = UInt32(fields[2], radix: 16), gateway != 0 else { continue }
            gateways.append(.v4(IPv4Address(gateway.byteSwapped)))
        }
        for line in ipv6Routes.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 10, fields[0] == String(repeating: "0", count: 32), fields[1] == "00",
                  fields[4].count == 32, fields[4] != Substring(String(repeating: "0", count: 32)),
                  let high = UInt64(fields[4].prefix(16), radix: 16), let low = UInt64(fields[4].suffix(16), radix: 16) else { continue }
            gateways.append(.v6(IPv6Address(high: high, low: low)))
        }
        return SystemConfiguration.unique(gateways)
    }

    /// The DHCP server of a lease: ISC dhclient (`option dhcp-server-identifier A;`) or
    /// systemd-networkd (`SERVER_ADDRESS=A`).
    public static func dhcpServers(inLease text: String) -> [IPAddress] {
        text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingBlanks
            if trimmed.hasPrefix("option dhcp-server-identifier ") {
                return IPAddress(trimmed.dropFirst("option dhcp-server-identifier ".count).prefix { $0 != ";" })
            }
            if trimmed.hasPrefix("SERVER_ADDRESS=") { return IPAddress(trimmed.dropFirst("SERVER_ADDRESS=".count)) }
            return nil
        }
    }

    /// One address per line; `#` comments.
    public static func addressList(_ text: String) -> [IPAddress] {
        text.split(separator: "\n").compactMap { IPAddress($0.split(separator: "#").first.map { $0.trimmingBlanks } ?? "") }
    }
}
