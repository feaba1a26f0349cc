import COpenSSL

/// Diffie-Hellman groups of IKEv1 (IANA numbers): the seed's MODP 768/1024/2048 and the ECP
/// groups beyond it.
public enum DiffieHellmanGroup: Int, Sendable, CaseIterable {
    /// RFC 2409 §6.1, 768-bit MODP ("Low").
    case modp768 = 1
    /// RFC 2409 §6.2, 1024-bit MODP ("Medium").
    case modp1024 = 2
    /// RFC 3526 §3, 2048-bit MODP ("High (2048)").
    case modp2048 = 14
    /// RFC 5903, NIST P-256.
    case ecp256 = 19
    /// RFC 5903, NIST P-384.
    case ecp384 = 20

    /// Bytes of a public value in a KE payload and of the shared secret g^xy.
    public var valueLength: Int {
        switch self {
        case .modp768: 96
        case .modp1024: 128
        case .modp2048: 256
        case .ecp256: 64
        case .ecp384: 96
        }
    }

    /// The MODP prime, hex (2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + k), generator 2).
    var prime: String? {
        switch self {
        case .modp768:
            return "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74" +
        "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437" +
        "4fe1356d6d51c245e485b576625e7ec6f44c42e9a63a3620ffffffffffffffff"
        case .modp1024:
            return "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74" +
        "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437" +
        "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
        "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff"
        case .modp2048:
            return "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74" +
        "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437" +
        "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
        "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05" +
        "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb" +
        "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
        "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718" +
        "3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff"
        case .ecp256, .ecp384:
            return nil
        }
    }

    /// Private exponent bits for MODP: twice the group's strength, the common short-exponent
    /// choice (RFC 3526 §8) — a 2048-bit exponentiation with a 256-bit exponent.
    var privateBits: Int32 {
        switch self {
        case .modp768, .modp1024: 160
        default: 256
        }
    }

    var curveName: String? {
        switch self {
        case .ecp256: "P-256"
        case .ecp384: "P-384"
        default: nil
        }
    }
}
