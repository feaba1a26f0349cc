/// The IPsec driver statistics Windows' IP Security Monitor shows (reference f.2), kept per SA
/// and for the whole SAD. Counters only grow; they start at zero with the agent.
public struct IPsecStatistics: Equatable, Sendable {
    /// Bytes of payload protected by ESP encryption (a NULL cipher does not count).
    public var confidentialBytesSent: UInt64 = 0
    public var confidentialBytesReceived: UInt64 = 0
    /// Bytes of payload protected by AH, or by ESP integrity without encryption.
    public var authenticatedBytesSent: UInt64 = 0
    public var authenticatedBytesReceived: UInt64 = 0
    public var transportBytesSent: UInt64 = 0
    public var transportBytesReceived: UInt64 = 0
    public var bytesSentInTunnels: UInt64 = 0
    public var bytesReceivedInTunnels: UInt64 = 0
    public var badSPIPackets: UInt64 = 0
    public var packetsNotDecrypted: UInt64 = 0
    public var packetsNotAuthenticated: UInt64 = 0
    public var packetsWithReplayDetection: UInt64 = 0
    /// Ward's own: packets whose headers or lengths were wrong.
    public var malformedPackets: UInt64 = 0
    /// Ward's own: dummy packets (next header 59, RFC 4303 §2.6) received and dropped.
    public var dummyPacketsDropped: UInt64 = 0
    public var packetsSent: UInt64 = 0
    public var packetsReceived: UInt64 = 0

    public init() {}

    /// Adds another set of counters to these (totals over SAs for the monitor).
    public mutating func add(_ other: IPsecStatistics) {
        confidentialBytesSent += other.confidentialBytesSent
        confidentialBytesReceived += other.confidentialBytesReceived
        authenticatedBytesSent += other.authenticatedBytesSent
        authenticatedBytesReceived += other.authenticatedBytesReceived
        transportBytesSent += other.transportBytesSent
        transportBytesReceived += other.transportBytesReceived
        bytesSentInTunnels += other.bytesSentInTunnels
        bytesReceivedInTunnels += other.bytesReceivedInTunnels
        badSPIPackets += other.badSPIPackets
        packetsNotDecrypted += other.packetsNotDecrypted
        packetsNotAuthenticated += other.packetsNotAuthenticated
        packetsWithReplayDetection += other.packetsWithReplayDetection
        malformedPackets += other.malformedPackets
        dummyPacketsDropped += other.dummyPacketsDropped
        packetsSent += other.packetsSent
        packetsReceived += other.packetsReceived
    }

    /// Counts a rejected inbound packet under the statistic its error belongs to.
    mutating func count(_ error: ESPError) {
        switch error {
        case .unknownSPI: badSPIPackets += 1
        case .replayed, .tooOld: packetsWithReplayDetection += 1
        case .authenticationFailed: packetsNotAuthenticated += 1
        case .badPadding, .badCiphertextLength, .badInnerPacket, .transform: packetsNotDecrypted += 1
        case .malformed, .encapsulationMismatch, .ahOverUDP: malformedPackets += 1
        case .expired, .sequenceExhausted, .badConfiguration: break
        }
    }

    /// The statistics with the names the monitor prints, in its order.
    public var named: [(String, UInt64)] {
        [("Confidential Bytes Sent", confidentialBytesSent), ("Confidential Bytes Received", confidentialBytesReceived),
         ("Authenticated Bytes Sent", authenticatedBytesSent), ("Authenticated Bytes Received", authenticatedBytesReceived),
         ("Transport Bytes Sent", transportBytesSent), ("Transport Bytes Received", transportBytesReceived),
         ("Bytes Sent In Tunnels", bytesSentInTunnels), ("Bytes Received In Tunnels", bytesReceivedInTunnels),
         ("Bad SPI Packets", badSPIPackets), ("Packets Not Decrypted", packetsNotDecrypted),
         ("Packets Not Authenticated", packetsNotAuthenticated), ("Packets With Replay Detection", packetsWithReplayDetection),
         ("Malformed Packets", malformedPackets), ("Dummy Packets Dropped", dummyPacketsDropped),
         ("Packets Sent", packetsSent), ("Packets Received", packetsReceived)]
    }
}
