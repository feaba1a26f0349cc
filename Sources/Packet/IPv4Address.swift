/// An IPv4 address held as a 32-bit integer in host byte order.
///
/// Parsing is strict: exactly four decimal octets 0–255, no leading `+`, no octal or hex forms
/// (the lenient `inet_aton` forms such as `10.1` are refused, so a typo never becomes a
/// different address).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a big-endian number: `10.0.0.1` is `0x0A00_0001`.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad notation; returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                result = result << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                guard digits <= 3, octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        value = result << 8 | octet
    }

    /// The four octets in network order.
    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    public var isMulticast: Bool { value >> 28 == 0xE }
    public var isLoopback: Bool { value >> 24 == 127 }

    public var description: String { octets.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}
