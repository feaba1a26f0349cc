import Foundation

/// The `ipsecNegotiationPolicy` blob ([MS-GPIPSEC] §2.2.1.4): the quick mode offers of a
/// filter action. What the action does (block, permit, negotiate, inbound pass-through) and
/// whether it is a default response rule's are GUIDs on the object, not in the blob.
public struct NegotiationBlob: Equatable, Sendable {
    /// One algorithm slot of an offer (Windows' IPSEC_ALGO_INFO), 20 bytes.
    public struct Algorithm: Equatable, Sendable {
        /// ESP: 0 none, 1 DES, 3 3DES (Ward: 12 AES-CBC, 18–20 AES-GCM, RFC 2407 §4.4.4
        /// numbering); AH: 1 MD5, 2 SHA-1 (Ward: 5–7 SHA-2).
        public var identifier: UInt32
        /// ESP's integrity algorithm: 0 none, 1 MD5, 2 SHA-1 (Ward: 5–7 SHA-2).
        public var secondaryIdentifier: UInt32
        /// 1 authentication (AH), 2 encryption (ESP).
        public var operation: UInt32
        /// Windows writes 64 and 8; Ward writes the AES key size in bits.
        public var keyLength: UInt32 = 64
        public var rounds: UInt32 = 8

        public init(identifier: UInt32, secondaryIdentifier: UInt32, operation: UInt32) {
            self.identifier = identifier
            self.secondaryIdentifier = secondaryIdentifier
            self.operation = operation
        }

        public static let authentication: UInt32 = 1
        public static let encryption: UInt32 = 2
        static let size = 20
    }

    /// One offer (Windows' IPSEC_QM_OFFER), 80 bytes: lifetimes, flags, PFS, up to three slots.
    public struct Offer: Equatable, Sendable {
        /// 0 means the quick mode default.
        public var lifetimeSeconds: UInt32
        public var lifetimeKilobytes: UInt32
        public var flags: UInt32 = 0
        /// Session key PFS: non-zero asks for a fresh Diffie-Hellman exchange in quick mode.
        public var pfsRequired: UInt32
        /// At most three are written; an offer with none is "no security" (fall back to clear).
        public var algorithms: [Algorithm]

        public init(lifetimeSeconds: UInt32, lifetimeKilobytes: UInt32, pfsRequired: Bool, algorithms: [Algorithm]) {
            self.lifetimeSeconds = lifetimeSeconds
            self.lifetimeKilobytes = lifetimeKilobytes
            self.pfsRequired = pfsRequired ? 1 : 0
            self.algorithms = algorithms
        }

        static let size = 80
        static let slots = 3
    }

    public var offers: [Offer]

    public init(offers: [Offer]) { self.offers = offers }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> NegotiationBlob {
        var reader = try BlobFraming.payload(blob, kind: .negotiation, object: object)
        let count = try reader.count("Offer-Count", itemSize: Offer.size)
        var offers: [Offer] = []
        for index in stride(from: 1, through: count, by: 1) {
            let name = "offer \(index)"
            let seconds = try reader.u32(name + " Lifetime-Seconds")
            let kilobytes = try reader.u32(name + " Lifetime-KBytes")
            let flags = try reader.u32(name + " Flags")
            let pfs = try reader.u32(name + " PFS-QM-Required")
            let slotStart = reader.offset
            let used = Int(try reader.u32(name + " Algorithm-Count"))
            guard used <= Offer.slots else {
                throw reader.error(name + " Algorithm-Count", "is \(used); an offer has 3 algorithm slots", at: slotStart)
            }
            var algorithms: [Algorithm] = []
            for slot in 1...Offer.slots {
                let field = "\(name) algorithm \(slot)"
                var algorithm = Algorithm(identifier: try reader.u32(field + " identifier"),
                                          secondaryIdentifier: try reader.u32(field + " secondary identifier"),
                                          operation: try reader.u32(field + " operation"))
                algorithm.keyLength = try reader.u32(field + " key length")
                algorithm.rounds = try reader.u32(field + " rounds")
                // Unused slots hold whatever was in Windows' memory; only `used` count.
                if slot <= used { algorithms.append(algorithm) }
            }
            var offer = Offer(lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes, pfsRequired: pfs != 0, algorithms: algorithms)
            offer.flags = flags
            offer.pfsRequired = pfs
            offers.append(offer)
        }
        return NegotiationBlob(offers: offers)
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.u32(UInt32(offers.count))
        for offer in offers {
            writer.u32(offer.lifetimeSeconds)
            writer.u32(offer.lifetimeKilobytes)
            writer.u32(offer.flags)
            writer.u32(offer.pfsRequired)
            let algorithms = offer.algorithms.prefix(Offer.slots)
            writer.u32(UInt32(algorithms.count))
            for algorithm in algorithms {
                writer.u32(algorithm.identifier)
                writer.u32(algorithm.secondaryIdentifier)
                writer.u32(algorithm.operation)
                writer.u32(algorithm.keyLength)
                writer.u32(algorithm.rounds)
            }
            writer.fill(0, Algorithm.size * (Offer.slots - algorithms.count))
        }
        return BlobFraming.frame(writer.bytes, kind: .negotiation)
    }
}
