/// Why keys could not be derived: an input of the wrong size, or libcrypto refusing.
public enum KeyDerivationError: Error, Equatable, Sendable, CustomStringConvertible {
    case badLength(field: String, expected: ClosedRange<Int>, got: Int)
    /// Too few of something counted, not measured in bytes (e.g. NAT-D payloads).
    case tooFew(field: String, expected: Int, got: Int)
    case crypto(String)

    public var description: String {
        switch self {
        case let .badLength(field, expected, got):
            let wanted = expected.lowerBound == expected.upperBound ? "\(expected.lowerBound)"
                : expected.upperBound == Int.max ? "at least \(expected.lowerBound)" : "\(expected.lowerBound) to \(expected.upperBound)"
            return "\(field): \(got) bytes, expected \(wanted)"
        case let .tooFew(field, expected, got): return "\(field): \(got), expected at least \(expected)"
        case .crypto(let text): return text
        }
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] { [UInt8(self >> 24), UInt8(truncatingIfNeeded: self >> 16), UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)] }
}
