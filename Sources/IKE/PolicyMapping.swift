import Certificates
import Policy
import Transforms

/// From the policy model (reference a.8 ISAKMP security methods, d.4 filter action security
/// methods, d.5 `qmpfs`, a.7 `mmpfs`/`qmpermm`) to what the exchanges offer and accept.
extension Phase1Transform {
    /// One Main Mode security method with an authentication method and the policy's lifetime.
    public init(_ method: MainModeSecurityMethod, authentication: Authentication, lifetimeSeconds: UInt64) {
        let cipher: EncryptionAlgorithm = switch method.cipher {
        case .des: .desCBC
        case .tripleDES: .tripleDESCBC
        case .aes128: .aesCBC(keyBits: 128)
        case .aes192: .aesCBC(keyBits: 192)
        case .aes256: .aesCBC(keyBits: 256)
        }
        let hash: IKEHashAlgorithm = switch method.hash {
        case .md5: .md5
        case .sha1: .sha1
        case .sha256: .sha256
        case .sha384: .sha384
        case .sha512: .sha512
        }
        self.init(cipher: cipher, hash: hash, authentication: authentication, group: Transforms.DiffieHellmanGroup(method.group),
                  lifetimeSeconds: lifetimeSeconds)
    }
}

extension Transforms.DiffieHellmanGroup {
    /// The policy's groups 1, 2 and 2048 ("3" in netsh) are IKE groups 1, 2 and 14.
    public init(_ group: Policy.DiffieHellmanGroup) {
        switch group {
        case .modp768: self = .modp768
        case .modp1024: self = .modp1024
        case .modp2048: self = .modp2048
        }
    }
}

extension Transforms.IntegrityAlgorithm {
    public init(_ integrity: Policy.IntegrityAlgorithm) {
        switch integrity {
        case .md5: self = .hmacMD5_96
        case .sha1: self = .hmacSHA1_96
        case .sha256: self = .hmacSHA256_128
        case .sha384: self = .hmacSHA384_192
        case .sha512: self = .hmacSHA512_256
        }
    }
}

extension QuickModeTransform {
    /// One filter action security method, or nil for an AH+ESP bundle, which this version does
    /// not negotiate (such a method is skipped; the others are still offered).
    public init?(_ method: QuickModeSecurityMethod) {
        let seconds = UInt64(method.lifetimeSeconds), kilobytes = UInt64(method.lifetimeKilobytes)
        switch (method.ah, method.esp) {
        case (let ah?, nil):
            self.init(ipsecProtocol: .ah, cipher: nil, integrity: Transforms.IntegrityAlgorithm(ah), encapsulation: .transport,
                      lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes)
        case (nil, let esp?):
            let cipher: EncryptionAlgorithm = switch esp.cipher {
            case .none: .null
            case .des: .desCBC
            case .tripleDES: .tripleDESCBC
            case .aes128: .aesCBC(keyBits: 128)
            case .aes192: .aesCBC(keyBits: 192)
            case .aes256: .aesCBC(keyBits: 256)
            case .aesGCM128: .aesGCM16(keyBits: 128)
            case .aesGCM192: .aesGCM16(keyBits: 192)
            case .aesGCM256: .aesGCM16(keyBits: 256)
            }
            self.init(ipsecProtocol: .esp, cipher: cipher, integrity: esp.integrity.map(Transforms.IntegrityAlgorithm.init),
                      encapsulation: .transport, lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes)
        default:
            return nil
        }
    }
}

extension MainModePolicy {
    /// The policy's ISAKMP settings with a rule's authentication methods, in the rule's order
    /// (reference a.7): each method is offered with every security method, so the first
    /// method both peers share is the one used. A preshared key is offered once (the first);
    /// the `rootca` methods together make one certificate method, trusting all their roots,
    /// offered under the signature method of each key this side can sign with (RSA 3, ECDSA
    /// 9/10/11). With no usable key it still offers (and accepts) the kinds of the keys it
    /// holds, or all of them: the exchange then fails at the signature, naming what is wrong,
    /// instead of with a bare NO-PROPOSAL-CHOSEN.
    /// Kerberos (method 65001) is offered in its place in the order when the host has
    /// Kerberos credentials (`kerberos`); without them it is skipped, as a certificate method
    /// is without a store. Nil when nothing can be offered.
    public init?(isakmp: ISAKMPSettings, authentication: [AuthenticationMethod], certificates: CertificateSettings? = nil,
                 kerberos: (any GSSMechanism)? = nil) {
        let lifetime = UInt64(isakmp.lifetimeMinutes) * 60
        var transforms: [Phase1Transform] = []
        var authenticator = Phase1Authenticator()
        for method in authentication {
            switch method {
            case .kerberos where authenticator.kerberos == nil:
                guard let kerberos else { continue }
                authenticator.kerberos = kerberos
                transforms += isakmp.securityMethods.map { Phase1Transform($0, authentication: .kerberos, lifetimeSeconds: lifetime) }
            case .preSharedKey(let key) where authenticator.preSharedKey == nil:
                authenticator.preSharedKey = Array(key.utf8)
                transforms += isakmp.securityMethods.map { Phase1Transform($0, authentication: .preSharedKey, lifetimeSeconds: lifetime) }
            case .certificate where authenticator.certificates == nil:
                guard let certificates else { continue }
                let roots = authentication.compactMap { method -> (name: String, certificateMapping: Bool, excludeCAName: Bool)? in
                    guard case .certificate(let root) = method else { return nil }
                    return (root.name, root.certificateMapping, root.excludeCAName)
                }
                let certificateAuthenticator = certificates.authenticator(roots: roots)
                authenticator.certificates = certificateAuthenticator
                let kinds = certificates.keyKindsToOffer(certificateAuthenticator)
                let methods: [Phase1Transform.Authentication] = kinds.isEmpty ? [.rsaSignatures, .ecdsaP256, .ecdsaP384, .ecdsaP521]
                    : kinds.compactMap { Phase1Transform.Authentication(rawValue: $0.authenticationMethod) }
                for security in isakmp.securityMethods {
                    for signature in methods {
                        transforms.append(Phase1Transform(security, authentication: signature, lifetimeSeconds: lifetime))
                    }
                }
            default:
                continue
            }
        }
        guard !transforms.isEmpty else { return nil }
        self.init(transforms: transforms, authenticator: authenticator,
                  quickModesPerMainMode: isakmp.quickModesPerMainMode == 0 ? nil : isakmp.quickModesPerMainMode)
    }
}

extension QuickModePolicy {
    /// A negotiate filter action's methods in order; with `qmpfs` the PFS group is the one the
    /// Main Mode SA negotiated ([NF]: Windows documents no separate Quick Mode group).
    public init(_ action: FilterAction, tunnel: Bool) {
        self.init(offers: action.securityMethods.compactMap(QuickModeTransform.init), pfsFromMainMode: action.quickModePFS,
                  mode: tunnel ? .tunnel : .transport)
    }

    /// The default response rule's methods (always transport: it answers peers no rule covers).
    public init(_ rule: DefaultResponseRule) {
        self.init(offers: rule.securityMethods.compactMap(QuickModeTransform.init), pfsFromMainMode: rule.quickModePFS, mode: .transport)
    }
}
