import COpenSSL

/// The kinds of key IKEv1 signs with, and the RFC 2409 / RFC 4754 authentication method each
/// is offered under.
public enum SignatureKeyKind: Equatable, Sendable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecdsa(curve: Curve)

    public enum Curve: String, Sendable { case p256 = "P-256", p384 = "P-384", p521 = "P-521" }

    /// The Main Mode Authentication Method (RFC 2409 Appendix A: RSA signatures 3;
    /// RFC 4754 §3: ECDSA with SHA-256 on P-256 9, SHA-384 on P-384 10, SHA-512 on P-521 11).
    public var authenticationMethod: UInt16 {
        switch self {
        case .rsa: 3
        case .ecdsa(.p256): 9
        case .ecdsa(.p384): 10
        case .ecdsa(.p521): 11
        }
    }

    /// Bytes of r and of s in an RFC 4754 signature: the curve's order length.
    var ecdsaComponentLength: Int {
        switch self {
        case .rsa: 0
        case .ecdsa(.p256): 32
        case .ecdsa(.p384): 48
        case .ecdsa(.p521): 66
        }
    }

    public var description: String {
        switch self {
        case .rsa(let bits): "RSA \(bits)"
        case .ecdsa(let curve): "ECDSA \(curve.rawValue)"
        }
    }
}

/// An asymmetric key in the system libcrypto, for the signatures of IKEv1 Main Mode: a private
/// key signs (``sign(_:)``), a public key from a certificate verifies (``verify(_:over:)``).
///
/// What is signed and how (RFC 2409 §5.1, RFC 4754 §7):
/// - RSA: HASH_I or HASH_R itself, PKCS#1 v1.5 type-1 padded with no DigestInfo, as
///   `RSA_private_encrypt` did; the payload is the modulus-length result.
/// - ECDSA: HASH_I or HASH_R taken as the digest (strongSwan's SIGN_ECDSA_WITH_NULL), the
///   hash itself computed with the curve's HMAC-SHA-2 (``Phase1Keys``); the payload is r and
///   s as fixed-length big-endian integers, concatenated.
public final class IKESignatureKey: @unchecked Sendable {
    let key: OpaquePointer
    public let kind: SignatureKeyKind
    public let isPrivate: Bool

    /// Reads a private key: PEM or DER, PKCS#8 or the traditional RSA and EC forms. An
    /// encrypted key is refused (store it decrypted; the store is root-only).
    public init(privateKey bytes: [UInt8]) throws(CertificateError) {
        var pkey: OpaquePointer?
        guard let decoder = OSSL_DECODER_CTX_new_for_pkey(&pkey, nil, nil, nil, WARD_EVP_PKEY_KEYPAIR, nil, nil) else {
            throw CertificateError("private key", "libcrypto has no key decoder")
        }
        defer { OSSL_DECODER_CTX_free(decoder) }
        var length = bytes.count
        let decoded = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            var pointer = buffer.baseAddress
            return OSSL_DECODER_from_data(decoder, &pointer, &length)
        }
        ERR_clear_error()
        guard decoded == 1, let pkey else {
            let text = String(decoding: bytes.prefix(64), as: UTF8.self)
            throw CertificateError("private key", text.contains("ENCRYPTED")
                ? "is encrypted; store it decrypted (openssl pkey -in KEY -out PLAIN)"
                : "is not a PEM or DER RSA or EC private key (PKCS#8, PKCS#1 or SEC1)")
        }
        do { kind = try Self.kind(of: pkey) } catch { EVP_PKEY_free(pkey); throw error }
        key = pkey
        isPrivate = true
    }

    /// Reads a public key from a DER SubjectPublicKeyInfo (a certificate's key).
    public init(subjectPublicKeyInfo der: [UInt8]) throws(CertificateError) {
        let pkey = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer = buffer.baseAddress
            return d2i_PUBKEY(nil, &pointer, buffer.count)
        }
        ERR_clear_error()
        guard let pkey else { throw CertificateError("public key", "the SubjectPublicKeyInfo does not decode") }
        do { kind = try Self.kind(of: pkey) } catch { EVP_PKEY_free(pkey); throw error }
        key = pkey
        isPrivate = false
    }

    deinit { EVP_PKEY_free(key) }

    private static func kind(of pkey: OpaquePointer) throws(CertificateError) -> SignatureKeyKind {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(pkey))
            guard bits >= 1024 else { throw CertificateError("key", "RSA with \(bits) bits is too short (at least 1024)") }
            return .rsa(bits: bits)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pkey, WARD_PARAM_GROUP_NAME, &name, name.count, &length) == 1 else {
                throw CertificateError("key", "EC key without a named curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1", "P-256": return .ecdsa(curve: .p256)
            case "secp384r1", "P-384": return .ecdsa(curve: .p384)
            case "secp521r1", "P-521": return .ecdsa(curve: .p521)
            default: throw CertificateError("key", "EC curve \(curve) is not P-256, P-384 or P-521 (RFC 4754)")
            }
        case let other:
            throw CertificateError("key", "type \(other) is neither RSA nor EC")
        }
    }

    /// The key's DER SubjectPublicKeyInfo, to compare with a certificate's.
    public var subjectPublicKeyInfo: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key, &out)
        guard length > 0, let out else { return [] }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// The private key as unencrypted PKCS#8 PEM, for the store.
    public func pkcs8PEM() throws(CertificateError) -> [UInt8] {
        guard isPrivate, let bio = BIO_new(BIO_s_mem()) else { throw CertificateError("private key", "cannot be written") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else {
            ERR_clear_error()
            throw CertificateError("private key", "libcrypto cannot write it as PKCS#8")
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = ward_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    private func context() throws(CertificateError) -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { throw CertificateError("signature", "no key context") }
        return context
    }

    /// Signs HASH_I or HASH_R (this must be a private key).
    public func sign(_ hash: [UInt8]) throws(CertificateError) -> [UInt8] {
        guard isPrivate else { throw CertificateError("signature", "a public key cannot sign") }
        let input = hash
        let context = try context()
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1 else { ERR_clear_error(); throw CertificateError("signature", "signing is not available for \(kind)") }
        if case .rsa = kind, EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) != 1 {
            ERR_clear_error()
            throw CertificateError("signature", "PKCS#1 padding refused")
        }
        var length = 0
        guard EVP_PKEY_sign(context, nil, &length, input, input.count) == 1 else { ERR_clear_error(); throw CertificateError("signature", "size query failed") }
        var out = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_sign(context, &out, &length, input, input.count) == 1 else {
            ERR_clear_error()
            throw CertificateError("signature", "\(kind) signing failed (a \(hash.count)-byte hash)")
        }
        out.removeSubrange(length...)
        if case .ecdsa = kind { return try Self.rawECDSA(der: out, componentLength: kind.ecdsaComponentLength) }
        return out
    }

    /// Whether `signature` is this key's signature over HASH_I or HASH_R.
    public func verify(_ signature: [UInt8], over hash: [UInt8]) -> Bool {
        let input = hash
        guard let context = try? context() else { return false }
        defer { EVP_PKEY_CTX_free(context); ERR_clear_error() }
        guard EVP_PKEY_verify_init(context) == 1 else { return false }
        var encoded = signature
        switch kind {
        case .rsa:
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 else { return false }
        case .ecdsa:
            guard let der = Self.derECDSA(raw: signature, componentLength: kind.ecdsaComponentLength) else { return false }
            encoded = der
        }
        return EVP_PKEY_verify(context, encoded, encoded.count, input, input.count) == 1
    }

    /// DER ECDSA-Sig-Value to RFC 4754's r | s, each left-padded to the curve's length.
    static func rawECDSA(der: [UInt8], componentLength: Int) throws(CertificateError) -> [UInt8] {
        let parsed = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &pointer, buffer.count)
        }
        guard let parsed else { throw CertificateError("signature", "libcrypto returned no ECDSA-Sig-Value") }
        defer { ECDSA_SIG_free(parsed) }
        var out = [UInt8](repeating: 0, count: 2 * componentLength)
        guard BN_bn2binpad(ECDSA_SIG_get0_r(parsed), &out, Int32(componentLength)) == componentLength,
              out.withUnsafeMutableBufferPointer({ BN_bn2binpad(ECDSA_SIG_get0_s(parsed), $0.baseAddress! + componentLength, Int32(componentLength)) })
                == componentLength else { throw CertificateError("signature", "ECDSA r or s longer than the curve") }
        return out
    }

    /// RFC 4754's r | s to DER, or nil when the length is not twice the curve's.
    static func derECDSA(raw: [UInt8], componentLength: Int) -> [UInt8]? {
        guard componentLength > 0, raw.count == 2 * componentLength, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = BN_bin2bn(raw, Int32(componentLength), nil)
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + componentLength, Int32(componentLength), nil) }
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else { BN_free(r); BN_free(s); return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(sig, &out)
        guard length > 0, let out else { return nil }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}
