import Packet

/// A transform for the kernel by its crypto API name, with its key.
public struct XFRMAlgorithm: Sendable {
    public enum Kind: Sendable { case encryption, authentication(truncationBits: Int), aead(icvBits: Int) }
    public var kind: Kind
    /// The kernel's name: `cbc(aes)`, `hmac(sha256)`, `rfc4106(gcm(aes))`…
    public var name: String
    /// For AEAD with the 4-byte salt at the end (RFC 4106 §8.1).
    public var key: [UInt8]

    public init(_ kind: Kind, name: String, key: [UInt8]) {
        self.kind = kind
        self.name = name
        self.key = key
    }

    var attribute: (UInt16, [UInt8]) {
        var header = StructWriter(size: 64 + 4)
        header.bytes(Array(name.utf8.prefix(63)), at: 0)        // alg_name[64]
        header.u32(UInt32(key.count * 8), at: 64)               // alg_key_len, bits
        switch kind {
        case .encryption:
            return (XFRMAttribute.algorithmCrypt, header.bytes + key)
        case .authentication(let bits):
            var trunc = StructWriter(size: 4)
            trunc.u32(UInt32(bits), at: 0)                      // alg_trunc_len
            return (XFRMAttribute.algorithmAuthTruncated, header.bytes + trunc.bytes + key)
        case .aead(let bits):
            var icv = StructWriter(size: 4)
            icv.u32(UInt32(bits), at: 0)                        // alg_icv_len
            return (XFRMAttribute.algorithmAEAD, header.bytes + icv.bytes + key)
        }
    }
}

/// One SA for the kernel's SAD (`struct xfrm_usersa_info` and its attributes).
public struct XFRMState: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var spi: UInt32
    /// 50 (ESP) or 51 (AH).
    public var securityProtocol: UInt8
    public var tunnel: Bool
    public var reqid: UInt32
    /// The traffic the SA carries (checked by the kernel on inbound, RFC 4301 §5.2).
    public var selector: XFRMSelector?
    /// Anti-replay window in packets (inbound); 0 off.
    public var replayWindow: Int
    public var extendedSequenceNumbers: Bool
    public var algorithms: [XFRMAlgorithm]
    /// ESP in UDP (RFC 3948): source and destination ports.
    public var udpEncapsulation: (sourcePort: UInt16, destinationPort: UInt16)?
    public var lifetime: XFRMLifetime

    public init(source: IPAddress, destination: IPAddress, spi: UInt32, securityProtocol: UInt8, tunnel: Bool, reqid: UInt32,
                selector: XFRMSelector?, replayWindow: Int, extendedSequenceNumbers: Bool, algorithms: [XFRMAlgorithm],
                udpEncapsulation: (sourcePort: UInt16, destinationPort: UInt16)?, lifetime: XFRMLifetime) {
        self.source = source
        self.destination = destination
        self.spi = spi
        self.securityProtocol = securityProtocol
        self.tunnel = tunnel
        self.reqid = reqid
        self.selector = selector
        self.replayWindow = replayWindow
        self.extendedSequenceNumbers = extendedSequenceNumbers
        self.algorithms = algorithms
        self.udpEncapsulation = udpEncapsulation
        self.lifetime = lifetime
    }

    static let infoSize = 224

    /// XFRM_MSG_NEWSA.
    public var add: XFRMRequest {
        var writer = StructWriter(size: Self.infoSize)
        let family = XFRMFamily.of(destination)
        selector?.write(into: &writer, at: 0)                  // sel (zero: any traffic)
        writer.address(destination, at: 56)                    // id.daddr
        writer.be32(spi, at: 72)                               // id.spi
        writer.u8(securityProtocol, at: 76)                    // id.proto
        writer.address(source, at: 80)                         // saddr
        lifetime.write(into: &writer, at: 96)                  // lft
        writer.u32(reqid, at: 208)                             // reqid
        writer.u16(family, at: 212)                            // family
        writer.u8(tunnel ? 1 : 0, at: 214)                     // mode
        var attributes = algorithms.map(\.attribute)
        // A window past the 32-packet legacy bitmap, or 64-bit sequence numbers, need the ESN
        // replay state; replay_window in the struct must then be 0.
        if replayWindow > 32 || extendedSequenceNumbers {
            let words = max(1, (replayWindow + 31) / 32)
            var replay = StructWriter(size: 24 + words * 4)
            replay.u32(UInt32(words), at: 0)                   // bmp_len
            replay.u32(UInt32(replayWindow), at: 20)           // replay_window
            attributes.append((XFRMAttribute.replayESN, replay.bytes))
            if extendedSequenceNumbers { writer.u8(128, at: 216) }  // XFRM_STATE_ESN
        } else {
            writer.u8(UInt8(replayWindow), at: 215)            // replay_window
        }
        if let udp = udpEncapsulation {
            var encap = StructWriter(size: 24)
            encap.u16(2, at: 0)                                // UDP_ENCAP_ESPINUDP
            encap.be16(udp.sourcePort, at: 2)
            encap.be16(udp.destinationPort, at: 4)
            attributes.append((XFRMAttribute.encapsulation, encap.bytes))
        }
        return XFRMRequest(.newSA, flags: [.request, .acknowledge], fixed: writer.bytes, attributes: attributes)
    }

    /// XFRM_MSG_DELSA (`struct xfrm_usersa_id`).
    public static func delete(destination: IPAddress, spi: UInt32, securityProtocol: UInt8) -> XFRMRequest {
        XFRMRequest(.deleteSA, flags: [.request, .acknowledge], fixed: id(destination: destination, spi: spi, securityProtocol: securityProtocol))
    }

    /// XFRM_MSG_GETSA for one SA: the answer is an XFRM_MSG_NEWSA with its counters.
    public static func get(destination: IPAddress, spi: UInt32, securityProtocol: UInt8) -> XFRMRequest {
        XFRMRequest(.getSA, flags: [.request], fixed: id(destination: destination, spi: spi, securityProtocol: securityProtocol))
    }

    /// XFRM_MSG_GETSA as a dump of every SA.
    public static let dump = XFRMRequest(.getSA, flags: [.request, .dump], fixed: [UInt8](repeating: 0, count: 24))

    private static func id(destination: IPAddress, spi: UInt32, securityProtocol: UInt8) -> [UInt8] {
        var writer = StructWriter(size: 24)
        writer.address(destination, at: 0)                     // daddr
        writer.be32(spi, at: 16)                               // spi
        writer.u16(XFRMFamily.of(destination), at: 20)         // family
        writer.u8(securityProtocol, at: 22)                    // proto
        return writer.bytes
    }
}

/// What the kernel reports about an installed SA (`struct xfrm_usersa_info`).
public struct XFRMStateInfo: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var spi: UInt32
    public var securityProtocol: UInt8
    public var reqid: UInt32
    public var bytes: UInt64
    public var packets: UInt64
    /// Packets the replay window rejected, and packets whose ICV failed.
    public var replayed: UInt32
    public var integrityFailed: UInt32
    /// The traffic the SA was installed for, if it had a selector.
    public var selector: XFRMSelector?

    static func read(_ reader: StructReader) throws(XFRMDecodingError) -> XFRMStateInfo {
        try reader.require(XFRMState.infoSize, "xfrm_usersa_info")
        let family = try reader.u16(at: 212, "family")
        let selector = try reader.u16(at: 40, "sel.family") == 0 ? nil : try XFRMSelector.read(reader, at: 0)
        return XFRMStateInfo(source: try reader.address(at: 80, family: family, "saddr"),
                             destination: try reader.address(at: 56, family: family, "id.daddr"),
                             spi: try reader.be32(at: 72, "id.spi"), securityProtocol: try reader.u8(at: 76, "id.proto"),
                             reqid: try reader.u32(at: 208, "reqid"), bytes: try reader.u64(at: 160, "curlft.bytes"),
                             packets: try reader.u64(at: 168, "curlft.packets"), replayed: try reader.u32(at: 196, "stats.replay"),
                             integrityFailed: try reader.u32(at: 200, "stats.integrity_failed"), selector: selector)
    }

    /// Reads an XFRM_MSG_NEWSA (a dump entry or a GETSA answer).
    public init(decoding message: NetlinkMessage) throws(XFRMDecodingError) {
        self = try Self.read(StructReader(message.payload, origin: message.payloadOffset))
    }

    init(source: IPAddress, destination: IPAddress, spi: UInt32, securityProtocol: UInt8, reqid: UInt32, bytes: UInt64, packets: UInt64,
         replayed: UInt32, integrityFailed: UInt32, selector: XFRMSelector? = nil) {
        self.source = source
        self.destination = destination
        self.spi = spi
        self.securityProtocol = securityProtocol
        self.reqid = reqid
        self.bytes = bytes
        self.packets = packets
        self.replayed = replayed
        self.integrityFailed = integrityFailed
        self.selector = selector
    }
}

/// Something the kernel tells the key manager on its own.
public enum XFRMEvent: Sendable, Equatable {
    /// Outbound traffic met a policy whose template has no SA (XFRM_MSG_ACQUIRE): the flow
    /// (addresses, protocol, ports of the packet), the template's outer destination, and the
    /// priority of the policy that asked.
    case acquire(flow: XFRMSelector, templateDestination: IPAddress, policyPriority: UInt32)
    /// An SA reached its soft or hard lifetime (XFRM_MSG_EXPIRE); a hard one is gone.
    case expire(XFRMStateInfo, hard: Bool)
    /// A policy reached its lifetime (XFRM_MSG_POLEXPIRE); a hard one is gone.
    case policyExpire(XFRMPolicy.Key, priority: UInt32, hard: Bool)

    /// Reads an event, or nil for a message type that is not one.
    public static func decode(_ message: NetlinkMessage) throws(XFRMDecodingError) -> XFRMEvent? {
        let reader = StructReader(message.payload, origin: message.payloadOffset)
        switch message.type {
        case XFRMMessageType.acquire.rawValue:
            try reader.require(280, "xfrm_user_acquire")
            let flow = try XFRMSelector.read(reader, at: 40)
            let family = try reader.u16(at: 96 + 40, "policy.sel.family")
            return .acquire(flow: flow, templateDestination: try reader.address(at: 0, family: family == 0 ? flow.family : family, "id.daddr"),
                            policyPriority: try reader.u32(at: 96 + 152, "policy.priority"))
        case XFRMMessageType.expire.rawValue:
            try reader.require(XFRMState.infoSize + 1, "xfrm_user_expire")
            return .expire(try XFRMStateInfo.read(reader), hard: try reader.u8(at: XFRMState.infoSize, "hard") != 0)
        case XFRMMessageType.policyExpire.rawValue:
            // struct xfrm_user_polexpire: the policy, then `hard`.
            try reader.require(XFRMPolicy.size + 1, "xfrm_user_polexpire")
            guard let direction = XFRMDirection(rawValue: try reader.u8(at: 160, "pol.dir")) else {
                throw XFRMDecodingError(field: "pol.dir", offset: message.payloadOffset + 160, reason: "unknown direction")
            }
            return .policyExpire(XFRMPolicy.Key(selector: try XFRMSelector.read(reader, at: 0), direction: direction),
                                 priority: try reader.u32(at: 152, "pol.priority"), hard: try reader.u8(at: XFRMPolicy.size, "hard") != 0)
        default:
            return nil
        }
    }
}
