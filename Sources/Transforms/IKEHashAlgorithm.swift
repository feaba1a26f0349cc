import COpenSSL

/// The hash of an IKEv1 phase 1 proposal (RFC 2409 Appendix A "Hash Algorithm", RFC 4868 for
/// SHA-2) and the HMAC built from it, which is IKEv1's prf when no PRF attribute is negotiated
/// (RFC 2409 §4: "the HMAC version of the negotiated hash algorithm is used as a default").
///
/// Negotiation runs a few times per SA, not per packet, so this uses libcrypto's one-shot calls
/// and returns fresh arrays.
public enum IKEHashAlgorithm: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case md5 = 1
    case sha1 = 2
    case sha256 = 4
    case sha384 = 5
    case sha512 = 6

    /// Bytes of a digest, which is also the length of every prf output (SKEYID and friends).
    public var digestLength: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    public var description: String {
        switch self {
        case .md5: "MD5"
        case .sha1: "SHA1"
        case .sha256: "SHA2-256"
        case .sha384: "SHA2-384"
        case .sha512: "SHA2-512"
        }
    }

    private var messageDigest: OpaquePointer? {
        switch self {
        case .md5: EVP_md5()
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    /// The plain hash of `data`, as in the phase 1 IV: hash(g^xi | g^xr) (RFC 2409 Appendix B).
    public func hash(_ data: [UInt8]) throws(TransformError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: digestLength)
        var written: UInt32 = 0
        let succeeded = data.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &output, &written, messageDigest, nil) == 1
        }
        guard succeeded, Int(written) == digestLength else { throw .fromLibcrypto("EVP_Digest(\(self))") }
        return output
    }

    /// HMAC-`self`(key, data): IKEv1's prf(key, msg).
    public func prf(key: [UInt8], _ data: [UInt8]) throws(TransformError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: digestLength)
        var written: UInt32 = 0
        // HMAC() rejects a NULL key pointer, which an empty array would give, even at length 0.
        let keyStorage = key.isEmpty ? [0] : key
        let succeeded = keyStorage.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { input in
                HMAC(messageDigest, keyBytes.baseAddress, Int32(key.count),
                     input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                     &output, &written) != nil
            }
        }
        guard succeeded, Int(written) == digestLength else { throw .fromLibcrypto("HMAC(\(self))") }
        return output
    }
}
