import Policy

/// The algorithm numbers Windows writes in ISAKMP and negotiation blobs, and the numbers Ward
/// writes for the algorithms Windows Server 2003 did not have (recorded in
/// `Docs/compatibility.md`).
enum AlgorithmNumbers {
    // Main mode (Oakley, RFC 2409 Appendix A; Windows: 1 DES, 3 3DES).
    static func mainModeCipher(_ cipher: MainModeCipher) -> ISAKMPBlob.SecurityMethod.Algorithm {
        switch cipher {
        case .des: .init(1, keySize: 64, rounds: 8)
        case .tripleDES: .init(3, keySize: 64, rounds: 8)
        case .aes128: .init(7, keySize: 128, rounds: 0)
        case .aes192: .init(7, keySize: 192, rounds: 0)
        case .aes256: .init(7, keySize: 256, rounds: 0)
        }
    }

    static func mainModeCipher(_ algorithm: ISAKMPBlob.SecurityMethod.Algorithm) -> MainModeCipher? {
        switch (algorithm.identifier, algorithm.keySize) {
        case (1, _): .des
        case (2, _), (3, _): .tripleDES
        case (7, 192): .aes192
        case (7, 256): .aes256
        case (7, _): .aes128
        default: nil
        }
    }

    static func mainModeHash(_ hash: MainModeHash) -> ISAKMPBlob.SecurityMethod.Algorithm {
        switch hash {
        case .md5: .init(1, keySize: 64, rounds: 0)
        case .sha1: .init(2, keySize: 64, rounds: 0)
        case .sha256: .init(4, keySize: 0, rounds: 0)
        case .sha384: .init(5, keySize: 0, rounds: 0)
        case .sha512: .init(6, keySize: 0, rounds: 0)
        }
    }

    static func mainModeHash(_ identifier: UInt32) -> MainModeHash? {
        switch identifier {
        case 1: .md5
        case 2: .sha1
        case 4: .sha256
        case 5: .sha384
        case 6: .sha512
        default: nil
        }
    }

    /// Windows numbers the 2048-bit group 0x10000001 ("DH2048"); IANA 14 is read too.
    static let group2048: UInt32 = 0x1000_0001

    static func group(_ group: DiffieHellmanGroup) -> UInt32 {
        switch group {
        case .modp768: 1
        case .modp1024: 2
        case .modp2048: group2048
        }
    }

    static func group(_ value: UInt32) -> DiffieHellmanGroup? {
        switch value {
        case 1: .modp768
        case 2: .modp1024
        case group2048, 14: .modp2048
        default: nil
        }
    }

    // Quick mode (Windows: ESP 0 none, 1 DES, 3 3DES; integrity and AH 1 MD5, 2 SHA-1). Ward's
    // additions use the RFC 2407 §4.4.4 ESP transform and §4.5 authentication numbers.
    static func espCipher(_ cipher: ESPCipher) -> (identifier: UInt32, keyLength: UInt32) {
        switch cipher {
        case .none: (0, 0)
        case .des: (1, 64)
        case .tripleDES: (3, 64)
        case .aes128: (12, 128)
        case .aes192: (12, 192)
        case .aes256: (12, 256)
        case .aesGCM128: (20, 128)
        case .aesGCM192: (20, 192)
        case .aesGCM256: (20, 256)
        }
    }

    static func espCipher(_ identifier: UInt32, keyLength: UInt32) -> ESPCipher? {
        switch (identifier, keyLength) {
        case (0, _): ESPCipher.none
        case (1, _): .des
        case (2, _), (3, _): .tripleDES
        case (12, 192): .aes192
        case (12, 256): .aes256
        case (12, _): .aes128
        case (18, 192), (19, 192), (20, 192): .aesGCM192
        case (18, 256), (19, 256), (20, 256): .aesGCM256
        case (18, _), (19, _), (20, _): .aesGCM128
        default: nil
        }
    }

    static func integrity(_ algorithm: IntegrityAlgorithm?) -> UInt32 {
        switch algorithm {
        case nil: 0
        case .md5?: 1
        case .sha1?: 2
        case .sha256?: 5
        case .sha384?: 6
        case .sha512?: 7
        }
    }

    /// nil for an unknown number; `.some(nil)` for 0 (none).
    static func integrity(_ value: UInt32) -> IntegrityAlgorithm?? {
        switch value {
        case 0: .some(nil)
        case 1: .md5
        case 2: .sha1
        case 5: .sha256
        case 6: .sha384
        case 7: .sha512
        default: nil
        }
    }
}
