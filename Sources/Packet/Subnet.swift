/// An address prefix: a network address and a prefix length (`10.77.0.0/16`, `fd77::/16`).
///
/// The network address is always stored with its host bits cleared, so two spellings of the
/// same subnet compare equal.
public struct Subnet: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Builds a subnet, clearing host bits; fails when the prefix is longer than the family allows.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitWidth).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        network = Subnet.masked(address, prefixLength)
    }

    /// A single host (/32 or /128).
    public init(host: IPAddress) {
        network = host
        prefixLength = host.bitWidth
    }

    /// Parses `address/prefix`, or a bare address as a host.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        if parts.count == 1 {
            self.init(host: address)
        } else if parts.count == 2, let length = Int(parts[1]), parts[1].allSatisfy(\.isNumber) {
            self.init(address: address, prefixLength: length)
        } else {
            return nil
        }
    }

    public var isHost: Bool { prefixLength == network.bitWidth }

    /// Whether `address` lies inside this subnet (always false across families).
    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address) {
        case (.v4, .v4), (.v6, .v6): Subnet.masked(address, prefixLength) == network
        default: false
        }
    }

    /// Whether every address of `other` lies inside this subnet (always false across families).
    public func contains(_ other: Subnet) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    /// The IPv4 netmask (`255.255.255.0` for /24); nil for IPv6.
    public var ipv4Mask: IPv4Address? {
        guard network.isIPv4 else { return nil }
        return IPv4Address(Subnet.v4MaskValue(prefixLength))
    }

    /// Host spelling for a host subnet, `network/prefix` otherwise.
    public var description: String { isHost ? network.description : "\(network)/\(prefixLength)" }

    static func v4MaskValue(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << (32 - UInt32(prefix))
    }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        switch address {
        case .v4(let a):
            return .v4(IPv4Address(a.value & v4MaskValue(prefix)))
        case .v6(let a):
            let highMask: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : UInt64.max << (64 - UInt64(prefix)))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : UInt64.max << (128 - UInt64(prefix)))
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }
}

/// Parses netsh mask notation: a dotted IPv4 netmask (`255.255.0.0`) or a prefix length
/// (`16`, also written `/16`).
public enum PrefixLength {
    /// The prefix length the mask text denotes for an address of `bitWidth` bits, or nil when the
    /// text is neither a contiguous netmask nor a prefix length within 0...bitWidth.
    public static func parse(_ text: some StringProtocol, bitWidth: Int = 32) -> Int? {
        let trimmed = text.hasPrefix("/") ? Substring(text.dropFirst()) : Substring(text)
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard trimmed.count <= 3, let length = Int(trimmed), (0...bitWidth).contains(length) else { return nil }
            return length
        }
        guard bitWidth == 32, let mask = IPv4Address(trimmed) else { return nil }
        return of(mask: mask)
    }

    /// The prefix length of an IPv4 netmask, or nil when the mask is not contiguous.
    public static func of(mask: IPv4Address) -> Int? {
        let ones = mask.value.leadingZeroBitCount == 0 ? (~mask.value).leadingZeroBitCount : 0
        // Contiguous means: `ones` leading 1 bits and nothing after them.
        guard Subnet.v4MaskValue(ones) == mask.value else { return nil }
        return ones
    }
}

extension Subnet: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let subnet = Subnet(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not an address or address/prefix"))
        }
        self = subnet
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("\(network)/\(prefixLength)")
    }
}
