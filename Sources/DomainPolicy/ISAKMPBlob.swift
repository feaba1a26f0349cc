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

    /// The ISAKMP policy's own identifier (ISAKMP-Policy-Instance), not the object's `ipsecID`.
    public var identifier: UUID
    public var zero1: UInt32 = 0
    /// Master key PFS: 1 = a new main mode for every quick mode.
    public var masterPFSRequired: UInt32
    /// Bit 0x1: map certificates to accounts; bit 0x2: send no certificate request.
    public var options: UInt32 = 0
    /// The 2048-bit offers Windows 2003 prepends to the list (1–4), 0 when none. Kept as read.
    public var newDiffieHellman: UInt32 = 0
    /// Quick modes per main mode; 0 = unlimited.
    public var quickModeLimit: UInt32 = 0
    /// Seconds; 0 means 28,800. Windows writes 0 here and the lifetime in every method.
    public var mainModeLifetime: UInt32 = 0
    /// 20 bytes the specification calls zero, kept as read.
    public var zero2: [UInt8] = Array(repeating: 0, count: 20)
    public var methods: [SecurityMethod]

    public static let optionCertificateMapping: UInt32 = 0x1
    public static let optionNoCertificateRequest: UInt32 = 0x2

    public init(identifier: UUID, pfsRequired: Bool, methods: [SecurityMethod]) {
        self.identifier = identifier
        self.masterPFSRequired = pfsRequired ? 1 : 0
        self.methods = methods
    }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> ISAKMPBlob {
        var reader = try BlobFraming.payload(blob, kind: .isakmp, object: object)
        var header = ISAKMPBlob(identifier: try reader.guid("ISAKMP-Policy-Instance"), pfsRequired: false, methods: [])
        header.zero1 = try reader.u32("Zero1")
        header.masterPFSRequired = try reader.u32("Master-PFS-Required")
        header.options = try reader.u32("ISAKMP-Options")
        header.newDiffieHellman = try reader.u32("New-DH")
        header.quickModeLimit = try reader.u32("QM-Limit")
        header.mainModeLifetime = try reader.u32("MM-Lifetime")
        header.zero2 = Array(try reader.take(20, "Zero2"))
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
        header.methods = methods
        return header
    }

    private static func algorithm(_ reader: inout BlobReader, _ field: String) throws(BlobError) -> SecurityMethod.Algorithm {
        SecurityMethod.Algorithm(try reader.u32(field + " identifier"), keySize: try reader.u32(field + " key size"),
                                 rounds: try reader.u32(field + " rounds"))
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.guid(identifier)
        writer.u32(zero1)
        writer.u32(masterPFSRequired)
        writer.u32(options)
        writer.u32(newDiffieHellman)
        writer.u32(quickModeLimit)
        writer.u32(mainModeLifetime)
        writer.raw(zero2.count == 20 ? zero2 : Array(repeating: 0, count: 20))
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
