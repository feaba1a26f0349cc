import Transforms

/// One Main Mode offer in the terms of RFC 2409 Appendix A: cipher, hash (and so prf),
/// authentication method, Diffie-Hellman group and lifetimes. Converts to and from the
/// attributes of a KEY_IKE transform payload.
public struct Phase1Transform: Equatable, Sendable, CustomStringConvertible {
    /// RFC 2409 Appendix A "Authentication Method" values Ward speaks.
    public enum Authentication: UInt16, Sendable {
        case preSharedKey = 1
        case dssSignatures = 2
        case rsaSignatures = 3
        /// ECDSA on P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512 (RFC 4754 §3).
        case ecdsaP256 = 9
        case ecdsaP384 = 10
        case ecdsaP521 = 11
        /// GSS-API Kerberos as Windows sends it (private-use value; Cisco reuses 65001 for XAUTH,
        /// so it is only offered to or accepted from peers whose policy says Kerberos).
        case kerberos = 65001
    }

    public var cipher: EncryptionAlgorithm
    public var hash: IKEHashAlgorithm
    public var authentication: Authentication
    public var group: DiffieHellmanGroup
    /// SA lifetime in seconds (attribute 11 = 1); nil when not offered.
    public var lifetimeSeconds: UInt64?
    /// SA lifetime in kilobytes (attribute 11 = 2); nil when not offered.
    public var lifetimeKilobytes: UInt64?
    /// With Kerberos, the sender's GSS identity as the GSS Identity Name attribute carries it
    /// (16384, or Windows 2000's 32001; ``GSSAuthentication/decodeIdentity(_:)``).
    public var gssIdentity: [UInt8]?

    public init(cipher: EncryptionAlgorithm, hash: IKEHashAlgorithm, authentication: Authentication, group: DiffieHellmanGroup,
                lifetimeSeconds: UInt64? = 28_800, lifetimeKilobytes: UInt64? = nil) {
        self.cipher = cipher
        self.hash = hash
        self.authentication = authentication
        self.group = group
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
    }

    public var description: String { "\(cipher)-\(hash)-\(group.rawValue) \(authentication)" }

    /// Whether the two agree on everything but lifetimes (which the responder may shorten).
    public func sameAlgorithms(as other: Phase1Transform) -> Bool {
        cipher == other.cipher && hash == other.hash && authentication == other.authentication && group == other.group
    }

    /// The transform payload's attributes (RFC 2409 Appendix A numbers; AES per RFC 3602 with
    /// the Key Length attribute 14).
    public var attributes: [Attribute] {
        var list: [Attribute] = []
        switch cipher {
        case .desCBC: list.append(Attribute(1, 1))
        case .tripleDESCBC: list.append(Attribute(1, 5))
        case .aesCBC(let bits): list.append(Attribute(1, 7))
            list.append(Attribute(14, UInt16(bits)))
        default: break  // not constructible: see init(transform:)
        }
        list += [Attribute(2, hash.rawValue), Attribute(3, authentication.rawValue), Attribute(4, UInt16(group.rawValue))]
        for (type, value) in [(UInt16(1), lifetimeSeconds), (2, lifetimeKilobytes)] {
            guard let value else { continue }
            list.append(Attribute(11, type))
            list.append(value <= UInt64(UInt16.max) ? Attribute(12, UInt16(value))
                        : Attribute(12, bytes: withUnsafeBytes(of: UInt32(clamping: value).bigEndian) { Array($0) }))
        }
        if let gssIdentity { list.append(Attribute(GSSAuthentication.identityAttribute, bytes: gssIdentity)) }
        return list
    }

    /// Reads a KEY_IKE transform. Throws naming the attribute when it is missing, repeated or
    /// has a value Ward does not implement; such a transform is simply not chosen.
    public init(transform: Transform) throws(ProposalError) {
        guard transform.id == 1 else { throw ProposalError(transform: transform.number, "transform ID \(transform.id) is not KEY_IKE (1)") }
        var cipherValue: UInt16?, keyLength: UInt16?, hashValue: UInt16?, authValue: UInt16?, groupValue: UInt16?
        var seconds: UInt64?, kilobytes: UInt64?, pendingLifeType: UInt16?, gssIdentity: [UInt8]?
        func basic(_ attribute: Attribute, _ name: String) throws(ProposalError) -> UInt16 {
            guard case .basic(let value) = attribute.value else { throw ProposalError(transform: transform.number, "\(name) must be a basic attribute") }
            return value
        }
        var seen: Set<UInt16> = []
        for attribute in transform.attributes {
            // Life Type/Duration pairs may repeat (seconds and kilobytes); nothing else may.
            guard attribute.type == 11 || attribute.type == 12 || seen.insert(attribute.type).inserted else {
                throw ProposalError(transform: transform.number, "attribute type \(attribute.type) is repeated")
            }
            switch attribute.type {
            case 1: cipherValue = try basic(attribute, "Encryption Algorithm")
            case 2: hashValue = try basic(attribute, "Hash Algorithm")
            case 3: authValue = try basic(attribute, "Authentication Method")
            case 4: groupValue = try basic(attribute, "Group Description")
            case 14: keyLength = try basic(attribute, "Key Length")
            case 11: pendingLifeType = try basic(attribute, "Life Type")
            case 12:
                guard let lifeType = pendingLifeType else { throw ProposalError(transform: transform.number, "Life Duration without a Life Type before it") }
                guard let value = attribute.number else { throw ProposalError(transform: transform.number, "Life Duration longer than 8 bytes") }
                switch lifeType {
                case 1: seconds = value
                case 2: kilobytes = value
                default: throw ProposalError(transform: transform.number, "Life Type \(lifeType) is not seconds (1) or kilobytes (2)")
                }
                pendingLifeType = nil
            case GSSAuthentication.identityAttribute, GSSAuthentication.legacyIdentityAttribute:
                guard case .variable(let bytes) = attribute.value else {
                    throw ProposalError(transform: transform.number, "GSS Identity Name (\(attribute.type)) must be a variable attribute")
                }
                guard gssIdentity == nil else { throw ProposalError(transform: transform.number, "GSS Identity Name is repeated") }
                gssIdentity = bytes
            default:
                throw ProposalError(transform: transform.number, "attribute type \(attribute.type) is not supported")
            }
        }
        guard let cipherValue else { throw ProposalError(transform: transform.number, "Encryption Algorithm missing") }
        let cipher: EncryptionAlgorithm
        switch (cipherValue, keyLength) {
        case (1, nil): cipher = .desCBC
        case (5, nil): cipher = .tripleDESCBC
        case (7, let bits?) where [128, 192, 256].contains(bits): cipher = .aesCBC(keyBits: Int(bits))
        case (7, nil): throw ProposalError(transform: transform.number, "AES without a Key Length")
        default: throw ProposalError(transform: transform.number, "Encryption Algorithm \(cipherValue) (key length \(keyLength.map(String.init) ?? "none")) is not supported")
        }
        guard let hashValue else { throw ProposalError(transform: transform.number, "Hash Algorithm missing") }
        guard let hash = IKEHashAlgorithm(rawValue: hashValue) else { throw ProposalError(transform: transform.number, "Hash Algorithm \(hashValue) is not supported") }
        guard let authValue else { throw ProposalError(transform: transform.number, "Authentication Method missing") }
        guard let authentication = Authentication(rawValue: authValue) else {
            throw ProposalError(transform: transform.number, "Authentication Method \(authValue) is not supported")
        }
        guard let groupValue else { throw ProposalError(transform: transform.number, "Group Description missing") }
        guard let group = DiffieHellmanGroup(rawValue: Int(groupValue)) else {
            throw ProposalError(transform: transform.number, "Group Description \(groupValue) is not supported")
        }
        if pendingLifeType != nil { throw ProposalError(transform: transform.number, "Life Type without a Life Duration after it") }
        self.init(cipher: cipher, hash: hash, authentication: authentication, group: group, lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes)
        self.gssIdentity = gssIdentity
    }
}

extension Phase1Transform.Authentication {
    /// Whether this method proves identity with a certificate's key (RFC 2409 §5.1).
    public var isSignature: Bool { [.dssSignatures, .rsaSignatures, .ecdsaP256, .ecdsaP384, .ecdsaP521].contains(self) }

    /// The prf HASH_I and HASH_R are computed with, when it is not the negotiated one: ECDSA
    /// pairs each curve with its SHA-2 (RFC 4754 §3; strongSwan computes HASH_I/HASH_R with
    /// HMAC-SHA-256/384/512 for ECDSA whatever hash Main Mode negotiated).
    public var proofPRF: IKEHashAlgorithm? {
        switch self {
        case .ecdsaP256: .sha256
        case .ecdsaP384: .sha384
        case .ecdsaP521: .sha512
        default: nil
        }
    }
}

/// Why an offered transform cannot be used; `transform` is its number in the proposal.
public struct ProposalError: Error, Equatable, Sendable, CustomStringConvertible {
    public var transform: UInt8
    public var detail: String

    public init(transform: UInt8, _ detail: String) {
        self.transform = transform
        self.detail = detail
    }

    public var description: String { "transform \(transform): \(detail)" }
}
