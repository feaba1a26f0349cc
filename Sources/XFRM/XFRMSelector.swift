import Packet

/// `struct xfrm_selector`: the traffic a policy or state applies to. Ports are exact or any
/// (mask 0xFFFF or 0); protocol 0 is any. Both subnets are of one family.
public struct XFRMSelector: Hashable, Sendable, CustomStringConvertible {
    public var source: Subnet
    public var destination: Subnet
    public var protocolNumber: UInt8
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// `sel.user`: the kernel compares it when it asks whether two policies are the same one,
    /// but never when it matches a packet. A non-zero tag lets a second policy with the same
    /// traffic live beside the first (a soft association's clear path next to its filter).
    public var owner: UInt32

    public init(source: Subnet, destination: Subnet, protocolNumber: UInt8 = 0, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0,
                owner: UInt32 = 0) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.owner = owner
    }

    static let size = 56

    var family: UInt16 { XFRMFamily.of(source.network) }

    func write(into writer: inout StructWriter, at base: Int) {
        writer.address(destination.network, at: base + 0)      // daddr
        writer.address(source.network, at: base + 16)          // saddr
        writer.be16(destinationPort, at: base + 32)            // dport
        writer.be16(destinationPort == 0 ? 0 : 0xFFFF, at: base + 34)  // dport_mask
        writer.be16(sourcePort, at: base + 36)                 // sport
        writer.be16(sourcePort == 0 ? 0 : 0xFFFF, at: base + 38)  // sport_mask
        writer.u16(family, at: base + 40)                      // family
        writer.u8(UInt8(destination.prefixLength), at: base + 42)  // prefixlen_d
        writer.u8(UInt8(source.prefixLength), at: base + 43)   // prefixlen_s
        writer.u8(protocolNumber, at: base + 44)               // proto
        writer.u32(owner, at: base + 52)                       // user (ifindex at 48 stays 0: every interface)
    }

    static func read(_ reader: StructReader, at base: Int) throws(XFRMDecodingError) -> XFRMSelector {
        let family = try reader.u16(at: base + 40, "selector.family")
        let destination = try reader.address(at: base + 0, family: family, "selector.daddr")
        let source = try reader.address(at: base + 16, family: family, "selector.saddr")
        let destinationPrefix = Int(try reader.u8(at: base + 42, "selector.prefixlen_d"))
        let sourcePrefix = Int(try reader.u8(at: base + 43, "selector.prefixlen_s"))
        guard let destinationSubnet = Subnet(address: destination, prefixLength: destinationPrefix) else {
            throw XFRMDecodingError(field: "selector.prefixlen_d", offset: reader.origin + base + 42, reason: "\(destinationPrefix) is too long for \(destination)")
        }
        guard let sourceSubnet = Subnet(address: source, prefixLength: sourcePrefix) else {
            throw XFRMDecodingError(field: "selector.prefixlen_s", offset: reader.origin + base + 43, reason: "\(sourcePrefix) is too long for \(source)")
        }
        let destinationMask = try reader.be16(at: base + 34, "selector.dport_mask"), sourceMask = try reader.be16(at: base + 38, "selector.sport_mask")
        return XFRMSelector(source: sourceSubnet, destination: destinationSubnet, protocolNumber: try reader.u8(at: base + 44, "selector.proto"),
                            sourcePort: sourceMask == 0 ? 0 : try reader.be16(at: base + 36, "selector.sport"),
                            destinationPort: destinationMask == 0 ? 0 : try reader.be16(at: base + 32, "selector.dport"),
                            owner: try reader.u32(at: base + 52, "selector.user"))
    }

    public var description: String {
        "\(source) → \(destination) proto \(protocolNumber == 0 ? "any" : String(protocolNumber)) ports \(sourcePort)→\(destinationPort)"
    }
}

/// `struct xfrm_lifetime_cfg` limits: 0 here means none (the kernel's XFRM_INF for counts).
public struct XFRMLifetime: Hashable, Sendable {
    public var softBytes: UInt64 = 0
    public var hardBytes: UInt64 = 0
    public var softSeconds: UInt64 = 0
    public var hardSeconds: UInt64 = 0
    /// Idle time after which the object goes (`hard_use_expires_seconds`).
    public var hardIdleSeconds: UInt64 = 0

    public init(softBytes: UInt64 = 0, hardBytes: UInt64 = 0, softSeconds: UInt64 = 0, hardSeconds: UInt64 = 0, hardIdleSeconds: UInt64 = 0) {
        self.softBytes = softBytes
        self.hardBytes = hardBytes
        self.softSeconds = softSeconds
        self.hardSeconds = hardSeconds
        self.hardIdleSeconds = hardIdleSeconds
    }

    static let size = 64

    func write(into writer: inout StructWriter, at base: Int) {
        let infinite = UInt64.max
        writer.u64(softBytes == 0 ? infinite : softBytes, at: base + 0)   // soft_byte_limit
        writer.u64(hardBytes == 0 ? infinite : hardBytes, at: base + 8)   // hard_byte_limit
        writer.u64(infinite, at: base + 16)                               // soft_packet_limit
        writer.u64(infinite, at: base + 24)                               // hard_packet_limit
        writer.u64(softSeconds, at: base + 32)                            // soft_add_expires_seconds
        writer.u64(hardSeconds, at: base + 40)                            // hard_add_expires_seconds
        writer.u64(0, at: base + 48)                                      // soft_use_expires_seconds
        writer.u64(hardIdleSeconds, at: base + 56)                        // hard_use_expires_seconds
    }
}
