/// XFRM netlink message types (`linux/xfrm.h`, XFRM_MSG_*).
public enum XFRMMessageType: UInt16, Sendable {
    case newSA = 0x10, deleteSA, getSA, newPolicy, deletePolicy, getPolicy, allocateSPI, acquire, expire, updatePolicy, updateSA,
         policyExpire, flushSA, flushPolicy
}

/// XFRM attribute types (XFRMA_*) that Ward writes or reads.
enum XFRMAttribute {
    static let algorithmCrypt: UInt16 = 2
    static let encapsulation: UInt16 = 4
    static let template: UInt16 = 5
    static let algorithmAEAD: UInt16 = 18
    static let algorithmAuthTruncated: UInt16 = 20
    static let replayESN: UInt16 = 23
}

/// Multicast groups an agent listens to (XFRMNLGRP_*), as `nl_groups` bits.
public enum XFRMGroups {
    public static let acquire: UInt32 = 1 << 0
    public static let expire: UInt32 = 1 << 1
}

/// One netlink message: the header fields and the body with its attributes (encoded), ready
/// to send. Sequence numbers are the sender's (`XFRMChannel` numbers its requests).
public struct XFRMRequest: Sendable, Equatable {
    public var type: XFRMMessageType
    public var flags: Netlink.Flags.RawValue
    /// The fixed struct, then the attributes, each already padded to 4 bytes.
    public var body: [UInt8]

    init(_ type: XFRMMessageType, flags: Netlink.Flags, fixed: [UInt8], attributes: [(UInt16, [UInt8])] = []) {
        self.type = type
        self.flags = flags.rawValue
        var body = fixed
        body += [UInt8](repeating: 0, count: Netlink.aligned(body.count) - body.count)
        for (kind, value) in attributes {
            let length = 4 + value.count
            body += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(kind & 0xFF), UInt8(kind >> 8)] + value
            body += [UInt8](repeating: 0, count: Netlink.aligned(body.count) - body.count)
        }
        self.body = body
    }

    /// The whole message with its netlink header.
    public func encoded(sequence: UInt32) -> [UInt8] {
        var header = StructWriter(size: Netlink.headerLength)
        header.u32(UInt32(Netlink.headerLength + body.count), at: 0)
        header.u16(type.rawValue, at: 4)
        header.u16(flags, at: 6)
        header.u32(sequence, at: 8)
        return header.bytes + body
    }
}

/// One message as received: header fields, the fixed struct and the attributes after it.
public struct NetlinkMessage: Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    /// The payload after the netlink header.
    public var payload: ArraySlice<UInt8>
    /// Offset of the payload in the datagram (for error messages).
    public var payloadOffset: Int

    /// Splits a datagram into its messages; each length is checked against what is left.
    public static func split(_ datagram: [UInt8]) throws(XFRMDecodingError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        while datagram.count - offset >= Netlink.headerLength {
            let header = StructReader(datagram[offset...], origin: offset)
            let length = Int(try header.u32(at: 0, "nlmsg_len"))
            guard length >= Netlink.headerLength, length <= datagram.count - offset else {
                throw XFRMDecodingError(field: "nlmsg_len", offset: offset, reason: "\(length) does not fit the \(datagram.count - offset) bytes left")
            }
            messages.append(NetlinkMessage(type: try header.u16(at: 4, "nlmsg_type"), flags: try header.u16(at: 6, "nlmsg_flags"),
                                           sequence: try header.u32(at: 8, "nlmsg_seq"),
                                           payload: datagram[(offset + Netlink.headerLength)..<(offset + length)],
                                           payloadOffset: offset + Netlink.headerLength))
            offset += Netlink.aligned(length)
        }
        return messages
    }

    /// For NLMSG_ERROR: the errno the kernel answered (0 = acknowledged), negated to positive.
    public func errorCode() throws(XFRMDecodingError) -> Int32 {
        let reader = StructReader(payload, origin: payloadOffset)
        return -Int32(bitPattern: try reader.u32(at: 0, "nlmsgerr.error"))
    }

    /// The attributes after a fixed struct of `fixedLength` bytes: type → value.
    func attributes(after fixedLength: Int) throws(XFRMDecodingError) -> [UInt16: ArraySlice<UInt8>] {
        var result: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = payload.startIndex + Netlink.aligned(fixedLength)
        while payload.endIndex - offset >= 4 {
            let reader = StructReader(payload[offset...], origin: payloadOffset + offset - payload.startIndex)
            let length = Int(try reader.u16(at: 0, "nla_len")), kind = try reader.u16(at: 2, "nla_type") & 0x3FFF
            guard length >= 4, length <= payload.endIndex - offset else {
                throw XFRMDecodingError(field: "nla_len", offset: reader.origin, reason: "\(length) does not fit the \(payload.endIndex - offset) bytes left")
            }
            result[kind] = payload[(offset + 4)..<(offset + length)]
            offset += Netlink.aligned(length)
        }
        return result
    }
}
