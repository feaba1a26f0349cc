import Packet

/// Main Mode authenticated with Kerberos through GSS-API (draft-ietf-ipsec-isakmp-gss-auth-07,
/// the text [MS-IKEE] cites), method 65001:
///
///     Initiator                                   Responder
///     1  HDR, SA(GIi), VID…                    -->
///                                              <-- 2  HDR, SA(GIr), VID…
///     3  HDR, KE, Ni, GSSi (AP-REQ), NAT-D…    -->
///                                              <-- 4  HDR, KE, Nr, GSSr (AP-REP), NAT-D…
///     5  HDR*, IDii, HASH_I (wrapped)          -->
///                                              <-- 6  HDR*, IDir, HASH_R (wrapped)
///
/// GIi/GIr are the GSS Identity Name attributes (16384, UTF-16LE); the initiator targets the
/// responder's. While a context needs more legs, messages 5 and 6 carry GSS payloads instead
/// of the HASH and repeat (the ID goes only in the first encrypted message). SKEYID is the
/// signature formula; each HASH covers the sender's GSS identity (when both sent one) and
/// every token the sender produced, and travels as the output of GSS_Wrap (§3.1), which
/// the receiver unwraps and compares. Retransmissions resend the bytes already sealed: a
/// second wrap would advance the context's sequence numbers.
extension IKEEngine {
    /// Tokens either side may send before the exchange is given up (racoon keeps three).
    static let maxGSSTokens = 3

    /// The policy's offers with this host's GSS identity on the Kerberos ones, and the vendor
    /// IDs to send with them; sets the SA's GIi.
    func offersWithGSSIdentity(_ sa: Phase1SA) -> (transforms: [Phase1Transform], vendorIDs: [Payload]) {
        guard let mechanism = sa.policy.authenticator.kerberos, sa.policy.transforms.contains(where: { $0.authentication == .kerberos }) else {
            return (sa.policy.transforms, [])
        }
        // Without a name (no keytab, say) the offer still goes out: the exchange then fails
        // where GSS-API says why, instead of with a bare NO-PROPOSAL-CHOSEN.
        sa.GIi = (try? mechanism.localName()).map(GSSAuthentication.encodeIdentity)
        let transforms = sa.policy.transforms.map { transform in
            var transform = transform
            if transform.authentication == .kerberos { transform.gssIdentity = sa.GIi }
            return transform
        }
        return (transforms, GSSAuthentication.vendorIDs.map(Payload.vendorID))
    }

    /// The responder's message 2 when it chose Kerberos: its own GSS identity replaces the
    /// initiator's in the echoed transform, and the vendor IDs follow.
    func answerKerberos(_ sa: Phase1SA, reply: inout SecurityAssociationPayload) -> [Payload] {
        guard sa.chosen?.authentication == .kerberos else { return [] }
        sa.GIi = sa.chosen?.gssIdentity
        if let mechanism = sa.policy.authenticator.kerberos, let name = try? mechanism.localName() {
            sa.GIr = GSSAuthentication.encodeIdentity(name)
        }
        if var transform = reply.proposals.first?.transforms.first {
            transform.attributes.removeAll {
                $0.type == GSSAuthentication.identityAttribute || $0.type == GSSAuthentication.legacyIdentityAttribute
            }
            if let GIr = sa.GIr { transform.attributes.append(Attribute(GSSAuthentication.identityAttribute, bytes: GIr)) }
            reply.proposals[0].transforms[0] = transform
        }
        return GSSAuthentication.vendorIDs.map(Payload.vendorID)
    }

    /// Message 3's GSS payload: the initiator's first token (the Kerberos AP-REQ), towards
    /// the identity the responder named in message 2. Nil while the mechanism is still
    /// fetching tickets: message 2 is then left unanswered, and taken again when the
    /// responder repeats it in answer to our retransmitted message 1 (the packet loop never
    /// waits on a KDC).
    func initiatorFirstToken(_ sa: Phase1SA, target GIr: [UInt8]?) throws(ExchangeFailure) -> [Payload]? {
        guard let mechanism = sa.policy.authenticator.kerberos else {
            throw .authentication("Kerberos was negotiated but the rule has no Kerberos credentials")
        }
        let target = GIr.flatMap(GSSAuthentication.decodeIdentity)
        switch mechanism.initiator(exchange: sa.CKY_I, target: target, peer: sa.remote.address) {
        case .pending:
            return nil
        case .failed(let failure):
            throw .authentication("Kerberos towards \(target ?? "host@\(sa.remote.address)"): \(failure)")
        case .ready(let context, let token):
            sa.gss = context
            sa.initiatorTokens = [token]
            return [.gssToken(GSSAuthentication.payloadBody(token: token))]
        }
    }

    /// Message 4's GSS payload: the responder accepts message 3's token and answers (AP-REP).
    func responderFirstToken(_ sa: Phase1SA, _ message: ISAKMPMessage) throws(ExchangeFailure) -> [Payload] {
        guard sa.chosen?.authentication == .kerberos else { return [] }
        guard let mechanism = sa.policy.authenticator.kerberos else {
            throw .authentication("Kerberos was negotiated but the rule has no Kerberos credentials")
        }
        guard let token = gssToken(message) else { throw .authentication("Main Mode message 3 from \(sa.remote.address) has no GSS payload") }
        do {
            let context = try mechanism.acceptor()
            sa.gss = context
            sa.responderTokens.removeAll()
            return try stepContext(sa, token)
        } catch {
            throw .authentication("Kerberos from \(sa.remote.address): \(error)")
        }
    }

    /// The initiator takes message 4's token (mutual authentication completes the context).
    func initiatorTakesToken(_ sa: Phase1SA, _ message: ISAKMPMessage) throws(ExchangeFailure) {
        guard sa.chosen?.authentication == .kerberos else { return }
        guard let token = gssToken(message) else {
            guard sa.gss?.isComplete == true else { throw .authentication("Main Mode message 4 from \(sa.remote.address) has no GSS payload") }
            return
        }
        sa.pendingGSSPayloads = try stepOrFail(sa, token)
    }

    /// Message 5 or 6 with Kerberos: the ID (first encrypted message only), a token still to
    /// send, and the wrapped HASH once the context is complete — for the responder, only
    /// after it verified the initiator's.
    func kerberosProofPayloads(_ sa: Phase1SA, hashAllowed: Bool) throws(ExchangeFailure) -> [Payload] {
        var payloads: [Payload] = []
        if sa.localIDBody == nil {
            let ours = Payload.identification(sa.policy.localID ?? .address(sa.local.address))
            sa.localIDBody = Array(ISAKMPMessage.encodePayloads([ours]).dropFirst(4))
            payloads.append(ours)
        }
        payloads += sa.pendingGSSPayloads
        sa.pendingGSSPayloads = []
        if hashAllowed, let context = sa.gss, context.isComplete {
            let hash = try kerberosProof(sa, by: sa.role)
            do { payloads.append(.hash(try context.wrap(hash))) } catch {
                throw .authentication("Kerberos: sealing \(sa.role == .initiator ? "HASH_I" : "HASH_R"): \(error)")
            }
            sa.gssHashSent = true
        }
        return payloads
    }

    /// The responder takes message 5: with the initiator's HASH verified it answers with its
    /// own and the SA is up; while the context needs more, it answers with its next token.
    func kerberosFifthMessage(_ sa: Phase1SA, _ bytes: [UInt8], datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        let message = try openPhase1(sa, bytes, step: "Main Mode message 5")
        let progress = try kerberosReceive(sa, message, step: "Main Mode message 5")
        followFloat(sa, datagram)
        let payloads = try kerberosProofPayloads(sa, hashAllowed: progress == .verified)
        guard progress == .verified || payloads.contains(where: { $0.type == .gssToken }) else {
            throw .authentication("Kerberos with \(sa.remote.address): the context wants a token this side did not produce")
        }
        let sixth = try seal(sa, ISAKMPMessage(header: header(sa, .identityProtection), payloads: payloads))
        guard progress == .verified else { return [send(sa, sixth, awaitingReply: false, now: now)] }
        established(sa, now: now)
        return [send(sa, sixth, awaitingReply: false, now: now), mainModeEvent(sa)] + (message.announcesInitialContact ? peerRestarted(sa) : [])
    }

    /// The initiator takes message 6: the responder's verified HASH establishes the SA; a
    /// token instead means another leg, answered with a new message 5.
    func kerberosSixthMessage(_ sa: Phase1SA, _ bytes: [UInt8], now: Double) throws(ExchangeFailure) -> [IKEAction] {
        let message = try openPhase1(sa, bytes, step: "Main Mode message 6")
        switch try kerberosReceive(sa, message, step: "Main Mode message 6") {
        case .verified:
            guard sa.gssHashSent else { throw .authentication("\(sa.remote.address) sent HASH_R before this side sent HASH_I") }
            return try initiatorEstablished(sa, restarted: message.announcesInitialContact, now: now)
        case .needsMore:
            let payloads = try kerberosProofPayloads(sa, hashAllowed: true)
            guard !payloads.isEmpty else { throw .authentication("Kerberos with \(sa.remote.address): nothing left to send, yet no HASH_R") }
            let fifth = try seal(sa, ISAKMPMessage(header: header(sa, .identityProtection), payloads: payloads))
            return [send(sa, fifth, awaitingReply: true, now: now)]
        }
    }

    /// What a Kerberos message 5 or 6 from the peer did.
    enum KerberosProgress { case verified, needsMore }

    /// Takes the peer's message 5 or 6: records its ID, steps the context with its token and,
    /// when it carries the HASH, unwraps and checks it and the authenticated principal.
    func kerberosReceive(_ sa: Phase1SA, _ message: ISAKMPMessage, step: String) throws(ExchangeFailure) -> KerberosProgress {
        if let index = message.payloads.firstIndex(where: { $0.type == .identification }), case .identification(let id) = message.payloads[index] {
            guard sa.peerIDBody == nil else { throw .authentication("\(step) repeats the ID payload") }
            sa.peerIDBody = Array(message.receivedPayloads[index].dropFirst(4))
            try checkPeerID(sa, id)
            sa.peerID = id
        }
        guard sa.peerIDBody != nil else { throw .authentication("\(step) has no ID payload") }
        if let token = gssToken(message) { sa.pendingGSSPayloads += try stepOrFail(sa, token) }
        guard case .hash(let sealed)? = message.payloads.first(where: { $0.type == .hash }) else {
            guard !sa.pendingGSSPayloads.isEmpty || sa.gss?.isComplete == true else {
                throw .authentication("\(step) from \(sa.remote.address) has neither a GSS token nor a HASH")
            }
            return .needsMore
        }
        guard let context = sa.gss, context.isComplete else {
            throw .authentication("\(step) from \(sa.remote.address) sends its HASH before the Kerberos context is complete")
        }
        let peer: Phase1SA.Role = sa.role == .initiator ? .responder : .initiator
        let hashName = peer == .initiator ? "HASH_I" : "HASH_R"
        let opened: [UInt8]
        do { opened = try context.unwrap(sealed) } catch {
            throw .authentication("\(hashName) from \(sa.remote.address) does not unwrap: \(error)")
        }
        guard constantTimeEqual(try kerberosProof(sa, by: peer), opened) else {
            throw .authentication("\(hashName) from \(sa.remote.address) does not verify: the message was altered")
        }
        guard let principal = context.peerName else { throw .authentication("Kerberos named no peer principal for \(sa.remote.address)") }
        // The identity the peer announced in its SA payload must be the one Kerberos proved.
        let announced = (peer == .initiator ? sa.GIi : sa.GIr).flatMap(GSSAuthentication.decodeIdentity)
        if let announced, announced.lowercased() != principal.lowercased() {
            throw .authentication("\(sa.remote.address) announced itself as \(announced) but Kerberos authenticated \(principal)")
        }
        sa.peerPrincipal = principal
        return .verified
    }

    /// HASH_I or HASH_R with Kerberos' additions (draft §3.1): the sender's GSS identity when
    /// both sides sent one, and the tokens the sender produced, after the ID body.
    func kerberosProof(_ sa: Phase1SA, by role: Phase1SA.Role) throws(ExchangeFailure) -> [UInt8] {
        guard let keys = sa.keys else { throw .unexpected("proof before keys") }
        guard let idBody = role == sa.role ? sa.localIDBody : sa.peerIDBody else { throw .unexpected("proof before the ID") }
        let identities = sa.GIi != nil && sa.GIr != nil
        let (CKY_I, CKY_R) = (sa.CKY_I.bigEndianBytes, sa.CKY_R.bigEndianBytes)
        do {
            if role == .initiator {
                let gss = (identities ? sa.GIi! : []) + sa.initiatorTokens.joined()
                return try keys.HASH_I(gxi: sa.gxi, gxr: sa.gxr, CKY_I: CKY_I, CKY_R: CKY_R, SAi_b: sa.SAi_b, IDii_b: idBody, gss: gss)
            }
            let gss = (identities ? sa.GIr! : []) + sa.responderTokens.joined()
            return try keys.HASH_R(gxi: sa.gxi, gxr: sa.gxr, CKY_I: CKY_I, CKY_R: CKY_R, SAi_b: sa.SAi_b, IDir_b: idBody, gss: gss)
        } catch { throw .failed("\(role == .initiator ? "HASH_I" : "HASH_R"): \(error)") }
    }

    // MARK: Pieces

    /// The token of a message's GSS payload (the first; draft §3.3.3 sends one per message).
    func gssToken(_ message: ISAKMPMessage) -> [UInt8]? {
        for case .gssToken(let body) in message.payloads { return GSSAuthentication.token(fromBody: body) }
        return nil
    }

    /// Steps the context with the peer's token, records both tokens and returns the GSS
    /// payload to send, if the context produced one.
    func stepContext(_ sa: Phase1SA, _ token: [UInt8]) throws(GSSFailure) -> [Payload] {
        guard let context = sa.gss else { throw GSSFailure(call: "gss_init_sec_context", reason: .other, text: "no context") }
        if sa.role == .initiator { sa.responderTokens.append(token) } else { sa.initiatorTokens.append(token) }
        guard let output = try context.step(token) else { return [] }
        if sa.role == .initiator { sa.initiatorTokens.append(output) } else { sa.responderTokens.append(output) }
        return [.gssToken(GSSAuthentication.payloadBody(token: output))]
    }

    func stepOrFail(_ sa: Phase1SA, _ token: [UInt8]) throws(ExchangeFailure) -> [Payload] {
        let tooMany = ExchangeFailure.authentication("Kerberos with \(sa.remote.address) needs more than \(Self.maxGSSTokens) GSS tokens each way")
        let fromPeer = sa.role == .initiator ? sa.responderTokens : sa.initiatorTokens
        guard fromPeer.count < Self.maxGSSTokens else { throw tooMany }
        guard sa.gss?.isComplete != true else {
            throw .authentication("\(sa.remote.address) sent a GSS token after the Kerberos context was complete")
        }
        let answer: [Payload]
        do { answer = try stepContext(sa, token) } catch {
            throw .authentication("Kerberos with \(sa.remote.address): \(error)")
        }
        let ours = sa.role == .initiator ? sa.initiatorTokens : sa.responderTokens
        guard ours.count <= Self.maxGSSTokens else { throw tooMany }
        return answer
    }
}
