import COpenSSL

/// A CBC cipher from libcrypto's default provider (AES-CBC, 3DES-CBC), padding off (ESP pads
/// itself). The key schedule is made once per direction; a packet only sets the IV.
final class EVPBlockCipher: Cipher {
    let ivSize: Int
    let blockSize: Int
    private let encryptContext: OpaquePointer
    private let decryptContext: OpaquePointer
    private let cipher: OpaquePointer

    init(name: String, key: [UInt8], blockSize: Int) throws(TransformError) {
        guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else { throw .fromLibcrypto("EVP_CIPHER_fetch(\(name))") }
        guard Int(EVP_CIPHER_get_key_length(cipher)) == key.count else {
            let expected = Int(EVP_CIPHER_get_key_length(cipher))
            EVP_CIPHER_free(cipher)
            throw .badKeyLength(algorithm: name, expected: expected, got: key.count)
        }
        guard let encrypt = EVP_CIPHER_CTX_new(), let decrypt = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_free(cipher)
            throw .fromLibcrypto("EVP_CIPHER_CTX_new")
        }
        self.cipher = cipher
        encryptContext = encrypt
        decryptContext = decrypt
        self.blockSize = blockSize
        ivSize = Int(EVP_CIPHER_get_iv_length(cipher))
        for (context, direction) in [(encrypt, Int32(1)), (decrypt, Int32(0))] {
            guard EVP_CipherInit_ex2(context, cipher, key, nil, direction, nil) == 1,
                  EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
                throw .fromLibcrypto("EVP_CipherInit_ex2(\(name))")
            }
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptContext)
        EVP_CIPHER_CTX_free(decryptContext)
        EVP_CIPHER_free(cipher)
    }

    func encrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(encryptContext, data, iv: iv, direction: 1)
    }

    func decrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {
        try run(decryptContext, data, iv: iv, direction: 0)
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
