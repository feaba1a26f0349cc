import Packet
import SwiftASN1
import X509

/// An IKE identity as certificates see it: the ID payload types RFC 2407 §4.6.2 defines that
/// a certificate can vouch for.
public enum CertificateIdentity: Equatable, Sendable, CustomStringConvertible {
    /// ID_DER_ASN1_DN: the DER of a Name, matched against the subject.
    case distinguishedName([UInt8])
    /// ID_FQDN: matched against a subjectAltName dNSName (case-insensitive).
    case fqdn(String)
    /// ID_USER_FQDN: matched against a subjectAltName rfc822Name (case-insensitive).
    case userFQDN(String)
    /// ID_IPV4_ADDR / ID_IPV6_ADDR: matched against a subjectAltName iPAddress.
    case address([UInt8])

    /// The identity a certificate is sent under by default: its subject, as DER.
    public static func subject(of certificate: Certificate) -> CertificateIdentity {
        .distinguishedName(derName(certificate.subject))
    }

    static func derName(_ name: DistinguishedName) -> [UInt8] {
        var serializer = DER.Serializer()
        do { try serializer.serialize(name) } catch { return [] }
        return serializer.serializedBytes
    }

    /// Whether `certificate` vouches for this identity; throws why not.
    public func check(against certificate: Certificate) throws(CertificateError) {
        let names: [GeneralName] = (try? certificate.extensions.subjectAlternativeNames).map { Array($0) } ?? []
        switch self {
        case .distinguishedName(let der):
            guard let parsed = try? DistinguishedName(derEncoded: der) else {
                throw CertificateError("ID payload", "ID_DER_ASN1_DN does not decode as a Name")
            }
            if parsed == certificate.subject { return }
            // A DN with the same attributes in another order or case names the same subject.
            if DistinguishedNamePattern(parsed) == DistinguishedNamePattern(certificate.subject) { return }
            throw CertificateError("ID payload", "the peer claims \(self), its certificate is for \"\(certificate.subject)\"")
        case .fqdn(let name):
            if names.contains(where: { if case .dnsName(let dns) = $0 { dns.lowercased() == name.lowercased() } else { false } }) { return }
            throw CertificateError("ID payload", "the peer claims FQDN \(name), which is not a dNSName in the subjectAltName of \"\(certificate.subject)\"")
        case .userFQDN(let name):
            if names.contains(where: { if case .rfc822Name(let mail) = $0 { mail.lowercased() == name.lowercased() } else { false } }) { return }
            throw CertificateError("ID payload", "the peer claims user FQDN \(name), which is not an rfc822Name in the subjectAltName of \"\(certificate.subject)\"")
        case .address(let bytes):
            if names.contains(where: { if case .ipAddress(let octets) = $0 { Array(octets.bytes) == bytes } else { false } }) { return }
            throw CertificateError("ID payload", "the peer claims address \(self), which is not an iPAddress in the subjectAltName of \"\(certificate.subject)\"")
        }
    }

    public var description: String {
        switch self {
        case .distinguishedName(let der):
            if let name = try? DistinguishedName(derEncoded: der) { return "DN \"\(name)\"" }
            return "DN (\(der.count) bytes that do not decode)"
        case .fqdn(let name): return "FQDN \(name)"
        case .userFQDN(let name): return "user FQDN \(name)"
        case .address(let bytes):
            return IPAddress(octets: bytes)?.description ?? "address (\(bytes.count) bytes)"
        }
    }
}

/// This side's certificate, the CA certificates between it and its root, and its private key.
public struct LocalCredential: Sendable {
    public let certificate: Certificate
    /// The DER of `certificate` and of each intermediate, end entity first: the CERT payloads.
    public let chainDER: [[UInt8]]
    public let key: IKESignatureKey
    /// The anchor this credential's path ends at.
    public let anchorName: String

    public init(certificate: Certificate, chainDER: [[UInt8]], key: IKESignatureKey, anchorName: String) {
        self.certificate = certificate
        self.chainDER = chainDER
        self.key = key
        self.anchorName = anchorName
    }
}

/// `certmap:yes` (reference a.7). Windows maps a certificate to a domain computer account;
/// Ward has no domain, so it maps to a computer identity from its own table
/// (`ward certificate map`), keyed by the certificate's subject or its SHA-256 fingerprint.
/// A certificate under a `certmap:yes` root that maps to nothing fails authentication.
public struct CertificateMapping: Codable, Equatable, Sendable {
    /// A subject DN (as `rootca` writes names) or `sha256:` and the fingerprint in hex.
    public var match: String
    /// The computer identity the certificate stands for.
    public var computer: String

    public init(match: String, computer: String) {
        self.match = match
        self.computer = computer
    }

    /// Whether this entry maps `certificate`, whose SHA-256 fingerprint is `fingerprint` (hex).
    public func maps(_ certificate: Certificate, fingerprint: String) -> Bool {
        if match.lowercased().hasPrefix("sha256:") {
            return String(match.dropFirst(7)).lowercased().filter { $0 != ":" } == fingerprint.lowercased()
        }
        guard let pattern = try? DistinguishedNamePattern(match) else { return false }
        return pattern.matches(certificate.subject)
    }
}

extension Certificate.PublicKey {
    /// The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), as libcrypto reads and writes it.
    var subjectPublicKeyInfoDER: [UInt8] {
        var serializer = DER.Serializer()
        do { try serializer.serialize(self) } catch { return [] }
        return serializer.serializedBytes
    }
}
