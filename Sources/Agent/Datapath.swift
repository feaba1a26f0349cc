import ESP
import Filtering
import IKE
import Packet

/// Where the datapath puts packets: implemented by the agent over raw sockets and the inbound
/// TUN device, and by a recording fake in the tests. Each call gets the packet in place.
public protocol PacketSink: AnyObject {
    /// Sends a complete IP packet (clear, ESP, or ESP in UDP) out of the host towards `destination`.
    func transmit(_ packet: UnsafeRawBufferPointer, to destination: IPAddress) -> Bool
    /// Hands a complete IP packet to the host's stack, as received.
    func deliver(_ packet: UnsafeRawBufferPointer) -> Bool
}

/// A negotiation the datapath needs: IKE should key `selector` with `peer` under the rule and
/// filter action of `filter`, and bind the pair to it.
public struct AcquireRequest: Equatable, Sendable {
    public var selector: TrafficSelector
    public var local: IPAddress
    public var peer: IPAddress
    /// The specific filter that asked (nil: traffic no filter decided).
    public var filter: FilterIdentity?
    /// An SA for this selector exists and reached its soft lifetime.
    public var rekey = false
}

extension AcquireRequest {
    /// What a packet that a negotiate filter caught asks for — the same on either datapath:
    /// transport mode speaks IKE between the two hosts about the two hosts; a tunnel rule
    /// speaks it from this host's address towards the endpoint (`sourceAddress`, the routing
    /// table's choice) about the filter's subnets.
    /// `rank`: the negotiate filter that decided the packet in `table`.
    init(for packet: PacketSelector, rank: Int, in table: FilterTable, sourceAddress: (IPAddress) -> IPAddress?) {
        let endpoint = table.tunnelEndpoint(rank)
        self.init(selector: Datapath.selector(for: packet, filter: table.filters[rank]),
                  local: endpoint.flatMap(sourceAddress) ?? packet.source,
                  peer: endpoint ?? packet.destination, filter: table.identity(rank))
    }
}

/// The userspace IPsec driver: every packet the host sends or receives passes here, is decided
/// by the filter table, and is permitted, blocked, or protected. Sans-I/O: packets come in a
/// buffer with the clock, go out through a `PacketSink`; negotiations are asked for by
/// returning `AcquireRequest`s, and IKE's results come back through `install`/`remove`.
///
/// Outbound (a packet the host sends, read from the outbound TUN device):
///  1. parse the 5-tuple (unparseable: drop, count — fail closed);
///  2. decide with the filter table: permit → transmit as is; block → drop;
///  3. negotiate → the newest SA bound to the deciding filter, towards its peer, whose selectors
///     cover the packet (found by the filter's rank and the peer: one hash probe) → ESP in
///     place → transmit. An SA another filter negotiated is never used, even where its
///     selectors cover the packet: the rule's own methods govern its traffic;
///  4. no SA of that filter yet → hold a copy (bounded, one queue per negotiation) and, for
///     the first packet, ask for an acquire for that filter; `install` flushes the held
///     packets under the new SA, `negotiationFailed` drops them.
///
/// Inbound clear (an IP packet from the wire, forwarded by the packet filter):
///  1. parse; 2. decide as inbound and not protected: permit → deliver; otherwise drop (a
///     negotiate rule's clear text is dropped unless the action allows inbound passthrough).
///
/// Inbound protected (ESP from the raw socket, or from UDP 4500 with its headers rebuilt):
///  1. SPI → SAD → anti-replay → ICV → decrypt, in place (`SecurityAssociationDatabase`);
///  2. the inner packet must fall within the SA's negotiated selectors (RFC 4301 §5.2);
///  3. the filter table must not block it;
///  4. it must be decided by the filter the SA is bound to or its mirror: as it arrived, or as
///     the outbound packet that answers it (the reverse 5-tuple); otherwise it came under
///     another rule's SA and is dropped as an inbound policy mismatch (`lastMismatch` says
///     which SA, whose filter, and which filter decided the packet);
///  5. deliver.
public final class Datapath {
    public let policy: RunningPolicy
    public let sad = SecurityAssociationDatabase()
    let table = SecurityAssociationTable()
    var queue = AcquireQueue()
    @exclusivity(unchecked) public private(set) var counters = DatapathCounters()
    private let ivSource: IVSource
    private unowned let sink: PacketSink
    /// The traffic counters of pairs already removed: the totals count from the agent's start.
    private var retired = IPsecStatistics()
    /// Scratch buffer for flushing held packets.
    private let flushBuffer = PacketBuffer()
    /// This host's address towards a tunnel endpoint (the routing table's choice); IKE speaks
    /// from it. Injected: the agent asks the kernel, tests answer themselves.
    let sourceAddress: (IPAddress) -> IPAddress?

    public init(policy: RunningPolicy, sink: PacketSink, ivSource: IVSource = RandomIVSource(),
                sourceAddress: @escaping (IPAddress) -> IPAddress? = { _ in nil }) {
        self.policy = policy
        self.sink = sink
        self.ivSource = ivSource
        self.sourceAddress = sourceAddress
    }

    // MARK: outbound

    /// Decides and sends one outbound packet. Returns a negotiation to start, if any.
    public func outbound(_ buffer: PacketBuffer, now: Double) -> AcquireRequest? {
        let packet: PacketSelector
        do { packet = try PacketSelector(parsing: buffer) } catch {
            counters.malformed += 1
            return nil
        }
        let ruling = policy.ruling(packet, direction: .outbound, now: now)
        switch ruling.verdict {
        case .permit:
            counters.outboundPermitted += 1
            transmit(buffer, to: packet.destination)
            return nil
        case .block:
            counters.outboundBlocked += 1
            return nil
        case .negotiate:
            guard case .negotiate(let rank) = ruling else { return nil }  // a negotiate verdict always names its filter
            return protect(buffer, packet, rank: rank, now: now)
        }
    }

    /// The SA table's ranks follow the table in force: rebound when a new one was swapped in.
    @inline(__always)
    func bindToCurrentTable() {
        if table.generation != policy.generation { table.rebind(to: policy.decider.table, generation: policy.generation) }
    }

    private func protect(_ buffer: PacketBuffer, _ packet: PacketSelector, rank: Int, now: Double) -> AcquireRequest? {
        bindToCurrentTable()
        let peer = policy.decider.table.tunnelEndpoint(rank) ?? packet.destination
        if let index = table.outbound(rank: rank, peer: peer, for: packet) {
            // The entry's fields are read in place (a copy of it would retain both SAs).
            do {
                let event = try table[index].outbound.encapsulate(buffer, now: now, ivSource: ivSource)
                counters.outboundProtected += 1
                transmit(buffer, to: table[index].peer)
                if event == .soft, !table[index].rekeyRequested {
                    table[index].rekeyRequested = true
                    return AcquireRequest(selector: table[index].selector, local: table[index].local, peer: table[index].peer,
                                          filter: table[index].filter, rekey: true)
                }
                return nil
            } catch {
                // Expired or exhausted: this SA is done; hold the packet and key afresh.
                remove(inboundSPI: table[index].inboundSPI)
            }
        }
        let request = AcquireRequest(for: packet, rank: rank, in: policy.decider.table, sourceAddress: sourceAddress)
        counters.queued += 1
        let before = queue.overflowDrops
        let first = queue.hold(UnsafeRawBufferPointer(buffer.bytes), for: request)
        counters.queueDropped += queue.overflowDrops - before
        guard first else { return nil }
        counters.acquires += 1
        return request
    }

    /// What to negotiate for a packet: a tunnel rule's filter subnets; in transport mode the
    /// two hosts, with the filter's protocol and ports (as Windows builds its specific Quick
    /// Mode filters, reference e.2).
    static func selector(for packet: PacketSelector, filter: SpecificFilter?) -> TrafficSelector {
        guard let filter else { return .hosts(packet.source, packet.destination) }
        if filter.tunnelEndpoint != nil {
            return TrafficSelector(local: filter.source, remote: filter.destination, protocolID: filter.protocolNumber ?? 0,
                                   localPort: filter.sourcePort, remotePort: filter.destinationPort)
        }
        return TrafficSelector(local: Subnet(host: packet.source), remote: Subnet(host: packet.destination),
                               protocolID: filter.protocolNumber ?? 0, localPort: filter.sourcePort, remotePort: filter.destinationPort)
    }

    // MARK: inbound

    /// Decides one clear packet from the wire: delivers it or drops it.
    public func inboundClear(_ buffer: PacketBuffer, now: Double) {
        let packet: PacketSelector
        do { packet = try PacketSelector(parsing: buffer) } catch {
            counters.malformed += 1
            return
        }
        let ruling = policy.ruling(packet, direction: .inbound, now: now)
        guard ruling.verdict == .permit else {
            if case .clearDropped = ruling { counters.inboundClearDropped += 1 } else { counters.inboundBlocked += 1 }
            return
        }
        counters.inboundPermitted += 1
        deliver(buffer)
    }

    /// Decapsulates one ESP/AH packet (whole, with its IP header, UDP-encapsulated or not),
    /// checks it against its SA and the policy, and delivers it.
    public func inboundProtected(_ buffer: PacketBuffer, now: Double) {
        let spi: UInt32
        do {
            guard case .packet(let outer, let inner, _) = try sad.decapsulate(buffer, now: now) else { return }
            spi = inner ?? outer
        } catch {
            return  // counted by the SAD against the SA or as unattributable
        }
        let packet: PacketSelector
        do { packet = try PacketSelector(parsing: buffer) } catch {
            counters.malformed += 1
            return
        }
        bindToCurrentTable()
        guard let index = table.index(inboundSPI: spi), table.selectorAdmits(index, packet) else {
            counters.inboundPolicyMismatch += 1
            noteMismatch(spi: spi, entry: table.index(inboundSPI: spi), packet: packet, decidedBy: nil, now: now)
            return
        }
        let ruling = policy.ruling(packet, direction: .inbound, protected: true, now: now)
        guard ruling.verdict == .permit else {
            counters.inboundBlocked += 1
            return
        }
        if let decidedBy = bindingViolation(table[index].bindingClass, asArrived: ruling.rank, packet) {
            counters.inboundPolicyMismatch += 1
            noteMismatch(spi: spi, entry: index, packet: packet, decidedBy: decidedBy, now: now)
            return
        }
        counters.inboundProtected += 1
        deliver(buffer)
    }

    /// Whether an inbound packet may have come through an SA of `bindingClass`: nil when the
    /// table decides it by that class (the bound filter or its mirror), as it arrived
    /// (`asArrived`, the deciding rank already looked up) or as the outbound packet that
    /// answers it; otherwise the rank of the filter that claims it (-1: none). An SA of the
    /// default response rule (class -1) carries only what no negotiate filter claims.
    private func bindingViolation(_ bindingClass: Int32, asArrived: Int?, _ packet: PacketSelector) -> Int? {
        let decisions = policy.decider.table
        let arrived = decisions.bindingClass(asArrived)
        if bindingClass >= 0 && arrived == bindingClass { return nil }
        let reply = PacketSelector(source: packet.destination, destination: packet.source, protocolNumber: packet.protocolNumber,
                                   sourcePort: packet.destinationPort, destinationPort: packet.sourcePort)
        let replyRank = decisions.lookup(reply)
        let answered = decisions.bindingClass(replyRank)
        let accepted = bindingClass >= 0 ? answered == bindingClass : bindingClass == -1 && arrived == -1 && answered == -1
        if accepted { return nil }
        if arrived >= 0, let asArrived { return asArrived }
        return replyRank ?? -1
    }

    /// The last inbound policy mismatch, for the agent's rate-limited log line: values only,
    /// nothing built per packet.
    public private(set) var lastMismatch: InboundMismatch?

    private func noteMismatch(spi: UInt32, entry: Int?, packet: PacketSelector, decidedBy: Int?, now: Double) {
        lastMismatch = InboundMismatch(spi: spi, boundRank: entry.map { Int(table[$0].rank) } ?? -1, decidedByRank: decidedBy ?? -1,
                                       packet: packet, outsideSelectors: decidedBy == nil, at: now, generation: policy.generation)
    }

    // MARK: SAs from IKE

    /// Installs a negotiated pair, bound to the filter it was negotiated for, and sends what
    /// waited for it. Held packets the pair does not carry wait on for their own negotiation,
    /// which is returned when it has yet to be asked for. Throws when the SA parameters are
    /// unusable (the caller reports it and asks IKE to delete the pair).
    @discardableResult
    public func install(_ pair: NegotiatedSAPair, now: Double) throws(ESPError) -> [AcquireRequest] {
        let decisions = policy.decider.table
        let rank = pair.filter.flatMap { decisions.rank(of: $0) }
        // Negotiated for a filter a policy change took away meanwhile: it would carry nothing.
        if pair.filter != nil && rank == nil { throw .badConfiguration("the filter it was negotiated for is no longer in force") }
        let inbound = try SecurityAssociation(pair.inbound, now: now)
        let outbound = try SecurityAssociation(pair.outbound, now: now)
        sad.add(inbound: inbound)
        table.install(.init(selector: pair.selector, peer: pair.peer.address, local: pair.inbound.destination, outbound: outbound,
                            inbound: inbound, transform: pair.transform.description, installedAt: now, filter: pair.filter,
                            serves: rank.map { decisions.filters[$0].names }),
                      table: policy.decider.table, generation: policy.generation)
        var requests: [AcquireRequest] = []
        for held in queue.release(pair.peer.address, filter: pair.filter) {
            do { try flushBuffer.load(held) } catch { continue }
            let before = counters.outboundProtected
            if let request = self.outbound(flushBuffer, now: now) { requests.append(request) }
            if counters.outboundProtected > before { counters.queueFlushed += 1 }
        }
        return requests
    }

    /// Removes a pair IKE deleted (peer's Delete, expiry, restart).
    public func remove(inboundSPI: UInt32) {
        if let entry = table.remove(inboundSPI: inboundSPI) {
            retired.add(entry.outbound.statistics)
            retired.add(entry.inbound.statistics)
            let parameters = entry.inbound.parameters
            sad.remove(spi: parameters.spi, destination: parameters.destination, securityProtocol: parameters.securityProtocol)
        }
    }

    /// Pairs the table in force no longer asks for (`RunningPolicy.pairsNoLongerCovered`).
    public func pairsNoLongerCovered(now: Double) -> [UInt32] {
        policy.pairsNoLongerCovered(table.entries.map { ($0.selector, $0.peer, $0.filter, $0.inboundSPI) }, now: now)
    }

    /// A negotiation with `peer` failed: the held packets are dropped and counted.
    public func negotiationFailed(peer: IPAddress) {
        counters.queueDropped += UInt64(queue.release(peer).count)
    }

    /// Lifetimes on the clock: soft expiry asks for a rekey (once), hard expiry removes the
    /// pair (its inbound SPI is returned so IKE can send a Delete).
    public func tick(now: Double) -> (rekeys: [AcquireRequest], expired: [UInt32]) {
        var rekeys: [AcquireRequest] = [], expired: [UInt32] = []
        var index = 0
        while index < table.count {
            let entry = table[index]
            switch entry.outbound.lifetimeEvent(now: now) {
            case .soft where !entry.rekeyRequested:
                table[index].rekeyRequested = true
                rekeys.append(AcquireRequest(selector: entry.selector, local: entry.local, peer: entry.peer, filter: entry.filter, rekey: true))
            case .hard:
                expired.append(entry.inboundSPI)
            default:
                break
            }
            index += 1
        }
        for spi in expired { remove(inboundSPI: spi) }
        return (rekeys, expired)
    }

    /// The IPsec driver statistics since the agent started (reference f.2): bytes and packets
    /// sent from every SA, live or removed; packets received and every rejection from the SAD,
    /// which sees each inbound packet once, attributable to an SA or not.
    public var totalStatistics: IPsecStatistics {
        var total = retired
        for entry in table.entries {
            total.add(entry.outbound.statistics)
            total.add(entry.inbound.statistics)
        }
        let received = sad.statistics
        total.packetsReceived = received.packetsReceived
        total.badSPIPackets = received.badSPIPackets
        total.packetsNotDecrypted = received.packetsNotDecrypted
        total.packetsNotAuthenticated = received.packetsNotAuthenticated
        total.packetsWithReplayDetection = received.packetsWithReplayDetection
        total.malformedPackets = received.malformedPackets
        total.dummyPacketsDropped = received.dummyPacketsDropped
        return total
    }

    /// Installed pairs (for the monitor).
    public var securityAssociations: [InstalledSAPair] {
        table.entries.map { entry in
            InstalledSAPair(selector: entry.selector, peer: entry.peer, outboundSPI: entry.outbound.spi, inboundSPI: entry.inboundSPI,
                            transform: entry.transform, installedAt: entry.installedAt,
                            inbound: entry.inbound.statistics,
                            outbound: entry.outbound.statistics, udpEncapsulated: entry.outbound.parameters.udpEncapsulation != nil,
                            tunnel: { if case .tunnel = entry.outbound.parameters.mode { true } else { false } }(), serves: entry.serves)
        }
    }

    // MARK: sink

    private func transmit(_ buffer: PacketBuffer, to destination: IPAddress) {
        if !sink.transmit(UnsafeRawBufferPointer(buffer.bytes), to: destination) { counters.sendFailures += 1 }
    }

    private func deliver(_ buffer: PacketBuffer) {
        if !sink.deliver(UnsafeRawBufferPointer(buffer.bytes)) { counters.sendFailures += 1 }
    }
}

/// One installed SA pair, as the monitor shows it.
public struct InstalledSAPair: Sendable {
    public var selector: TrafficSelector
    public var peer: IPAddress
    public var outboundSPI: UInt32
    public var inboundSPI: UInt32
    public var transform: String
    public var installedAt: Double
    public var inbound: IPsecStatistics
    public var outbound: IPsecStatistics
    public var udpEncapsulated: Bool
    public var tunnel: Bool
    /// The rule, filter list and specific filter the pair serves (`show qmsas`); nil for the
    /// default response rule's pairs.
    public var serves: FilterNames?
}

/// An inbound packet that came through an SA its policy does not give it: which SA, the rank
/// of the filter the SA is bound to, and the rank of the filter that decided the packet (ranks
/// in the table of `generation`; -1 none).
public struct InboundMismatch: Sendable {
    public var spi: UInt32
    public var boundRank: Int
    public var decidedByRank: Int
    public var packet: PacketSelector
    /// The packet lies outside the SA's negotiated selectors (else: another filter decides it).
    public var outsideSelectors: Bool
    public var at: Double
    public var generation: Int
}
