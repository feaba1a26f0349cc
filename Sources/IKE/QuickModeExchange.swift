import Filtering
import Packet
import Transforms

/// One Quick Mode exchange (RFC 2409 §5.5) under an established ISAKMP SA.
final class QuickModeExchange {
    enum Role { case initiator, responder }
    enum State { case sentQM1, sentQM2 }

    let role: Role
    let messageID: UInt32
    var state: State
    /// The CBC IV for this exchange's next message (chained from the exchange's own start).
    var iv: [UInt8]
    /// The traffic, from this side's point of view.
    var selector: TrafficSelector
    /// The specific filter whose policy keys this exchange; the SA pair is bound to it.
    var filter: FilterIdentity?
    let createdAt: Double
    /// Initiator: what it offered, by proposal number.
    var offers: [UInt8: QuickModeTransform] = [:]
    /// Inbound SPIs this side reserved, one per offered protocol.
    var localSPIs: [UInt32] = []
    var spiByProtocol: [QuickModeTransform.IPsecProtocol: UInt32] = [:]
    var Ni_b: [UInt8] = []
    var Nr_b: [UInt8] = []
    var keyExchange: (any KeyExchange)?
    var pfsSecret: [UInt8]?
    /// What was agreed: the transform, this side's inbound SPI and the peer's.
    var chosen: QuickModeTransform?
    var localSPI: UInt32 = 0
    var peerSPI: UInt32 = 0
    /// The ID payloads as sent in message 1 (initiator) or received (responder), to echo.
    var identities: [Payload] = []
    var retransmission: Retransmission?
    var lastReceived: [UInt8]?

    init(role: Role, messageID: UInt32, iv: [UInt8], selector: TrafficSelector, now: Double) {
        self.role = role
        self.messageID = messageID
        state = role == .initiator ? .sentQM1 : .sentQM2
        self.iv = iv
        self.selector = selector
        createdAt = now
    }
}
