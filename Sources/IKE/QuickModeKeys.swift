import Transforms

/// Quick Mode's integrity hashes and the keying material of the IPsec SAs it creates
/// (RFC 2409 §5.5), all keyed from a ``Phase1Keys``.
///
/// Payload arguments are whole payloads as sent, generic headers included, because that is
/// what the RFC hashes ("SA | Ni | …"); `_b` arguments are payload bodies without headers.
public struct QuickModeKeys: Sendable {
    public let phase1: Phase1Keys

    public init(phase1: Phase1Keys) { self.phase1 = phase1 }

    /// HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ]): `payloadsAfterHash`
    /// is every payload that follows HASH(1) in the initiator's message.
    public func hash1(messageID: UInt32, payloadsAfterHash: [UInt8]) throws(KeyDerivationError) -> [UInt8] {
        try prf(phase1.SKEYID_a, messageID.bigEndianBytes + payloadsAfterHash)
    }

    /// HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ]).
    public func hash2(messageID: UInt32, Ni_b: [UInt8], payloadsAfterHash: [UInt8]) throws(KeyDerivationError) -> [UInt8] {
        try prf(phase1.SKEYID_a, messageID.bigEndianBytes + Ni_b + payloadsAfterHash)
    }

    /// HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b): the initiator's liveness proof.
    public func hash3(messageID: UInt32, Ni_b: [UInt8], Nr_b: [UInt8]) throws(KeyDerivationError) -> [UInt8] {
        try prf(phase1.SKEYID_a, [0] + messageID.bigEndianBytes + Ni_b + Nr_b)
    }

    /// An Informational exchange's HASH(1) = prf(SKEYID_a, M-ID | N/D) (RFC 2409 §5.7).
    public func informationalHash(messageID: UInt32, payloadsAfterHash: [UInt8]) throws(KeyDerivationError) -> [UInt8] {
        try hash1(messageID: messageID, payloadsAfterHash: payloadsAfterHash)
    }

    /// KEYMAT for one direction's SA, `length` bytes (RFC 2409 §5.5):
    ///
    ///     K1 = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
    ///     Kn = prf(SKEYID_d, Kn-1 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
    ///
    /// - Parameters:
    ///   - protocolID: the IPsec protocol of the SA (ISAKMP's PROTO_IPSEC_AH 2, PROTO_IPSEC_ESP 3).
    ///   - spi: the SPI the *receiving* side chose: each direction's SA has its own.
    ///   - pfsSecret: Quick Mode's own Diffie-Hellman secret when PFS is on, else nil.
    public func keyingMaterial(protocolID: UInt8, spi: UInt32, Ni_b: [UInt8], Nr_b: [UInt8],
                               pfsSecret: [UInt8]?, length: Int) throws(KeyDerivationError) -> [UInt8] {
        guard length > 0 else { throw .badLength(field: "KEYMAT", expected: 1...Int.max, got: length) }
        let seed = (pfsSecret ?? []) + [protocolID] + spi.bigEndianBytes + Ni_b + Nr_b
        var block = try prf(phase1.SKEYID_d, seed)
        var material = block
        while material.count < length {
            block = try prf(phase1.SKEYID_d, block + seed)
            material += block
        }
        return Array(material.prefix(length))
    }

    private func prf(_ key: [UInt8], _ data: [UInt8]) throws(KeyDerivationError) -> [UInt8] {
        do { return try phase1.prf.prf(key: key, data) } catch { throw .crypto(error.description) }
    }
}
