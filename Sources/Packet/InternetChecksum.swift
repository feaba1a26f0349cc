/// The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.
public struct InternetChecksum {
    private var sum: UInt64 = 0
    private var odd = false

    public init() {}

    /// Adds bytes; a trailing odd byte is paired with the next call's first byte.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        if odd, bytes.count > 0 {
            sum += UInt64(bytes[0])
            index = 1
            odd = false
        }
        while index + 1 < bytes.count {
            sum += UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < bytes.count {
            sum += UInt64(bytes[index]) << 8
            odd = true
        }
    }

    public mutating func add(_ word: UInt16) {
        sum += UInt64(word)
    }

    /// The checksum to write into a header (the complement of the folded sum).
    public var value: UInt16 {
        var folded = sum
        while folded >> 16 != 0 { folded = (folded & 0xFFFF) + (folded >> 16) }
        return ~UInt16(folded)
    }
}
