import COpenSSL

/// HMAC through libcrypto's EVP_MAC, keyed once per SA; `begin()` re-initialises with the same
/// key (EVP_MAC_init with a NULL key), so a packet costs no allocation.
final class HMACAuthenticator: Authenticator {
    let icvSize: Int
    private let mac: OpaquePointer
    private let context: OpaquePointer
    /// The full MAC before truncation (up to 64 bytes for SHA-512).
    private let full: UnsafeMutablePointer<UInt8>
    private let fullSize: Int

    init(algorithm: IntegrityAlgorithm, key: [UInt8]) throws(TransformError) {
        icvSize = algorithm.icvLength
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw .fromLibcrypto("EVP_MAC_fetch(HMAC)") }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw .fromLibcrypto("EVP_MAC_CTX_new")
        }
        self.mac = mac
        self.context = context
        full = .allocate(capacity: 64)
        let initialised = algorithm.digestName.withCString { digest in
            var parameters = [OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UnsafeMutablePointer(mutating: digest), 0),
                              OSSL_PARAM_construct_end()]
            return EVP_MAC_init(context, key, key.count, &parameters)
        }
        guard initialised == 1 else { throw .fromLibcrypto("EVP_MAC_init(HMAC-\(algorithm.digestName))") }
        fullSize = Int(EVP_MAC_CTX_get_mac_size(context))
        guard fullSize >= icvSize, fullSize <= 64 else { throw .libcrypto("unexpected MAC size \(fullSize)") }
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
        full.deallocate()
    }

    func begin() throws(TransformError) {
        guard EVP_MAC_init(context, nil, 0, nil) == 1 else { throw .fromLibcrypto("EVP_MAC_init") }
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws(TransformError) {
        guard bytes.count > 0 else { return }
        guard EVP_MAC_update(context, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
            throw .fromLibcrypto("EVP_MAC_update")
        }
    }

    func finish(into icv: UnsafeMutableRawBufferPointer) throws(TransformError) {
        var length = 0
        guard EVP_MAC_final(context, full, &length, fullSize) == 1 else { throw .fromLibcrypto("EVP_MAC_final") }
        let count = min(icvSize, icv.count)
        for index in 0..<count { icv[index] = full[index] }
    }
}
