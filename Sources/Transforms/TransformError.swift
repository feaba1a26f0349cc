import COpenSSL

/// Why a transform could not be created or could not process a packet.
public enum TransformError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key material has the wrong length for the algorithm.
    case badKeyLength(algorithm: String, expected: Int, got: Int)
    /// An IV of the wrong length was passed.
    case badIVLength(expected: Int, got: Int)
    /// The data is not a whole number of cipher blocks.
    case notBlockAligned(length: Int, blockSize: Int)
    /// libcrypto refused; the text is its error queue's first entry.
    case libcrypto(String)

    public var description: String {
        switch self {
        case let .badKeyLength(algorithm, expected, got): "\(algorithm) needs \(expected) bytes of key material, got \(got)"
        case let .badIVLength(expected, got): "IV must be \(expected) bytes, got \(got)"
        case let .notBlockAligned(length, blockSize): "\(length) bytes is not a multiple of the \(blockSize)-byte block"
        case .libcrypto(let text): "libcrypto: \(text)"
        }
    }

    /// The first error on libcrypto's queue (the queue is cleared).
    static func fromLibcrypto(_ operation: String) -> TransformError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return .libcrypto("\(operation) failed") }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return .libcrypto("\(operation): " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
