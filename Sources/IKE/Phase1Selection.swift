import Transforms

/// The responder's choice of a Main Mode offer (RFC 2408 §4.2): the initiator's transforms are
/// tried in the initiator's order, and the first whose algorithms one of ours matches is chosen.
/// The reply must carry that one transform with its proposal and transform numbers unchanged.
public struct Phase1Selection: Equatable, Sendable {
    /// The SA payload to send back: one proposal, one transform.
    public var reply: SecurityAssociationPayload
    /// What was agreed, lifetimes as the initiator offered them.
    public var chosen: Phase1Transform
    /// The responder's own lifetime limit for the matched method (the shorter one governs).
    public var localLifetimeSeconds: UInt64?

    /// Chooses from `offer` using `acceptable` (the policy's security methods with the rule's
    /// authentication methods). Returns nil — the caller answers NO-PROPOSAL-CHOSEN — with every
    /// transform's reason for refusal in `refusals`, for the log.
    ///
    /// Method 65001 is Kerberos only from a peer that said it speaks GSS-API — a GSS vendor
    /// ID (`peerAnnouncesGSS`) or a GSS identity in the transform; otherwise it is XAUTH's
    /// InitPreShared, which shares the number and which Ward does not speak.
    public static func choose(from offer: SecurityAssociationPayload, acceptable: [Phase1Transform], peerAnnouncesGSS: Bool = false,
                              refusals: inout [String]) -> Phase1Selection? {
        guard offer.doi == 1 else {
            refusals.append("DOI \(offer.doi) is not IPsec (1)")
            return nil
        }
        guard offer.situation == 1 else {
            refusals.append("situation \(offer.situation) is not SIT_IDENTITY_ONLY (1)")
            return nil
        }
        for proposal in offer.proposals {
            guard proposal.protocolID == 1 else {
                refusals.append("proposal \(proposal.number): protocol \(proposal.protocolID) is not PROTO_ISAKMP (1)")
                continue
            }
            for transform in proposal.transforms {
                let offered: Phase1Transform
                do { offered = try Phase1Transform(transform: transform) } catch {
                    refusals.append("proposal \(proposal.number) \(error)")
                    continue
                }
                if offered.authentication == .kerberos && !peerAnnouncesGSS && offered.gssIdentity == nil {
                    refusals.append("proposal \(proposal.number) transform \(transform.number): authentication method 65001 without a GSS vendor ID "
                                    + "or GSS identity is XAUTH InitPreShared, not Kerberos")
                    continue
                }
                guard let ours = acceptable.first(where: { $0.sameAlgorithms(as: offered) }) else {
                    let difference = Phase1Difference(offered: offered, acceptable: acceptable).map { " (\($0))" } ?? ""
                    refusals.append("proposal \(proposal.number) transform \(transform.number): \(offered) is not in the policy" + difference)
                    continue
                }
                var single = proposal
                single.transforms = [transform]
                var reply = offer
                reply.proposals = [single]
                return Phase1Selection(reply: reply, chosen: offered, localLifetimeSeconds: ours.lifetimeSeconds)
            }
        }
        return nil
    }

    /// The lifetime the SA lives by: the shorter of the offer and our own (seconds).
    public var effectiveLifetimeSeconds: UInt64? {
        switch (chosen.lifetimeSeconds, localLifetimeSeconds) {
        case let (offered?, local?): min(offered, local)
        case let (offered, local): offered ?? local
        }
    }
}
