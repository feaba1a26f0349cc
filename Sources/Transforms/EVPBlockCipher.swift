import COpenSSL

/// A CBC cipher from libcrypto's default provider (AES-CBC, 3DES-CBC), padding off (ESP pads
/// itself). The key schedule is made once per direction; a packet only sets the IV.
final class EVPBlockCipher: Cipher {
    let ivSize: Int
    let blockSize: Int
    private let contexts: EVPContexts

    init(name: String, key: [UInt8], blockSize: Int) throws(TransformError) {
        contexts = try EVPContexts(name: name, key: key)
        self.blockSize = blockSize
        ivSize = Int(EVP_CIPHER_get_iv_length(contexts.cipher))
        for context in [contexts.encrypt, contexts.decrypt] where EVP_CIPHER_CTX_set_padding(context, 0) != 1 {
            throw .fromLibcrypto("EVP_CIPHER_CTX_set_padding(\(name))")
        }
    }

    func encrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(contexts.encrypt, data, iv: iv, direction: 1)
    }

    func decrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(contexts.decrypt, data, iv: iv, direction: 0)
    }

    private func run(_ context: OpaquePointer, _ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer,
                     direction: Int32) throws(TransformError) {
        guard iv.count == ivSize else { throw .badIVLength(expected: ivSize, got: iv.count) }
        guard data.count % blockSize == 0 else { throw .notBlockAligned(length: data.count, blockSize: blockSize) }
        guard data.count > 0 else { return }
        let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        guard EVP_CipherInit_ex2(context, nil, nil, iv.baseAddress?.assumingMemoryBound(to: UInt8.self), direction, nil) == 1,
              EVP_CipherUpdate(context, bytes, &written, bytes, Int32(data.count)) == 1, Int(written) == data.count else {
            throw .fromLibcrypto(direction == 1 ? "encrypt" : "decrypt")
        }
    }
}
