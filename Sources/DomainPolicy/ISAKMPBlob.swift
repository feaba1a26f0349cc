import Foundation

/// The `ipsecISAKMPPolicy` blob ([MS-GPIPSEC] §2.2.1.2): main mode settings and offers.
///
/// Windows writes its in-memory structures: bytes the specification calls padding hold 0xCD
/// (the Microsoft C runtime's fill for uninitialised heap memory). Ward writes them the same
/// way and ignores them on read.
public struct ISAKMPBlob: Equatable, Sendable {
    /// One main mode offer, 64 bytes (Windows' CRYPTO_BUNDLE).
    public struct SecurityMethod: Equatable, Sendable {
        /// An Oakley algorithm: identifier, key size and rounds.
        public struct Algorithm: Equatable, Sendable {
            public var identifier: UInt32
            public var keySize: UInt32
            public var rounds: UInt32
            public init(_ identifier: UInt32, keySize: UInt32, rounds: UInt32) {
                self.identifier = identifier
                self.keySize = keySize
                self.rounds = rounds
            }
        }

        public var majorVersion: UInt8 = 0
        public var minorVersion: UInt8 = 0
        /// 1 DES, 3 3DES (Windows' own values); Ward writes 7 (RFC 2409 AES-CBC) with the key size.
        public var encryption: Algorithm
        /// 1 MD5, 2 SHA-1; Ward writes 4, 5, 6 (RFC 4868 SHA-2) for its additions.
        public var hash: Algorithm
        public var pseudoRandomFunction: Algorithm = .init(0, keySize: 0, rounds: 0)
        public var authenticationMethod: UInt8 = 0
        /// 1, 2, or 0x10000001 ("DH2048", IANA group 14).
        public var oakleyGroup: UInt32
        public var quickModeLimit: UInt32
        public var lifetimeKilobytes: UInt32
        public var lifetimeSeconds: UInt32
        /// Windows leaves this uninitialised (0xCDCDCDCD); it is kept as read.
        public var pfsIdentityRequired: UInt32 = 0xCDCD_CDCD

        public init(encryption: Algorithm, hash: Algorithm, oakleyGroup: UInt32, quickModeLimit: UInt32,
                    lifetimeKilobytes: UInt32, lifetimeSeconds: UInt32) {
            self.encryption = encryption
            self.hash = hash
            self.oakleyGroup = oakleyGroup
            self.quickModeLimit = quickModeLimit
            self.lifetimeKilobytes = lifetimeKilobytes
            self.lifetimeSeconds = lifetimeSeconds
        }

        static let size = 64
    }

    /// The ISAKMP policy's own identifier (not the object's `ipsecID`).
    public var identifier: UUID
    /// ISAKMP_POLICY.PolicyId; zero in Windows' objects.
    public var policyID: UUID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    public var identityProtectionRequired: UInt32 = 0
    /// Master key PFS.
    public var pfsRequired: UInt32
    /// The five dwords between the PFS flag and the method count, kept as read.
    public var reserved: [UInt32] = [0, 0, 0, 0, 0]
    public var methods: [SecurityMethod]

    public init(identifier: UUID, pfsRequired: Bool, methods: [SecurityMethod]) {
        self.identifier = identifier
        self.pfsRequired = pfsRequired ? 1 : 0
        self.methods = methods
    }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> ISAKMPBlob {
        var reader = try BlobFraming.payload(blob, kind: .isakmp, object: object)
        let identifier = try reader.guid("ISAKMP-Policy-Identifier")
        let policyID = try reader.guid("Policy-Identifier")
        let identity = try reader.u32("Identity-Protection-Required")
        let pfs = try reader.u32("Master-PFS-Required")
        var reserved: [UInt32] = []
        for index in 1...5 { reserved.append(try reader.u32("Reserved\(index)")) }
        let count = try reader.count("Security-Method-Count", itemSize: SecurityMethod.size)
        var methods: [SecurityMethod] = []
        for index in stride(from: 1, through: count, by: 1) {
            let name = "security method \(index)"
            var method = SecurityMethod(encryption: .init(0, keySize: 0, rounds: 0), hash: .init(0, keySize: 0, rounds: 0),
                                        oakleyGroup: 0, quickModeLimit: 0, lifetimeKilobytes: 0, lifetimeSeconds: 0)
            method.majorVersion = try reader.u8(name + " Major-Version")
            method.minorVersion = try reader.u8(name + " Minor-Version")
            _ = try reader.u16(name + " padding")
            method.encryption = try algorithm(&reader, name + " Encryption-Algorithm")
            method.hash = try algorithm(&reader, name + " Hash-Algorithm")
            method.pseudoRandomFunction = try algorithm(&reader, name + " PRF")
            method.authenticationMethod = try reader.u8(name + " Authentication-Method")
            _ = try reader.take(3, name + " padding")
            method.oakleyGroup = try reader.u32(name + " Oakley-Group")
            method.quickModeLimit = try reader.u32(name + " QM-Limit")
            method.lifetimeKilobytes = try reader.u32(name + " Lifetime-KBytes")
            method.lifetimeSeconds = try reader.u32(name + " Lifetime-Seconds")
            method.pfsIdentityRequired = try reader.u32(name + " PFS-Identity-Required")
            methods.append(method)
        }
        var blobValue = ISAKMPBlob(identifier: identifier, pfsRequired: pfs != 0, methods: methods)
        blobValue.policyID = policyID
        blobValue.identityProtectionRequired = identity
        blobValue.pfsRequired = pfs
        blobValue.reserved = reserved
        return blobValue
    }

    private static func algorithm(_ reader: inout BlobReader, _ field: String) throws(BlobError) -> SecurityMethod.Algorithm {
        SecurityMethod.Algorithm(try reader.u32(field + " identifier"), keySize: try reader.u32(field + " key size"),
                                 rounds: try reader.u32(field + " rounds"))
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.guid(identifier)
        writer.guid(policyID)
        writer.u32(identityProtectionRequired)
        writer.u32(pfsRequired)
        for value in reserved { writer.u32(value) }
        writer.u32(UInt32(methods.count))
        for method in methods {
            writer.u8(method.majorVersion)
            writer.u8(method.minorVersion)
            writer.fill(0xCD, 2)
            for algorithm in [method.encryption, method.hash, method.pseudoRandomFunction] {
                writer.u32(algorithm.identifier)
                writer.u32(algorithm.keySize)
                writer.u32(algorithm.rounds)
            }
            writer.u8(method.authenticationMethod)
            writer.fill(0xCD, 3)
            writer.u32(method.oakleyGroup)
            writer.u32(method.quickModeLimit)
            writer.u32(method.lifetimeKilobytes)
            writer.u32(method.lifetimeSeconds)
            writer.u32(method.pfsIdentityRequired)
        }
        return BlobFraming.frame(writer.bytes, kind: .isakmp)
    }
}
