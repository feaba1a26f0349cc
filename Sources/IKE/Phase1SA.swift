import Certificates
import Packet
import Transforms

/// The two cookies that name an ISAKMP SA (RFC 2408 §2.5.3).
struct CookiePair: Hashable {
    var initiator: UInt64
    var responder: UInt64
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * UInt64($0))) } }
}

/// One ISAKMP SA and the Main Mode exchange that builds it (RFC 2409 §5, identity protection,
/// six messages), with the Quick Modes running under it.
final class Phase1SA {
    enum Role { case initiator, responder }

    /// Where the exchange stands: the message this side sent last.
    enum State: Equatable {
        case sentMM1, sentMM2, sentMM3, sentMM4, sentMM5
        case established
    }

    let role: Role
    var state: State
    let CKY_I: UInt64
    var CKY_R: UInt64
    var cookies: CookiePair { CookiePair(initiator: CKY_I, responder: CKY_R) }
    /// Both ends as the datagrams show them; they move to port 4500 when NAT-T floats.
    var local: NATDetection.Endpoint
    var remote: NATDetection.Endpoint
    let policy: MainModePolicy
    let createdAt: Double

    /// SAi_b: the body of the initiator's SA payload, as sent (RFC 2409 §5 HASH_I/HASH_R).
    var SAi_b: [UInt8] = []
    var offered: [Phase1Transform] = []
    var chosen: Phase1Transform?
    var lifetimeSeconds: UInt64?
    /// Both sides sent the RFC 3947 vendor ID.
    var natTraversal = false
    var nat: NATDetection.Verdict?
    var keyExchange: (any KeyExchange)?
    var gxi: [UInt8] = []
    var gxr: [UInt8] = []
    var Ni_b: [UInt8] = []
    var Nr_b: [UInt8] = []
    var keys: Phase1Keys?
    var protection: MessageProtection?
    /// The CBC IV for the next Main Mode message; after message 6, the last phase 1 block that
    /// seeds every Quick Mode and Informational IV (RFC 2409 Appendix B).
    var iv: [UInt8] = []
    var peerID: Identification?
    /// CAs the peer asked for in CERTREQ payloads (DER Names), newest message's.
    var peerCertificateRequests: [[UInt8]] = []
    /// The peer as its certificate showed it, once verified.
    var peerCertificate: CertificateAuthenticator.PeerAuthentication?
    /// Kerberos: the exchange's GSS-API context and what the hashes cover (draft-ietf-ipsec-
    /// isakmp-gss-auth-07 §3.1): each side's GSS identity attribute as sent (GIi, GIr) and
    /// the tokens each side sent, in order.
    var gss: (any GSSSecurityContext)?
    var GIi: [UInt8]?
    var GIr: [UInt8]?
    var initiatorTokens: [[UInt8]] = []
    var responderTokens: [[UInt8]] = []
    /// A GSS payload the context produced that goes out in this side's next message.
    var pendingGSSPayloads: [Payload] = []
    /// This side's wrapped HASH has gone out.
    var gssHashSent = false
    /// This side's ID payload body once sent: with extra GSS legs the ID goes only in the
    /// first encrypted message, and the hash still covers it.
    var localIDBody: [UInt8]?
    var peerIDBody: [UInt8]?
    /// The peer as Kerberos authenticated it (`HOST2$@WARD.TEST`).
    var peerPrincipal: String?
    var establishedAt: Double?
    var retransmission: Retransmission?
    /// The last datagram accepted from the peer: a repeat means our answer was lost.
    var lastReceived: [UInt8]?
    var quickModes: [UInt32: QuickModeExchange] = [:]
    var quickModesStarted = 0
    /// When an SA that keyed all the Quick Modes it may (`qmpermm`) is forgotten.
    var retireAt: Double?
    /// The initiator's message 3 of recent Quick Modes, re-sent if the responder repeats
    /// message 2 (it did not get message 3). Bounded: the oldest are forgotten.
    var finishedQuickModes: [UInt32: IKEDatagram] = [:]
    var finishedOrder: [UInt32] = []
    /// Acquires waiting for the SA to be established.
    var pending: [QuickModeRequest] = []
    var lastKeepaliveAt: Double

    init(role: Role, CKY_I: UInt64, CKY_R: UInt64, local: NATDetection.Endpoint, remote: NATDetection.Endpoint,
         policy: MainModePolicy, now: Double) {
        self.role = role
        state = role == .initiator ? .sentMM1 : .sentMM2
        self.CKY_I = CKY_I
        self.CKY_R = CKY_R
        self.local = local
        self.remote = remote
        self.policy = policy
        createdAt = now
        lastKeepaliveAt = now
    }

    func rememberFinished(_ messageID: UInt32, _ datagram: IKEDatagram) {
        finishedQuickModes[messageID] = datagram
        finishedOrder.append(messageID)
        if finishedOrder.count > 16 { finishedQuickModes.removeValue(forKey: finishedOrder.removeFirst()) }
    }

    /// Whether NAT-T floated this SA to UDP 4500.
    var floated: Bool { local.port == 4500 || remote.port == 4500 }

    /// A responder SA still waiting for message 3: all a spoofed first message can create.
    var isHalfOpen: Bool { role == .responder && state == .sentMM2 }

    /// Whether this SA may key another Quick Mode (`qmpermm`, master-key PFS).
    var canStartQuickMode: Bool {
        guard state == .established else { return false }
        guard let limit = policy.quickModesPerMainMode else { return true }
        return quickModesStarted < limit
    }

    /// The wire form of an ISAKMP message from this SA: the non-ESP marker on port 4500.
    func datagram(_ isakmp: [UInt8]) -> IKEDatagram {
        IKEDatagram(payload: floated ? [0, 0, 0, 0] + isakmp : isakmp, local: local, remote: remote)
    }

    /// The cookies as tshark and charon print them (16 hex digits each).
    var cookieText: String { Self.hex(CKY_I) + ":" + Self.hex(CKY_R) }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// What an acquire asks Quick Mode for.
struct QuickModeRequest {
    var selector: TrafficSelector
    var policy: QuickModePolicy
}
