/// A message that does not parse: the payload and field that are wrong, and where.
public struct ISAKMPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The payload or structure, e.g. "ISAKMP header", "SA payload", "transform 2".
    public var payload: String
    /// The field, e.g. "payload length".
    public var field: String
    /// Byte offset in the datagram.
    public var offset: Int
    public var detail: String

    public init(_ payload: String, _ field: String, offset: Int, _ detail: String) {
        self.payload = payload
        self.field = field
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "\(payload): \(field) at byte \(offset): \(detail)" }
}

/// Bounds-checked big-endian reading of a datagram: every read names what it reads.
struct ByteReader {
    let bytes: [UInt8]
    let start: Int
    let end: Int

    init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.start = start
        self.end = end ?? bytes.count
    }

    func need(_ offset: Int, _ count: Int, _ payload: String, _ field: String) throws(ISAKMPError) {
        guard offset >= start, count >= 0, offset + count <= end else {
            throw ISAKMPError(payload, field, offset: offset, "needs \(count) bytes, \(max(0, end - offset)) left")
        }
    }

    func u8(_ offset: Int, _ payload: String, _ field: String) throws(ISAKMPError) -> UInt8 {
        try need(offset, 1, payload, field)
        return bytes[offset]
    }

    func u16(_ offset: Int, _ payload: String, _ field: String) throws(ISAKMPError) -> UInt16 {
        try need(offset, 2, payload, field)
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    func u32(_ offset: Int, _ payload: String, _ field: String) throws(ISAKMPError) -> UInt32 {
        try need(offset, 4, payload, field)
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    func slice(_ offset: Int, _ count: Int, _ payload: String, _ field: String) throws(ISAKMPError) -> [UInt8] {
        try need(offset, count, payload, field)
        return Array(bytes[offset..<(offset + count)])
    }
}

/// Big-endian writing.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
    mutating func u32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
    mutating func put(_ data: [UInt8]) { bytes += data }
    mutating func patch16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
    mutating func patch32(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index))) }
    }
}
