import Packet
import Transforms

/// IPsec's two security protocols (IP protocol numbers).
public enum IPsecProtocol: UInt8, Sendable {
    case esp = 50
    case ah = 51
}

/// How an SA places its protocol header.
public enum IPsecMode: Equatable, Sendable {
    /// Host to host: the header goes between the IP header and the payload.
    case transport
    /// Gateway to gateway: the whole packet goes inside a new IP header between these addresses.
    case tunnel(source: IPAddress, destination: IPAddress)
}

/// Soft and hard limits of an SA in seconds and payload bytes; 0 means no limit.
public struct Lifetime: Equatable, Sendable {
    public var softSeconds: Double
    public var hardSeconds: Double
    public var softBytes: UInt64
    public var hardBytes: UInt64

    public init(softSeconds: Double = 0, hardSeconds: Double = 0, softBytes: UInt64 = 0, hardBytes: UInt64 = 0) {
        self.softSeconds = softSeconds
        self.hardSeconds = hardSeconds
        self.softBytes = softBytes
        self.hardBytes = hardBytes
    }

    public static let unlimited = Lifetime()
}

/// What an SA's lifetime reached since the last report.
public enum LifetimeEvent: Equatable, Sendable {
    /// Time to negotiate a replacement (reported once).
    case soft
    /// The SA must not be used any more (reported once; later packets fail with `expired`).
    case hard
}

/// Everything needed to create an SA: what IKE negotiates or an administrator keys by hand.
public struct SAParameters: Sendable {
    public var spi: UInt32
    public var securityProtocol: IPsecProtocol
    public var mode: IPsecMode
    /// The SA's destination address (the SAD key of an inbound SA, RFC 4301 §4.4.2).
    public var destination: IPAddress
    /// ESP only; nil with AH.
    public var encryption: EncryptionAlgorithm?
    public var encryptionKey: [UInt8]
    /// Required with AH and with non-AEAD ESP ciphers other than NULL-with-integrity… nil for AEAD.
    public var integrity: IntegrityAlgorithm?
    public var integrityKey: [UInt8]
    /// RFC 4304 64-bit sequence numbers.
    public var extendedSequenceNumbers: Bool
    /// Anti-replay window in packets (inbound); 0 turns the check off.
    public var replayWindow: Int
    public var lifetime: Lifetime
    /// RFC 3948 UDP encapsulation (NAT traversal) with these ports, or nil.
    public var udpEncapsulation: (sourcePort: UInt16, destinationPort: UInt16)?

    public init(spi: UInt32, securityProtocol: IPsecProtocol = .esp, mode: IPsecMode = .transport, destination: IPAddress,
                encryption: EncryptionAlgorithm? = nil, encryptionKey: [UInt8] = [], integrity: IntegrityAlgorithm? = nil,
                integrityKey: [UInt8] = [], extendedSequenceNumbers: Bool = false, replayWindow: Int = 128,
                lifetime: Lifetime = .unlimited, udpEncapsulation: (sourcePort: UInt16, destinationPort: UInt16)? = nil) {
        self.spi = spi
        self.securityProtocol = securityProtocol
        self.mode = mode
        self.destination = destination
        self.encryption = encryption
        self.encryptionKey = encryptionKey
        self.integrity = integrity
        self.integrityKey = integrityKey
        self.extendedSequenceNumbers = extendedSequenceNumbers
        self.replayWindow = replayWindow
        self.lifetime = lifetime
        self.udpEncapsulation = udpEncapsulation
    }
}

/// One security association: its parameters, its transforms (libcrypto contexts made once) and
/// its mutable state — sequence counter, anti-replay window, lifetime use, statistics.
public final class SecurityAssociation {
    public let parameters: SAParameters
    public var spi: UInt32 { parameters.spi }
    let cipher: (any Cipher)?
    let aead: (any AEADCipher)?
    let authenticator: (any Authenticator)?
    // Per-packet state. An SA is used by one thread at a time (the datapath serialises an SA's
    // packets), so the dynamic exclusivity checks are dropped: they cost more than the crypto.
    /// Outbound: the last sequence number sent.
    @exclusivity(unchecked) public internal(set) var sequence: UInt64 = 0
    /// Inbound: received sequence numbers.
    @exclusivity(unchecked) public internal(set) var window: AntiReplayWindow?
    @exclusivity(unchecked) public internal(set) var statistics = IPsecStatistics()
    /// Payload bytes carried, for the byte lifetime.
    @exclusivity(unchecked) public internal(set) var bytes: UInt64 = 0
    public let createdAt: Double
    @exclusivity(unchecked) private var softReported = false
    @exclusivity(unchecked) private var hardReported = false

    /// Creates the SA and its transforms; `now` is the caller's clock in seconds.
    public init(_ parameters: SAParameters, now: Double) throws(ESPError) {
        self.parameters = parameters
        createdAt = now
        if parameters.udpEncapsulation != nil && parameters.securityProtocol == .ah { throw .ahOverUDP }
        do {
            switch parameters.securityProtocol {
            case .ah:
                guard parameters.encryption == nil else { throw ESPError.badConfiguration("AH does not encrypt; remove the encryption algorithm") }
                guard let integrity = parameters.integrity else { throw ESPError.badConfiguration("AH needs an integrity algorithm") }
                cipher = nil
                aead = nil
                authenticator = try TransformFactory.authenticator(integrity, key: parameters.integrityKey)
            case .esp:
                let encryption = parameters.encryption ?? .null
                if encryption.isAEAD {
                    guard parameters.integrity == nil else {
                        throw ESPError.badConfiguration("\(encryption) carries its own integrity; no separate integrity algorithm")
                    }
                    cipher = nil
                    aead = try TransformFactory.aead(encryption, key: parameters.encryptionKey)
                    authenticator = nil
                } else {
                    if encryption == .null && parameters.integrity == nil {
                        throw ESPError.badConfiguration("ESP with NULL encryption needs an integrity algorithm")
                    }
                    cipher = try TransformFactory.cipher(encryption, key: parameters.encryptionKey)
                    aead = nil
                    authenticator = try parameters.integrity.map { (integrity) throws(TransformError) in
                        try TransformFactory.authenticator(integrity, key: parameters.integrityKey)
                    }
                }
            }
        } catch let error as ESPError {
            throw error
        } catch let error as TransformError {
            throw .transform(error)
        } catch {
            throw .badConfiguration("\(error)")
        }
        if parameters.replayWindow > 0 {
            window = AntiReplayWindow(size: parameters.replayWindow)
        } else if parameters.extendedSequenceNumbers {
            throw .badConfiguration("extended sequence numbers need the anti-replay window to infer the high bits")
        }
    }

    /// Bytes of ICV after the payload.
    var icvSize: Int { aead?.tagSize ?? authenticator?.icvSize ?? 0 }
    /// Bytes of explicit IV after the ESP header.
    var ivSize: Int { aead?.ivSize ?? cipher?.ivSize ?? 0 }
    /// What ESP pads the payload and trailer to.
    var alignment: Int { max(4, aead?.blockSize ?? cipher?.blockSize ?? 4) }
    /// Whether the payload is encrypted (for the confidential/authenticated statistics).
    var isConfidential: Bool { parameters.securityProtocol == .esp && (parameters.encryption ?? .null) != .null }
    var isTunnel: Bool { if case .tunnel = parameters.mode { true } else { false } }

    /// Checks the lifetime at `now` (the agent calls this on its timer, and every packet does).
    public func lifetimeEvent(now: Double) -> LifetimeEvent? {
        let life = parameters.lifetime
        let age = now - createdAt
        if !hardReported, (life.hardSeconds > 0 && age >= life.hardSeconds) || (life.hardBytes > 0 && bytes >= life.hardBytes) {
            hardReported = true
            softReported = true
            return .hard
        }
        if !softReported, (life.softSeconds > 0 && age >= life.softSeconds) || (life.softBytes > 0 && bytes >= life.softBytes) {
            softReported = true
            return .soft
        }
        return nil
    }

    /// Moves the outbound sequence counter (tests that cross the 2^32 boundary).
    public func testingSetSequence(_ value: UInt64) { sequence = value }

    /// Whether the hard lifetime is over.
    public func isExpired(now: Double) -> Bool {
        let life = parameters.lifetime
        return (life.hardSeconds > 0 && now - createdAt >= life.hardSeconds) || (life.hardBytes > 0 && bytes >= life.hardBytes)
    }
}
