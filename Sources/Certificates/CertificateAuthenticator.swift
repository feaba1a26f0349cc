import Foundation
import X509

/// Certificate authentication for one rule's Main Mode (reference a.7 `rootca`; RFC 2409
/// §5.1): which CAs to ask the peer for, which of our certificates to present, and whether the
/// peer's certificates, identity and signature hold up. Pure: the store was read beforehand and
/// the wall clock is injected.
public struct CertificateAuthenticator: Sendable {
    public let validator: ChainValidator
    public let inventory: CertificateInventory
    /// `rootca` names of the rule with no root certificate in the store.
    public let missingRoots: [String]
    /// Wall-clock time for validity and CRL dates.
    public let clock: @Sendable () -> Date

    /// Builds the authenticator for a rule's `rootca` methods, in the rule's order.
    public init(roots: [(name: String, certificateMapping: Bool, excludeCAName: Bool)], inventory: CertificateInventory,
                revocationCheck: RevocationCheck, clock: @escaping @Sendable () -> Date = Date.init) {
        var anchors: [TrustAnchor] = []
        var missing: [String] = []
        for root in roots {
            let found = inventory.roots(named: root.name)
            if found.isEmpty { missing.append(root.name) }
            anchors += found.map { TrustAnchor(certificate: $0, name: root.name, certificateMapping: root.certificateMapping, excludeCAName: root.excludeCAName) }
        }
        validator = ChainValidator(anchors: anchors, revocationLists: inventory.revocationLists, revocationCheck: revocationCheck)
        self.inventory = inventory
        missingRoots = missing
        self.clock = clock
    }

    /// The CERTREQ authorities: the DER subject of each root not marked `excludecaname:yes`.
    /// Empty when every root is excluded (the CERTREQ then names no CA).
    public var requestedAuthorities: [[UInt8]] {
        var seen: Set<[UInt8]> = []
        return validator.anchors.filter { !$0.excludeCAName }.map { CertificateIdentity.derName($0.certificate.subject) }.filter { seen.insert($0).inserted }
    }

    /// Our certificate for this rule, preferring one under a CA the peer asked for; throws the
    /// reason when none of the store's certificates with a key chains to a rule's root (dates
    /// and constraints checked, revocation not: that is the peer's check).
    public func localCredential(requested: [[UInt8]] = [], keyKinds: ((SignatureKeyKind) -> Bool)? = nil) throws(CertificateError) -> LocalCredential {
        let now = clock()
        let pool = inventory.certificates.map(\.certificate)
        // Our own certificate's revocation is the peer's to check: without a CRL in our own
        // store, strongcrlcheck=2 must not keep us from presenting it.
        var validator = self.validator
        validator.revocationCheck = .off
        var reasons: [String] = []
        var usable: [LocalCredential] = []
        for stored in inventory.certificates {
            guard let key = stored.key else { continue }
            if let keyKinds, !keyKinds(key.kind) { reasons.append("\(stored.certificate.subject) has a \(key.kind) key, not the negotiated kind"); continue }
            do {
                let path = try validator.validate(stored.certificate, intermediates: pool, at: now)
                let chain = path.path.dropLast().map { certificate in inventory.certificates.first { $0.certificate == certificate }?.der ?? [] }
                usable.append(LocalCredential(certificate: stored.certificate, chainDER: chain.filter { !$0.isEmpty }, key: key, anchorName: path.anchor.name))
            } catch {
                reasons.append(error.reason)
            }
        }
        if let match = usable.first(where: { credential in
            requested.contains { name in
                credential.chainDER.contains { der in (try? Certificate(derEncoded: der)).map { CertificateIdentity.derName($0.issuer) == name } ?? false }
            }
        }) { return match }
        if let first = usable.first { return first }
        let roots = validator.anchors.map(\.name) + missingRoots
        var reason = "no certificate with a private key in the store chains to " + (roots.isEmpty ? "a root of this rule" : roots.joined(separator: "; "))
        if !missingRoots.isEmpty { reason += " (no root certificate found for \(missingRoots.joined(separator: "; ")))" }
        if !reasons.isEmpty { reason += ": " + reasons.prefix(3).joined(separator: "; ") }
        throw CertificateError("local certificate", reason)
    }

    /// The most CERT payloads a peer may send; more is refused, not searched.
    public static let maximumPeerCertificates = 16

    /// Who the peer turned out to be.
    public struct PeerAuthentication: Sendable {
        /// The subject of the peer's certificate.
        public let subject: String
        /// The root it chains to (the `rootca` name).
        public let rootCA: String
        /// The computer identity from the certmap table, when the root says `certmap:yes`.
        public let computer: String?
    }

    /// Checks the peer: its certificates (CERT payload data, X.509 DER), its chain to one of
    /// the rule's roots at the current time with CRLs per `strongcrlcheck`, that the
    /// certificate vouches for the ID it sent, that the certificate's key made `signature`
    /// over `hash`, and the certmap table when the root asks for it.
    public func authenticatePeer(certificates: [[UInt8]], identity: CertificateIdentity, signature: [UInt8], hash: [UInt8],
                                 authenticationMethod: UInt16) throws(CertificateError) -> PeerAuthentication {
        guard certificates.count <= Self.maximumPeerCertificates else {
            throw CertificateError("CERT payload", "\(certificates.count) certificates; at most \(Self.maximumPeerCertificates) are read")
        }
        var presented: [Certificate] = []
        for (index, der) in certificates.enumerated() {
            do { presented.append(try Certificate(derEncoded: der)) } catch {
                throw CertificateError("CERT payload \(index + 1)", "not a DER X.509 certificate (\(der.count) bytes): \(error)")
            }
        }
        // Without a CERT payload the peer's certificate may still be in our store.
        let candidates = presented.isEmpty ? inventory.certificates.map(\.certificate).filter { (try? identity.check(against: $0)) != nil } : presented
        guard !candidates.isEmpty else {
            throw CertificateError("CERT payload", "the peer sent no certificate and the store holds none for its \(identity)")
        }
        let endEntity = candidates.first { (try? identity.check(against: $0)) != nil } ?? candidates[0]
        let path = try validator.validate(endEntity, intermediates: presented + inventory.certificates.map(\.certificate), at: clock())
        try identity.check(against: endEntity)
        let key: IKESignatureKey
        do { key = try IKESignatureKey(subjectPublicKeyInfo: endEntity.publicKey.subjectPublicKeyInfoDER) } catch {
            throw CertificateError("certificate", "the key of \"\(endEntity.subject)\" cannot verify IKE signatures: \(error.reason)")
        }
        guard key.kind.authenticationMethod == authenticationMethod else {
            throw CertificateError("certificate", "Main Mode negotiated authentication method \(authenticationMethod), but \"\(endEntity.subject)\" has a \(key.kind) key (method \(key.kind.authenticationMethod))")
        }
        guard key.verify(signature, over: hash) else {
            throw CertificateError("SIG payload", "does not verify with the key of \"\(endEntity.subject)\" (\(signature.count) bytes, \(key.kind))")
        }
        var computer: String?
        if path.anchor.certificateMapping {
            guard let mapped = inventory.computer(for: endEntity) else {
                throw CertificateError("certmap", "\"\(endEntity.subject)\" maps to no computer identity (rootca \(path.anchor.name) says certmap:yes; ward certificate map adds one)")
            }
            computer = mapped
        }
        return PeerAuthentication(subject: "\(endEntity.subject)", rootCA: path.anchor.name, computer: computer)
    }
}

/// What a daemon hands the IKE policy mapping for certificate methods: the store as last read,
/// the `strongcrlcheck` setting and the wall clock.
public struct CertificateSettings: Sendable {
    public var inventory: CertificateInventory
    public var revocationCheck: RevocationCheck
    public var clock: @Sendable () -> Date
    private let offers = OfferCache()

    public init(inventory: CertificateInventory, revocationCheck: RevocationCheck, clock: @escaping @Sendable () -> Date = Date.init) {
        self.inventory = inventory
        self.revocationCheck = revocationCheck
        self.clock = clock
    }

    /// The authenticator for a rule's `rootca` methods.
    public func authenticator(roots: [(name: String, certificateMapping: Bool, excludeCAName: Bool)]) -> CertificateAuthenticator {
        CertificateAuthenticator(roots: roots, inventory: inventory, revocationCheck: revocationCheck, clock: clock)
    }

    /// The key kinds to offer under `authenticator`'s roots: ``CertificateAuthenticator/usableKeyKinds``,
    /// else the stored ones. Remembered per set of roots for a minute: every Main Mode message
    /// 1 asks, and validating our own chains for each would let a flood of them buy signature
    /// checks. (A minute's grace on a certificate expiring is harmless: signing checks again.)
    public func keyKindsToOffer(_ authenticator: CertificateAuthenticator) -> [SignatureKeyKind] {
        let key = authenticator.validator.anchors.map(\.name) + authenticator.missingRoots
        let now = clock()
        if let cached = offers.value(for: key, at: now) { return cached }
        var kinds = authenticator.usableKeyKinds
        if kinds.isEmpty { kinds = authenticator.storedKeyKinds }
        offers.store(kinds, for: key, at: now)
        return kinds
    }
}

/// ``CertificateSettings/keyKindsToOffer(_:)``'s memory; a new store read starts a new one.
private final class OfferCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[String]: (kinds: [SignatureKeyKind], at: Date)] = [:]

    func value(for key: [String], at now: Date) -> [SignatureKeyKind]? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key], now >= entry.at, now.timeIntervalSince(entry.at) < 60 else { return nil }
        return entry.kinds
    }

    func store(_ kinds: [SignatureKeyKind], for key: [String], at now: Date) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count > 256 { entries = [:] }
        entries[key] = (kinds, now)
    }
}

extension CertificateAuthenticator {
    /// The kinds of key this side can sign with under the rule (each one's certificate
    /// chaining to a root of the rule), in the store's order, without repeats.
    public var usableKeyKinds: [SignatureKeyKind] {
        var kinds: [SignatureKeyKind] = []
        for stored in inventory.certificates {
            guard let kind = stored.key?.kind, !kinds.contains(kind) else { continue }
            if (try? localCredential(keyKinds: { $0 == kind })) != nil { kinds.append(kind) }
        }
        return kinds
    }

    /// The kinds of every private key in the store, valid or not: what to offer when none is
    /// usable, so that the exchange reaches the point where it can say why.
    public var storedKeyKinds: [SignatureKeyKind] {
        var kinds: [SignatureKeyKind] = []
        for case let kind? in inventory.certificates.map(\.key?.kind) where !kinds.contains(kind) { kinds.append(kind) }
        return kinds
    }
}

extension CertificateAuthenticator {
    /// Where CRLs could be fetched for the certificates a peer sent: the HTTP distribution
    /// points of each whose issuer has no CRL in the store, or only one past its next update.
    /// Empty when `strongcrlcheck` is 0. The caller fetches them (I/O is not done here); a CRL
    /// that arrives is checked like any other, by its issuer's signature.
    public func revocationListsWanted(certificates: [[UInt8]]) -> [String] {
        guard validator.revocationCheck != .off else { return [] }
        let now = clock()
        var urls: [String] = []
        for der in certificates.prefix(Self.maximumPeerCertificates) {
            guard let certificate = try? Certificate(derEncoded: der) else { continue }
            let lists = inventory.revocationLists.filter { $0.issuer == certificate.issuer }
            let current = lists.contains { list in list.nextUpdate.map { $0 >= now } ?? true }
            if !current { urls += certificate.crlDistributionPointURLs.filter { !urls.contains($0) } }
        }
        return urls
    }
}
