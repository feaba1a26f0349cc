/// Why an exchange could not go on with a message, and so what the engine counts and whether
/// the negotiation ends.
enum ExchangeFailure: Error {
    /// The message does not parse or lacks a payload: counted as an invalid packet, dropped;
    /// the exchange waits for a good one.
    case malformed(ISAKMPError)
    /// Valid but not expected now (wrong exchange step, payload order): dropped like a
    /// malformed one.
    case unexpected(String)
    /// The peer's proof did not verify or its encrypted message did not decrypt: the
    /// negotiation ends (wrong preshared key, forged message).
    case authentication(String)
    /// Nothing offered was acceptable: the negotiation ends with NO-PROPOSAL-CHOSEN.
    case noProposal(String)
    /// Anything else that ends the negotiation (bad Diffie-Hellman value, a peer's refusal).
    case failed(String)
}

extension ISAKMPError {
    /// A missing payload, named as the exchange expects it.
    static func missing(_ payload: String, in step: String) -> ISAKMPError {
        ISAKMPError(payload, "presence", offset: ISAKMPHeader.length, "\(step) must carry a \(payload) payload")
    }
}
