import Foundation
import SwiftASN1
import X509

/// A certificate revocation list (RFC 5280 §5), read from DER with swift-asn1:
///
///     CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
///     TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier,
///         issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
///         revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER,
///             revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///         crlExtensions [0] EXPLICIT Extensions OPTIONAL }
///
/// Only what revocation checking needs is kept. The signature is checked against the issuer's
/// key by ``isSigned(by:)``; nothing here trusts a list that was not.
public struct RevocationList: Sendable {
    public let issuer: DistinguishedName
    public let thisUpdate: Date
    public let nextUpdate: Date?
    /// Revoked serial numbers (their DER INTEGER content bytes) and when each was revoked.
    public let revoked: [[UInt8]: Date]
    /// The DER of the whole list, as read.
    public let der: [UInt8]
    let tbsCertList: ArraySlice<UInt8>
    let signatureAlgorithm: Certificate.SignatureAlgorithm?
    let signatureAlgorithmOID: ASN1ObjectIdentifier
    let signature: ArraySlice<UInt8>

    /// Reads a CRL from DER, or from PEM (`-----BEGIN X509 CRL-----`).
    public init(bytes: [UInt8]) throws(CertificateError) {
        var der = bytes
        if let text = String(bytes: bytes, encoding: .utf8), text.contains("-----BEGIN X509 CRL-----") {
            do { der = try PEMDocument(pemString: text).derBytes } catch { throw CertificateError("CRL", "PEM does not decode: \(error)") }
        }
        do { try self.init(der: der) } catch let error as CertificateError { throw error } catch {
            throw CertificateError("CRL", "not a DER CertificateList (RFC 5280 §5.1): \(error)")
        }
    }

    private init(der: [UInt8]) throws {
        self.der = der
        let root = try DER.parse(der)
        var parsed: (ArraySlice<UInt8>, DistinguishedName, Date, Date?, [[UInt8]: Date], ASN1ObjectIdentifier, ArraySlice<UInt8>)?
        try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else { throw CertificateError("CRL", "tbsCertList missing") }
            let (issuer, thisUpdate, nextUpdate, revoked) = try Self.tbsCertList(tbs)
            guard let algorithm = nodes.next() else { throw CertificateError("CRL", "signatureAlgorithm missing") }
            let oid = try DER.sequence(algorithm, identifier: .sequence) { fields in
                guard let first = fields.next() else { throw CertificateError("CRL", "signatureAlgorithm has no algorithm") }
                let oid = try ASN1ObjectIdentifier(derEncoded: first)
                _ = fields.next()  // parameters (NULL or absent)
                return oid
            }
            guard let value = nodes.next() else { throw CertificateError("CRL", "signatureValue missing") }
            let bits = try ASN1BitString(derEncoded: value)
            guard nodes.next() == nil else { throw CertificateError("CRL", "bytes after signatureValue") }
            parsed = (tbs.encodedBytes, issuer, thisUpdate, nextUpdate, revoked, oid, bits.bytes)
        }
        guard let parsed else { throw CertificateError("CRL", "empty") }
        (tbsCertList, issuer, thisUpdate, nextUpdate, revoked, signatureAlgorithmOID, signature) = parsed
        signatureAlgorithm = Self.algorithm(signatureAlgorithmOID)
    }

    private static func tbsCertList(_ node: ASN1Node) throws -> (DistinguishedName, Date, Date?, [[UInt8]: Date]) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            var next = nodes.next()
            if let version = next, version.identifier == .integer { next = nodes.next() }
            guard let algorithm = next, algorithm.identifier == .sequence else { throw CertificateError("CRL", "tbsCertList.signature missing") }
            guard let issuerNode = nodes.next() else { throw CertificateError("CRL", "tbsCertList.issuer missing") }
            let issuer = try DistinguishedName(derEncoded: issuerNode)
            guard let thisNode = nodes.next() else { throw CertificateError("CRL", "tbsCertList.thisUpdate missing") }
            let thisUpdate = try time(thisNode, "thisUpdate")
            var nextUpdate: Date?
            var revoked: [[UInt8]: Date] = [:]
            next = nodes.next()
            if let node = next, node.identifier == .utcTime || node.identifier == .generalizedTime {
                nextUpdate = try time(node, "nextUpdate")
                next = nodes.next()
            }
            if let list = next, list.identifier == .sequence {
                guard case .constructed(let entries) = list.content else { throw CertificateError("CRL", "revokedCertificates is not a SEQUENCE") }
                for entry in entries {
                    try DER.sequence(entry, identifier: .sequence) { fields in
                        guard let serialNode = fields.next(), serialNode.identifier == .integer, case .primitive(let serial) = serialNode.content else {
                            throw CertificateError("CRL", "a revoked entry has no userCertificate serial")
                        }
                        guard let dateNode = fields.next() else { throw CertificateError("CRL", "a revoked entry has no revocationDate") }
                        revoked[Self.magnitude(serial)] = try time(dateNode, "revocationDate")
                        while fields.next() != nil {}  // entry extensions (reason code): not needed
                    }
                }
                next = nodes.next()
            }
            while next != nil { next = nodes.next() }  // crlExtensions
            return (issuer, thisUpdate, nextUpdate, revoked)
        }
    }

    private static func time(_ node: ASN1Node, _ field: String) throws -> Date {
        let parts: (Int, Int, Int, Int, Int, Int)
        switch node.identifier {
        case .utcTime:
            let t = try UTCTime(derEncoded: node)
            parts = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        case .generalizedTime:
            let t = try GeneralizedTime(derEncoded: node)
            parts = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        default:
            throw CertificateError("CRL", "\(field) is not a UTCTime or GeneralizedTime")
        }
        var components = DateComponents()
        (components.year, components.month, components.day, components.hour, components.minute, components.second) = parts
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { throw CertificateError("CRL", "\(field) is not a date") }
        return date
    }

    /// The signature algorithms swift-certificates verifies, by OID (RFC 3279, RFC 4055, RFC 5758).
    private static func algorithm(_ oid: ASN1ObjectIdentifier) -> Certificate.SignatureAlgorithm? {
        switch oid.description {
        case "1.2.840.113549.1.1.5": .sha1WithRSAEncryption
        case "1.2.840.113549.1.1.11": .sha256WithRSAEncryption
        case "1.2.840.113549.1.1.12": .sha384WithRSAEncryption
        case "1.2.840.113549.1.1.13": .sha512WithRSAEncryption
        case "1.2.840.10045.4.3.2": .ecdsaWithSHA256
        case "1.2.840.10045.4.3.3": .ecdsaWithSHA384
        case "1.2.840.10045.4.3.4": .ecdsaWithSHA512
        case "1.3.101.112": .ed25519
        default: nil
        }
    }

    /// Whether `issuer`'s key signed this list (and the list names `issuer` as its issuer).
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let signatureAlgorithm, issuer.subject == self.issuer else { return false }
        return issuer.publicKey.isValidSignature(signature, for: tbsCertList, signatureAlgorithm: signatureAlgorithm)
    }

    /// Why the signature cannot even be checked, for the log; nil when it can.
    public var unsupportedAlgorithm: String? { signatureAlgorithm == nil ? "signature algorithm \(signatureAlgorithmOID) is not supported" : nil }

    /// When `serial` was revoked, or nil if this list does not revoke it.
    public func revocationDate(of serial: Certificate.SerialNumber) -> Date? {
        revoked[Self.magnitude(serial.bytes)]
    }

    /// A serial number's bytes without the leading zero DER adds to keep an INTEGER positive.
    static func magnitude(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(bytes.drop { $0 == 0 })
    }
}
