/// ESP encryption transforms, numbered as IANA's IKE "Transform Type 1" registry (RFC 4303
/// §3.2 needs both a cipher and, unless it is combined-mode, an integrity transform).
public enum EncryptionAlgorithm: Hashable, Sendable, CustomStringConvertible {
    /// RFC 2410: no confidentiality; ESP with integrity only.
    case null
    /// RFC 2405 DES-CBC, 8-byte key (the seed's "DES").
    case desCBC
    /// RFC 2451 3DES-CBC (EDE), 24-byte key.
    case tripleDESCBC
    /// RFC 3602 AES-CBC with a 128, 192 or 256-bit key.
    case aesCBC(keyBits: Int)
    /// RFC 4106 AES-GCM with a 16-byte ICV; key material = key + 4-byte salt.
    case aesGCM16(keyBits: Int)
    /// RFC 7634 ChaCha20-Poly1305; key material = 32-byte key + 4-byte salt.
    case chacha20Poly1305

    /// Combined-mode (AEAD) algorithms carry their own integrity.
    public var isAEAD: Bool {
        switch self {
        case .aesGCM16, .chacha20Poly1305: true
        default: false
        }
    }

    /// Bytes of key material an SA needs (including an AEAD's salt).
    public var keyMaterialLength: Int {
        switch self {
        case .null: 0
        case .desCBC: 8
        case .tripleDESCBC: 24
        case .aesCBC(let bits): bits / 8
        case .aesGCM16(let bits): bits / 8 + 4
        case .chacha20Poly1305: 36
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .desCBC: "DES-CBC"
        case .tripleDESCBC: "3DES-CBC"
        case .aesCBC(let bits): "AES-CBC-\(bits)"
        case .aesGCM16(let bits): "AES-GCM-\(bits)"
        case .chacha20Poly1305: "ChaCha20-Poly1305"
        }
    }
}

/// ESP/AH integrity transforms: HMACs truncated to their ICV length.
public enum IntegrityAlgorithm: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// RFC 2403.
    case hmacMD5_96
    /// RFC 2404.
    case hmacSHA1_96
    /// RFC 4868.
    case hmacSHA256_128, hmacSHA384_192, hmacSHA512_256

    /// Key length (RFC 2403/2404: the digest size; RFC 4868: the digest size).
    public var keyLength: Int {
        switch self {
        case .hmacMD5_96: 16
        case .hmacSHA1_96: 20
        case .hmacSHA256_128: 32
        case .hmacSHA384_192: 48
        case .hmacSHA512_256: 64
        }
    }

    /// Bytes of ICV on the wire.
    public var icvLength: Int {
        switch self {
        case .hmacMD5_96, .hmacSHA1_96: 12
        case .hmacSHA256_128: 16
        case .hmacSHA384_192: 24
        case .hmacSHA512_256: 32
        }
    }

    /// libcrypto's digest name.
    var digestName: String {
        switch self {
        case .hmacMD5_96: "MD5"
        case .hmacSHA1_96: "SHA1"
        case .hmacSHA256_128: "SHA256"
        case .hmacSHA384_192: "SHA384"
        case .hmacSHA512_256: "SHA512"
        }
    }

    public var description: String {
        switch self {
        case .hmacMD5_96: "HMAC-MD5-96"
        case .hmacSHA1_96: "HMAC-SHA1-96"
        case .hmacSHA256_128: "HMAC-SHA2-256-128"
        case .hmacSHA384_192: "HMAC-SHA2-384-192"
        case .hmacSHA512_256: "HMAC-SHA2-512-256"
        }
    }
}
