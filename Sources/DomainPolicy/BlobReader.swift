import Foundation

/// Reads little-endian fields from an `ipsecData` blob, checking every length before use.
///
/// Each read names its field; a read past the end throws `BlobError` with the object, the
/// field and the offset, never traps.
struct BlobReader {
    let bytes: [UInt8]
    let object: String
    /// Where the next field starts.
    private(set) var offset: Int
    /// The end of the region being read (the blob's declared payload end).
    var limit: Int

    init(_ bytes: [UInt8], object: String, offset: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.object = object
        self.offset = offset
        self.limit = limit ?? bytes.count
    }

    var remaining: Int { limit - offset }

    func error(_ field: String, _ reason: String, at position: Int? = nil) -> BlobError {
        BlobError(object: object, field: field, offset: position ?? offset, reason: reason)
    }

    mutating func take(_ count: Int, _ field: String) throws(BlobError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw error(field, "needs \(count) bytes at offset \(offset), the data ends at \(limit)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func u8(_ field: String) throws(BlobError) -> UInt8 { try take(1, field).first! }

    mutating func u16(_ field: String) throws(BlobError) -> UInt16 {
        let b = try take(2, field)
        return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8
    }

    mutating func u32(_ field: String) throws(BlobError) -> UInt32 {
        let b = try take(4, field)
        var value: UInt32 = 0
        for (shift, byte) in b.enumerated() { value |= UInt32(byte) << (8 * shift) }
        return value
    }

    /// A GUID in Windows' in-memory order: Data1 (LE 32), Data2 and Data3 (LE 16), Data4.
    mutating func guid(_ field: String) throws(BlobError) -> UUID {
        let b = Array(try take(16, field))
        return WindowsGUID.uuid(fromBytes: b)
    }

    /// A 4-byte count of `size`-byte items, checked against what is left.
    mutating func count(_ field: String, itemSize: Int) throws(BlobError) -> Int {
        let at = offset
        let value = Int(try u32(field))
        guard itemSize == 0 || value <= remaining / itemSize else {
            throw error(field, "says \(value) items of \(itemSize) bytes, only \(remaining) bytes follow", at: at)
        }
        return value
    }

    /// A string written as a 4-byte byte count followed by that many bytes of UTF-16LE,
    /// the NUL included (as Windows writes it; a missing NUL is tolerated).
    mutating func utf16String(_ field: String) throws(BlobError) -> String {
        let at = offset
        let length = Int(try u32(field + " length"))
        guard length <= remaining else {
            throw error(field, "says \(length) bytes, only \(remaining) follow", at: at)
        }
        guard length % 2 == 0 else { throw error(field, "length \(length) is not a whole number of UTF-16 units", at: at) }
        let raw = try take(length, field)
        var units: [UInt16] = []
        units.reserveCapacity(length / 2)
        var index = raw.startIndex
        while index < raw.endIndex {
            units.append(UInt16(raw[index]) | UInt16(raw[index + 1]) << 8)
            index += 2
        }
        if let nul = units.firstIndex(of: 0) { units.removeSubrange(nul...) }
        return String(decoding: units, as: UTF16.self)
    }
}

/// Writes little-endian fields, as `BlobReader` reads them.
struct BlobWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes.append(UInt8(value & 0xFF)); bytes.append(UInt8(value >> 8)) }
    mutating func u32(_ value: UInt32) { for shift in 0..<4 { bytes.append(UInt8((value >> (8 * shift)) & 0xFF)) } }
    mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
    mutating func fill(_ byte: UInt8, _ count: Int) { bytes.append(contentsOf: repeatElement(byte, count: count)) }
    mutating func guid(_ value: UUID) { bytes.append(contentsOf: WindowsGUID.bytes(of: value)) }

    /// Byte count (UTF-16 with its NUL), then the UTF-16LE text and a NUL unit.
    mutating func utf16String(_ value: String) {
        let units = Array(value.utf16) + [0]
        u32(UInt32(units.count * 2))
        for unit in units { u16(unit) }
    }
}

/// Windows' GUID layout ([MS-DTYP] §2.3.4.2): the first three fields little-endian.
public enum WindowsGUID {
    public static func bytes(of uuid: UUID) -> [UInt8] {
        let u = uuid.uuid
        return [u.3, u.2, u.1, u.0, u.5, u.4, u.7, u.6, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }

    public static func uuid(fromBytes b: [UInt8]) -> UUID {
        UUID(uuid: (b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// `{72385230-70FA-11D1-864C-14A300000000}`: upper case in braces, as `ipsecID` holds it.
    public static func text(_ uuid: UUID) -> String { "{\(uuid.uuidString.uppercased())}" }

    /// Parses `{…}` or a bare GUID.
    public static func parse(_ text: String) -> UUID? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("{") && body.hasSuffix("}") { body = body.dropFirst().dropLast() }
        return UUID(uuidString: String(body))
    }
}
