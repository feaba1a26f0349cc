import ESP
import Packet
import Transforms

/// Quick Mode (RFC 2409 §5.5), every message encrypted under the ISAKMP SA:
///
///     Initiator                                       Responder
///     1  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->
///                                                    <-- 2  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]
///     3  HDR*, HASH(3)                               -->
///
/// The initiator installs its SAs after sending message 3, the responder on receiving it.
extension IKEEngine {
    // MARK: Initiator

    func startQuickMode(_ sa: Phase1SA, _ request: QuickModeRequest, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        var messageID: UInt32
        repeat { messageID = entropy.u32() } while messageID == 0 || sa.quickModes[messageID] != nil
        let exchange = QuickModeExchange(role: .initiator, messageID: messageID, iv: try exchangeIV(sa, messageID: messageID),
                                         selector: request.selector, now: now)
        let policy = request.policy
        exchange.filter = policy.filter
        // RFC 3947 §4: AH authenticates the outer addresses a NAT rewrites; it cannot cross one.
        let usable = policy.offers.filter { !(sa.floated && $0.ipsecProtocol == .ah) }
        guard !usable.isEmpty else {
            counters.acquireFailures += 1
            return [.event(.negotiationFailed(peer: sa.remote.address,
                                              reason: "a NAT lies between this host and \(sa.remote.address), and the filter action offers only AH"))]
        }
        let pfsGroup = policy.pfs(mainModeGroup: sa.chosen?.group)
        var proposals: [Proposal] = []
        for (index, offer) in usable.prefix(255).enumerated() {
            var transform = offer
            transform.encapsulation = encapsulation(policy.mode, floated: sa.floated)
            transform.pfsGroup = pfsGroup
            guard let payload = transform.transform(number: 1) else { continue }
            let spi: UInt32
            if let known = exchange.spiByProtocol[transform.ipsecProtocol] { spi = known } else {
                spi = allocateSPI()
                exchange.spiByProtocol[transform.ipsecProtocol] = spi
                exchange.localSPIs.append(spi)
            }
            let number = UInt8(index + 1)
            exchange.offers[number] = transform
            proposals.append(Proposal(number: number, protocolID: transform.ipsecProtocol.rawValue, spi: spi.bigEndianBytes, transforms: [payload]))
        }
        exchange.Ni_b = entropy.bytes(configuration.nonceLength)
        var rest: [Payload] = [.securityAssociation(SecurityAssociationPayload(proposals: proposals)), .nonce(exchange.Ni_b)]
        if let group = pfsGroup {
            let keyExchange = try makeKeyExchange(group)
            exchange.keyExchange = keyExchange
            rest.append(.keyExchange(keyExchange.publicValue))
        }
        let selector = request.selector
        exchange.identities = [.identification(TrafficSelector.identification(selector.local, protocolID: selector.protocolID, port: selector.localPort)),
                               .identification(TrafficSelector.identification(selector.remote, protocolID: selector.protocolID, port: selector.remotePort))]
        rest += exchange.identities
        let hash1: [UInt8]
        do { hash1 = try QuickModeKeys(phase1: sa.keys!).hash1(messageID: messageID, payloadsAfterHash: ISAKMPMessage.encodePayloads(rest)) } catch {
            throw .failed("HASH(1): \(error)")
        }
        sa.quickModes[messageID] = exchange
        sa.quickModesStarted += 1
        let message = ISAKMPMessage(header: header(sa, .quickMode, messageID: messageID), payloads: [.hash(hash1)] + rest)
        return [sendQuickMode(sa, exchange, message, awaitingReply: true, now: now)]
    }

    // MARK: Dispatch

    func quickMode(_ sa: Phase1SA, _ message: ISAKMPMessage, bytes: [UInt8], datagram: IKEDatagram, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        guard sa.state == .established else { throw .unexpected("Quick Mode before Main Mode completed") }
        guard message.header.encrypted else { throw .unexpected("Quick Mode message is not encrypted") }
        let messageID = message.header.messageID
        guard messageID != 0 else { throw .malformed(ISAKMPError("ISAKMP header", "message ID", offset: 20, "Quick Mode needs a nonzero message ID")) }
        if let finished = sa.finishedQuickModes[messageID] {
            // Our message 3 was lost and the responder repeats message 2.
            return [.send(finished)]
        }
        if let exchange = sa.quickModes[messageID] {
            if exchange.lastReceived == bytes, let answer = exchange.retransmission?.datagram { return [.send(answer)] }
            let actions: [IKEAction]
            switch (exchange.role, exchange.state) {
            case (.initiator, .sentQM1): actions = try secondQuickMode(sa, exchange, bytes, now: now)
            case (.responder, .sentQM2): actions = try thirdQuickMode(sa, exchange, bytes, now: now)
            default: throw .unexpected("Quick Mode message in state \(exchange.state)")
            }
            exchange.lastReceived = bytes
            return actions
        }
        return try firstQuickMode(sa, bytes, messageID: messageID, now: now)
    }

    // MARK: Responder

    func firstQuickMode(_ sa: Phase1SA, _ bytes: [UInt8], messageID: UInt32, now: Double) throws(ExchangeFailure) -> [IKEAction] {
        var iv = try exchangeIV(sa, messageID: messageID)
        let message = try openQuickMode(sa, bytes, iv: &iv, step: "Quick Mode message 1")
        let keys = QuickModeKeys(phase1: sa.keys!)
        try verifyLeadingHash(message, step: "Quick Mode message 1") { data throws(KeyDerivationError) in
            try keys.hash1(messageID: messageID, payloadsAfterHash: data)
        }
        var offer: SecurityAssociationPayload?, nonce: [UInt8]?, ke: [UInt8]?, ids: [Identification] = []
        for payload in message.payloads {
            switch payload {
            case .securityAssociation(let value): offer = value
            case .nonce(let value): nonce = value
            case .keyExchange(let value): ke = value
            case .identification(let value): ids.append(value)
            default: break
            }
        }
        guard let offer else { throw .malformed(.missing("SA", in: "Quick Mode message 1")) }
        guard let nonce, (8...256).contains(nonce.count) else { throw .malformed(.missing("Nonce (8 to 256 bytes)", in: "Quick Mode message 1")) }
        guard ids.isEmpty || ids.count == 2 else {
            throw .malformed(ISAKMPError("ID payload", "count", offset: ISAKMPHeader.length, "Quick Mode carries no IDs or two (IDci, IDcr), not \(ids.count)"))
        }
        let selector: TrafficSelector
        if ids.count == 2 {
            do {
                // IDci names the initiator's side: our remote.
                selector = TrafficSelector(local: try TrafficSelector.subnet(from: ids[1], payload: "IDcr"),
                                           remote: try TrafficSelector.subnet(from: ids[0], payload: "IDci"),
                                           protocolID: ids[0].protocolID, localPort: ids[1].port, remotePort: ids[0].port)
            } catch { throw .malformed(error) }
        } else {
            selector = .hosts(sa.local.address, sa.remote.address)
        }
        let exchange = QuickModeExchange(role: .responder, messageID: messageID, iv: iv, selector: selector, now: now)
        exchange.Ni_b = nonce
        if ids.count == 2 { exchange.identities = ids.map { .identification($0) } }
        guard let policy = policy.quickMode(for: selector, peer: sa.remote.address) else {
            return quickModeRefused(sa, "no rule covers \(selector) from \(sa.remote.address)", notify: NotifyType.invalidIDInformation)
        }
        exchange.filter = policy.filter
        var refusals: [String] = []
        guard let (proposal, transform, chosen) = chooseQuickMode(offer, policy: policy, pfsGroup: policy.pfs(mainModeGroup: sa.chosen?.group),
                                                                  floated: sa.floated, keyExchange: ke, refusals: &refusals) else {
            let reason = "Quick Mode proposal from \(sa.remote.address) for \(selector) matched nothing; the filter action accepts ["
                + policy.offers.map(\.description).joined(separator: ", ") + "]" + (policy.pfs(mainModeGroup: sa.chosen?.group).map { " with PFS group \($0.rawValue)" } ?? "")
                + "; " + refusals.joined(separator: "; ")
            return quickModeRefused(sa, reason, notify: NotifyType.noProposalChosen)
        }
        guard proposal.spi.count == 4 else {
            throw .malformed(ISAKMPError("proposal \(proposal.number)", "SPI size", offset: ISAKMPHeader.length, "\(proposal.spi.count) bytes, an IPsec SPI has 4"))
        }
        exchange.peerSPI = proposal.spi.reduce(0) { $0 << 8 | UInt32($1) }
        exchange.chosen = chosen
        var ourKeyExchange: [UInt8]?
        if let group = chosen.pfsGroup, let ke {
            let keyExchange = try makeKeyExchange(group)
            do { exchange.pfsSecret = try keyExchange.sharedSecret(peer: ke) } catch {
                throw .malformed(ISAKMPError("KE payload", "key exchange data", offset: ISAKMPHeader.length, "not a valid group \(group.rawValue) value: \(error)"))
            }
            ourKeyExchange = keyExchange.publicValue
        }
        // Nothing below can refuse the message: the SPI is reserved only now.
        exchange.localSPI = allocateSPI()
        exchange.localSPIs = [exchange.localSPI]
        exchange.Nr_b = entropy.bytes(configuration.nonceLength)
        var reply: [Payload] = []
        var answered = proposal
        answered.spi = exchange.localSPI.bigEndianBytes
        answered.transforms = [transform]
        reply.append(.securityAssociation(SecurityAssociationPayload(proposals: [answered], doi: offer.doi, situation: offer.situation)))
        reply.append(.nonce(exchange.Nr_b))
        if let ourKeyExchange { reply.append(.keyExchange(ourKeyExchange)) }
        reply += exchange.identities
        if let offered = try? QuickModeTransform(protocolID: proposal.protocolID, transform: transform),
           offered.lifetimeSeconds != chosen.lifetimeSeconds || offered.lifetimeKilobytes != chosen.lifetimeKilobytes {
            // Our policy's lifetime is shorter: say so, or the two sides would expire the SA at different times.
            reply.append(.notification(Notification(protocolID: proposal.protocolID, type: NotifyType.responderLifetime,
                                                    spi: exchange.localSPI.bigEndianBytes,
                                                    data: ResponderLifetime.encode(seconds: chosen.lifetimeSeconds, kilobytes: chosen.lifetimeKilobytes))))
        }
        let hash2: [UInt8]
        do { hash2 = try keys.hash2(messageID: messageID, Ni_b: exchange.Ni_b, payloadsAfterHash: ISAKMPMessage.encodePayloads(reply)) } catch {
            throw .failed("HASH(2): \(error)")
        }
        exchange.lastReceived = bytes
        sa.quickModes[messageID] = exchange
        sa.quickModesStarted += 1
        let message2 = ISAKMPMessage(header: header(sa, .quickMode, messageID: messageID), payloads: [.hash(hash2)] + reply)
        return [sendQuickMode(sa, exchange, message2, awaitingReply: true, now: now)]
    }

    /// The first of the initiator's proposals (in its order) and transform our policy accepts.
    func chooseQuickMode(_ offer: SecurityAssociationPayload, policy: QuickModePolicy, pfsGroup: DiffieHellmanGroup?, floated: Bool, keyExchange: [UInt8]?,
                         refusals: inout [String]) -> (Proposal, Transform, QuickModeTransform)? {
        let numbers = offer.proposals.map(\.number)
        for proposal in offer.proposals {
            guard numbers.filter({ $0 == proposal.number }).count == 1 else {
                refusals.append("proposal \(proposal.number): AH+ESP bundles are not negotiated by this version")
                continue
            }
            for transform in proposal.transforms {
                let offered: QuickModeTransform
                do { offered = try QuickModeTransform(protocolID: proposal.protocolID, transform: transform) } catch {
                    refusals.append("proposal \(proposal.number) \(error)")
                    continue
                }
                let name = "proposal \(proposal.number) transform \(transform.number) (\(offered))"
                if floated && offered.ipsecProtocol == .ah { refusals.append("\(name): AH cannot cross the NAT between us"); continue }
                guard offered.encapsulation == encapsulation(policy.mode, floated: floated) else {
                    refusals.append("\(name): mode \(offered.encapsulation), the rule needs \(encapsulation(policy.mode, floated: floated))")
                    continue
                }
                if let group = pfsGroup, offered.pfsGroup != group {
                    refusals.append("\(name): the filter action requires PFS with group \(group.rawValue)")
                    continue
                }
                if offered.pfsGroup != nil, keyExchange?.count != offered.pfsGroup?.valueLength {
                    refusals.append("\(name): PFS without a matching KE payload")
                    continue
                }
                guard let ours = policy.offers.first(where: {
                    $0.ipsecProtocol == offered.ipsecProtocol && $0.cipher == offered.cipher && $0.integrity == offered.integrity
                }) else {
                    refusals.append("\(name): not in the filter action"
                                    + (QuickModeDifference(offered: offered, acceptable: policy.offers).map { " (\($0))" } ?? ""))
                    continue
                }
                var chosen = offered
                chosen.lifetimeSeconds = shorter(offered.lifetimeSeconds, ours.lifetimeSeconds)
                chosen.lifetimeKilobytes = shorter(offered.lifetimeKilobytes, ours.lifetimeKilobytes)
                return (proposal, transform, chosen)
            }
        }
        return nil
    }

    func thirdQuickMode(_ sa: Phase1SA, _ exchange: QuickModeExchange, _ bytes: [UInt8], now: Double) throws(ExchangeFailure) -> [IKEAction] {
        var iv = exchange.iv
        let message = try openQuickMode(sa, bytes, iv: &iv, step: "Quick Mode message 3")
        guard case .hash(let received)? = message.payloads.first else { throw .malformed(.missing("HASH", in: "Quick Mode message 3")) }
        let expected: [UInt8]
        do { expected = try QuickModeKeys(phase1: sa.keys!).hash3(messageID: exchange.messageID, Ni_b: exchange.Ni_b, Nr_b: exchange.Nr_b) } catch {
            throw .failed("HASH(3): \(error)")
        }
        guard constantTimeEqual(expected, received) else { throw .unexpected("HASH(3) does not verify") }
        exchange.iv = iv
        sa.quickModes.removeValue(forKey: exchange.messageID)
        // A replayed message 1 of this exchange now only gets message 2 again.
        if let answer = exchange.retransmission?.datagram { sa.rememberFinished(exchange.messageID, answer) }
        return [try install(sa, exchange, now: now)]
    }

    // MARK: Initiator, message 2

    func secondQuickMode(_ sa: Phase1SA, _ exchange: QuickModeExchange, _ bytes: [UInt8], now: Double) throws(ExchangeFailure) -> [IKEAction] {
        var iv = exchange.iv
        let message = try openQuickMode(sa, bytes, iv: &iv, step: "Quick Mode message 2")
        let keys = QuickModeKeys(phase1: sa.keys!)
        let (Ni_b, messageID) = (exchange.Ni_b, exchange.messageID)
        try verifyLeadingHash(message, step: "Quick Mode message 2") { data throws(KeyDerivationError) in
            try keys.hash2(messageID: messageID, Ni_b: Ni_b, payloadsAfterHash: data)
        }
        var reply: SecurityAssociationPayload?, nonce: [UInt8]?, ke: [UInt8]?, ids: [Payload] = []
        var responderLifetime: ResponderLifetime?
        for payload in message.payloads {
            switch payload {
            case .securityAssociation(let value): reply = value
            case .nonce(let value): nonce = value
            case .keyExchange(let value): ke = value
            case .identification: ids.append(payload)
            case .notification(let notification) where notification.type == NotifyType.responderLifetime:
                do { responderLifetime = try ResponderLifetime(notification.data) } catch { throw .malformed(error) }
            default: break
            }
        }
        guard let reply, reply.proposals.count == 1, reply.proposals[0].transforms.count == 1 else {
            throw .malformed(.missing("SA with one proposal and one transform", in: "Quick Mode message 2"))
        }
        guard let nonce, (8...256).contains(nonce.count) else { throw .malformed(.missing("Nonce (8 to 256 bytes)", in: "Quick Mode message 2")) }
        let proposal = reply.proposals[0]
        guard let offered = exchange.offers[proposal.number], offered.ipsecProtocol.rawValue == proposal.protocolID else {
            return quickModeAbandoned(sa, exchange, "the responder answered proposal \(proposal.number), which was not offered")
        }
        let answered: QuickModeTransform
        do { answered = try QuickModeTransform(protocolID: proposal.protocolID, transform: proposal.transforms[0]) } catch {
            return quickModeAbandoned(sa, exchange, "the responder's transform is not usable: \(error)")
        }
        guard answered.cipher == offered.cipher, answered.integrity == offered.integrity, answered.encapsulation == offered.encapsulation,
              answered.pfsGroup == offered.pfsGroup else {
            return quickModeAbandoned(sa, exchange, "the responder answered \(answered), but proposal \(proposal.number) offered \(offered)")
        }
        guard proposal.spi.count == 4 else {
            throw .malformed(ISAKMPError("proposal \(proposal.number)", "SPI size", offset: ISAKMPHeader.length, "\(proposal.spi.count) bytes, an IPsec SPI has 4"))
        }
        guard ids.isEmpty || ids == exchange.identities else {
            return quickModeAbandoned(sa, exchange, "the responder changed the traffic selectors")
        }
        if let keyExchange = exchange.keyExchange {
            guard let ke else { return quickModeAbandoned(sa, exchange, "PFS was offered but message 2 has no KE payload") }
            do { exchange.pfsSecret = try keyExchange.sharedSecret(peer: ke) } catch {
                throw .malformed(ISAKMPError("KE payload", "key exchange data", offset: ISAKMPHeader.length, "\(error)"))
            }
        }
        exchange.Nr_b = nonce
        exchange.peerSPI = proposal.spi.reduce(0) { $0 << 8 | UInt32($1) }
        exchange.localSPI = exchange.spiByProtocol[offered.ipsecProtocol] ?? 0
        var chosen = answered
        chosen.lifetimeSeconds = shorter(shorter(answered.lifetimeSeconds, offered.lifetimeSeconds), responderLifetime?.seconds)
        chosen.lifetimeKilobytes = shorter(shorter(answered.lifetimeKilobytes, offered.lifetimeKilobytes), responderLifetime?.kilobytes)
        exchange.chosen = chosen
        exchange.iv = iv
        let hash3: [UInt8]
        do { hash3 = try keys.hash3(messageID: messageID, Ni_b: exchange.Ni_b, Nr_b: exchange.Nr_b) } catch { throw .failed("HASH(3): \(error)") }
        let third = ISAKMPMessage(header: header(sa, .quickMode, messageID: messageID), payloads: [.hash(hash3)])
        let send = sendQuickMode(sa, exchange, third, awaitingReply: false, now: now)
        sa.quickModes.removeValue(forKey: messageID)
        release(exchange.localSPIs.filter { $0 != exchange.localSPI })
        if case .send(let datagram) = send { sa.rememberFinished(messageID, datagram) }
        return [send, try install(sa, exchange, now: now)]
    }

    // MARK: Pieces

    /// The soft byte limit: the configured fraction of the hard one, never above it.
    func softLimit(_ hardBytes: UInt64) -> UInt64 {
        let soft = Double(hardBytes) * min(max(configuration.softLifetimeFraction, 0), 1)
        return soft < Double(hardBytes) ? UInt64(soft) : hardBytes
    }

    func encapsulation(_ mode: QuickModeEncapsulation, floated: Bool) -> QuickModeTransform.Encapsulation {
        switch (mode, floated) {
        case (.transport, false): .transport
        case (.tunnel, false): .tunnel
        case (.transport, true): .udpTransport
        case (.tunnel, true): .udpTunnel
        }
    }

    func shorter(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        switch (a, b) {
        case let (a?, b?): min(a, b)
        case let (a, b): a ?? b
        }
    }

    func exchangeIV(_ sa: Phase1SA, messageID: UInt32) throws(ExchangeFailure) -> [UInt8] {
        guard let chosen = sa.chosen, let protection = sa.protection else { throw .unexpected("no ISAKMP SA keys yet") }
        do { return try Phase1Keys.exchangeIV(hash: chosen.hash, lastPhase1Block: sa.iv, messageID: messageID, blockSize: protection.blockSize) } catch {
            throw .failed("IV: \(error)")
        }
    }

    func openQuickMode(_ sa: Phase1SA, _ bytes: [UInt8], iv: inout [UInt8], step: String) throws(ExchangeFailure) -> ISAKMPMessage {
        do {
            let (message, next) = try sa.protection!.open(bytes, iv: iv)
            iv = next
            return message
        } catch { throw .malformed(error) }
    }

    /// Checks that the first payload is a HASH equal to `compute(payloads after it, as received)`.
    func verifyLeadingHash(_ message: ISAKMPMessage, step: String,
                           _ compute: ([UInt8]) throws(KeyDerivationError) -> [UInt8]) throws(ExchangeFailure) {
        guard case .hash(let received)? = message.payloads.first else { throw .malformed(.missing("HASH (first)", in: step)) }
        let rest = message.receivedPayloads.dropFirst().flatMap { $0 }
        let expected: [UInt8]
        do { expected = try compute(rest) } catch { throw .failed("\(step) hash: \(error)") }
        guard constantTimeEqual(expected, received) else { throw .unexpected("\(step): HASH does not verify") }
    }

    func sendQuickMode(_ sa: Phase1SA, _ exchange: QuickModeExchange, _ message: ISAKMPMessage, awaitingReply: Bool, now: Double) -> IKEAction {
        // Sealing cannot fail here: the SA's cipher and the exchange's IV were checked when made.
        guard let (bytes, next) = try? sa.protection!.seal(message, iv: exchange.iv) else {
            return .event(.negotiationFailed(peer: sa.remote.address, reason: "Quick Mode message could not be encrypted"))
        }
        exchange.iv = next
        let datagram = sa.datagram(bytes)
        exchange.retransmission = Retransmission(datagram, awaitingReply: awaitingReply, now: now, initial: configuration.retransmitInitial)
        return .send(datagram)
    }

    /// The responder refuses a Quick Mode: counted, logged and told to the peer; the ISAKMP SA stays.
    func quickModeRefused(_ sa: Phase1SA, _ reason: String, notify: UInt16) -> [IKEAction] {
        counters.negotiationFailures += 1
        counters.receiveFailures += 1
        return [.event(.negotiationFailed(peer: sa.remote.address, reason: reason))]
            + sendInformational(sa, [.notification(Notification(protocolID: 3, type: notify))])
    }

    /// A Quick Mode given up (an answer the initiator cannot accept, or no answer in time);
    /// the ISAKMP SA stays.
    func quickModeAbandoned(_ sa: Phase1SA, _ exchange: QuickModeExchange, _ reason: String) -> [IKEAction] {
        counters.negotiationFailures += 1
        if exchange.role == .initiator { counters.acquireFailures += 1 } else { counters.receiveFailures += 1 }
        sa.quickModes.removeValue(forKey: exchange.messageID)
        release(exchange.localSPIs)
        return [.event(.negotiationFailed(peer: sa.remote.address, reason: reason))]
    }

    /// Both SAs of the pair with their KEYMAT (RFC 2409 §5.5: each direction keyed with the SPI
    /// its receiver chose).
    func install(_ sa: Phase1SA, _ exchange: QuickModeExchange, now: Double) throws(ExchangeFailure) -> IKEAction {
        guard let chosen = exchange.chosen else { throw .failed("no transform chosen") }
        let keys = QuickModeKeys(phase1: sa.keys!)
        let encryptionLength = chosen.cipher?.keyMaterialLength ?? 0
        let integrityLength = chosen.integrity?.keyLength ?? 0
        func keymat(_ spi: UInt32) throws(ExchangeFailure) -> (encryption: [UInt8], integrity: [UInt8]) {
            guard encryptionLength + integrityLength > 0 else { return ([], []) }
            do {
                let material = try keys.keyingMaterial(protocolID: chosen.ipsecProtocol.rawValue, spi: spi, Ni_b: exchange.Ni_b, Nr_b: exchange.Nr_b,
                                                       pfsSecret: exchange.pfsSecret, length: encryptionLength + integrityLength)
                return (Array(material.prefix(encryptionLength)), Array(material.suffix(integrityLength)))
            } catch { throw .failed("KEYMAT: \(error)") }
        }
        let inboundKeys = try keymat(exchange.localSPI)
        let outboundKeys = try keymat(exchange.peerSPI)
        let hardSeconds = Double(chosen.lifetimeSeconds ?? 0)
        // A peer may offer any 64-bit kilobyte count: saturate rather than overflow.
        let (product, overflow) = (chosen.lifetimeKilobytes ?? 0).multipliedReportingOverflow(by: 1024)
        let hardBytes = overflow ? UInt64.max : product
        let lifetime = Lifetime(softSeconds: hardSeconds * min(max(configuration.softLifetimeFraction, 0), 1), hardSeconds: hardSeconds,
                                softBytes: softLimit(hardBytes), hardBytes: hardBytes)
        let tunnel = chosen.encapsulation == .tunnel || chosen.encapsulation == .udpTunnel
        let udp: (sourcePort: UInt16, destinationPort: UInt16)? = sa.floated ? (sa.local.port, sa.remote.port) : nil
        let securityProtocol: ESP.IPsecProtocol = chosen.ipsecProtocol == .esp ? .esp : .ah
        let inbound = SAParameters(spi: exchange.localSPI, securityProtocol: securityProtocol,
                                   mode: tunnel ? .tunnel(source: sa.remote.address, destination: sa.local.address) : .transport,
                                   destination: sa.local.address, encryption: chosen.cipher, encryptionKey: inboundKeys.encryption,
                                   integrity: chosen.integrity, integrityKey: inboundKeys.integrity,
                                   extendedSequenceNumbers: chosen.extendedSequenceNumbers, replayWindow: configuration.replayWindow,
                                   lifetime: lifetime, udpEncapsulation: udp.map { ($0.destinationPort, $0.sourcePort) })
        let outbound = SAParameters(spi: exchange.peerSPI, securityProtocol: securityProtocol,
                                    mode: tunnel ? .tunnel(source: sa.local.address, destination: sa.remote.address) : .transport,
                                    destination: sa.remote.address, encryption: chosen.cipher, encryptionKey: outboundKeys.encryption,
                                    integrity: chosen.integrity, integrityKey: outboundKeys.integrity,
                                    extendedSequenceNumbers: chosen.extendedSequenceNumbers, replayWindow: 0,
                                    lifetime: lifetime, udpEncapsulation: udp)
        installed[exchange.localSPI] = InstalledPair(cookies: sa.cookies, peer: sa.remote.address, outboundSPI: exchange.peerSPI,
                                                     protocolID: chosen.ipsecProtocol.rawValue, selector: exchange.selector)
        counters.quickModeSAs += 1
        counters.totalKeyAdd += 1
        counters.totalKeyUpdate += 1
        if let limit = sa.policy.quickModesPerMainMode, sa.quickModesStarted >= limit, sa.quickModes.isEmpty {
            // Master-key PFS (qmpermm): this ISAKMP SA has keyed all it may; the next acquire
            // starts a fresh Main Mode with a fresh Diffie-Hellman exchange. Both sides retire it
            // after a grace period in which a lost message 3 can still be repeated.
            sa.retireAt = now + configuration.negotiationTimeout
        }
        return .install(NegotiatedSAPair(selector: exchange.selector, peer: sa.remote, inbound: inbound, outbound: outbound, transform: chosen,
                                         filter: exchange.filter))
    }
}
