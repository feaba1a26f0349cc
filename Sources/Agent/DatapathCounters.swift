/// What the datapath did with packets, beyond the ESP module's own statistics: the verdicts
/// and the fates of packets that waited for IKE. Plain counters, bumped in place.
public struct DatapathCounters: Equatable, Sendable, Codable {
    public var outboundPermitted: UInt64 = 0
    public var outboundBlocked: UInt64 = 0
    public var outboundProtected: UInt64 = 0
    public var inboundPermitted: UInt64 = 0
    public var inboundBlocked: UInt64 = 0
    /// Inbound protected packets delivered after decapsulation and the policy check.
    public var inboundProtected: UInt64 = 0
    /// Clear packets a negotiate rule said must have come protected.
    public var inboundClearDropped: UInt64 = 0
    /// Decapsulated packets outside their SA's selectors, or blocked by policy.
    public var inboundPolicyMismatch: UInt64 = 0
    public var acquires: UInt64 = 0
    public var queued: UInt64 = 0
    /// Held packets sent once the SA arrived.
    public var queueFlushed: UInt64 = 0
    /// Held packets dropped: the negotiation failed, or the queue was full.
    public var queueDropped: UInt64 = 0
    /// Packets whose headers could not be parsed (dropped: fail closed).
    public var malformed: UInt64 = 0
    /// Packets the kernel refused to send or deliver.
    public var sendFailures: UInt64 = 0

    public init() {}

    /// Name and value, for `show stats`.
    public var named: [(String, UInt64)] {
        [("Outbound Permitted", outboundPermitted), ("Outbound Blocked", outboundBlocked), ("Outbound Protected", outboundProtected),
         ("Inbound Permitted", inboundPermitted), ("Inbound Blocked", inboundBlocked), ("Inbound Protected", inboundProtected),
         ("Inbound Clear Dropped", inboundClearDropped), ("Inbound Policy Mismatch", inboundPolicyMismatch),
         ("Acquires", acquires), ("Packets Held For IKE", queued), ("Held Packets Sent", queueFlushed),
         ("Held Packets Dropped", queueDropped), ("Malformed Packets", malformed), ("Send Failures", sendFailures)]
    }
}
