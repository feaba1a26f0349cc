import COpenSSL

/// One side of a Diffie-Hellman exchange: a fresh private key, the public value to send in the
/// KE payload, and the shared secret once the peer's value arrives. Through libcrypto.
public final class DiffieHellman {
    public let group: DiffieHellmanGroup
    private let key: OpaquePointer
    /// The KE payload data: g^x padded to the prime's length (MODP), or x ‖ y (ECP, RFC 5903 §7).
    public let publicValue: [UInt8]

    /// Generates a key pair in `group`.
    public init(group: DiffieHellmanGroup) throws(TransformError) {
        self.group = group
        if let curve = group.curveName {
            guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw .fromLibcrypto("EVP_PKEY_CTX_new_from_name(EC)") }
            defer { EVP_PKEY_CTX_free(context) }
            var generated: OpaquePointer?
            guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, curve) == 1,
                  EVP_PKEY_generate(context, &generated) == 1, let generated else { throw .fromLibcrypto("EC key generation") }
            key = generated
            var encoded = [UInt8](repeating: 0, count: 1 + group.valueLength)
            var length = 0
            guard EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, &encoded, encoded.count, &length) == 1,
                  length == encoded.count, encoded[0] == 4 else { throw .fromLibcrypto("EC public key") }
            publicValue = Array(encoded.dropFirst())
        } else {
            let parameters = try Self.modpParameters(group)
            defer { EVP_PKEY_free(parameters) }
            guard let context = EVP_PKEY_CTX_new_from_pkey(nil, parameters, nil) else { throw .fromLibcrypto("EVP_PKEY_CTX_new_from_pkey") }
            defer { EVP_PKEY_CTX_free(context) }
            var generated: OpaquePointer?
            let initialised = EVP_PKEY_keygen_init(context)
            let made = initialised == 1 ? EVP_PKEY_generate(context, &generated) : -99
            guard initialised == 1, made == 1, let generated else {
                throw .fromLibcrypto("DH key generation (init \(initialised), generate \(made))")
            }
            key = generated
            var bignum: OpaquePointer?
            guard EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &bignum) == 1, let bignum else { throw .fromLibcrypto("DH public key") }
            defer { BN_free(bignum) }
            var bytes = [UInt8](repeating: 0, count: group.valueLength)
            guard BN_bn2binpad(bignum, &bytes, Int32(bytes.count)) == Int32(bytes.count) else { throw .fromLibcrypto("BN_bn2binpad") }
            publicValue = bytes
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// g^xy: padded to the prime's length for MODP (IKE hashes it at full length), the x
    /// coordinate for ECP (RFC 5903 §7). The peer's value is checked (length, range, curve).
    public func sharedSecret(peer: [UInt8]) throws(TransformError) -> [UInt8] {
        guard peer.count == group.valueLength else {
            throw .libcrypto("peer's \(group) public value has \(peer.count) bytes, expected \(group.valueLength)")
        }
        let peerKey = try peerPublicKey(peer)
        defer { EVP_PKEY_free(peerKey) }
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { throw .fromLibcrypto("EVP_PKEY_CTX_new_from_pkey") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_derive_init(context) == 1 else { throw .fromLibcrypto("EVP_PKEY_derive_init") }
        if group.curveName == nil, EVP_PKEY_CTX_set_dh_pad(context, 1) != 1 { throw .fromLibcrypto("EVP_PKEY_CTX_set_dh_pad") }
        if group.curveName == nil {
            // RFC 2409 groups are safe primes: the only small subgroup is {1, p-1}, so the range
            // check 1 < y < p-1 is a full validation (SP 800-56A r3 §5.6.2.3.2, RFC 7296 §2.12's
            // advice); libcrypto's own check raises y to the full (p-1)/2 and costs more than
            // the exchange itself.
            try Self.checkRange(peer, prime: group.prime!)
            guard EVP_PKEY_derive_set_peer_ex(context, peerKey, 0) == 1 else { throw .fromLibcrypto("the peer's public value is not valid") }
        } else {
            guard EVP_PKEY_derive_set_peer(context, peerKey) == 1 else { throw .fromLibcrypto("the peer's public value is not valid") }
        }
        var length = 0
        guard EVP_PKEY_derive(context, nil, &length) == 1 else { throw .fromLibcrypto("EVP_PKEY_derive") }
        var secret = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_derive(context, &secret, &length) == 1 else { throw .fromLibcrypto("EVP_PKEY_derive") }
        return Array(secret.prefix(length))
    }

    private func peerPublicKey(_ peer: [UInt8]) throws(TransformError) -> OpaquePointer {
        guard let builder = OSSL_PARAM_BLD_new() else { throw .fromLibcrypto("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        var bignums: [OpaquePointer] = []
        defer { for bignum in bignums { BN_free(bignum) } }
        let type: String
        // The builder keeps pointers until to_param: static names, and the point in a buffer
        // this function owns until it returns.
        let point = UnsafeMutableRawBufferPointer.allocate(byteCount: peer.count + 1, alignment: 1)
        defer { point.deallocate() }
        if let curve = group.curveName {
            type = "EC"
            point[0] = 4
            for (index, byte) in peer.enumerated() { point[index + 1] = byte }
            guard OSSL_PARAM_BLD_push_utf8_string(builder, WARD_PARAM_GROUP_NAME, curve == "P-256" ? WARD_CURVE_P256 : WARD_CURVE_P384, 0) == 1,
                  OSSL_PARAM_BLD_push_octet_string(builder, WARD_PARAM_PUB_KEY, point.baseAddress, point.count) == 1 else {
                throw .fromLibcrypto("EC peer parameters")
            }
        } else {
            type = "DH"
            guard let p = Self.bignum(hex: group.prime!), let g = BN_new(), BN_set_word(g, 2) == 1,
                  let y = BN_bin2bn(peer, Int32(peer.count), nil) else { throw .fromLibcrypto("DH peer parameters") }
            bignums = [p, g, y]
            guard OSSL_PARAM_BLD_push_BN(builder, WARD_PARAM_FFC_P, p) == 1, OSSL_PARAM_BLD_push_BN(builder, WARD_PARAM_FFC_G, g) == 1,
                  OSSL_PARAM_BLD_push_BN(builder, WARD_PARAM_PUB_KEY, y) == 1 else { throw .fromLibcrypto("DH peer parameters") }
        }
        return try Self.fromData(type: type, builder: builder, selection: WARD_EVP_PKEY_PUBLIC_KEY)
    }

    static func modpParameters(_ group: DiffieHellmanGroup) throws(TransformError) -> OpaquePointer {
        guard let builder = OSSL_PARAM_BLD_new() else { throw .fromLibcrypto("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard let p = bignum(hex: group.prime!), let g = BN_new() else { throw .fromLibcrypto("BN_new") }
        defer { BN_free(p); BN_free(g) }
        guard BN_set_word(g, 2) == 1, OSSL_PARAM_BLD_push_BN(builder, WARD_PARAM_FFC_P, p) == 1,
              OSSL_PARAM_BLD_push_BN(builder, WARD_PARAM_FFC_G, g) == 1,
              OSSL_PARAM_BLD_push_int(builder, WARD_PARAM_DH_PRIV_LEN, group.privateBits) == 1 else {
            throw .fromLibcrypto("DH domain parameters")
        }
        return try fromData(type: "DH", builder: builder, selection: WARD_EVP_PKEY_KEY_PARAMETERS)
    }

    static func fromData(type: String, builder: OpaquePointer, selection: Int32) throws(TransformError) -> OpaquePointer {
        guard let parameters = OSSL_PARAM_BLD_to_param(builder) else { throw .fromLibcrypto("OSSL_PARAM_BLD_to_param") }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { throw .fromLibcrypto("EVP_PKEY_CTX_new_from_name(\(type))") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, selection, parameters) == 1, let key else {
            throw .fromLibcrypto("EVP_PKEY_fromdata(\(type))")
        }
        return key
    }

    /// 1 < y < p-1, compared as big-endian numbers of the prime's length.
    static func checkRange(_ value: [UInt8], prime: String) throws(TransformError) {
        guard let p = bignum(hex: prime), let y = BN_bin2bn(value, Int32(value.count), nil), let limit = BN_dup(p) else {
            throw .fromLibcrypto("BN_bin2bn")
        }
        defer { BN_free(p); BN_free(y); BN_free(limit) }
        guard BN_sub_word(limit, 1) == 1 else { throw .fromLibcrypto("BN_sub_word") }
        guard BN_is_zero(y) == 0, BN_is_one(y) == 0, BN_cmp(y, limit) < 0 else {
            throw .libcrypto("the peer's public value is 0, 1, p-1 or not below p (RFC 2409 groups are safe primes: only these are weak)")
        }
    }

    static func bignum(hex: String) -> OpaquePointer? {
        var result: OpaquePointer?
        guard BN_hex2bn(&result, hex) > 0 else { return nil }
        return result
    }
}
