import Transforms

/// What SKEYID is computed from: RFC 2409 §5 gives one formula per authentication method.
public enum SKEYIDInput: Sendable {
    /// SKEYID = prf(pre-shared-key, Ni_b | Nr_b).
    case preSharedKey([UInt8])
    /// SKEYID = prf(Ni_b | Nr_b, g^xy): signatures (RSA, DSS). Kerberos (GSS-API) Main Mode
    /// follows this formula too, its key material arriving in the GSS exchange instead.
    case signatures
    /// SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R): public key encryption.
    case publicKeyEncryption
}

/// The keys of an ISAKMP SA, named as in RFC 2409 §5 and computed from the Main Mode exchange.
///
/// `SKEYID_d` keys Quick Mode's KEYMAT, `SKEYID_a` the integrity hashes of later exchanges,
/// `SKEYID_e` the encryption of ISAKMP messages (expanded to the cipher's key by
/// ``encryptionKey(length:)``). A value type with no I/O: the exchange state machine feeds it
/// the bytes it saw.
public struct Phase1Keys: Sendable {
    public let prf: IKEHashAlgorithm
    public let SKEYID: [UInt8]
    public let SKEYID_d: [UInt8]
    public let SKEYID_a: [UInt8]
    public let SKEYID_e: [UInt8]

    /// Derives the keys (RFC 2409 §5):
    ///
    ///     SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
    ///     SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
    ///     SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
    ///
    /// - Parameters:
    ///   - Ni_b, Nr_b: the bodies of the initiator's and responder's nonce payloads.
    ///   - gxy: the Diffie-Hellman shared secret at full length (``DiffieHellman/sharedSecret(peer:)``).
    ///   - CKY_I, CKY_R: the initiator and responder cookies, 8 bytes each.
    public init(prf: IKEHashAlgorithm, skeyid input: SKEYIDInput, Ni_b: [UInt8], Nr_b: [UInt8],
                gxy: [UInt8], CKY_I: [UInt8], CKY_R: [UInt8]) throws(KeyDerivationError) {
        guard CKY_I.count == 8 else { throw .badLength(field: "CKY-I", expected: 8...8, got: CKY_I.count) }
        guard CKY_R.count == 8 else { throw .badLength(field: "CKY-R", expected: 8...8, got: CKY_R.count) }
        guard !gxy.isEmpty else { throw .badLength(field: "g^xy", expected: 1...Int.max, got: 0) }
        // RFC 2409 §5: nonces are 8 to 256 bytes of the payload body.
        for (field, nonce) in [("Ni_b", Ni_b), ("Nr_b", Nr_b)] where !(8...256).contains(nonce.count) {
            throw .badLength(field: field, expected: 8...256, got: nonce.count)
        }
        self.prf = prf
        do {
            switch input {
            case .preSharedKey(let key): SKEYID = try prf.prf(key: key, Ni_b + Nr_b)
            case .signatures: SKEYID = try prf.prf(key: Ni_b + Nr_b, gxy)
            case .publicKeyEncryption: SKEYID = try prf.prf(key: try prf.hash(Ni_b + Nr_b), CKY_I + CKY_R)
            }
            let tail = gxy + CKY_I + CKY_R
            SKEYID_d = try prf.prf(key: SKEYID, tail + [0])
            SKEYID_a = try prf.prf(key: SKEYID, SKEYID_d + tail + [1])
            SKEYID_e = try prf.prf(key: SKEYID, SKEYID_a + tail + [2])
        } catch {
            throw .crypto(error.description)
        }
    }

    /// The cipher key for ISAKMP messages (RFC 2409 Appendix B): the leading bytes of SKEYID_e,
    /// or when SKEYID_e is too short, of K1 | K2 | … with K1 = prf(SKEYID_e, 0) and
    /// Kn = prf(SKEYID_e, Kn-1).
    public func encryptionKey(length: Int) throws(KeyDerivationError) -> [UInt8] {
        guard length > 0 else { throw .badLength(field: "encryption key", expected: 1...Int.max, got: length) }
        if SKEYID_e.count >= length { return Array(SKEYID_e.prefix(length)) }
        do {
            var material: [UInt8] = []
            var block = try prf.prf(key: SKEYID_e, [0])
            material += block
            while material.count < length {
                block = try prf.prf(key: SKEYID_e, block)
                material += block
            }
            return Array(material.prefix(length))
        } catch {
            throw .crypto(error.description)
        }
    }

    /// The IV of Main Mode's first encrypted message (RFC 2409 Appendix B): hash(g^xi | g^xr),
    /// cut to the cipher's block. Later messages chain from the previous last ciphertext block.
    public static func initialIV(hash: IKEHashAlgorithm, gxi: [UInt8], gxr: [UInt8],
                                 blockSize: Int) throws(KeyDerivationError) -> [UInt8] {
        try truncatedHash(hash, gxi + gxr, blockSize: blockSize)
    }

    /// The IV of a Quick Mode or Informational exchange (RFC 2409 Appendix B): hash of the last
    /// phase 1 CBC output block and the exchange's message ID, cut to the cipher's block.
    public static func exchangeIV(hash: IKEHashAlgorithm, lastPhase1Block: [UInt8], messageID: UInt32,
                                  blockSize: Int) throws(KeyDerivationError) -> [UInt8] {
        guard lastPhase1Block.count == blockSize else {
            throw .badLength(field: "last phase 1 block", expected: blockSize...blockSize, got: lastPhase1Block.count)
        }
        return try truncatedHash(hash, lastPhase1Block + messageID.bigEndianBytes, blockSize: blockSize)
    }

    private static func truncatedHash(_ hash: IKEHashAlgorithm, _ data: [UInt8], blockSize: Int) throws(KeyDerivationError) -> [UInt8] {
        guard blockSize > 0, blockSize <= hash.digestLength else {
            throw .badLength(field: "cipher block", expected: 1...hash.digestLength, got: blockSize)
        }
        do { return Array(try hash.hash(data).prefix(blockSize)) } catch { throw .crypto(error.description) }
    }

    /// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 §5): the
    /// initiator's proof in Main Mode message 5, signed or sent as is.
    /// `proofPRF` replaces the negotiated prf where the authentication method names its own
    /// (ECDSA, ``Phase1Transform/Authentication/proofPRF``).
    /// `gss` is what Kerberos appends (draft-ietf-ipsec-isakmp-gss-auth-07 §3.1): the
    /// initiator's GSS identity when both sides sent one, then every token the initiator sent.
    public func HASH_I(gxi: [UInt8], gxr: [UInt8], CKY_I: [UInt8], CKY_R: [UInt8],
                       SAi_b: [UInt8], IDii_b: [UInt8], gss: [UInt8] = [], proofPRF: IKEHashAlgorithm? = nil) throws(KeyDerivationError) -> [UInt8] {
        do { return try (proofPRF ?? prf).prf(key: SKEYID, gxi + gxr + CKY_I + CKY_R + SAi_b + IDii_b + gss) } catch { throw .crypto(error.description) }
    }

    /// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 §5), with
    /// Kerberos' `gss`: the responder's GSS identity and the tokens the responder sent.
    public func HASH_R(gxi: [UInt8], gxr: [UInt8], CKY_I: [UInt8], CKY_R: [UInt8],
                       SAi_b: [UInt8], IDir_b: [UInt8], gss: [UInt8] = [], proofPRF: IKEHashAlgorithm? = nil) throws(KeyDerivationError) -> [UInt8] {
        do { return try (proofPRF ?? prf).prf(key: SKEYID, gxr + gxi + CKY_R + CKY_I + SAi_b + IDir_b + gss) } catch { throw .crypto(error.description) }
    }
}
