import Packet
import Transforms

/// NAT detection in Main Mode messages 3 and 4 (RFC 3947 §3.2): each side sends the hash of the
/// address and port it sends to, then of each address and port it sends from; a receiver that
/// cannot reproduce a hash from what it sees knows a NAT rewrote that end, and both sides float
/// to UDP 4500 (RFC 3947 §4).
public enum NATDetection {
    /// One side of a datagram: address and UDP port.
    public struct Endpoint: Hashable, Sendable {
        public var address: IPAddress
        public var port: UInt16

        public init(_ address: IPAddress, _ port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    /// What the received NAT-D payloads say.
    public struct Verdict: Equatable, Sendable {
        /// Our address or port as the peer saw it differs from ours: we are behind a NAT and
        /// must send keepalives (RFC 3948 §4).
        public var localBehindNAT: Bool
        /// The peer's source as we see it matches none of its hashes: it is behind a NAT.
        public var peerBehindNAT: Bool

        public var natDetected: Bool { localBehindNAT || peerBehindNAT }

        public init(localBehindNAT: Bool, peerBehindNAT: Bool) {
            self.localBehindNAT = localBehindNAT
            self.peerBehindNAT = peerBehindNAT
        }
    }

    /// HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 §3.2).
    public static func hash(_ hash: IKEHashAlgorithm, CKY_I: [UInt8], CKY_R: [UInt8], _ endpoint: Endpoint) throws(KeyDerivationError) -> [UInt8] {
        guard CKY_I.count == 8 else { throw .badLength(field: "CKY-I", expected: 8...8, got: CKY_I.count) }
        guard CKY_R.count == 8 else { throw .badLength(field: "CKY-R", expected: 8...8, got: CKY_R.count) }
        let address: [UInt8]
        switch endpoint.address {
        case .v4(let v4): address = v4.octets
        case .v6(let v6): address = v6.octets
        }
        do { return try hash.hash(CKY_I + CKY_R + address + [UInt8(endpoint.port >> 8), UInt8(endpoint.port & 0xFF)]) } catch { throw .crypto(error.description) }
    }

    /// The NAT-D payloads to send: the destination first, then our source (RFC 3947 §3.2).
    public static func payloads(_ hash: IKEHashAlgorithm, CKY_I: [UInt8], CKY_R: [UInt8],
                                source: Endpoint, destination: Endpoint) throws(KeyDerivationError) -> [Payload] {
        [.natDiscovery(try Self.hash(hash, CKY_I: CKY_I, CKY_R: CKY_R, destination)),
         .natDiscovery(try Self.hash(hash, CKY_I: CKY_I, CKY_R: CKY_R, source))]
    }

    /// Judges the NAT-D hashes of a received message (in payload order) against the datagram's
    /// addresses as this side saw them: `local` is where it arrived, `remote` where it came from.
    /// Fewer than two hashes is a malformed NAT-T message and throws naming the payload.
    public static func evaluate(received: [[UInt8]], _ hash: IKEHashAlgorithm, CKY_I: [UInt8], CKY_R: [UInt8],
                                local: Endpoint, remote: Endpoint) throws(KeyDerivationError) -> Verdict {
        guard received.count >= 2 else { throw .tooFew(field: "NAT-D payloads", expected: 2, got: received.count) }
        let ours = try Self.hash(hash, CKY_I: CKY_I, CKY_R: CKY_R, local)
        let theirs = try Self.hash(hash, CKY_I: CKY_I, CKY_R: CKY_R, remote)
        return Verdict(localBehindNAT: received[0] != ours, peerBehindNAT: !received.dropFirst().contains(theirs))
    }
}
