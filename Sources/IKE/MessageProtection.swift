import Transforms

/// Encryption of ISAKMP message bodies under an ISAKMP SA (RFC 2408 §3.1 flag E, RFC 2409
/// Appendix B): CBC with the key from ``Phase1Keys/encryptionKey(length:)`` and an IV chained
/// from message to message.
///
/// Sans-I/O and stateless: the exchange owns the IV. It starts from
/// ``Phase1Keys/initialIV(hash:gxi:gxr:blockSize:)`` (Main Mode) or
/// ``Phase1Keys/exchangeIV(hash:lastPhase1Block:messageID:blockSize:)`` (Quick Mode,
/// Informational), and each successful ``seal(_:iv:)`` or ``open(_:iv:)`` returns the next one:
/// the last ciphertext block. A message that fails to open leaves the IV where it was, so a
/// forged or corrupted datagram cannot desynchronise the exchange.
public struct MessageProtection {
    private let cipher: any Cipher
    /// The cipher block; bodies are padded to it.
    public let blockSize: Int

    /// - Parameters:
    ///   - algorithm: a CBC cipher (DES, 3DES, AES-CBC); IKEv1 has no combined-mode phase 1.
    ///   - key: the Appendix B key, exactly the algorithm's key length.
    public init(algorithm: EncryptionAlgorithm, key: [UInt8]) throws(TransformError) {
        switch algorithm {
        case .desCBC, .tripleDESCBC, .aesCBC: break
        default: throw .libcrypto("\(algorithm) cannot protect ISAKMP messages (CBC ciphers only)")
        }
        cipher = try TransformFactory.cipher(algorithm, key: key)
        blockSize = cipher.blockSize
    }

    /// Encrypts `message.payloads` into the datagram (flag E set). The body is padded with zero
    /// bytes to the block; the header's length covers the padding (RFC 2408 §3.1).
    public func seal(_ message: ISAKMPMessage, iv: [UInt8]) throws(ISAKMPError) -> (datagram: [UInt8], nextIV: [UInt8]) {
        try checkIV(iv)
        var body = ISAKMPMessage.encodePayloads(message.payloads)
        body += [UInt8](repeating: 0, count: (blockSize - body.count % blockSize) % blockSize)
        if body.isEmpty { body = [UInt8](repeating: 0, count: blockSize) }
        try crypt(&body, iv: iv, encrypting: true)
        var sealed = message
        sealed.header.encrypted = true
        sealed.firstPayloadType = message.payloads.first?.type.rawValue ?? 0
        sealed.encryptedBody = body
        return (sealed.encoded(), Array(body.suffix(blockSize)))
    }

    /// Decodes and decrypts a datagram whose flag E is set, then reads its payload chain
    /// (padding after the last payload is allowed). Errors name the field and byte.
    public func open(_ datagram: [UInt8], iv: [UInt8]) throws(ISAKMPError) -> (message: ISAKMPMessage, nextIV: [UInt8]) {
        try checkIV(iv)
        var message = try ISAKMPMessage.decode(datagram)
        guard message.header.encrypted, var body = message.encryptedBody else {
            throw ISAKMPError("ISAKMP header", "flags", offset: 19, "encryption flag not set where the exchange requires it")
        }
        guard !body.isEmpty, body.count % blockSize == 0 else {
            throw ISAKMPError("encrypted body", "length", offset: ISAKMPHeader.length,
                              "\(body.count) bytes is not a whole number of \(blockSize)-byte blocks")
        }
        let nextIV = Array(body.suffix(blockSize))
        try crypt(&body, iv: iv, encrypting: false)
        // Offsets in errors stay datagram offsets: decode the plaintext in place of the body.
        let plaintext = Array(datagram.prefix(ISAKMPHeader.length)) + body
        (message.payloads, message.receivedPayloads) = try ISAKMPMessage.decodeChain(
            plaintext, first: message.firstPayloadType, from: ISAKMPHeader.length, to: plaintext.count, allowPadding: true)
        message.encryptedBody = nil
        return (message, nextIV)
    }

    private func crypt(_ body: inout [UInt8], iv: [UInt8], encrypting: Bool) throws(ISAKMPError) {
        do {
            try body.withUnsafeMutableBytes { data in
                try iv.withUnsafeBytes { vector in
                    if encrypting { try cipher.encrypt(data, iv: vector) } else { try cipher.decrypt(data, iv: vector) }
                }
            }
        } catch {
            throw ISAKMPError("encrypted body", "cipher", offset: ISAKMPHeader.length, "\(error)")
        }
    }

    private func checkIV(_ iv: [UInt8]) throws(ISAKMPError) {
        guard iv.count == blockSize else {
            throw ISAKMPError("encrypted body", "IV", offset: ISAKMPHeader.length, "\(iv.count) bytes, the cipher block is \(blockSize)")
        }
    }
}
