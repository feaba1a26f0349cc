/// A confidentiality transform for ESP without its own integrity (CBC modes and NULL).
///
/// One instance belongs to one SA and keeps its libcrypto contexts for the SA's life; each call
/// works in place on the packet buffer and allocates nothing.
public protocol Cipher: AnyObject {
    /// Bytes of explicit IV each packet carries (0 for NULL).
    var ivSize: Int { get }
    /// The payload alignment ESP pads to (RFC 4303 §2.4: the block size, at least 4).
    var blockSize: Int { get }
    /// Encrypts `data` (a whole number of blocks) in place.
    func encrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError)
    /// Decrypts `data` (a whole number of blocks) in place.
    func decrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError)
}

/// A combined-mode transform (RFC 4106 AES-GCM, RFC 7634 ChaCha20-Poly1305): encryption and
/// integrity in one pass, nonce = 4-byte salt from the key material ‖ 8-byte explicit IV.
public protocol AEADCipher: AnyObject {
    /// Bytes of explicit IV each packet carries (8).
    var ivSize: Int { get }
    /// The payload alignment ESP pads to (4).
    var blockSize: Int { get }
    /// Bytes of tag (ICV) after the ciphertext (16).
    var tagSize: Int { get }
    /// Encrypts `data` in place and writes the tag.
    func seal(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              tag: UnsafeMutableRawBufferPointer) throws(TransformError)
    /// Decrypts `data` in place; returns false when the tag does not verify (the contents of
    /// `data` must then be discarded).
    func open(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              tag: UnsafeRawBufferPointer) throws(TransformError) -> Bool
}

/// An integrity transform (HMAC truncated to the ICV length), fed in pieces so AH can hash
/// the header with its mutable fields zeroed without copying the packet.
public protocol Authenticator: AnyObject {
    /// Bytes of ICV on the wire.
    var icvSize: Int { get }
    /// Starts a new computation with the SA's key.
    func begin() throws(TransformError)
    func update(_ bytes: UnsafeRawBufferPointer) throws(TransformError)
    /// Writes the first `icvSize` bytes of the MAC to `icv`.
    func finish(into icv: UnsafeMutableRawBufferPointer) throws(TransformError)
}

extension Authenticator {
    /// Finishes and compares with `expected` in constant time.
    public func verify(_ expected: UnsafeRawBufferPointer) throws(TransformError) -> Bool {
        precondition(icvSize <= 64)
        var computed = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return try withUnsafeMutableBytes(of: &computed) { (raw) throws(TransformError) -> Bool in
            let icv = UnsafeMutableRawBufferPointer(rebasing: raw[0..<icvSize])
            try finish(into: icv)
            guard expected.count == icvSize else { return false }
            var difference: UInt8 = 0
            for index in 0..<icvSize { difference |= icv[index] ^ expected[index] }
            return difference == 0
        }
    }
}

/// Builds transforms for an SA from its algorithms and keys.
public enum TransformFactory {
    /// The cipher for a non-AEAD encryption algorithm.
    public static func cipher(_ algorithm: EncryptionAlgorithm, key: [UInt8]) throws(TransformError) -> any Cipher {
        guard key.count == algorithm.keyMaterialLength else {
            throw .badKeyLength(algorithm: algorithm.description, expected: algorithm.keyMaterialLength, got: key.count)
        }
        switch algorithm {
        case .null: return NullCipher()
        case .desCBC: return try DESCipher(key: key)
        case .tripleDESCBC: return try EVPBlockCipher(name: "DES-EDE3-CBC", key: key, blockSize: 8)
        case .aesCBC(let bits):
            guard [128, 192, 256].contains(bits) else { throw .badKeyLength(algorithm: algorithm.description, expected: 16, got: key.count) }
            return try EVPBlockCipher(name: "AES-\(bits)-CBC", key: key, blockSize: 16)
        case .aesGCM16, .chacha20Poly1305:
            throw .libcrypto("\(algorithm) is a combined-mode algorithm; use aead(_:key:)")
        }
    }

    /// The AEAD for a combined-mode algorithm; `key` includes the 4-byte salt at its end.
    public static func aead(_ algorithm: EncryptionAlgorithm, key: [UInt8]) throws(TransformError) -> any AEADCipher {
        guard key.count == algorithm.keyMaterialLength else {
            throw .badKeyLength(algorithm: algorithm.description, expected: algorithm.keyMaterialLength, got: key.count)
        }
        switch algorithm {
        case .aesGCM16(let bits):
            guard [128, 192, 256].contains(bits) else { throw .badKeyLength(algorithm: algorithm.description, expected: 20, got: key.count) }
            return try EVPAEADCipher(name: "AES-\(bits)-GCM", keyMaterial: key)
        case .chacha20Poly1305:
            return try EVPAEADCipher(name: "ChaCha20-Poly1305", keyMaterial: key)
        default:
            throw .libcrypto("\(algorithm) is not a combined-mode algorithm; use cipher(_:key:)")
        }
    }

    /// The HMAC authenticator for an integrity algorithm.
    public static func authenticator(_ algorithm: IntegrityAlgorithm, key: [UInt8]) throws(TransformError) -> any Authenticator {
        guard key.count == algorithm.keyLength else {
            throw .badKeyLength(algorithm: algorithm.description, expected: algorithm.keyLength, got: key.count)
        }
        return try HMACAuthenticator(algorithm: algorithm, key: key)
    }
}
