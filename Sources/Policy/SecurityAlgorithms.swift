import Foundation

/// Encryption algorithms offered in main mode (IKE) security methods.
///
/// DES and 3DES are the Windows Server 2003 set; the AES key sizes are Ward's modern additions
/// (RFC 3602 in IKEv1 via RFC 4109's attribute values).
public enum MainModeCipher: String, CaseIterable, Codable, Sendable {
    case des = "DES", tripleDES = "3DES", aes128 = "AES128", aes192 = "AES192", aes256 = "AES256"
}

/// Hash (and PRF) algorithms offered in main mode security methods.
public enum MainModeHash: String, CaseIterable, Codable, Sendable {
    case md5 = "MD5", sha1 = "SHA1", sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512"
}

/// Diffie-Hellman (Oakley) groups.
///
/// netsh's 2003 syntax numbers them 1, 2 and 3, where "3" means the 2048-bit MODP group that
/// IANA numbers 14 (RFC 3526 §3), not IKE's EC2N group 3. Ward keeps the IANA number.
public enum DiffieHellmanGroup: Int, CaseIterable, Codable, Sendable {
    case modp768 = 1, modp1024 = 2, modp2048 = 14

    /// Accepts `1`, `2`, `3` (netsh's "High (2048)"), `14`, `2048`, and `DHGroup1|2|14|2048`.
    public init?(netsh text: some StringProtocol) {
        var body = text.lowercased()
        if body.hasPrefix("dhgroup") { body.removeFirst("dhgroup".count) }
        switch body {
        case "1": self = .modp768
        case "2": self = .modp1024
        case "3", "14", "2048": self = .modp2048
        default: return nil
        }
    }

    /// The number netsh 2003 writes (1, 2 or 3).
    public var netshNumber: Int {
        switch self {
        case .modp768: 1
        case .modp1024: 2
        case .modp2048: 3
        }
    }

    /// The name the monitor and `show` print: "Low (1)", "Medium (2)", "High (2048)".
    public var displayName: String {
        switch self {
        case .modp768: "Low (1)"
        case .modp1024: "Medium (2)"
        case .modp2048: "High (2048)"
        }
    }
}

/// ESP encryption algorithms (the `ConfAlg` of a quick mode method).
///
/// `None` is integrity-only ESP (RFC 2410 NULL encryption). The AES-GCM entries are AEAD
/// (RFC 4106) and take no separate integrity algorithm.
public enum ESPCipher: String, CaseIterable, Codable, Sendable {
    case none = "None", des = "DES", tripleDES = "3DES"
    case aes128 = "AES128", aes192 = "AES192", aes256 = "AES256"
    case aesGCM128 = "AES-GCM128", aesGCM192 = "AES-GCM192", aesGCM256 = "AES-GCM256"

    public var isAEAD: Bool { self == .aesGCM128 || self == .aesGCM192 || self == .aesGCM256 }

    /// Case-insensitive; `AESGCM128` is accepted for `AES-GCM128`.
    public init?(netsh text: some StringProtocol) {
        let key = text.uppercased().replacingOccurrences(of: "-", with: "")
        guard let match = Self.allCases.first(where: {
            $0.rawValue.uppercased().replacingOccurrences(of: "-", with: "") == key
        }) else { return nil }
        self = match
    }
}

/// Integrity algorithms for ESP (`AuthAlg`) and AH (`HashAlg`): HMAC-MD5-96 and HMAC-SHA1-96
/// (RFC 2403/2404) from 2003, HMAC-SHA2 (RFC 4868) added by Ward.
public enum IntegrityAlgorithm: String, CaseIterable, Codable, Sendable {
    case md5 = "MD5", sha1 = "SHA1", sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512"

    public init?(netsh text: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(String(text)) == .orderedSame })
        else { return nil }
        self = match
    }
}

extension MainModeCipher {
    public init?(netsh text: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(String(text)) == .orderedSame })
        else { return nil }
        self = match
    }
}

extension MainModeHash {
    public init?(netsh text: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(String(text)) == .orderedSame })
        else { return nil }
        self = match
    }
}
