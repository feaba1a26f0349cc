import Certificates

/// Main Mode authenticated with signatures (RFC 2409 §5.1): CERTREQ in messages 3 and 4,
/// then ID, CERT and SIG in messages 5 and 6. What the certificates must satisfy is the
/// ``CertificateAuthenticator``'s business; this is the wire side.
extension IKEEngine {
    /// CERTREQ payloads for messages 3 and 4 when signatures were negotiated: one per root CA
    /// of the rule (type 4, X.509 signature; the authority is the CA's DER Name, RFC 2408
    /// §3.10), or a single one naming no CA when every root says `excludecaname:yes` — the
    /// peer still learns that a certificate is wanted.
    func certificateRequests(_ sa: Phase1SA) -> [Payload] {
        guard sa.chosen?.authentication.isSignature == true, let certificates = sa.policy.authenticator.certificates else { return [] }
        let authorities = certificates.requestedAuthorities
        return (authorities.isEmpty ? [[]] : authorities).map { .certificateRequest(type: 4, authority: $0) }
    }

    /// Message 5 or 6 with signatures: our ID (the certificate's subject unless policy names
    /// another), our certificate and the CAs below its root, and the signature over HASH_I or
    /// HASH_R.
    func identityCertificatesAndSignature(_ sa: Phase1SA) throws(ExchangeFailure) -> [Payload] {
        guard let certificates = sa.policy.authenticator.certificates, let method = sa.chosen?.authentication else {
            throw .authentication("signatures were negotiated but the rule has no certificate method")
        }
        let credential: LocalCredential
        do {
            credential = try certificates.localCredential(requested: sa.peerCertificateRequests,
                                                          keyKinds: { $0.authenticationMethod == method.rawValue })
        } catch {
            throw .authentication("cannot authenticate to \(sa.remote.address) with a certificate: \(error)")
        }
        let id = sa.policy.localID ?? Identification(kind: .derASN1DN, data: CertificateIdentity.subject(of: credential.certificate).derBytes)
        let ours = Payload.identification(id)
        let hash = try proof(sa, by: sa.role, idBody: Array(ISAKMPMessage.encodePayloads([ours]).dropFirst(4)))
        let signature: [UInt8]
        do { signature = try credential.key.sign(hash) } catch { throw .failed("signing \(sa.role == .initiator ? "HASH_I" : "HASH_R"): \(error)") }
        return [ours] + credential.chainDER.map { .certificate(encoding: 4, data: $0) } + [.signature(signature)]
    }

    /// Checks message 5 or 6 with signatures: the ID, the certificates (X.509 signature
    /// encoding 4; other encodings are ignored) and the signature over the peer's HASH.
    func verifyPeerSignature(_ sa: Phase1SA, _ message: ISAKMPMessage, step: String) throws(ExchangeFailure) {
        guard let certificates = sa.policy.authenticator.certificates, let method = sa.chosen?.authentication else {
            throw .authentication("signatures were negotiated but the rule has no certificate method")
        }
        guard let index = message.payloads.firstIndex(where: { $0.type == .identification }),
              case .identification(let id) = message.payloads[index] else {
            throw .authentication("\(step) has no ID payload")
        }
        guard case .signature(let signature)? = message.payloads.first(where: { $0.type == .signature }) else {
            throw .authentication("\(step) has no SIG payload")
        }
        let presented = message.payloads.compactMap { payload -> [UInt8]? in
            if case .certificate(encoding: 4, let data) = payload { data } else { nil }
        }
        let identity: CertificateIdentity
        switch id.kind {
        case .derASN1DN: identity = .distinguishedName(id.data)
        case .fqdn: identity = .fqdn(String(decoding: id.data, as: UTF8.self))
        case .userFQDN: identity = .userFQDN(String(decoding: id.data, as: UTF8.self))
        case .ipv4Address, .ipv6Address: identity = .address(id.data)
        default: throw .authentication("\(step): ID type \(id.kind) cannot be checked against a certificate")
        }
        // CRLs this store lacks for the peer's certificates: the caller may fetch them, so that
        // the next negotiation can check revocation (RFC 5280 §4.2.1.13).
        for url in certificates.revocationListsWanted(certificates: presented) where revocationListsWanted.count < 16 {
            revocationListsWanted.insert(url)
        }
        let peer: Phase1SA.Role = sa.role == .initiator ? .responder : .initiator
        let hash = try proof(sa, by: peer, idBody: Array(message.receivedPayloads[index].dropFirst(4)))
        do {
            sa.peerCertificate = try certificates.authenticatePeer(certificates: presented, identity: identity, signature: signature, hash: hash,
                                                                   authenticationMethod: method.rawValue)
        } catch {
            throw .authentication("\(step) from \(sa.remote.address): \(error)")
        }
        try checkPeerID(sa, id)
        sa.peerID = id
    }
}

extension IKEEngine {
    /// The CRL distribution points (HTTP URLs) peers' certificates named whose CRLs the store
    /// lacks, gathered since the last call; the caller fetches them.
    public func takeWantedRevocationLists() -> [String] {
        defer { revocationListsWanted = [] }
        return revocationListsWanted.sorted()
    }
}

extension CertificateIdentity {
    /// The ID payload data of a distinguished-name identity.
    var derBytes: [UInt8] {
        if case .distinguishedName(let der) = self { return der }
        return []
    }
}
