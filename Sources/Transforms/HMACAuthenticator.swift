import COpenSSL

/// HMAC (RFC 2104) with the keyed inner and outer digest states computed once per SA.
///
/// A packet copies the inner state into a scratch state, absorbs the packet, finishes, then does
/// the same with the outer state over the inner digest: two struct copies and no allocation
/// (libcrypto's EVP_MAC re-initialisation allocates on every packet). The digest structs come
/// from libcrypto's low-level API.
final class HMACAuthenticator: Authenticator {
    let icvSize: Int
    private let algorithm: IntegrityAlgorithm
    private let stateSize: Int
    private let digestSize: Int
    private let inner: UnsafeMutableRawPointer
    private let outer: UnsafeMutableRawPointer
    private let work: UnsafeMutableRawPointer
    private let digest: UnsafeMutablePointer<UInt8>

    init(algorithm: IntegrityAlgorithm, key: [UInt8]) throws(TransformError) {
        self.algorithm = algorithm
        icvSize = algorithm.icvLength
        let blockSize: Int
        switch algorithm {
        case .hmacMD5_96: (stateSize, digestSize, blockSize) = (MemoryLayout<MD5_CTX>.size, 16, 64)
        case .hmacSHA1_96: (stateSize, digestSize, blockSize) = (MemoryLayout<SHA_CTX>.size, 20, 64)
        case .hmacSHA256_128: (stateSize, digestSize, blockSize) = (MemoryLayout<SHA256_CTX>.size, 32, 64)
        case .hmacSHA384_192: (stateSize, digestSize, blockSize) = (MemoryLayout<SHA512_CTX>.size, 48, 128)
        case .hmacSHA512_256: (stateSize, digestSize, blockSize) = (MemoryLayout<SHA512_CTX>.size, 64, 128)
        }
        inner = .allocate(byteCount: stateSize, alignment: 16)
        outer = .allocate(byteCount: stateSize, alignment: 16)
        work = .allocate(byteCount: stateSize, alignment: 16)
        digest = .allocate(capacity: 64)
        // RFC 2104 §2: a key longer than the block is hashed first; then zero-padded.
        var block = [UInt8](repeating: 0, count: blockSize)
        if key.count > blockSize {
            reset(work)
            key.withUnsafeBytes { absorb(work, $0) }
            finalize(work, into: digest)
            for index in 0..<digestSize { block[index] = digest[index] }
        } else {
            for (index, byte) in key.enumerated() { block[index] = byte }
        }
        reset(inner)
        block.map { $0 ^ 0x36 }.withUnsafeBytes { absorb(inner, $0) }
        reset(outer)
        block.map { $0 ^ 0x5C }.withUnsafeBytes { absorb(outer, $0) }
    }

    deinit {
        for state in [inner, outer, work] {
            state.initializeMemory(as: UInt8.self, repeating: 0, count: stateSize)  // keyed states are secrets
            state.deallocate()
        }
        digest.deallocate()
    }

    private func reset(_ state: UnsafeMutableRawPointer) {
        switch algorithm {
        case .hmacMD5_96: MD5_Init(state.assumingMemoryBound(to: MD5_CTX.self))
        case .hmacSHA1_96: SHA1_Init(state.assumingMemoryBound(to: SHA_CTX.self))
        case .hmacSHA256_128: SHA256_Init(state.assumingMemoryBound(to: SHA256_CTX.self))
        case .hmacSHA384_192: SHA384_Init(state.assumingMemoryBound(to: SHA512_CTX.self))
        case .hmacSHA512_256: SHA512_Init(state.assumingMemoryBound(to: SHA512_CTX.self))
        }
    }

    private func absorb(_ state: UnsafeMutableRawPointer, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        switch algorithm {
        case .hmacMD5_96: MD5_Update(state.assumingMemoryBound(to: MD5_CTX.self), base, bytes.count)
        case .hmacSHA1_96: SHA1_Update(state.assumingMemoryBound(to: SHA_CTX.self), base, bytes.count)
        case .hmacSHA256_128: SHA256_Update(state.assumingMemoryBound(to: SHA256_CTX.self), base, bytes.count)
        case .hmacSHA384_192: SHA384_Update(state.assumingMemoryBound(to: SHA512_CTX.self), base, bytes.count)
        case .hmacSHA512_256: SHA512_Update(state.assumingMemoryBound(to: SHA512_CTX.self), base, bytes.count)
        }
    }

    private func finalize(_ state: UnsafeMutableRawPointer, into output: UnsafeMutablePointer<UInt8>) {
        switch algorithm {
        case .hmacMD5_96: MD5_Final(output, state.assumingMemoryBound(to: MD5_CTX.self))
        case .hmacSHA1_96: SHA1_Final(output, state.assumingMemoryBound(to: SHA_CTX.self))
        case .hmacSHA256_128: SHA256_Final(output, state.assumingMemoryBound(to: SHA256_CTX.self))
        case .hmacSHA384_192: SHA384_Final(output, state.assumingMemoryBound(to: SHA512_CTX.self))
        case .hmacSHA512_256: SHA512_Final(output, state.assumingMemoryBound(to: SHA512_CTX.self))
        }
    }

    func begin() throws(TransformError) {
        work.copyMemory(from: inner, byteCount: stateSize)
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws(TransformError) {
        absorb(work, bytes)
    }

    func finish(into icv: UnsafeMutableRawBufferPointer) throws(TransformError) {
        finalize(work, into: digest)
        work.copyMemory(from: outer, byteCount: stateSize)
        absorb(work, UnsafeRawBufferPointer(start: digest, count: digestSize))
        finalize(work, into: digest)
        let count = min(icvSize, icv.count)
        for index in 0..<count { icv[index] = digest[index] }
    }
}
