import Packet

/// The dynamic "server type" addresses Windows Server 2003 introduced: the filter follows the
/// machine's current configuration (reference a.6).
public enum ServerType: String, CaseIterable, Codable, Sendable {
    case dns = "DNS", wins = "WINS", dhcp = "DHCP", gateway = "GATEWAY"
}

/// One side of a filter: which addresses it matches.
public enum FilterAddress: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Every address of this computer.
    case me
    /// Every address.
    case any
    /// A host (prefix /32 or /128) or a subnet.
    case subnet(Subnet)
    /// The current DNS, WINS, DHCP server(s) or default gateway; the other side is `me`.
    case server(ServerType)

    /// Whether the address comes from the machine's configuration rather than the filter.
    public var isServer: Bool { if case .server = self { true } else { false } }

    /// The address family this side is restricted to (nil for `me`, `any` and server types).
    public var family: Int? { if case .subnet(let s) = self { s.network.bitWidth } else { nil } }

    public var description: String {
        switch self {
        case .me: "me"
        case .any: "any"
        case .subnet(let s): s.description
        case .server(let type): type.rawValue
        }
    }
}

/// The IP protocol a filter matches: any, or one protocol number.
public struct ProtocolSelector: Hashable, Codable, Sendable, CustomStringConvertible {
    /// nil = any protocol.
    public var number: UInt8?

    public init(_ number: UInt8?) { self.number = number }

    public static let any = ProtocolSelector(nil)
    public static let icmp = ProtocolSelector(1)
    public static let tcp = ProtocolSelector(6)
    public static let udp = ProtocolSelector(17)
    /// netsh `RAW` (reference g.20).
    public static let raw = ProtocolSelector(255)

    /// Accepts ANY, ICMP, TCP, UDP, RAW or 0–255 (0 meaning any, as in Windows' stored form).
    public init(netsh text: String) throws(ValidationError) {
        switch text.uppercased() {
        case "ANY": self = .any
        case "ICMP": self = .icmp
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "RAW": self = .raw
        default:
            guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), (0...255).contains(value) else {
                throw ValidationError(field: "protocol", "'\(text)' is not ANY, ICMP, TCP, UDP, RAW or a number 0-255")
            }
            self = value == 0 ? .any : ProtocolSelector(UInt8(value))
        }
    }

    /// Only TCP and UDP carry ports a filter may select.
    public var hasPorts: Bool { number == 6 || number == 17 }

    /// ANY, ICMP, TCP, UDP, RAW or the number.
    public var description: String {
        switch number {
        case nil: "ANY"
        case 1: "ICMP"
        case 6: "TCP"
        case 17: "UDP"
        case 255: "RAW"
        case let n?: String(n)
        }
    }
}
