/// The last datagram an exchange sent and when to send it again (RFC 2408 §5: a lost UDP
/// datagram is recovered by retransmission). Intervals double from `initial`; after `limit`
/// resends the exchange gives up.
struct Retransmission {
    var datagram: IKEDatagram
    /// Whether an answer is awaited: the last message of an exchange is re-sent only when the
    /// peer repeats the message it answered.
    var awaitingReply: Bool
    var nextAt: Double
    var interval: Double
    var resends = 0

    init(_ datagram: IKEDatagram, awaitingReply: Bool, now: Double, initial: Double) {
        self.datagram = datagram
        self.awaitingReply = awaitingReply
        nextAt = now + initial
        interval = initial
    }

    /// The datagram when it is due, advancing the timer; nil when not due or not awaiting.
    mutating func due(at now: Double) -> IKEDatagram? {
        guard awaitingReply, now >= nextAt else { return nil }
        resends += 1
        interval *= 2
        nextAt = now + interval
        return datagram
    }
}
