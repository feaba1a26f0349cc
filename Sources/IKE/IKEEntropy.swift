import Transforms

/// A Diffie-Hellman key pair as the exchanges use it: the KE payload to send and the shared
/// secret once the peer's value arrives. ``DiffieHellman`` is the real one.
public protocol KeyExchange: AnyObject {
    var publicValue: [UInt8] { get }
    func sharedSecret(peer: [UInt8]) throws(TransformError) -> [UInt8]
}

extension DiffieHellman: KeyExchange {}

/// Every random choice the engine makes — cookies, nonces, SPIs, message IDs, private keys —
/// comes from here, so tests and the fuzzer can make runs repeatable.
public protocol IKEEntropy {
    mutating func bytes(_ count: Int) -> [UInt8]
    mutating func keyExchange(_ group: DiffieHellmanGroup) throws(TransformError) -> any KeyExchange
}

extension IKEEntropy {
    mutating func u32() -> UInt32 { bytes(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() -> UInt64 { bytes(8).reduce(0) { $0 << 8 | UInt64($1) } }
}

/// The system's: libcrypto's DRBG and fresh libcrypto key pairs.
public struct SystemEntropy: IKEEntropy {
    public init() {}

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        // RAND_bytes fails only when libcrypto cannot seed: nothing safe is left to do.
        let filled = out.withUnsafeMutableBytes { buffer in (try? RandomBytes.fill(buffer)) != nil }
        precondition(filled, "libcrypto's random generator failed")
        return out
    }

    public mutating func keyExchange(_ group: DiffieHellmanGroup) throws(TransformError) -> any KeyExchange {
        try DiffieHellman(group: group)
    }
}
