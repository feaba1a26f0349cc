import COpenSSL

/// A libcrypto cipher fetched once with one context per direction, both keyed: what every
/// EVP-backed transform of an SA holds for the SA's life.
final class EVPContexts {
    let cipher: OpaquePointer
    let encrypt: OpaquePointer
    let decrypt: OpaquePointer

    /// - Parameters:
    ///   - reportedKeyLength: the key length to name in an error (AEAD key material adds a salt).
    init(name: String, key: [UInt8], reportedKeyLength: (Int) -> Int = { $0 }, reportedGot: Int? = nil) throws(TransformError) {
        guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else { throw .fromLibcrypto("EVP_CIPHER_fetch(\(name))") }
        let expected = Int(EVP_CIPHER_get_key_length(cipher))
        guard expected == key.count else {
            EVP_CIPHER_free(cipher)
            throw .badKeyLength(algorithm: name, expected: reportedKeyLength(expected), got: reportedGot ?? key.count)
        }
        guard let encrypt = EVP_CIPHER_CTX_new(), let decrypt = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_free(cipher)
            throw .fromLibcrypto("EVP_CIPHER_CTX_new")
        }
        self.cipher = cipher
        self.encrypt = encrypt
        self.decrypt = decrypt
        for (context, direction) in [(encrypt, Int32(1)), (decrypt, Int32(0))] {
            guard EVP_CipherInit_ex2(context, cipher, key, nil, direction, nil) == 1 else {
                throw .fromLibcrypto("EVP_CipherInit_ex2(\(name))")
            }
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(encrypt)
        EVP_CIPHER_CTX_free(decrypt)
        EVP_CIPHER_free(cipher)
    }
}
