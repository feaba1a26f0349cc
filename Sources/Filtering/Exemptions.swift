import Packet

/// Default exemptions, `ipsecexempt` 0–3 (reference c.7): traffic that never reaches the
/// filters. Windows Server 2003's default, and Ward's, is 3: only IKE.
public struct Exemptions: Sendable, Equatable {
    /// 0: multicast, broadcast, RSVP, Kerberos, IKE; 1: multicast, broadcast, IKE;
    /// 2: RSVP, Kerberos, IKE; 3: IKE only.
    public var level: Int

    public init(level: Int = 3) throws(CompileError) {
        guard (0...3).contains(level) else {
            throw CompileError(message: "ipsecexempt: \(level) is out of range; allowed 0, 1, 2, 3")
        }
        self.level = level
    }

    public static let windows2003 = try! Exemptions(level: 3)

    /// Why a packet is exempt, or nil.
    public func reason(_ packet: PacketSelector, broadcast: [IPAddress]) -> String? {
        exemption(packet, broadcast: broadcast)?.reason(level: level)
    }

    /// Which exemption lets a packet past the filters, or nil (the hot path: nothing built).
    /// IKE is UDP port 500, or 4500 (NAT-T), on either side. Kerberos is TCP/UDP port 88 on
    /// either side — the documented weakness of values 0 and 2: any packet with source port 88
    /// bypasses the filters (reference c.7).
    public func exemption(_ packet: PacketSelector, broadcast: [IPAddress]) -> Exemption? {
        if packet.protocolNumber == 17, Self.isIKEPort(packet.sourcePort) || Self.isIKEPort(packet.destinationPort) { return .ike }
        if level == 0 || level == 2 {
            if packet.protocolNumber == 46 { return .rsvp }
            if packet.protocolNumber == 6 || packet.protocolNumber == 17, packet.sourcePort == 88 || packet.destinationPort == 88 {
                return .kerberos
            }
        }
        if level == 0 || level == 1, Self.isMulticastOrBroadcast(packet.destination, broadcast: broadcast) { return .multicastOrBroadcast }
        return nil
    }

    static func isIKEPort(_ port: UInt16) -> Bool { port == 500 || port == 4500 }

    public static func isMulticastOrBroadcast(_ address: IPAddress, broadcast: [IPAddress]) -> Bool {
        switch address {
        case .v4(let a): a.isMulticast || a == .broadcast || broadcast.contains(address)
        case .v6(let a): a.isMulticast
        }
    }
}

/// A kind of traffic that never reaches the filters.
public enum Exemption: Sendable, Equatable {
    case ike, rsvp, kerberos, multicastOrBroadcast

    func reason(level: Int) -> String {
        switch self {
        case .ike: "IKE (UDP 500/4500) is always exempt"
        case .rsvp: "RSVP is exempt (ipsecexempt=\(level))"
        case .kerberos: "Kerberos (port 88) is exempt (ipsecexempt=\(level))"
        case .multicastOrBroadcast: "multicast and broadcast are exempt (ipsecexempt=\(level))"
        }
    }
}

/// Soft associations (reference a.5): when a `soft=yes` action's negotiation gets no answer
/// from the peer for 3 seconds, traffic with that peer goes in the clear until it has been idle
/// for 5 minutes. Sans-I/O state the agent keeps; the clock is passed in (seconds).
public struct SoftAssociations: Sendable {
    /// Fallback wait: 3 s (Windows Server 2003 before KB 914841).
    public var fallbackDelay: Double = 3
    /// Idle lifetime of a soft association ([NF] g.14: 5 minutes).
    public var idleTimeout: Double = 300
    private var pending: [IPAddress: Double] = [:]
    private var active: [IPAddress: Double] = [:]

    public init() {}

    /// The agent started IKE towards `peer` for a soft action.
    public mutating func negotiationStarted(with peer: IPAddress, now: Double) {
        if pending[peer] == nil { pending[peer] = now }
    }

    /// The peer answered IKE: no fallback (before KB 914841, a peer that answers is never
    /// talked to in the clear, even when the negotiation then fails).
    public mutating func peerAnswered(_ peer: IPAddress) {
        pending[peer] = nil
        active[peer] = nil
    }

    /// Whether clear traffic with `peer` is allowed now; promotes a pending negotiation that
    /// waited past the fallback delay, and refreshes an active association's idle timer.
    public mutating func allowsClear(with peer: IPAddress, now: Double) -> Bool {
        if let started = pending[peer], now - started >= fallbackDelay {
            pending[peer] = nil
            active[peer] = now
        }
        guard let lastUse = active[peer] else { return false }
        if now - lastUse > idleTimeout {
            active[peer] = nil
            return false
        }
        active[peer] = now
        return true
    }

    /// Peers talked to in the clear right now (the monitor's "Soft Associations").
    public var count: Int { active.count }

    /// Peers whose negotiation waits for an answer (each may fall back after `fallbackDelay`).
    public var pendingPeers: [IPAddress] { Array(pending.keys) }

    /// Peers talked to in the clear now.
    public var activePeers: [IPAddress] { Array(active.keys) }

    /// A soft association ended for another reason than an IKE answer (the kernel datapath's
    /// clear-text policy idled out): the next traffic negotiates afresh.
    public mutating func ended(_ peer: IPAddress) {
        pending[peer] = nil
        active[peer] = nil
    }
}
