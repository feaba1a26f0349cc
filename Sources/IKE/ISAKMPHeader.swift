/// The ISAKMP header (RFC 2408 §3.1): 28 bytes in front of every IKEv1 message.
public struct ISAKMPHeader: Equatable, Sendable {
    /// Exchange types (RFC 2408 §3.1, RFC 2409 §5).
    public enum Exchange: UInt8, Sendable {
        case base = 1, identityProtection = 2, authenticationOnly = 3, aggressive = 4, informational = 5
        case quickMode = 32, newGroup = 33
    }

    public static let length = 28
    /// Major version 1, minor 0.
    public static let version: UInt8 = 0x10

    public var initiatorCookie: UInt64
    public var responderCookie: UInt64
    public var exchange: Exchange
    /// Flags: encryption (0x01), commit (0x02), authentication only (0x04).
    public var encrypted: Bool
    public var commit: Bool
    public var messageID: UInt32

    public init(initiatorCookie: UInt64, responderCookie: UInt64 = 0, exchange: Exchange, encrypted: Bool = false,
                commit: Bool = false, messageID: UInt32 = 0) {
        self.initiatorCookie = initiatorCookie
        self.responderCookie = responderCookie
        self.exchange = exchange
        self.encrypted = encrypted
        self.commit = commit
        self.messageID = messageID
    }
}
