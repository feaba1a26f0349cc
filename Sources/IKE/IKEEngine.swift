import Filtering
import Packet
import Transforms

/// Limits and timers of the engine. The defaults follow common practice (Windows and
/// strongSwan retransmit on the order of seconds and give up within a minute).
public struct IKEConfiguration: Sendable {
    /// Responder SAs still waiting for Main Mode message 3; beyond it the oldest is dropped.
    public var maxHalfOpen = 1024
    /// First retransmission interval in seconds; each next one doubles.
    public var retransmitInitial = 1.0
    /// Resends before an exchange gives up.
    public var retransmitLimit = 5
    /// A negotiation not finished after this many seconds fails.
    public var negotiationTimeout = 60.0
    /// NAT keepalive interval when this side is behind a NAT (RFC 3948 §4).
    public var keepaliveInterval = 20.0
    /// Bytes of each nonce (RFC 2409 §5: 8 to 256).
    public var nonceLength = 32
    /// Anti-replay window of installed inbound SAs.
    public var replayWindow = 128
    /// Fraction of an IPsec SA's lifetime after which it reports soft expiry (rekey).
    public var softLifetimeFraction = 0.9

    public init() {}
}

/// The IKEv1 engine: every ISAKMP SA and the exchanges running under them. Sans-I/O: the
/// caller feeds it datagrams, acquires and clock ticks and carries out the actions it returns.
///
/// How a datagram travels (``receive(_:now:)``):
///
///  1. On port 4500, a one-byte 0xFF is a NAT keepalive; otherwise the four-byte non-ESP
///     marker is removed (RFC 3948 §2.2).
///  2. The header and any cleartext payloads are decoded; a failure is an invalid packet.
///  3. The cookies pick the ISAKMP SA: a zero responder cookie in Main Mode starts one as
///     responder; unknown cookies are counted and dropped.
///  4. A repeat of the last accepted datagram re-sends our answer (the peer lost it).
///  5. The exchange type picks Main Mode, Quick Mode or Informational, which decrypt with
///     the SA's keys, check the message against the exchange's state and answer.
///  6. A failure either drops the message (malformed, unexpected) or ends the negotiation
///     (authentication, no proposal), counted under the monitor's names.
public final class IKEEngine {
    public let configuration: IKEConfiguration
    /// The counters; the gauges are filled in when ``statistics`` is read.
    var counters = IKEStatistics()
    let policy: any IKEPolicyProvider
    var entropy: any IKEEntropy
    var sas: [CookiePair: Phase1SA] = [:]
    /// Installed SA pairs by inbound SPI, for deletes and the monitor.
    var installed: [UInt32: InstalledPair] = [:]
    /// SPIs handed out and not yet released, so that no two inbound SAs share one.
    var allocatedSPIs: Set<UInt32> = []
    /// Responder SAs by initiator cookie: a repeated message 1 finds its SA here.
    var responderSAs: [UInt64: CookiePair] = [:]
    /// Responder SAs in creation order while they may be half-open (stale entries are
    /// compacted away when the limit is reached).
    var halfOpenOrder: [CookiePair] = []
    /// CRL URLs to hand the caller (``takeWantedRevocationLists()``), at most 16 at a time.
    var revocationListsWanted: Set<String> = []

    public init(policy: any IKEPolicyProvider, entropy: any IKEEntropy = SystemEntropy(),
                configuration: IKEConfiguration = IKEConfiguration()) {
        self.policy = policy
        self.entropy = entropy
        self.configuration = configuration
    }

    // MARK: Inputs

    /// Handles one UDP datagram that arrived on port 500 or 4500.
    public func receive(_ datagram: IKEDatagram, now: Double) -> [IKEAction] {
        var bytes = datagram.payload
        if datagram.local.port == 4500 || datagram.remote.port == 4500 {
            if bytes == [0xFF] { return [] }  // NAT keepalive (RFC 3948 §2.3)
            guard bytes.count >= 4, bytes[0..<4] == [0, 0, 0, 0] else {
                counters.count(ISAKMPError("UDP payload", "non-ESP marker", offset: 0, "not an IKE message on port 4500"))
                return []
            }
            bytes.removeFirst(4)
        }
        let message: ISAKMPMessage
        do { message = try ISAKMPMessage.decode(bytes) } catch {
            counters.count(error)
            return []
        }
        let cookies = CookiePair(initiator: message.header.initiatorCookie, responder: message.header.responderCookie)
        if message.header.exchange == .identityProtection && cookies.responder == 0 {
            return firstMessage(message, bytes: bytes, datagram: datagram, now: now)
        }
        guard let sa = sas[cookies] ?? awaitingSecondMessage(cookies, message) else {
            counters.invalidCookiesReceived += 1
            return []
        }
        return run(sa, now: now) { () throws(ExchangeFailure) -> [IKEAction] in
            switch message.header.exchange {
            case .identityProtection: return try mainMode(sa, message, bytes: bytes, datagram: datagram, now: now)
            case .quickMode: return try quickMode(sa, message, bytes: bytes, datagram: datagram, now: now)
            case .informational: return try informational(sa, message, bytes: bytes, now: now)
            default: throw .unexpected("exchange \(message.header.exchange) is not spoken by Ward (Main Mode, Quick Mode, Informational)")
            }
        }
    }

    /// Asks for SAs protecting `selector` with `peer` (a packet matched a negotiate filter with no
    /// SA yet, or an SA reached its soft lifetime). Starts Main Mode if no ISAKMP SA can key it.
    /// `filter` is the specific filter that asked: its filter action is offered and the pair is
    /// bound to it.
    public func acquire(_ selector: TrafficSelector, local: IPAddress, peer: IPAddress, filter: FilterIdentity? = nil, now: Double) -> [IKEAction] {
        counters.totalAcquire += 1
        guard let quickPolicy = policy.quickMode(for: selector, peer: peer, filter: filter) else {
            counters.acquireFailures += 1
            return [.event(.negotiationFailed(peer: peer, reason: "no rule negotiates \(selector)"))]
        }
        let request = QuickModeRequest(selector: selector, policy: quickPolicy)
        if let sa = sas.values.first(where: { $0.remote.address == peer && $0.local.address == local && $0.canStartQuickMode }) {
            return run(sa, now: now) { () throws(ExchangeFailure) -> [IKEAction] in try startQuickMode(sa, request, now: now) }
        }
        if let sa = sas.values.first(where: { $0.remote.address == peer && $0.local.address == local && $0.role == .initiator && $0.state != .established }) {
            sa.pending.append(request)
            return []
        }
        guard let mainPolicy = policy.mainMode(local: local, peer: peer) else {
            counters.acquireFailures += 1
            return [.event(.negotiationFailed(peer: peer, reason: "no Main Mode policy for \(peer)"))]
        }
        return startMainMode(local: local, peer: peer, policy: mainPolicy, request: request, now: now)
    }

    /// Drives timers: retransmissions, negotiation timeouts, ISAKMP SA expiry, NAT keepalives.
    public func tick(now: Double) -> [IKEAction] {
        var actions: [IKEAction] = []
        for sa in Array(sas.values) {
            actions += timers(sa, now: now)
        }
        return actions
    }

    /// Deletes an installed SA pair by its inbound SPI and tells the peer (RFC 2408 §3.15).
    public func delete(inboundSPI: UInt32, now: Double) -> [IKEAction] {
        guard let pair = installed.removeValue(forKey: inboundSPI) else { return [] }
        allocatedSPIs.remove(inboundSPI)
        var actions: [IKEAction] = [.delete(inboundSPI: inboundSPI, outboundSPI: pair.outboundSPI, peer: pair.peer)]
        if let sa = sas[pair.cookies], sa.state == .established {
            actions += sendInformational(sa, [.delete(Delete(protocolID: pair.protocolID, spiSize: 4, spis: [inboundSPI.bigEndianBytes]))])
        }
        return actions
    }

    // MARK: Monitor

    /// One line per ISAKMP SA, for `show mmsas`.
    public var mainModeSummaries: [MainModeSummary] {
        sas.values.map { sa in
            MainModeSummary(cookies: sa.cookieText, local: sa.local, remote: sa.remote, initiator: sa.role == .initiator,
                            established: sa.state == .established, transform: sa.chosen?.description ?? "-",
                            natDetected: sa.nat?.natDetected ?? false,
                            peerID: sa.peerCertificate.map { "\($0.subject)" + ($0.computer.map { " (computer \($0))" } ?? "") }
                                ?? sa.peerID.map(Identification.text),
                            authentication: Self.authenticationText(sa.chosen?.authentication),
                            peerRootCA: sa.peerCertificate?.rootCA, peerPrincipal: sa.peerPrincipal)
        }.sorted { $0.cookies < $1.cookies }
    }

    /// Each keyed ISAKMP SA's initiator cookie (16 hex digits) and message encryption key, in
    /// the form tshark's `ikev1_decryption_table` takes. For interop test oracles only: Ward
    /// never logs it, and only a tool given an explicit key-log path writes it.
    public func decryptionKeysForOracles() -> [(initiatorCookie: String, key: [UInt8])] {
        sas.values.compactMap { sa in
            guard let keys = sa.keys, let chosen = sa.chosen, let key = try? keys.encryptionKey(length: chosen.cipher.keyMaterialLength) else { return nil }
            return (Phase1SA.hex(sa.CKY_I), key)
        }
    }

    // MARK: Shared machinery

    /// Runs one step of `sa`'s exchanges and turns failures into statistics, events and, for
    /// failures that end the negotiation, removal of the SA.
    func run(_ sa: Phase1SA, now: Double, _ step: () throws(ExchangeFailure) -> [IKEAction]) -> [IKEAction] {
        do {
            let actions = try step()
            return actions
        } catch {
            var actions: [IKEAction] = []
            switch error {
            case .malformed(let parse):
                counters.count(parse)
            case .unexpected:
                counters.invalidPacketsReceived += 1
            case .authentication(let reason):
                counters.authenticationFailures += 1
                actions.append(.event(.authenticationFailed(peer: sa.remote.address, reason: reason)))
                actions += fail(sa, reason: nil)
            case .noProposal(let reason):
                counters.countNoProposalChosen()
                actions.append(.event(.negotiationFailed(peer: sa.remote.address, reason: reason)))
                actions += fail(sa, reason: nil)
            case .failed(let reason):
                counters.negotiationFailures += 1
                actions.append(.event(.negotiationFailed(peer: sa.remote.address, reason: reason)))
                actions += fail(sa, reason: nil)
            }
            return actions
        }
    }

    /// Ends an SA that never got established (or expired), with its pending acquires.
    func fail(_ sa: Phase1SA, reason: String?) -> [IKEAction] {
        remove(sa)
        if sa.role == .initiator { counters.acquireFailures += UInt64(sa.pending.count) } else { counters.receiveFailures += 1 }
        guard let reason else { return [] }
        return [.event(.negotiationFailed(peer: sa.remote.address, reason: reason))]
    }

    /// Forgets an ISAKMP SA and the SPIs its unfinished Quick Modes reserved. Installed IPsec
    /// SAs stay: they live by their own lifetimes (RFC 2409 §5.5).
    func remove(_ sa: Phase1SA) {
        sas.removeValue(forKey: sa.cookies)
        if responderSAs[sa.CKY_I] == sa.cookies { responderSAs.removeValue(forKey: sa.CKY_I) }
        for exchange in sa.quickModes.values { release(exchange.localSPIs) }
        sa.quickModes = [:]
    }

    /// The monitor's statistics: the counters, with the gauges computed now (a walk over the
    /// SAs, so only when asked — not per message).
    public var statistics: IKEStatistics {
        var statistics = counters
        statistics.isadbListSize = UInt64(sas.count)
        statistics.activeAcquire = UInt64(sas.values.reduce(0) { $0 + $1.quickModes.values.filter { $0.role == .initiator }.count + $1.pending.count })
        statistics.activeReceive = UInt64(sas.values.reduce(0) { $0 + $1.quickModes.values.filter { $0.role == .responder }.count })
        statistics.connectionListSize = UInt64(installed.count)
        return statistics
    }

    /// A fresh inbound SPI: random, above the reserved range 1–255 (RFC 4303 §2.1), unused.
    func allocateSPI() -> UInt32 {
        counters.totalGetSPI += 1
        while true {
            let spi = entropy.u32()
            if spi > 255 && allocatedSPIs.insert(spi).inserted { return spi }
        }
    }

    func release(_ spis: [UInt32]) {
        for spi in spis where installed[spi] == nil { allocatedSPIs.remove(spi) }
    }

    /// A fresh nonzero cookie (RFC 2408 §2.5.3: unique per peer; random is unique enough).
    func newCookie() -> UInt64 {
        while true {
            let cookie = entropy.u64()
            if cookie != 0 { return cookie }
        }
    }
}

/// An installed SA pair, remembered for deletes.
struct InstalledPair {
    var cookies: CookiePair
    var peer: IPAddress
    var outboundSPI: UInt32
    var protocolID: UInt8
    var selector: TrafficSelector
}

/// One ISAKMP SA as the monitor shows it.
public struct MainModeSummary: Equatable, Sendable {
    public var cookies: String
    public var local: NATDetection.Endpoint
    public var remote: NATDetection.Endpoint
    public var initiator: Bool
    public var established: Bool
    public var transform: String
    public var natDetected: Bool
    /// The ID the peer proved in message 5 or 6, once it has: with certificates, the
    /// certificate's subject (and its certmap computer identity).
    public var peerID: String?
    /// How the peer proves itself: "Preshared key", "Certificate (RSA signature)"…
    public var authentication: String
    /// With certificates, the `rootca` the peer's certificate chains to.
    public var peerRootCA: String?
    /// With Kerberos, the principal Kerberos authenticated (`HOST2$@WARD.TEST`).
    public var peerPrincipal: String?

    /// The realm of ``peerPrincipal``: what follows its last unescaped "@" (RFC 1964 §2.1.1).
    public var peerRealm: String? {
        guard let principal = peerPrincipal, let at = principal.lastIndex(of: "@") else { return nil }
        return String(principal[principal.index(after: at)...])
    }
}

extension IKEEngine {
    static func authenticationText(_ method: Phase1Transform.Authentication?) -> String {
        switch method {
        case nil: "-"
        case .preSharedKey: "Preshared key"
        case .rsaSignatures: "Certificate (RSA signature)"
        case .dssSignatures: "Certificate (DSS signature)"
        case .ecdsaP256: "Certificate (ECDSA P-256)"
        case .ecdsaP384: "Certificate (ECDSA P-384)"
        case .ecdsaP521: "Certificate (ECDSA P-521)"
        case .kerberos: "Kerberos"
        }
    }
}
