import ESP
import Filtering
import Packet

/// A UDP datagram of the engine: the payload exactly as it goes on the wire (on port 4500 it
/// starts with the four-byte non-ESP marker, RFC 3948 §2.2), and its two ends.
public struct IKEDatagram: Equatable, Sendable {
    public var payload: [UInt8]
    public var local: NATDetection.Endpoint
    public var remote: NATDetection.Endpoint

    public init(payload: [UInt8], local: NATDetection.Endpoint, remote: NATDetection.Endpoint) {
        self.payload = payload
        self.local = local
        self.remote = remote
    }
}

/// An IPsec SA pair Quick Mode agreed: install `inbound` before the peer may use it and
/// `outbound` to send; both carry their keys, mode and UDP encapsulation.
public struct NegotiatedSAPair: Sendable {
    public var selector: TrafficSelector
    public var peer: NATDetection.Endpoint
    public var inbound: SAParameters
    public var outbound: SAParameters
    /// What was agreed, for the monitor.
    public var transform: QuickModeTransform
    /// The specific filter this pair serves (`FilterIdentity`): only that filter's traffic
    /// may use it. Nil for the default response rule's pairs.
    public var filter: FilterIdentity?

    public init(selector: TrafficSelector, peer: NATDetection.Endpoint, inbound: SAParameters, outbound: SAParameters,
                transform: QuickModeTransform, filter: FilterIdentity? = nil) {
        self.selector = selector
        self.peer = peer
        self.inbound = inbound
        self.outbound = outbound
        self.transform = transform
        self.filter = filter
    }
}

/// What happened, for the log and the monitor. Texts never contain key material.
public enum IKEEvent: Equatable, Sendable {
    /// A Main Mode SA is established with `peer`.
    case mainModeEstablished(peer: IPAddress, cookies: String, transform: String)
    /// A negotiation failed; `reason` says what each side offered or what did not verify.
    case negotiationFailed(peer: IPAddress, reason: String)
    /// The peer's proof did not verify (wrong preshared key, forged message).
    case authenticationFailed(peer: IPAddress, reason: String)
    /// NAT-D found a NAT; the exchange floated to UDP 4500.
    case natDetected(peer: IPAddress, localBehindNAT: Bool, peerBehindNAT: Bool)
    /// The peer deleted an SA (a Main Mode SA when `spi` is nil).
    case peerDeleted(peer: IPAddress, spi: UInt32?)
    /// The peer sent a notification outside an exchange.
    case notified(peer: IPAddress, type: UInt16)
}

/// One thing for the caller to do.
public enum IKEAction: Sendable {
    case send(IKEDatagram)
    case install(NegotiatedSAPair)
    /// Remove the inbound SA with this SPI and its outbound partner.
    case delete(inboundSPI: UInt32, outboundSPI: UInt32, peer: IPAddress)
    case event(IKEEvent)
}
