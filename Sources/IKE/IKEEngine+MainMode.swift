import Packet
import Transforms

/// Main Mode (RFC 2409 §5, identity protection) with a preshared key or signatures (§5.1);
/// Kerberos changes messages 1 to 6 as `IKEEngine+Kerberos` describes:
///
///     Initiator                              Responder
///     1  HDR, SA, VID                     -->
///                                         <-- 2  HDR, SA, VID
///     3  HDR, KE, Ni, [CR,] NAT-D, NAT-D  -->
///                                         <-- 4  HDR, KE, Nr, [CR,] NAT-D, NAT-D
///     5  HDR*, IDii, HASH_I               -->      (on 4500 when NAT-D found a NAT)
///        or HDR*, IDii, CERT…, SIG_I
///                                         <-- 6  HDR*, IDir, HASH_R
///                                                or HDR*, IDir, CERT…, SIG_R
extension IKEEngine {
    // MARK: Initiator

    func startMainMode(local: IPAddress, peer: IPAddress, policy: MainModePolicy, request: QuickModeRequest, now: Double) -> [IKEAction] {
        let sa = Phase1SA(role: .initiator, CKY_I: newCookie(), CKY_R: 0, local: .init(local, 500), remote: .init(peer, 500),
                          policy: policy, now: now)
        sa.pending = [request]
        let (offers, gssVendorIDs) = offersWithGSSIdentity(sa)
        sa.offered = Array(offers.prefix(255))
        let transforms = sa.offered.enumerated().map { Transform(number: UInt8($0.offset + 1), id: 1, attributes: $0.element.attributes) }
        let offer = Payload.securityAssociation(SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: 1, transforms: transforms)]))
        sa.SAi_b = Array(ISAKMPMessage.encodePayloads([offer]).dropFirst(4))
        let message = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: sa.CKY_I, exchange: .identityProtection),
                                    payloads: [offer, .vendorID(NATTraversal.vendorID)] + gssVendorIDs)
        sas[sa.cookies] = sa
        return [send(sa, message.encoded(), awaitingReply: true, now: now)]
    }

    /// The initiator SA a message with a fresh responder cookie belongs to: ours, still
    /// waiting for message 2 under the initiator cookie alone.
    func awaitingSecondMessage(_ cookies: CookiePair, _ message: ISAKMPMessage) -> Phase1SA? {
        guard let sa = sas[CookiePair(initiator: cookies.initiator, responder: 0)], sa.role == .initiator, sa.state == .sentMM1 else { return nil }
        return sa
    }

    // MARK: Responder, message 1

    func firstMessage(_ message: ISAKMPMessage, bytes: [UInt8], datagram: IKEDatagram, now: Double) -> [IKEAction] {
        if let known = responderSAs[message.header.initiatorCookie], let sa = sas[known], sa.remote == datagram.remote {
            // A repeated message 1: our message 2 was lost (RFC 2408 §2.5.3 keeps one responder cookie per peer and exchange).
            if sa.lastReceived == bytes, let answer = sa.retransmission?.datagram { return [.send(answer)] }
            counters.invalidPacketsReceived += 1
            return []
        }
        let peer = datagram.remote.address
        guard let offer = message.payloads.compactMap({ if case .securityAssociation(let sa) = $0 { sa } else { nil } }).first,
              let saIndex = message.payloads.firstIndex(where: { if case .securityAssociation = $0 { true } else { false } }) else {
            counters.count(.missing("SA", in: "Main Mode message 1"))
            return []
        }
        guard let mainPolicy = policy.mainMode(local: datagram.local.address, peer: peer) else {
            counters.countNoProposalChosen()
            counters.receiveFailures += 1
            return [noProposalChosen(message, datagram), .event(.negotiationFailed(peer: peer, reason: "no rule negotiates Main Mode with \(peer)"))]
        }
        var refusals: [String] = []
        let announcesGSS = message.payloads.contains { if case .vendorID(let id) = $0 { GSSAuthentication.announcesGSS(id) } else { false } }
        guard var selection = Phase1Selection.choose(from: offer, acceptable: mainPolicy.transforms, peerAnnouncesGSS: announcesGSS,
                                                     refusals: &refusals) else {
            counters.countNoProposalChosen()
            counters.receiveFailures += 1
            let reason = "Main Mode proposal from \(peer) matched nothing; policy accepts [\(mainPolicy.transforms.map(\.description).joined(separator: ", "))]; "
                + refusals.joined(separator: "; ")
            return [noProposalChosen(message, datagram), .event(.negotiationFailed(peer: peer, reason: reason))]
        }
        makeRoomForHalfOpen()
        let sa = Phase1SA(role: .responder, CKY_I: message.header.initiatorCookie, CKY_R: newCookie(), local: datagram.local,
                          remote: datagram.remote, policy: mainPolicy, now: now)
        sa.SAi_b = Array(message.receivedPayloads[saIndex].dropFirst(4))
        sa.chosen = selection.chosen
        sa.lifetimeSeconds = selection.effectiveLifetimeSeconds
        sa.natTraversal = message.payloads.contains(.vendorID(NATTraversal.vendorID))
        sa.lastReceived = bytes
        sas[sa.cookies] = sa
        responderSAs[sa.CKY_I] = sa.cookies
        halfOpenOrder.append(sa.cookies)
        let gssVendorIDs = answerKerberos(sa, reply: &selection.reply)
        var payloads: [Payload] = [.securityAssociation(selection.reply)]
        if sa.natTraversal { payloads.append(.vendorID(NATTraversal.vendorID)) }
        payloads += gssVendorIDs
        let reply = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: sa.CKY_I, responderCookie: sa.CKY_R, exchange: .identityProtection),
                                  payloads: payloads)
        return [send(sa, reply.encoded(), awaitingReply: false, now: now)]
    }

    /// Keeps half-open responder SAs under the limit by dropping the oldest: a flood of spoofed
    /// first messages never answers message 2, while a real peer moves on within a round trip.
    func makeRoomForHalfOpen() {
        var halfOpen = halfOpenOrder.count
        guard halfOpen >= configuration.maxHalfOpen else { return }
        // Compact: entries whose SA moved on or went away no longer count.
        halfOpenOrder.removeAll { sas[$0]?.isHalfOpen != true }
        halfOpen = halfOpenOrder.count
        while halfOpen >= configuration.maxHalfOpen, let oldest = halfOpenOrder.first {
            halfOpenOrder.removeFirst()
            if let sa = sas[oldest] { remove(sa) }
            counters.receiveFailures += 1
            halfOpen -= 1
        }
    }

    func noProposalChosen(_ message: ISAKMPMessage, _ datagram: IKEDatagram) -> IKEAction {
        let notify = ISAKMPMessage(header: ISAKMPHeader(initiatorCookie: message.header.initiatorCookie, exchange: .informational,
                                                        messageID: entropy.u32()),
                                   payloads: [.notification(Notification(protocolID: 1, type: NotifyType.noProposalChosen))])
        return .send(IKEDatagram(payload: datagram.local.port == 4500 ? [0, 0, 0, 0] + notify.encoded() : notify.encoded(),
                                 local: datagram.local, remote: datagram.remote))
    }

    // MARK: Messages 2 to 6

    func mainMode(_ sa: Phase1SA, _ message: ISAKMPMessage, bytes: [UInt8], datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        if sa.lastReceived == bytes {
            if let answer = sa.retransmission?.datagram { return [.send(answer)] }
            return []
        }
        let actions: [IKEAction]
        switch (sa.role, sa.state) {
        case (.initiator, .sentMM1):
            actions = try secondMessage(sa, message, now: now)
            // Still waiting for Kerberos tickets: message 2 is taken again when it is repeated.
            if sa.state == .sentMM1 { return actions }
        case (.responder, .sentMM2): actions = try thirdMessage(sa, message, datagram: datagram, now: now)
        case (.initiator, .sentMM3): actions = try fourthMessage(sa, message, datagram: datagram, now: now)
        case (.responder, .sentMM4): actions = try fifthMessage(sa, bytes, datagram: datagram, now: now)
        case (.initiator, .sentMM5): actions = try sixthMessage(sa, bytes, now: now)
        default: throw .unexpected("Main Mode message in state \(sa.state)")
        }
        sa.lastReceived = bytes
        return actions
    }

    func secondMessage(_ sa: Phase1SA, _ message: ISAKMPMessage, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        guard !message.header.encrypted else { throw .unexpected("Main Mode message 2 is encrypted") }
        guard case .securityAssociation(let reply)? = message.payloads.first(where: { $0.type == .securityAssociation }) else {
            throw .malformed(.missing("SA", in: "Main Mode message 2"))
        }
        guard reply.proposals.count == 1, reply.proposals[0].transforms.count == 1 else {
            throw .failed("Main Mode message 2 must choose one proposal with one transform (got \(reply.proposals.count) proposals)")
        }
        let answered: Phase1Transform
        do { answered = try Phase1Transform(transform: reply.proposals[0].transforms[0]) } catch {
            throw .failed("the responder chose a transform Ward cannot use: \(error)")
        }
        guard sa.offered.contains(where: { $0.sameAlgorithms(as: answered) }) else {
            throw .failed("the responder chose \(answered), which was not offered")
        }
        // Kerberos: the first token before anything changes, so that a message 2 that must
        // wait for tickets leaves the SA as it was (see initiatorFirstToken).
        var gssPayloads: [Payload] = []
        if answered.authentication == .kerberos {
            guard let payloads = try initiatorFirstToken(sa, target: answered.gssIdentity) else { return [] }
            gssPayloads = payloads
        }
        sa.chosen = answered
        sa.lifetimeSeconds = answered.lifetimeSeconds ?? sa.offered.first { $0.sameAlgorithms(as: answered) }?.lifetimeSeconds
        sa.natTraversal = message.payloads.contains(.vendorID(NATTraversal.vendorID))
        if answered.authentication == .kerberos { sa.GIr = answered.gssIdentity }
        sas.removeValue(forKey: sa.cookies)
        sa.CKY_R = message.header.responderCookie
        sas[sa.cookies] = sa
        let exchange = try makeKeyExchange(answered.group)
        sa.keyExchange = exchange
        sa.gxi = exchange.publicValue
        sa.Ni_b = entropy.bytes(configuration.nonceLength)
        var payloads: [Payload] = [.keyExchange(sa.gxi), .nonce(sa.Ni_b)] + gssPayloads + certificateRequests(sa)
        if sa.natTraversal { payloads += try natDiscovery(sa, source: sa.local, destination: sa.remote) }
        sa.state = .sentMM3
        let next = ISAKMPMessage(header: header(sa, .identityProtection), payloads: payloads)
        return [send(sa, next.encoded(), awaitingReply: true, now: now)]
    }

    func thirdMessage(_ sa: Phase1SA, _ message: ISAKMPMessage, datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        guard !message.header.encrypted else { throw .unexpected("Main Mode message 3 is encrypted") }
        let (gxi, Ni_b, natHashes, requests) = try keyExchangePayloads(message, step: "Main Mode message 3", group: sa.chosen!.group)
        sa.peerCertificateRequests = requests
        let exchange = try makeKeyExchange(sa.chosen!.group)
        sa.keyExchange = exchange
        sa.gxi = gxi
        sa.Ni_b = Ni_b
        sa.gxr = exchange.publicValue
        sa.Nr_b = entropy.bytes(configuration.nonceLength)
        try deriveKeys(sa)
        var payloads: [Payload] = [.keyExchange(sa.gxr), .nonce(sa.Nr_b)] + (try responderFirstToken(sa, message)) + certificateRequests(sa)
        if sa.natTraversal {
            if !natHashes.isEmpty { sa.nat = try judgeNAT(sa, natHashes, datagram) }
            payloads += try natDiscovery(sa, source: datagram.local, destination: datagram.remote)
        }
        sa.state = .sentMM4
        let reply = ISAKMPMessage(header: header(sa, .identityProtection), payloads: payloads)
        return [send(sa, reply.encoded(), awaitingReply: false, now: now)]
    }

    func fourthMessage(_ sa: Phase1SA, _ message: ISAKMPMessage, datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        guard !message.header.encrypted else { throw .unexpected("Main Mode message 4 is encrypted") }
        let (gxr, Nr_b, natHashes, requests) = try keyExchangePayloads(message, step: "Main Mode message 4", group: sa.chosen!.group)
        sa.peerCertificateRequests = requests
        sa.gxr = gxr
        sa.Nr_b = Nr_b
        try deriveKeys(sa)
        try initiatorTakesToken(sa, message)
        var actions: [IKEAction] = []
        if sa.natTraversal && !natHashes.isEmpty {
            let verdict = try judgeNAT(sa, natHashes, datagram)
            sa.nat = verdict
            if verdict.natDetected {
                // RFC 3947 §4: the initiator floats to 4500 for message 5 onwards.
                sa.local.port = NATTraversal.port
                sa.remote.port = NATTraversal.port
                actions.append(.event(.natDetected(peer: sa.remote.address, localBehindNAT: verdict.localBehindNAT,
                                                   peerBehindNAT: verdict.peerBehindNAT)))
            }
        }
        let fifth = ISAKMPMessage(header: header(sa, .identityProtection), payloads: try identityProofAndContact(sa))
        sa.state = .sentMM5
        return actions + [send(sa, try seal(sa, fifth), awaitingReply: true, now: now)]
    }

    func fifthMessage(_ sa: Phase1SA, _ bytes: [UInt8], datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        if sa.chosen?.authentication == .kerberos { return try kerberosFifthMessage(sa, bytes, datagram: datagram, now: now) }
        let restarted = try verifyPeer(sa, bytes, step: "Main Mode message 5")
        followFloat(sa, datagram)
        let sixth = ISAKMPMessage(header: header(sa, .identityProtection), payloads: try identityAndProof(sa))
        let datagramOut = try seal(sa, sixth)
        established(sa, now: now)
        return [send(sa, datagramOut, awaitingReply: false, now: now), mainModeEvent(sa)] + (restarted ? peerRestarted(sa) : [])
    }

    /// RFC 3947 §4/§5.2: once floated, the peer's address and port are what its messages come from.
    func followFloat(_ sa: Phase1SA, _ datagram: IKEDatagram) {
        if datagram.local.port == NATTraversal.port || datagram.remote.port == NATTraversal.port {
            sa.local = datagram.local
            sa.remote = datagram.remote
        }
    }

    func sixthMessage(_ sa: Phase1SA, _ bytes: [UInt8], now: Double) throws(ExchangeFailure) -> [IKEAction] {
        if sa.chosen?.authentication == .kerberos { return try kerberosSixthMessage(sa, bytes, now: now) }
        return try initiatorEstablished(sa, restarted: try verifyPeer(sa, bytes, step: "Main Mode message 6"), now: now)
    }

    /// The initiator verified message 6: the SA is up and the acquires waiting for it start.
    func initiatorEstablished(_ sa: Phase1SA, restarted: Bool, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        sa.retransmission = nil
        established(sa, now: now)
        var actions: [IKEAction] = [mainModeEvent(sa)] + (restarted ? peerRestarted(sa) : [])
        let waiting = sa.pending
        sa.pending = []
        for request in waiting {
            if sa.canStartQuickMode {
                actions += try startQuickMode(sa, request, now: now)
            } else {
                sa.pending.append(request)
            }
        }
        return actions
    }

    // MARK: Authentication (preshared key: HASH_I/HASH_R sent as they are; signatures sign them)

    /// HASH_I (the initiator's proof) or HASH_R (the responder's) over the ID payload body
    /// (RFC 2409 §5).
    func proof(_ sa: Phase1SA, by role: Phase1SA.Role, idBody: [UInt8]) throws(ExchangeFailure) -> [UInt8] {
        guard let keys = sa.keys else { throw .unexpected("proof before keys") }
        let (CKY_I, CKY_R) = (sa.CKY_I.bigEndianBytes, sa.CKY_R.bigEndianBytes)
        let proofPRF = sa.chosen?.authentication.proofPRF
        do {
            return role == .initiator
                ? try keys.HASH_I(gxi: sa.gxi, gxr: sa.gxr, CKY_I: CKY_I, CKY_R: CKY_R, SAi_b: sa.SAi_b, IDii_b: idBody, proofPRF: proofPRF)
                : try keys.HASH_R(gxi: sa.gxi, gxr: sa.gxr, CKY_I: CKY_I, CKY_R: CKY_R, SAi_b: sa.SAi_b, IDir_b: idBody, proofPRF: proofPRF)
        } catch { throw .failed("\(role == .initiator ? "HASH_I" : "HASH_R"): \(error)") }
    }

    /// This side's ID payload and proof, the body of message 5 or 6.
    func identityAndProof(_ sa: Phase1SA) throws(ExchangeFailure) -> [Payload] {
        if sa.chosen?.authentication.isSignature == true { return try identityCertificatesAndSignature(sa) }
        if sa.chosen?.authentication == .kerberos { return try kerberosProofPayloads(sa, hashAllowed: true) }
        let ours = Payload.identification(sa.policy.localID ?? .address(sa.local.address))
        return [ours, .hash(try proof(sa, by: sa.role, idBody: Array(ISAKMPMessage.encodePayloads([ours]).dropFirst(4))))]
    }

    /// Decrypts message 5 or 6 and checks the peer's proof and, if the policy names one, its ID.
    /// Returns whether the peer announced INITIAL-CONTACT (RFC 2407 §4.6.3.3).
    @discardableResult
    func verifyPeer(_ sa: Phase1SA, _ bytes: [UInt8], step: String) throws(ExchangeFailure) -> Bool {
        let message = try openPhase1(sa, bytes, step: step)
        if sa.chosen?.authentication.isSignature == true {
            try verifyPeerSignature(sa, message, step: step)
            return message.announcesInitialContact
        }
        let (id, idBody, hash) = try identityAndHash(message, step: step)
        let peer: Phase1SA.Role = sa.role == .initiator ? .responder : .initiator
        guard constantTimeEqual(try proof(sa, by: peer, idBody: idBody), hash) else {
            throw .authentication("\(peer == .initiator ? "HASH_I" : "HASH_R") from \(sa.remote.address) does not verify: the preshared keys differ or the message was altered")
        }
        try checkPeerID(sa, id)
        sa.peerID = id
        return message.announcesInitialContact
    }

    /// This side's message 5/6 payloads: ID, proof, and INITIAL-CONTACT when nothing else is
    /// keyed with the peer — so that a peer still holding SAs from before our restart drops them.
    func identityProofAndContact(_ sa: Phase1SA) throws(ExchangeFailure) -> [Payload] {
        var payloads = try identityAndProof(sa)
        let known = sas.values.contains { $0 !== sa && $0.remote.address == sa.remote.address && $0.state == .established }
            || installed.values.contains { $0.peer == sa.remote.address }
        if !known {
            payloads.append(.notification(Notification(protocolID: 1, type: NotifyType.initialContact,
                                                       spi: sa.CKY_I.bigEndianBytes + sa.CKY_R.bigEndianBytes)))
        }
        return payloads
    }

    /// The peer restarted (INITIAL-CONTACT): every older ISAKMP SA and IPsec SA pair with it is
    /// stale; forget them and tell the caller to remove the pairs (RFC 2407 §4.6.3.3).
    func peerRestarted(_ sa: Phase1SA) -> [IKEAction] {
        var actions: [IKEAction] = []
        for other in Array(sas.values) where other !== sa && other.remote.address == sa.remote.address {
            remove(other)
        }
        for (inbound, pair) in installed where pair.peer == sa.remote.address && pair.cookies != sa.cookies {
            installed.removeValue(forKey: inbound)
            allocatedSPIs.remove(inbound)
            actions.append(.delete(inboundSPI: inbound, outboundSPI: pair.outboundSPI, peer: pair.peer))
        }
        return actions
    }

    // MARK: Pieces

    /// The peer proved it holds the key; it must also be who the policy expects, if it says.
    func checkPeerID(_ sa: Phase1SA, _ id: Identification) throws(ExchangeFailure) {
        guard let expected = sa.policy.peerID else { return }
        // Phase 1 IDs carry protocol 0/port 0 or UDP/500 (RFC 2407 §4.6.2): compare type and data.
        guard expected.kind == id.kind, expected.data == id.data else {
            throw .authentication("\(sa.remote.address) identified itself as \(Identification.text(id)), the policy expects \(Identification.text(expected))")
        }
    }

    func established(_ sa: Phase1SA, now: Double) {
        sa.state = .established
        sa.establishedAt = now
        sa.keyExchange = nil  // the private value is no longer needed (RFC 2409 §5: PFS of later keys)
        counters.mainModeSAs += 1
    }

    func mainModeEvent(_ sa: Phase1SA) -> IKEAction {
        .event(.mainModeEstablished(peer: sa.remote.address, cookies: sa.cookieText, transform: sa.chosen?.description ?? "-"))
    }

    func header(_ sa: Phase1SA, _ exchange: ISAKMPHeader.Exchange, messageID: UInt32 = 0) -> ISAKMPHeader {
        ISAKMPHeader(initiatorCookie: sa.CKY_I, responderCookie: sa.CKY_R, exchange: exchange, messageID: messageID)
    }

    /// Records `isakmp` as the SA's last message and returns the action sending it.
    func send(_ sa: Phase1SA, _ isakmp: [UInt8], awaitingReply: Bool, now: Double) -> IKEAction {
        let datagram = sa.datagram(isakmp)
        sa.retransmission = Retransmission(datagram, awaitingReply: awaitingReply, now: now, initial: configuration.retransmitInitial)
        return .send(datagram)
    }

    func makeKeyExchange(_ group: DiffieHellmanGroup) throws(ExchangeFailure) -> any KeyExchange {
        do { return try entropy.keyExchange(group) } catch { throw .failed("Diffie-Hellman group \(group.rawValue): \(error)") }
    }

    /// KE, nonce and NAT-D hashes of message 3 or 4, lengths checked.
    func keyExchangePayloads(_ message: ISAKMPMessage, step: String, group: DiffieHellmanGroup) throws(ExchangeFailure)
        -> ([UInt8], [UInt8], [[UInt8]], [[UInt8]]) {
        var ke: [UInt8]?, nonce: [UInt8]?, hashes: [[UInt8]] = [], requests: [[UInt8]] = []
        for payload in message.payloads {
            switch payload {
            // X.509 signature certificate requests (RFC 2408 §3.10, type 4) name a CA's DN.
            case .certificateRequest(type: 4, let authority) where requests.count < 32: requests.append(authority)
            case .keyExchange(let data): ke = data
            case .nonce(let data): nonce = data
            case .natDiscovery(let data): hashes.append(data)
            default: break  // vendor IDs, other certificate request types
            }
        }
        guard let ke else { throw .malformed(.missing("KE", in: step)) }
        guard let nonce else { throw .malformed(.missing("Nonce", in: step)) }
        guard ke.count == group.valueLength else {
            throw .malformed(ISAKMPError("KE payload", "key exchange data", offset: ISAKMPHeader.length,
                                        "\(ke.count) bytes, group \(group.rawValue) needs \(group.valueLength)"))
        }
        guard (8...256).contains(nonce.count) else {
            throw .malformed(ISAKMPError("Nonce payload", "nonce data", offset: ISAKMPHeader.length, "\(nonce.count) bytes, RFC 2409 §5 allows 8 to 256"))
        }
        return (ke, nonce, hashes, requests)
    }

    /// g^xy, SKEYID and its children, the cipher and the first IV (RFC 2409 §5, Appendix B).
    func deriveKeys(_ sa: Phase1SA) throws(ExchangeFailure) {
        guard let chosen = sa.chosen, let exchange = sa.keyExchange else { throw .failed("no Diffie-Hellman state") }
        let peerValue = sa.role == .initiator ? sa.gxr : sa.gxi
        let gxy: [UInt8]
        do { gxy = try exchange.sharedSecret(peer: peerValue) } catch { throw .failed("the peer's Diffie-Hellman value is not valid: \(error)") }
        let input: SKEYIDInput
        if chosen.authentication.isSignature || chosen.authentication == .kerberos {
            // Kerberos uses the signature formula (draft-ietf-ipsec-isakmp-gss-auth-07 §3.1).
            input = .signatures
        } else if chosen.authentication == .preSharedKey, let key = sa.policy.authenticator.preSharedKey {
            input = .preSharedKey(key)
        } else {
            throw .failed("no credential for authentication method \(chosen.authentication)")
        }
        do {
            let keys = try Phase1Keys(prf: chosen.hash, skeyid: input, Ni_b: sa.Ni_b, Nr_b: sa.Nr_b, gxy: gxy,
                                      CKY_I: sa.CKY_I.bigEndianBytes, CKY_R: sa.CKY_R.bigEndianBytes)
            sa.keys = keys
            let protection = try MessageProtection(algorithm: chosen.cipher, key: try keys.encryptionKey(length: chosen.cipher.keyMaterialLength))
            sa.protection = protection
            sa.iv = try Phase1Keys.initialIV(hash: chosen.hash, gxi: sa.gxi, gxr: sa.gxr, blockSize: protection.blockSize)
        } catch {
            throw .failed("key derivation: \(error)")
        }
    }

    func natDiscovery(_ sa: Phase1SA, source: NATDetection.Endpoint, destination: NATDetection.Endpoint) throws(ExchangeFailure) -> [Payload] {
        do {
            return try NATDetection.payloads(sa.chosen!.hash, CKY_I: sa.CKY_I.bigEndianBytes, CKY_R: sa.CKY_R.bigEndianBytes,
                                             source: source, destination: destination)
        } catch { throw .failed("NAT-D: \(error)") }
    }

    func judgeNAT(_ sa: Phase1SA, _ hashes: [[UInt8]], _ datagram: IKEDatagram) throws(ExchangeFailure) -> NATDetection.Verdict {
        do {
            return try NATDetection.evaluate(received: hashes, sa.chosen!.hash, CKY_I: sa.CKY_I.bigEndianBytes, CKY_R: sa.CKY_R.bigEndianBytes,
                                             local: datagram.local, remote: datagram.remote)
        } catch {
            throw .malformed(ISAKMPError("NAT-D payload", "count", offset: ISAKMPHeader.length, "\(error)"))
        }
    }

    /// Encrypts a Main Mode message under the SA's chained IV.
    func seal(_ sa: Phase1SA, _ message: ISAKMPMessage) throws(ExchangeFailure) -> [UInt8] {
        do {
            let (datagram, next) = try sa.protection!.seal(message, iv: sa.iv)
            sa.iv = next
            return datagram
        } catch { throw .failed("encryption: \(error)") }
    }

    /// Decrypts message 5 or 6. A body that does not decrypt to a valid payload chain means
    /// the two sides derived different keys — with a preshared key, different keys.
    func openPhase1(_ sa: Phase1SA, _ bytes: [UInt8], step: String) throws(ExchangeFailure) -> ISAKMPMessage {
        guard let protection = sa.protection else { throw .unexpected("\(step) before keys") }
        do {
            let (message, next) = try protection.open(bytes, iv: sa.iv)
            sa.iv = next
            return message
        } catch {
            let cause = sa.chosen?.authentication == .preSharedKey ? "the preshared keys differ" : "the two sides derived different keys"
            throw .authentication("\(step) from \(sa.remote.address) does not decrypt (\(error)): \(cause)")
        }
    }

    /// The ID payload (its decoded form and body as received) and the HASH of message 5 or 6.
    func identityAndHash(_ message: ISAKMPMessage, step: String) throws(ExchangeFailure) -> (Identification, [UInt8], [UInt8]) {
        guard let index = message.payloads.firstIndex(where: { $0.type == .identification }),
              case .identification(let id) = message.payloads[index] else {
            throw .authentication("\(step) has no ID payload")
        }
        guard case .hash(let hash)? = message.payloads.first(where: { $0.type == .hash }) else {
            throw .authentication("\(step) has no HASH payload")
        }
        return (id, Array(message.receivedPayloads[index].dropFirst(4)), hash)
    }
}

extension ISAKMPMessage {
    /// Whether the message carries INITIAL-CONTACT (RFC 2407 §4.6.3.3): its sender restarted.
    var announcesInitialContact: Bool {
        payloads.contains { if case .notification(let n) = $0 { n.type == NotifyType.initialContact } else { false } }
    }
}
