/// The data of a RESPONDER-LIFETIME notification (RFC 2407 §4.6.3.1): SA Life Type / SA Life
/// Duration attribute pairs, as in a Quick Mode transform (RFC 2407 §4.5).
struct ResponderLifetime: Equatable {
    var seconds: UInt64?
    var kilobytes: UInt64?

    init(_ data: [UInt8]) throws(ISAKMPError) {
        let attributes = try ISAKMPMessage.decodeAttributes(ByteReader(data), at: 0, name: "RESPONDER-LIFETIME data")
        var pendingType: UInt16?
        for attribute in attributes {
            switch (attribute.type, attribute.value) {
            case (1, .basic(let type)): pendingType = type
            case (2, _):
                guard let type = pendingType, let value = attribute.number else {
                    throw ISAKMPError("RESPONDER-LIFETIME data", "SA Life Duration", offset: 0, "without an SA Life Type before it, or longer than 8 bytes")
                }
                if type == 1 { seconds = value } else if type == 2 { kilobytes = value }
                pendingType = nil
            default:
                continue  // other attributes are not lifetimes; RFC 2407 lets the responder send only these
            }
        }
    }

    static func encode(seconds: UInt64?, kilobytes: UInt64?) -> [UInt8] {
        var w = ByteWriter()
        for (type, value) in [(UInt16(1), seconds), (2, kilobytes)] {
            guard let value else { continue }
            w.u16(0x8001)
            w.u16(type)
            if value <= UInt64(UInt16.max) {
                w.u16(0x8002)
                w.u16(UInt16(value))
            } else {
                w.u16(0x0002)
                w.u16(4)
                w.u32(UInt32(clamping: value))
            }
        }
        return w.bytes
    }
}
