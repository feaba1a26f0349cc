import X509

/// A root CA a rule trusts: one `rootca` method (reference a.7) with the certificate found for
/// its name in the certificate store.
public struct TrustAnchor: Sendable {
    /// The root's self-signed certificate.
    public let certificate: Certificate
    /// The name as the rule writes it (`rootca="…"`), for messages.
    public let name: String
    /// `certmap:yes`: a peer certificate under this root must map to a computer identity.
    public let certificateMapping: Bool
    /// `excludecaname:yes`: the root's name is left out of CERTREQ payloads.
    public let excludeCAName: Bool

    public init(certificate: Certificate, name: String, certificateMapping: Bool = false, excludeCAName: Bool = false) {
        self.certificate = certificate
        self.name = name
        self.certificateMapping = certificateMapping
        self.excludeCAName = excludeCAName
    }
}

/// How revocation is checked (`strongcrlcheck`, reference c.1): 0 off; 1 fail only when a
/// certificate is revoked; 2 fail on any CRL error too (no CRL from the issuer, a CRL past
/// its next update, or one whose signature does not verify).
public enum RevocationCheck: Int, Sendable {
    case off = 0
    case revokedOnly = 1
    case strict = 2
}
