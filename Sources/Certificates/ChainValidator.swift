import Foundation
import X509

/// Builds and checks the path from a peer's certificate to one of a rule's root CAs (RFC 5280
/// §6, the parts IKE needs), with no I/O: the time is given, the CRLs are given.
///
/// 1. Starting at the end-entity certificate, each issuer is looked for first among the
///    anchors, then among the other certificates the peer sent (or the store holds); a
///    candidate is taken only when its subject is the issuer name and its key verifies the
///    signature.
/// 2. Every certificate on the path, the anchor included, must be valid at the given time.
/// 3. Issuers must be CAs (basicConstraints cA), may sign certificates (keyUsage
///    keyCertSign, if the extension is present) and keep their pathLenConstraint; the
///    end-entity certificate must allow digitalSignature or nonRepudiation if it has keyUsage.
/// 4. A critical extension Ward does not check fails the path.
/// 5. Revocation is checked per ``RevocationCheck`` for every certificate below the anchor.
///
/// A path longer than ``maximumDepth`` fails: a peer cannot make the search unbounded.
public struct ChainValidator: Sendable {
    public var anchors: [TrustAnchor]
    public var revocationLists: [RevocationList]
    public var revocationCheck: RevocationCheck
    /// Certificates below the anchor a path may hold (intermediates plus the end entity).
    public var maximumDepth = 8

    public init(anchors: [TrustAnchor], revocationLists: [RevocationList] = [], revocationCheck: RevocationCheck = .off) {
        self.anchors = anchors
        self.revocationLists = revocationLists
        self.revocationCheck = revocationCheck
    }

    /// A path that checked out: the end entity first, the anchor's certificate last.
    public struct ValidatedPath: Sendable {
        public let path: [Certificate]
        public let anchor: TrustAnchor
        public var endEntity: Certificate { path[0] }
    }

    /// Checks `endEntity` at `time`, with `others` as candidate intermediates.
    public func validate(_ endEntity: Certificate, intermediates others: [Certificate], at time: Date) throws(CertificateError) -> ValidatedPath {
        guard !anchors.isEmpty else { throw CertificateError("certificate", "the rule trusts no root CA found in the certificate store") }
        try checkEndEntity(endEntity)
        var path = [endEntity]
        var current = endEntity
        while true {
            try checkValidity(current, at: time, role: path.count == 1 ? "certificate" : "intermediate CA")
            try checkCriticalExtensions(current)
            if let anchor = anchors.first(where: { $0.certificate == current }) {
                // The peer presented a root itself: only an anchor's own certificate may end here.
                return try finish(path, anchor: anchor, at: time)
            }
            if let anchor = anchors.first(where: { $0.certificate.subject == current.issuer && $0.certificate.publicKey.isValidSignature(current.signature, for: current) }) {
                try checkIssuer(anchor.certificate, below: path.count - 1, role: "root CA")
                try checkValidity(anchor.certificate, at: time, role: "root CA")
                return try finish(path + [anchor.certificate], anchor: anchor, at: time)
            }
            guard path.count < maximumDepth else {
                throw CertificateError("certificate", "no trusted root within \(maximumDepth) certificates of \(Self.name(endEntity.subject))")
            }
            guard let issuer = others.first(where: { candidate in
                candidate.subject == current.issuer && !path.contains(candidate) && candidate.publicKey.isValidSignature(current.signature, for: current)
            }) else {
                if others.contains(where: { $0.subject == current.issuer }) || anchors.contains(where: { $0.certificate.subject == current.issuer }) {
                    throw CertificateError("certificate", "the signature of \(Self.name(current.subject)) does not verify with the key of its issuer \(Self.name(current.issuer))")
                }
                throw CertificateError("certificate", "\(Self.name(current.subject)) is issued by \(Self.name(current.issuer)), which is not a root CA of this rule ("
                                       + anchors.map(\.name).joined(separator: "; ") + ") nor issued under one")
            }
            try checkIssuer(issuer, below: path.count - 1, role: "intermediate CA")
            path.append(issuer)
            current = issuer
        }
    }

    private func finish(_ path: [Certificate], anchor: TrustAnchor, at time: Date) throws(CertificateError) -> ValidatedPath {
        if revocationCheck != .off {
            for index in 0..<(path.count - 1) { try checkRevocation(path[index], issuer: path[index + 1], at: time) }
        }
        return ValidatedPath(path: path, anchor: anchor)
    }

    private func checkValidity(_ certificate: Certificate, at time: Date, role: String) throws(CertificateError) {
        if time < certificate.notValidBefore {
            throw CertificateError(role, "\(Self.name(certificate.subject)) is not valid before \(Self.stamp(certificate.notValidBefore))")
        }
        if time > certificate.notValidAfter {
            throw CertificateError(role, "\(Self.name(certificate.subject)) expired on \(Self.stamp(certificate.notValidAfter))")
        }
    }

    private func checkEndEntity(_ certificate: Certificate) throws(CertificateError) {
        guard let usage = try? certificate.extensions.keyUsage else {
            if certificate.extensions[oid: .X509ExtensionID.keyUsage] != nil {
                throw CertificateError("certificate", "\(Self.name(certificate.subject)) has a keyUsage extension that does not decode")
            }
            return
        }
        guard usage.digitalSignature || usage.nonRepudiation else {
            throw CertificateError("certificate", "\(Self.name(certificate.subject)) may not sign (keyUsage has neither digitalSignature nor nonRepudiation)")
        }
    }

    /// `below`: how many intermediates lie between this issuer and the end entity.
    private func checkIssuer(_ issuer: Certificate, below intermediates: Int, role: String) throws(CertificateError) {
        let constraints: BasicConstraints?
        do { constraints = try issuer.extensions.basicConstraints } catch {
            throw CertificateError(role, "\(Self.name(issuer.subject)) has a basicConstraints extension that does not decode")
        }
        guard case .isCertificateAuthority(let maxPathLength)? = constraints else {
            throw CertificateError(role, "\(Self.name(issuer.subject)) is not a CA (no basicConstraints cA=true) but issued a certificate")
        }
        if let maxPathLength, intermediates > maxPathLength {
            throw CertificateError(role, "\(Self.name(issuer.subject)) allows \(maxPathLength) intermediate CAs below it (pathLenConstraint), the path has \(intermediates)")
        }
        if let usage = try? issuer.extensions.keyUsage, !usage.keyCertSign {
            throw CertificateError(role, "\(Self.name(issuer.subject)) may not sign certificates (keyUsage lacks keyCertSign)")
        }
    }

    /// RFC 5280 §4.2: a critical extension the checker does not process fails the path.
    private func checkCriticalExtensions(_ certificate: Certificate) throws(CertificateError) {
        let understood: Set<String> = ["2.5.29.15", "2.5.29.19", "2.5.29.37", "2.5.29.17", "2.5.29.32", "2.5.29.14", "2.5.29.35"]
        for ext in certificate.extensions where ext.critical && !understood.contains(ext.oid.description) {
            throw CertificateError("certificate", "\(Self.name(certificate.subject)) has critical extension \(ext.oid), which Ward does not process")
        }
    }

    private func checkRevocation(_ certificate: Certificate, issuer: Certificate, at time: Date) throws(CertificateError) {
        let lists = revocationLists.filter { $0.issuer == certificate.issuer }
        let signed = lists.filter { $0.isSigned(by: issuer) }
        for list in signed {
            if let date = list.revocationDate(of: certificate.serialNumber), date <= time {
                throw CertificateError("certificate", "\(Self.name(certificate.subject)) (serial \(certificate.serialNumber)) was revoked on \(Self.stamp(date)) by the CRL of \(Self.name(list.issuer))")
            }
        }
        guard revocationCheck == .strict else { return }
        guard !lists.isEmpty else {
            throw CertificateError("certificate", "no CRL from \(Self.name(certificate.issuer)) to check \(Self.name(certificate.subject)) (strongcrlcheck=2)")
        }
        guard let current = signed.max(by: { $0.thisUpdate < $1.thisUpdate }) else {
            let why = lists.compactMap(\.unsupportedAlgorithm).first ?? "its signature does not verify with the issuer's key"
            throw CertificateError("CRL", "the CRL of \(Self.name(certificate.issuer)) cannot be trusted: \(why) (strongcrlcheck=2)")
        }
        if let next = current.nextUpdate, next < time {
            throw CertificateError("CRL", "the CRL of \(Self.name(certificate.issuer)) is out of date (next update was \(Self.stamp(next))) (strongcrlcheck=2)")
        }
    }

    static func name(_ dn: DistinguishedName) -> String { "\"\(dn)\"" }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
