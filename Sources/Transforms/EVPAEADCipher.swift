import COpenSSL

/// AES-GCM (RFC 4106) or ChaCha20-Poly1305 (RFC 7634) through libcrypto, 16-byte tag.
/// The key is set once per direction; a packet sets the 12-byte nonce (salt ‖ explicit IV).
final class EVPAEADCipher: AEADCipher {
    var ivSize: Int { 8 }
    var blockSize: Int { 4 }
    var tagSize: Int { 16 }
    private let contexts: EVPContexts
    /// The 4-byte salt from the end of the key material, then room for the explicit IV.
    private let nonce: UnsafeMutablePointer<UInt8>

    init(name: String, keyMaterial: [UInt8]) throws(TransformError) {
        contexts = try EVPContexts(name: name, key: Array(keyMaterial.dropLast(4)), reportedKeyLength: { $0 + 4 },
                                   reportedGot: keyMaterial.count)
        nonce = .allocate(capacity: 12)
        nonce.initialize(repeating: 0, count: 12)
        for index in 0..<4 { nonce[index] = keyMaterial[keyMaterial.count - 4 + index] }
    }

    deinit { nonce.deallocate() }

    private func setNonce(_ context: OpaquePointer, iv: UnsafeRawBufferPointer, direction: Int32) throws(TransformError) {
        guard iv.count == 8 else { throw .badIVLength(expected: 8, got: iv.count) }
        for index in 0..<8 { nonce[4 + index] = iv[index] }
        guard EVP_CipherInit_ex2(context, nil, nil, nonce, direction, nil) == 1 else { throw .fromLibcrypto("set nonce") }
    }

    func seal(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              tag: UnsafeMutableRawBufferPointer) throws(TransformError) {
        guard tag.count == 16 else { throw .libcrypto("tag buffer must be 16 bytes") }
        try setNonce(contexts.encrypt, iv: iv, direction: 1)
        try process(contexts.encrypt, data, aad: aad)
        var scratch: UInt8 = 0
        var written: Int32 = 0
        guard EVP_CipherFinal_ex(contexts.encrypt, &scratch, &written) == 1,
              EVP_CIPHER_CTX_ctrl(contexts.encrypt, EVP_CTRL_AEAD_GET_TAG, 16, tag.baseAddress) == 1 else {
            throw .fromLibcrypto("seal")
        }
    }

    func open(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              tag: UnsafeRawBufferPointer) throws(TransformError) -> Bool {
        guard tag.count == 16 else { return false }
        try setNonce(contexts.decrypt, iv: iv, direction: 0)
        guard EVP_CIPHER_CTX_ctrl(contexts.decrypt, EVP_CTRL_AEAD_SET_TAG, 16, UnsafeMutableRawPointer(mutating: tag.baseAddress)) == 1 else {
            throw .fromLibcrypto("set tag")
        }
        try process(contexts.decrypt, data, aad: aad)
        var scratch: UInt8 = 0
        var written: Int32 = 0
        guard EVP_CipherFinal_ex(contexts.decrypt, &scratch, &written) == 1 else {
            ERR_clear_error()
            return false
        }
        return true
    }

    private func process(_ context: OpaquePointer, _ data: UnsafeMutableRawBufferPointer, aad: UnsafeRawBufferPointer) throws(TransformError) {
        var written: Int32 = 0
        if aad.count > 0 {
            guard EVP_CipherUpdate(context, nil, &written, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
                throw .fromLibcrypto("AAD")
            }
        }
        if data.count > 0 {
            let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard EVP_CipherUpdate(context, bytes, &written, bytes, Int32(data.count)) == 1, Int(written) == data.count else {
                throw .fromLibcrypto("cipher update")
            }
        }
    }
}
