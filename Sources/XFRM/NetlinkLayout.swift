import Packet

/// Netlink framing (RFC 3549, `linux/netlink.h`): a 16-byte header, then the body, padded to 4
/// bytes; attributes are 4-byte-aligned `length, type, value` records.
public enum Netlink {
    public static let headerLength = 16
    /// `nlmsg_type` values common to every netlink family.
    public static let error: UInt16 = 2
    public static let done: UInt16 = 3

    /// `nlmsg_flags`.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let request = Flags(rawValue: 0x1)
        public static let multi = Flags(rawValue: 0x2)
        public static let acknowledge = Flags(rawValue: 0x4)
        /// NLM_F_ROOT | NLM_F_MATCH.
        public static let dump = Flags(rawValue: 0x300)
    }

    static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }
}

/// Writes a C struct of `linux/xfrm.h` field by field at its offset: the LP64 layout of x86-64
/// and arm64, host byte order except where the header says `__be16`/`__be32`.
struct StructWriter {
    private(set) var bytes: [UInt8]

    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func u8(_ value: UInt8, at offset: Int) { bytes[offset] = value }
    mutating func u16(_ value: UInt16, at offset: Int) { put(value.littleEndian, at: offset) }
    mutating func be16(_ value: UInt16, at offset: Int) { put(value.bigEndian, at: offset) }
    mutating func u32(_ value: UInt32, at offset: Int) { put(value.littleEndian, at: offset) }
    mutating func be32(_ value: UInt32, at offset: Int) { put(value.bigEndian, at: offset) }
    mutating func u64(_ value: UInt64, at offset: Int) { put(value.littleEndian, at: offset) }

    /// `xfrm_address_t`: 16 bytes, IPv4 in the first four, network order; nil writes zeros.
    mutating func address(_ address: IPAddress?, at offset: Int) {
        switch address {
        case .v4(let v4): be32(v4.value, at: offset)
        case .v6(let v6):
            put(v6.high.bigEndian, at: offset)
            put(v6.low.bigEndian, at: offset + 8)
        case nil: break
        }
    }

    mutating func bytes(_ value: some Collection<UInt8>, at offset: Int) {
        bytes.replaceSubrange(offset..<offset + value.count, with: value)
    }

    private mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value) { raw in bytes.replaceSubrange(offset..<offset + raw.count, with: raw) }
    }
}

/// A netlink or XFRM message could not be read: which field, at which offset, and why.
public struct XFRMDecodingError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var offset: Int
    public var reason: String
    public var description: String { "\(field) at byte \(offset): \(reason)" }
}

/// Reads a C struct of `linux/xfrm.h` at checked offsets; every read names its field.
struct StructReader {
    let bytes: ArraySlice<UInt8>
    /// Where this struct starts in the whole message (for error offsets).
    let origin: Int

    init(_ bytes: ArraySlice<UInt8>, origin: Int) {
        self.bytes = bytes
        self.origin = origin
    }

    func require(_ size: Int, _ name: String) throws(XFRMDecodingError) {
        guard bytes.count >= size else {
            throw XFRMDecodingError(field: name, offset: origin, reason: "needs \(size) bytes, has \(bytes.count)")
        }
    }

    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ name: String) throws(XFRMDecodingError) -> T {
        guard offset >= 0, offset + MemoryLayout<T>.size <= bytes.count else {
            throw XFRMDecodingError(field: name, offset: origin + offset, reason: "past the end (\(bytes.count) bytes)")
        }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<raw.count { raw[index] = bytes[bytes.startIndex + offset + index] }
        }
        return value
    }

    func u8(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt8 { try load(UInt8.self, at: offset, name) }
    func u16(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt16 { UInt16(littleEndian: try load(UInt16.self, at: offset, name)) }
    func be16(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt16 { UInt16(bigEndian: try load(UInt16.self, at: offset, name)) }
    func u32(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt32 { UInt32(littleEndian: try load(UInt32.self, at: offset, name)) }
    func be32(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt32 { UInt32(bigEndian: try load(UInt32.self, at: offset, name)) }
    func u64(at offset: Int, _ name: String) throws(XFRMDecodingError) -> UInt64 { UInt64(littleEndian: try load(UInt64.self, at: offset, name)) }

    /// An `xfrm_address_t` of the given address family (AF_INET 2, AF_INET6 10).
    func address(at offset: Int, family: UInt16, _ name: String) throws(XFRMDecodingError) -> IPAddress {
        switch family {
        case XFRMFamily.inet:
            return .v4(IPv4Address(try be32(at: offset, name)))
        case XFRMFamily.inet6:
            let high = UInt64(bigEndian: try load(UInt64.self, at: offset, name)), low = UInt64(bigEndian: try load(UInt64.self, at: offset + 8, name))
            return .v6(IPv6Address(high: high, low: low))
        default:
            throw XFRMDecodingError(field: name, offset: origin + offset, reason: "address family \(family) is neither AF_INET nor AF_INET6")
        }
    }
}

/// Address families as the kernel numbers them.
public enum XFRMFamily {
    public static let inet: UInt16 = 2
    public static let inet6: UInt16 = 10

    static func of(_ address: IPAddress) -> UInt16 { address.isIPv4 ? inet : inet6 }
}
