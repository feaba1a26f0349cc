import Packet
import Transforms

/// Informational exchanges (RFC 2409 §5.7): one message carrying notifications or deletes,
/// protected by HASH(1) and encrypted once the ISAKMP SA has keys.
extension IKEEngine {
    /// Sends `payloads` (N or D) to the peer of an SA with keys.
    func sendInformational(_ sa: Phase1SA, _ payloads: [Payload]) -> [IKEAction] {
        guard let keys = sa.keys, let protection = sa.protection else { return [] }
        var messageID: UInt32
        repeat { messageID = entropy.u32() } while messageID == 0
        guard let iv = try? exchangeIV(sa, messageID: messageID),
              let hash = try? QuickModeKeys(phase1: keys).informationalHash(messageID: messageID, payloadsAfterHash: ISAKMPMessage.encodePayloads(payloads)),
              let (bytes, _) = try? protection.seal(ISAKMPMessage(header: header(sa, .informational, messageID: messageID), payloads: [.hash(hash)] + payloads), iv: iv)
        else { return [] }
        return [.send(sa.datagram(bytes))]
    }

    func informational(_ sa: Phase1SA, _ message: ISAKMPMessage, bytes: [UInt8], now: Double) throws(ExchangeFailure) -> [IKEAction] {
        guard message.header.encrypted else { return try cleartextNotification(sa, message) }
        guard let protection = sa.protection, let keys = sa.keys else { throw .unexpected("encrypted Informational before keys") }
        let iv = try exchangeIV(sa, messageID: message.header.messageID)
        let opened: ISAKMPMessage
        do { opened = try protection.open(bytes, iv: iv).message } catch {
            if sa.state != .established {
                throw .authentication("the peer's encrypted notification does not decrypt: the preshared keys differ")
            }
            throw .malformed(error)
        }
        let messageID = message.header.messageID
        try verifyLeadingHash(opened, step: "Informational") { data throws(KeyDerivationError) in
            try QuickModeKeys(phase1: keys).informationalHash(messageID: messageID, payloadsAfterHash: data)
        }
        var actions: [IKEAction] = []
        for payload in opened.payloads.dropFirst() {
            switch payload {
            case .delete(let delete):
                actions += peerDeleted(sa, delete)
            case .notification(let notification):
                actions.append(.event(.notified(peer: sa.remote.address, type: notification.type)))
                if sa.state != .established && notification.type < 16384 {
                    throw .failed("the peer refused Main Mode with notification \(notification.type)")
                }
                actions += quickModesRefused(sa, notification)
            default:
                break
            }
        }
        return actions
    }

    /// The peer refused a Quick Mode this side started (NO-PROPOSAL-CHOSEN, INVALID-ID-
    /// INFORMATION: RFC 2408 §3.14.1 error types, protocol ESP or AH): the exchange it names by
    /// SPI, or, when the notification carries none (Ward, Windows), every Quick Mode still
    /// waiting for the peer's answer, is given up now rather than at the retransmission
    /// timeout, so the next packet asks again (a policy that changed on the peer a moment
    /// later is then met within a second).
    func quickModesRefused(_ sa: Phase1SA, _ notification: Notification) -> [IKEAction] {
        guard notification.type < 16384, notification.protocolID == 2 || notification.protocolID == 3 else { return [] }
        let spi: UInt32? = notification.spi.count == 4 ? notification.spi.reduce(0) { $0 << 8 | UInt32($1) } : nil
        let refused = sa.quickModes.values.filter { exchange in
            exchange.role == .initiator && exchange.state == .sentQM1 && (spi.map { exchange.localSPIs.contains($0) } ?? true)
        }
        return refused.flatMap { exchange in
            quickModeAbandoned(sa, exchange, "the peer refused Quick Mode for \(exchange.selector) with notification \(notification.type)"
                               + (notification.type == NotifyType.noProposalChosen ? " (NO-PROPOSAL-CHOSEN: no offer matches its filter action)" : ""))
        }
    }

    /// An unencrypted notification: only meaningful before keys exist, when the responder
    /// refuses our offer (NO-PROPOSAL-CHOSEN and the like).
    func cleartextNotification(_ sa: Phase1SA, _ message: ISAKMPMessage) throws(ExchangeFailure) -> [IKEAction] {
        guard sa.role == .initiator, sa.state == .sentMM1 || sa.state == .sentMM3 else {
            throw .unexpected("cleartext Informational after keys exist")
        }
        guard case .notification(let notification)? = message.payloads.first(where: { $0.type == .notification }) else {
            throw .malformed(.missing("N", in: "cleartext Informational"))
        }
        if notification.type == NotifyType.noProposalChosen {
            throw .noProposal("\(sa.remote.address) answered NO-PROPOSAL-CHOSEN; Ward offered ["
                              + sa.offered.map(\.description).joined(separator: ", ") + "]")
        }
        throw .failed("\(sa.remote.address) refused Main Mode with notification \(notification.type)")
    }

    /// The peer deleted SAs: an ISAKMP SA (its cookies) or IPsec SAs (the SPIs it received on,
    /// our outbound ones).
    func peerDeleted(_ sa: Phase1SA, _ delete: Delete) -> [IKEAction] {
        var actions: [IKEAction] = []
        switch delete.protocolID {
        case 1:
            actions.append(.event(.peerDeleted(peer: sa.remote.address, spi: nil)))
            remove(sa)
        case 2, 3:
            for spi in delete.spis where spi.count == 4 {
                let outbound = spi.reduce(0) { $0 << 8 | UInt32($1) }
                guard let (inbound, pair) = installed.first(where: { $0.value.outboundSPI == outbound && $0.value.peer == sa.remote.address }) else { continue }
                installed.removeValue(forKey: inbound)
                allocatedSPIs.remove(inbound)
                actions.append(.delete(inboundSPI: inbound, outboundSPI: pair.outboundSPI, peer: pair.peer))
                actions.append(.event(.peerDeleted(peer: sa.remote.address, spi: outbound)))
            }
        default:
            break
        }
        return actions
    }

    // MARK: Timers

    func timers(_ sa: Phase1SA, now: Double) -> [IKEAction] {
        var actions: [IKEAction] = []
        if sa.state != .established {
            if now - sa.createdAt > configuration.negotiationTimeout {
                counters.negotiationFailures += 1
                return fail(sa, reason: "Main Mode with \(sa.remote.address) did not complete within \(Int(configuration.negotiationTimeout)) s (last sent: \(sa.state))")
            }
        } else if let retireAt = sa.retireAt, now >= retireAt {
            remove(sa)
            return []
        } else if let life = sa.lifetimeSeconds, let since = sa.establishedAt, now - since >= Double(life) {
            // RFC 2409 §4.5: an expired ISAKMP SA is deleted; the next acquire builds a new one.
            actions += sendInformational(sa, [.delete(Delete(protocolID: 1, spiSize: 16, spis: [sa.CKY_I.bigEndianBytes + sa.CKY_R.bigEndianBytes]))])
            remove(sa)
            return actions
        }
        if var retransmission = sa.retransmission, let datagram = retransmission.due(at: now) {
            if retransmission.resends > configuration.retransmitLimit {
                counters.negotiationFailures += 1
                return fail(sa, reason: "\(sa.remote.address) did not answer Main Mode (last sent: \(sa.state)) after \(configuration.retransmitLimit) retransmissions")
            }
            sa.retransmission = retransmission
            actions.append(.send(datagram))
        }
        for exchange in Array(sa.quickModes.values) {
            if now - exchange.createdAt > configuration.negotiationTimeout
                || (exchange.retransmission?.resends ?? 0) >= configuration.retransmitLimit {
                actions += quickModeAbandoned(sa, exchange, "Quick Mode \(exchange.selector) with \(sa.remote.address) got no answer")
                continue
            }
            if var retransmission = exchange.retransmission, let datagram = retransmission.due(at: now) {
                exchange.retransmission = retransmission
                actions.append(.send(datagram))
            }
        }
        if sa.state == .established, sa.nat?.localBehindNAT == true, now - sa.lastKeepaliveAt >= configuration.keepaliveInterval {
            sa.lastKeepaliveAt = now
            actions.append(.send(IKEDatagram(payload: [0xFF], local: sa.local, remote: sa.remote)))
        }
        return actions
    }
}
