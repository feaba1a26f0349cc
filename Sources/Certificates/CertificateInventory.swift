import Foundation
import SwiftASN1
import Transforms
import X509

/// One certificate of the store, with its private key when the store has it.
public struct StoredCertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]
    /// SHA-256 over the DER, lowercase hex.
    public let fingerprint: String
    public let key: IKESignatureKey?

    public init(der: [UInt8], key: IKESignatureKey? = nil) throws(CertificateError) {
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw CertificateError("certificate", "not a DER X.509 certificate (\(error))")
        }
        self.der = der
        fingerprint = Self.sha256Hex(der)
        self.key = key
    }

    /// Whether the certificate is a CA's (basicConstraints cA=true).
    public var isCA: Bool {
        if case .isCertificateAuthority? = try? certificate.extensions.basicConstraints { return true }
        return false
    }

    /// The key's algorithm and size, as `show`/`list` print it.
    public var keyDescription: String {
        (try? IKESignatureKey(subjectPublicKeyInfo: certificate.publicKey.subjectPublicKeyInfoDER))?.kind.description ?? "\(certificate.publicKey)"
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        ((try? IKEHashAlgorithm.sha256.hash(bytes)) ?? []).map { String(format: "%02x", $0) }.joined()
    }
}

/// Everything the certificate store holds, read once: certificates (with keys), CRLs, the
/// certmap table, and the files that could not be read (each with its reason).
public struct CertificateInventory: Sendable {
    public var certificates: [StoredCertificate]
    public var revocationLists: [RevocationList]
    public var mappings: [CertificateMapping]
    public var problems: [String]

    public init(certificates: [StoredCertificate] = [], revocationLists: [RevocationList] = [], mappings: [CertificateMapping] = [],
                problems: [String] = []) {
        self.certificates = certificates
        self.revocationLists = revocationLists
        self.mappings = mappings
        self.problems = problems
    }

    /// The root CA certificates whose subject is `name` (a `rootca` value): self-issued CA
    /// certificates, since a rule's root is where trust starts.
    public func roots(named name: String) -> [Certificate] {
        guard let pattern = try? DistinguishedNamePattern(name) else { return [] }
        return certificates.filter { $0.isCA && $0.certificate.subject == $0.certificate.issuer && pattern.matches($0.certificate.subject) }
            .map(\.certificate)
    }

    /// The computer identity `certificate` maps to (`certmap`), or nil.
    public func computer(for certificate: Certificate) -> String? {
        let fingerprint = StoredCertificate.sha256Hex((try? derBytes(certificate)) ?? [])
        return mappings.first { $0.maps(certificate, fingerprint: fingerprint) }?.computer
    }

    func derBytes(_ certificate: Certificate) throws -> [UInt8] {
        if let stored = certificates.first(where: { $0.certificate == certificate }) { return stored.der }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
