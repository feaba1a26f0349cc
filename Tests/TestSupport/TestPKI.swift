import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import X509

/// Certificates, keys and CRLs made in the test process with swift-certificates, at dates the
/// test chooses (expired, not yet valid…). The interop tests use strongSwan's `pki` instead.
public enum TestPKI {
    public enum KeyKind { case rsa2048, p256 }

    /// A certificate with its key: the DER, and the key as PKCS#8 PEM for the store.
    public struct Issued {
        public let certificate: Certificate
        public let der: [UInt8]
        public let key: Certificate.PrivateKey
        public let keyPEM: [UInt8]
        public let kind: KeyKind
    }

    public static let day: TimeInterval = 86_400

    public static func makeKey(_ kind: KeyKind) throws -> (Certificate.PrivateKey, [UInt8]) {
        switch kind {
        case .rsa2048:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return (Certificate.PrivateKey(key), Array(key.pkcs8PEMRepresentation.utf8))
        case .p256:
            let key = P256.Signing.PrivateKey()
            return (Certificate.PrivateKey(key), Array(key.pemRepresentation.utf8))
        }
    }

    static func algorithm(_ kind: KeyKind) -> Certificate.SignatureAlgorithm {
        kind == .rsa2048 ? .sha256WithRSAEncryption : .ecdsaWithSHA256
    }

    public static func name(_ commonName: String, organization: String = "Ward Test") throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("CH")
            OrganizationName(organization)
            CommonName(commonName)
        }
    }

    /// A self-signed root CA.
    public static func root(_ commonName: String, kind: KeyKind = .p256, notBefore: Date = Date() - day, notAfter: Date = Date() + 3650 * day) throws -> Issued {
        let (key, pem) = try makeKey(kind)
        let subject = try name(commonName)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey, notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: subject, subject: subject, signatureAlgorithm: algorithm(kind),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: key)
        return Issued(certificate: certificate, der: try der(certificate), key: key, keyPEM: pem, kind: kind)
    }

    /// A certificate issued by `issuer`: an intermediate CA when `ca`, else a host with the
    /// given subjectAltNames and digitalSignature key usage (unless `keyUsage` says otherwise).
    public static func issue(_ commonName: String, by issuer: Issued, kind: KeyKind = .p256, ca: Bool = false, dnsNames: [String] = [],
                             notBefore: Date = Date() - day, notAfter: Date = Date() + 365 * day, keyUsage: KeyUsage? = nil,
                             crlURL: String? = nil) throws -> Issued {
        let (key, pem) = try makeKey(kind)
        let distributionPoints = try crlURL.map(distributionPointsExtension)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey, notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: issuer.certificate.subject, subject: try name(commonName), signatureAlgorithm: algorithm(issuer.kind),
            extensions: try Certificate.Extensions {
                if ca {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                } else {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(keyUsage ?? KeyUsage(digitalSignature: true))
                    SubjectAlternativeNames(dnsNames.map { GeneralName.dnsName($0) })
                }
                if let distributionPoints { distributionPoints }
            },
            issuerPrivateKey: issuer.key)
        return Issued(certificate: certificate, der: try der(certificate), key: key, keyPEM: pem, kind: kind)
    }

    /// cRLDistributionPoints (RFC 5280 §4.2.1.13) with one HTTP URL: SEQUENCE { SEQUENCE {
    /// [0] { [0] { [6] url } } } } — distributionPoint, fullName, uniformResourceIdentifier.
    static func distributionPointsExtension(_ url: String) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { points in
            try points.appendConstructedNode(identifier: .sequence) { point in
                try point.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { name in
                    try name.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { fullName in
                        fullName.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific)) { $0.append(contentsOf: Array(url.utf8)) }
                    }
                }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 31], critical: false, value: ArraySlice(serializer.serializedBytes))
    }

    public static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// A CRL (RFC 5280 §5.1) signed by `issuer`, revoking `revoked` as of `revokedAt`.
    public static func crl(by issuer: Issued, revoking revoked: [Certificate], revokedAt: Date = Date() - 3600,
                           thisUpdate: Date = Date() - 3600, nextUpdate: Date = Date() + 7 * day) throws -> [UInt8] {
        let algorithmOID: ASN1ObjectIdentifier = issuer.kind == .rsa2048 ? [1, 2, 840, 113549, 1, 1, 11] : [1, 2, 840, 10045, 4, 3, 2]
        func algorithmIdentifier(_ coder: inout DER.Serializer) throws {
            try coder.appendConstructedNode(identifier: .sequence) { inner in
                try inner.serialize(algorithmOID)
                if issuer.kind == .rsa2048 { try inner.serialize(ASN1Null()) }
            }
        }
        func time(_ date: Date) throws -> GeneralizedTime {
            let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
            return try GeneralizedTime(year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!, fractionalSeconds: 0)
        }
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try algorithmIdentifier(&coder)
            try coder.serialize(issuer.certificate.subject)
            try coder.serialize(try time(thisUpdate))
            try coder.serialize(try time(nextUpdate))
            if !revoked.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { list in
                    for certificate in revoked {
                        try list.appendConstructedNode(identifier: .sequence) { entry in
                            try entry.serialize(certificate.serialNumber.bytes)
                            try entry.serialize(try time(revokedAt))
                        }
                    }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try issuer.key.sign(bytes: tbsBytes, signatureAlgorithm: algorithm(issuer.kind))
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { coder in
            coder.serialize(try DER.parse(tbsBytes))
            try algorithmIdentifier(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature.rawRepresentation)))
        }
        return out.serializedBytes
    }
}
