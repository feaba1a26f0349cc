import COpenSSL

/// Single DES-CBC (RFC 2405) through libcrypto's low-level DES API: OpenSSL 3 keeps DES in its
/// legacy provider only, and this API needs no provider at all. The key schedule is made once.
final class DESCipher: Cipher {
    var ivSize: Int { 8 }
    var blockSize: Int { 8 }
    private let schedule: UnsafeMutablePointer<DES_key_schedule>

    init(key: [UInt8]) throws(TransformError) {
        guard key.count == 8 else { throw .badKeyLength(algorithm: "DES-CBC", expected: 8, got: key.count) }
        schedule = .allocate(capacity: 1)
        var block: DES_cblock = (key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7])
        // Unchecked: parity bits are ignored and weak keys are the negotiator's problem
        // (RFC 2405 §5 leaves weak-key checks to key generation).
        DES_set_key_unchecked(&block, schedule)
    }

    deinit { schedule.deallocate() }

    func encrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(data, iv: iv, direction: DES_ENCRYPT)
    }

    func decrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(data, iv: iv, direction: DES_DECRYPT)
    }

    private func run(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer, direction: Int32) throws(TransformError) {
        guard iv.count == 8 else { throw .badIVLength(expected: 8, got: iv.count) }
        guard data.count % 8 == 0 else { throw .notBlockAligned(length: data.count, blockSize: 8) }
        guard data.count > 0 else { return }
        var chain: DES_cblock = (iv[0], iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7])
        let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        DES_ncbc_encrypt(bytes, bytes, data.count, schedule, &chain, direction)
    }
}
