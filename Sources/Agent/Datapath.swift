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

/// A negotiation the datapath needs: IKE should key `selector` with `peer`.
public struct AcquireRequest: Equatable, Sendable {
    public var selector: TrafficSelector
    public var local: IPAddress
    public var peer: IPAddress
    /// An SA for this selector exists and reached its soft lifetime.
    public var rekey = false
}

extension AcquireRequest {
    /// What a packet that a negotiate filter caught asks for — the same on either datapath:
    /// transport mode speaks IKE between the two hosts about the two hosts; a tunnel rule
    /// speaks it from this host's address towards the endpoint (`sourceAddress`, the routing
    /// table's choice) about the filter's subnets.
    init(for packet: PacketSelector, filter: SpecificFilter?, sourceAddress: (IPAddress) -> IPAddress?) {
        self.init(selector: Datapath.selector(for: packet, filter: filter),
                  local: filter?.tunnelEndpoint.flatMap(sourceAddress) ?? packet.source,
                  peer: filter?.tunnelEndpoint ?? packet.destination)
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
///  3. negotiate → the newest SA whose selectors cover the packet → ESP in place → transmit;
///  4. no SA yet → hold a copy (bounded) and, for the first packet to that peer, ask for an
///     acquire; `install` flushes the held packets under the new SA, `negotiationFailed`
///     drops them.
///
/// Inbound clear (an IP packet from the wire, forwarded by the packet filter):
///  1. parse; 2. decide as inbound and not protected: permit → deliver; otherwise drop (a
///     negotiate rule's clear text is dropped unless the action allows inbound passthrough).
///
/// Inbound protected (ESP from the raw socket, or from UDP 4500 with its headers rebuilt):
///  1. SPI → SAD → anti-replay → ICV → decrypt, in place (`SecurityAssociationDatabase`);
///  2. the inner packet must fall within the SA's negotiated selectors (RFC 4301 §5.2);
///  3. the filter table must not block it; 4. deliver.
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
    private let sourceAddress: (IPAddress) -> IPAddress?

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
            return protect(buffer, packet, rank: ruling.rank, now: now)
        }
    }

    private func protect(_ buffer: PacketBuffer, _ packet: PacketSelector, rank: Int?, now: Double) -> AcquireRequest? {
        if let index = table.outbound(for: packet) {
            // The entry's fields are read in place (a copy of it would retain both SAs).
            do {
                let event = try table[index].outbound.encapsulate(buffer, now: now, ivSource: ivSource)
                counters.outboundProtected += 1
                transmit(buffer, to: table[index].peer)
                if event == .soft, !table[index].rekeyRequested {
                    table[index].rekeyRequested = true
                    return AcquireRequest(selector: table[index].selector, local: table[index].local, peer: table[index].peer, rekey: true)
                }
                return nil
            } catch {
                // Expired or exhausted: this SA is done; hold the packet and key afresh.
                remove(inboundSPI: table[index].inboundSPI)
            }
        }
        let request = AcquireRequest(for: packet, filter: rank.map { policy.decider.table.filters[$0] }, sourceAddress: sourceAddress)
        counters.queued += 1
        let before = queue.overflowDrops
        let first = queue.hold(UnsafeRawBufferPointer(buffer.bytes), for: request.peer)
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
        guard table.inboundAllows(spi: spi, packet) else {
            counters.inboundPolicyMismatch += 1
            return
        }
        guard policy.ruling(packet, direction: .inbound, protected: true, now: now).verdict == .permit else {
            counters.inboundBlocked += 1
            return
        }
        counters.inboundProtected += 1
        deliver(buffer)
    }

    // MARK: SAs from IKE

    /// Installs a negotiated pair and sends what waited for it. Throws when the SA parameters
    /// are unusable (the caller reports it and asks IKE to delete the pair).
    public func install(_ pair: NegotiatedSAPair, now: Double) throws(ESPError) {
        let inbound = try SecurityAssociation(pair.inbound, now: now)
        let outbound = try SecurityAssociation(pair.outbound, now: now)
        sad.add(inbound: inbound)
        table.install(.init(selector: pair.selector, peer: pair.peer.address, local: pair.inbound.destination, outbound: outbound,
                            inbound: inbound, transform: pair.transform.description, installedAt: now))
        for held in queue.release(pair.peer.address) {
            do { try flushBuffer.load(held) } catch { continue }
            let before = counters.outboundProtected
            _ = self.outbound(flushBuffer, now: now)
            if counters.outboundProtected > before { counters.queueFlushed += 1 }
        }
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
        policy.pairsNoLongerCovered(table.entries.map { ($0.selector, $0.peer, $0.inboundSPI) }, now: now)
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
                rekeys.append(AcquireRequest(selector: entry.selector, local: entry.local, peer: entry.peer, rekey: true))
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
                            tunnel: { if case .tunnel = entry.outbound.parameters.mode { true } else { false } }())
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
}
