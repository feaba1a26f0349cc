import ESP
import Foundation
import Filtering
import IKE
import Packet
import Transforms
import XFRM

/// The kernel backend: the filter table becomes XFRM policies, negotiated pairs become XFRM
/// states, and the kernel does the per-packet work (`Docs/datapath.md`, "Kernel backend").
/// Sans-I/O apart from the injected `XFRMChannel`: tests drive it with a recording fake, the
/// agent with a netlink socket.
///
///  1. `adoptPrevious` at start: the policies a previous run left (Ward's priority band) are
///     taken over, so the new table replaces them in place — protected traffic never meets a
///     moment without its policy; the previous run's SAs (Ward's reqid) are deleted, their
///     keys died with it; `resumeRequests` renegotiates what they carried, so traffic
///     resumes even in a direction this host only receives (INITIAL-CONTACT tells the peer
///     to drop its half);
///  2. `synchronize` after every table change: policies added or replaced (XFRM_MSG_UPDPOLICY,
///     atomic per selector), then the ones no longer wanted deleted;
///  3. `install`/`remove`: both SAs of a pair, inbound first, with the reqid of the filter the
///     pair is bound to — each filter binding (a filter and its mirror) has its own reqid
///     (`reqids(for:)`), in its templates and its SAs, so the kernel sends a filter's traffic
///     only under that filter's SAs and accepts inbound only what arrived under them;
///  4. `handle` the kernel's events: an acquire (a packet met a template with no SA; the
///     kernel holds or drops it) becomes an `AcquireRequest` as the userspace datapath would
///     build it; a soft expiry of an outbound SA asks for a rekey once; a hard one removes the
///     pair and tells IKE.
/// When the agent dies, policies and SAs stay in the kernel: negotiate traffic either uses a
/// live SA or waits for an acquire nobody answers — it is never sent in the clear.
public final class KernelDatapath: DatapathBackend {
    public let policy: RunningPolicy
    private let channel: XFRMChannel
    private let sourceAddress: (IPAddress) -> IPAddress?
    /// The kernel's own counters (`/proc/net/xfrm_stat`, by name), for the totals.
    private let kernelStatistics: () -> [String: UInt64]
    /// Ward's policies in the kernel, by the key the kernel identifies them with.
    public private(set) var installedPolicies: [XFRMPolicy.Key: XFRMPolicy] = [:]
    private var ownCounters = DatapathCounters()
    /// Acquires, and the kernel's inbound policy refusals: a packet that arrived under an SA
    /// whose reqid is not its policy's template's (another rule's SA) or outside the SA's
    /// selector (`XfrmInTmplMismatch`, `XfrmInStateMismatch`).
    public var counters: DatapathCounters {
        var counters = ownCounters
        let kernel = kernelStatistics()
        counters.inboundPolicyMismatch = (kernel["XfrmInTmplMismatch"] ?? 0) + (kernel["XfrmInStateMismatch"] ?? 0)
        return counters
    }
    /// The reqid of each filter binding, by the identities of its members, kept while the
    /// agent runs so a recompiled table keeps its SAs usable.
    private var reqidByFilter: [FilterIdentity: UInt32] = [:]
    private var nextReqid = XFRMPolicyCompiler.reqids.lowerBound + 1
    private var retired = IPsecStatistics()
    /// The previous run's SAs, deleted at start (`adoptPrevious`), for `resumeRequests`.
    private var previousStates: [XFRMStateInfo] = []

    struct Entry {
        let selector: TrafficSelector
        let peer: IPAddress
        let local: IPAddress
        let inbound: SAParameters
        let outbound: SAParameters
        let transform: String
        let installedAt: Double
        /// The filter the pair serves (nil: the default response rule) and the reqid it carries.
        let filter: FilterIdentity?
        let reqid: UInt32
        let serves: FilterNames?
        var rekeyRequested = false
    }

    private(set) var entries: [Entry] = []

    public init(policy: RunningPolicy, channel: XFRMChannel, sourceAddress: @escaping (IPAddress) -> IPAddress? = { _ in nil },
                kernelStatistics: @escaping () -> [String: UInt64] = { [:] }) {
        self.policy = policy
        self.channel = channel
        self.sourceAddress = sourceAddress
        self.kernelStatistics = kernelStatistics
    }

    /// Whether this kernel can hold an ESP SA (AES-CBC with HMAC-SHA1): a probe state on the
    /// loopback address is added and deleted. Kernels built without ESP refuse it; the agent
    /// then says so at start (traffic the policy secures would wait forever — closed, but
    /// useless).
    public func probeESP() -> XFRMError? {
        let loopback = IPAddress.v4(IPv4Address(127, 0, 0, 1)), spi: UInt32 = 0x5741_0001
        let probe = XFRMState(source: loopback, destination: loopback, spi: spi, securityProtocol: 50, tunnel: false, reqid: XFRMPolicyCompiler.reqid,
                              selector: nil, replayWindow: 0, extendedSequenceNumbers: false,
                              algorithms: [XFRMAlgorithm(.encryption, name: "cbc(aes)", key: [UInt8](repeating: 0, count: 16)),
                                           XFRMAlgorithm(.authentication(truncationBits: 96), name: "hmac(sha1)", key: [UInt8](repeating: 0, count: 20))],
                              udpEncapsulation: nil, lifetime: XFRMLifetime(hardSeconds: 5))
        do { try channel.perform(probe.add, describing: "probe ESP with an SA on 127.0.0.1") } catch { return error }
        try? channel.perform(XFRMState.delete(destination: loopback, spi: spi, securityProtocol: 50), describing: "delete the ESP probe")
        return nil
    }

    // MARK: policies

    /// Takes over what a previous run left: returns how many policies were adopted and how
    /// many SAs deleted.
    public func adoptPrevious() throws(XFRMError) -> (policies: Int, states: Int) {
        for message in try channel.query(XFRMPolicy.dump, describing: "dump XFRM policies") {
            guard let policy = try? XFRMPolicy(decoding: message), XFRMPolicyCompiler.band.contains(policy.priority) else { continue }
            installedPolicies[policy.key] = policy
        }
        var deleted = 0
        for message in try channel.query(XFRMState.dump, describing: "dump XFRM states") {
            guard let state = try? XFRMStateInfo(decoding: message), XFRMPolicyCompiler.reqids.contains(state.reqid) else { continue }
            previousStates.append(state)
            try? channel.perform(XFRMState.delete(destination: state.destination, spi: state.spi, securityProtocol: state.securityProtocol),
                                 describing: "delete the previous run's SA spi 0x\(String(state.spi, radix: 16))")
            deleted += 1
        }
        return (installedPolicies.count, deleted)
    }

    /// Negotiations that bring back what the previous run's outbound SAs carried (those leaving
    /// one of `localAddresses`), where the table in force still negotiates it; asked once,
    /// after the policy is in force.
    public func resumeRequests(localAddresses: Set<IPAddress>, now: Double) -> [AcquireRequest] {
        defer { previousStates.removeAll() }
        var requests: [AcquireRequest] = []
        for state in previousStates where state.spi != 0 && localAddresses.contains(state.source) {
            guard let flow = state.selector else { continue }
            let packet = PacketSelector(source: flow.source.network, destination: flow.destination.network, protocolNumber: flow.protocolNumber,
                                        sourcePort: flow.sourcePort, destinationPort: flow.destinationPort)
            guard case .negotiate(let rank) = policy.ruling(packet, direction: .outbound, now: now) else { continue }
            let request = AcquireRequest(selector: TrafficSelector(local: flow.source, remote: flow.destination, protocolID: flow.protocolNumber,
                                                                   localPort: flow.sourcePort, remotePort: flow.destinationPort),
                                         local: state.source, peer: state.destination, filter: policy.decider.table.identity(rank))
            if !requests.contains(request) { requests.append(request) }
        }
        return requests
    }

    /// Makes the kernel's SPD match `policies`: adds and replaces first, then deletes what is
    /// no longer wanted. Every policy is tried; the first refusal is thrown after the rest.
    public func synchronize(_ policies: [XFRMPolicy]) throws(XFRMError) -> (changed: Int, removed: Int) {
        var firstError: XFRMError?
        var changed = 0, removed = 0
        let wanted = Dictionary(policies.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for policy in policies where installedPolicies[policy.key] != policy {
            do {
                try channel.perform(policy.update, describing: "install XFRM policy \(policy)")
                installedPolicies[policy.key] = policy
                changed += 1
            } catch {
                firstError = firstError ?? error
            }
        }
        for (key, policy) in installedPolicies where wanted[key] == nil {
            do {
                try channel.perform(XFRMPolicy.delete(key), describing: "delete XFRM policy \(policy)")
            } catch where error.code == ENOENT {
                // Gone already (someone flushed the SPD).
            } catch {
                firstError = firstError ?? error
                continue
            }
            installedPolicies[key] = nil
            removed += 1
        }
        // The slots of soft associations' clear paths moved with the filters: they go now and
        // come back at the new slots on the next tick (until then the traffic waits — closed).
        if changed + removed > 0 { dropSoftAssociationPolicies() }
        if let firstError { throw firstError }
        return (changed, removed)
    }

    /// An orderly stop: Ward's SAs and policies leave the kernel — the ones it knows by
    /// selector, then whatever a dump still shows in Ward's band, by the kernel's index.
    /// Returns what could not be removed.
    public func removeAll() -> [XFRMError] {
        var failures: [XFRMError] = []
        for entry in entries { deleteStates(entry) }
        entries.removeAll()
        for policies in softAssociations.values { for policy in policies { installedPolicies[policy.key] = policy } }
        softAssociations.removeAll()
        for (key, policy) in installedPolicies {
            do { try channel.perform(XFRMPolicy.delete(key), describing: "delete XFRM policy \(policy)") } catch where error.code == ENOENT {
            } catch { failures.append(error) }
        }
        installedPolicies.removeAll()
        do {
            for message in try channel.query(XFRMPolicy.dump, describing: "dump XFRM policies") {
                guard let policy = try? XFRMPolicy(decoding: message), XFRMPolicyCompiler.band.contains(policy.priority),
                      let index = try? XFRMPolicy.index(of: message) else { continue }
                do { try channel.perform(XFRMPolicy.delete(index: index, direction: policy.direction), describing: "delete XFRM policy \(policy) (index \(index))") } catch {
                    failures.append(error)
                }
            }
        } catch { failures.append(error) }
        return failures
    }

    // MARK: bindings

    /// Per rank of `table`, the reqid of the filter's binding (0 for filters that do not
    /// negotiate). A binding keeps the reqid any of its members had before, so the SAs of a
    /// filter that survives a recompilation stay usable; new bindings get fresh ones.
    public func reqids(for table: FilterTable) -> [UInt32] {
        var byClass: [Int32: UInt32] = [:]
        var members: [Int32: [Int]] = [:]
        for rank in table.filters.indices where table.bindingClass(rank) >= 0 {
            let bindingClass = table.bindingClass(rank)
            members[bindingClass, default: []].append(rank)
            if byClass[bindingClass] == nil, let identity = table.identity(rank), let known = reqidByFilter[identity] { byClass[bindingClass] = known }
        }
        var result = [UInt32](repeating: 0, count: table.filters.count)
        var kept: [FilterIdentity: UInt32] = [:]
        for entry in entries { if let filter = entry.filter { kept[filter] = entry.reqid } }
        var used = Set(byClass.values).union(kept.values).union(reqidByFilter.values)
        for (bindingClass, ranks) in members.sorted(by: { $0.key < $1.key }) {
            let reqid = byClass[bindingClass] ?? allocateReqid(avoiding: &used)
            byClass[bindingClass] = reqid
            for rank in ranks {
                result[rank] = reqid
                if let identity = table.identity(rank) { kept[identity] = reqid }
            }
        }
        reqidByFilter = kept
        return result
    }

    /// A reqid of Ward's range not in `used` (which it joins). Should all 65,534 be taken, the
    /// default one is shared: those bindings' SAs could then carry each other's traffic, but
    /// nothing is ever sent in the clear.
    private func allocateReqid(avoiding used: inout Set<UInt32>) -> UInt32 {
        let range = XFRMPolicyCompiler.reqids
        for _ in 0..<range.count {
            let candidate = nextReqid
            nextReqid = nextReqid == range.upperBound ? range.lowerBound + 1 : nextReqid + 1
            if candidate != XFRMPolicyCompiler.reqid && used.insert(candidate).inserted { return candidate }
        }
        return XFRMPolicyCompiler.reqid
    }

    /// The reqid a pair bound to `filter` carries: its binding's in the table in force.
    private func reqid(for filter: FilterIdentity?) -> UInt32? {
        guard let filter else { return XFRMPolicyCompiler.reqid }
        return reqidByFilter[filter]
    }

    // MARK: SAs

    @discardableResult
    public func install(_ pair: NegotiatedSAPair, now: Double) throws -> [AcquireRequest] {
        guard let reqid = reqid(for: pair.filter) else {
            throw XFRMError(operation: "install SA spi 0x\(String(pair.inbound.spi, radix: 16))", code: 0,
                            detail: "the filter it was negotiated for is no longer in force")
        }
        let inbound = try Self.state(pair.inbound, source: pair.outbound.destination, selector: pair.selector, inbound: true, reqid: reqid)
        let outbound = try Self.state(pair.outbound, source: pair.inbound.destination, selector: pair.selector, inbound: false, reqid: reqid)
        try channel.perform(inbound.add, describing: "install inbound SA spi 0x\(String(inbound.spi, radix: 16))")
        do {
            try channel.perform(outbound.add, describing: "install outbound SA spi 0x\(String(outbound.spi, radix: 16))")
        } catch {
            try? channel.perform(XFRMState.delete(destination: inbound.destination, spi: inbound.spi, securityProtocol: inbound.securityProtocol),
                                 describing: "delete inbound SA")
            throw error
        }
        let table = policy.decider.table
        let serves = pair.filter.flatMap { table.rank(of: $0) }.map { table.filters[$0].names }
        entries.append(Entry(selector: pair.selector, peer: pair.peer.address, local: pair.inbound.destination, inbound: pair.inbound,
                             outbound: pair.outbound, transform: pair.transform.description, installedAt: now, filter: pair.filter,
                             reqid: reqid, serves: serves))
        return []
    }

    public func remove(inboundSPI: UInt32) {
        guard let index = entries.firstIndex(where: { $0.inbound.spi == inboundSPI }) else { return }
        let entry = entries.remove(at: index)
        let (inbound, outbound) = statistics(entry)
        retired.add(inbound)
        retired.add(outbound)
        deleteStates(entry)
    }

    private func deleteStates(_ entry: Entry) {
        for sa in [entry.outbound, entry.inbound] {
            try? channel.perform(XFRMState.delete(destination: sa.destination, spi: sa.spi, securityProtocol: sa.securityProtocol.rawValue),
                                 describing: "delete SA spi 0x\(String(sa.spi, radix: 16))")
        }
    }

    /// The kernel enforces SA lifetimes and reports them as events (`handle`); the clock
    /// drives soft associations.
    public func tick(now: Double) -> (rekeys: [AcquireRequest], expired: [UInt32]) {
        startSoftAssociations(now: now)
        return ([], [])
    }

    // MARK: soft associations (reference a.5)

    /// Clear-text policies of soft associations, by peer.
    public private(set) var softAssociations: [IPAddress: [XFRMPolicy]] = [:]

    /// A `soft=yes` negotiation that got no IKE answer for 3 seconds lets traffic with the peer
    /// go in the clear (reference a.5) — the decider says when, exactly as on the userspace
    /// datapath. In the kernel: for each soft negotiate filter covering the two hosts, an
    /// `allow` policy narrowed to those hosts (and the filter's protocol and ports) in the free
    /// slot just ahead of the filter, each direction, so a more specific permit or block still
    /// wins; with a 5-minute idle lifetime ([NF] g.14) the kernel enforces — used, it stays.
    /// Its selector carries `softAssociationOwner`: a host-to-host filter has the very same
    /// traffic, and without the tag the kernel would take the clear path for a replacement of
    /// the filter's policy (and deleting it later would delete the filter's).
    func startSoftAssociations(now: Double) {
        let associations = policy.decider.softAssociations
        for peer in associations.pendingPeers + associations.activePeers where softAssociations[peer] == nil {
            guard let local = sourceAddress(peer), local.isIPv4 == peer.isIPv4,
                  case .softAssociation = policy.ruling(PacketSelector(source: local, destination: peer, protocolNumber: 0, sourcePort: 0, destinationPort: 0),
                                                        direction: .outbound, now: now) else { continue }
            let lifetime = XFRMLifetime(hardIdleSeconds: UInt64(policy.decider.softAssociations.idleTimeout))
            var policies: [XFRMPolicy] = []
            for (rank, filter) in policy.decider.table.filters.enumerated()
            where filter.action == .negotiate && filter.origin.filterAction.fallbackToClear {
                for (direction, from, to) in [(XFRMDirection.outbound, local, peer), (.inbound, peer, local)]
                where filter.source.contains(from) && filter.destination.contains(to) {
                    policies.append(XFRMPolicy(selector: XFRMSelector(source: Subnet(host: from), destination: Subnet(host: to),
                                                                      protocolNumber: filter.protocolNumber ?? 0,
                                                                      sourcePort: filter.sourcePort, destinationPort: filter.destinationPort,
                                                                      owner: XFRMPolicyCompiler.softAssociationOwner),
                                               direction: direction, action: .allow, priority: XFRMPolicyCompiler.softPriority(forRank: rank),
                                               lifetime: lifetime))
                }
            }
            do {
                for policy in policies { try channel.perform(policy.update, describing: "install soft association \(policy)") }
                softAssociations[peer] = policies
            } catch {
                for policy in policies { try? channel.perform(XFRMPolicy.delete(policy.key), describing: "delete soft association") }
            }
        }
    }

    private func dropSoftAssociationPolicies() {
        for policies in softAssociations.values {
            for policy in policies { try? channel.perform(XFRMPolicy.delete(policy.key), describing: "move soft association \(policy)") }
        }
        softAssociations.removeAll()
    }

    public func peerAnswered(_ peer: IPAddress) {
        guard let policies = softAssociations.removeValue(forKey: peer) else { return }
        for policy in policies { try? channel.perform(XFRMPolicy.delete(policy.key), describing: "end soft association \(policy)") }
    }

    /// The kernel removed an idle soft-association policy: the pair goes, and the decider
    /// forgets the association so the next packet negotiates again.
    private func softAssociationExpired(_ key: XFRMPolicy.Key) {
        guard let (peer, policies) = softAssociations.first(where: { $0.value.contains { $0.key == key } }) else { return }
        softAssociations[peer] = nil
        for policy in policies where policy.key != key { try? channel.perform(XFRMPolicy.delete(policy.key), describing: "end soft association") }
        policy.softAssociationEnded(peer)
    }

    /// The kernel holds (or dropped) the packets; it asks again when its acquire state times out.
    public func negotiationFailed(peer: IPAddress) {}

    /// As on the userspace datapath, and pairs whose binding's reqid changed (their filter now
    /// shares a binding with another that had its own): the kernel would no longer use them.
    public func pairsNoLongerCovered(now: Double) -> [UInt32] {
        let stale = entries.filter { $0.filter != nil && reqid(for: $0.filter) != $0.reqid }.map(\.inbound.spi)
        let gone = policy.pairsNoLongerCovered(entries.map { ($0.selector, $0.peer, $0.filter, $0.inbound.spi) }, now: now)
        return gone + stale.filter { !gone.contains($0) }
    }

    // MARK: kernel events

    /// Turns the kernel's events into negotiations to start and pairs that expired (removed;
    /// IKE should send a Delete for them).
    public func handle(_ event: XFRMEvent, now: Double) -> (acquires: [AcquireRequest], expired: [UInt32]) {
        switch event {
        case .acquire(let flow, _, let priority):
            // A policy the table no longer has (the acquire raced a table change) asks nothing:
            // the next packet meets the new policy.
            guard let rank = XFRMPolicyCompiler.rank(forPriority: priority), rank < policy.decider.table.filters.count,
                  policy.decider.table.filters[rank].action == .negotiate else { return ([], []) }
            let packet = PacketSelector(source: flow.source.network, destination: flow.destination.network, protocolNumber: flow.protocolNumber,
                                        sourcePort: flow.sourcePort, destinationPort: flow.destinationPort)
            ownCounters.acquires += 1
            return ([AcquireRequest(for: packet, rank: rank, in: policy.decider.table, sourceAddress: sourceAddress)], [])
        case .policyExpire(let key, _, let hard):
            if hard { softAssociationExpired(key) }
            return ([], [])
        case .expire(let state, let hard):
            guard let index = entries.firstIndex(where: { $0.outbound.spi == state.spi && $0.outbound.destination == state.destination
                || $0.inbound.spi == state.spi && $0.inbound.destination == state.destination }) else { return ([], []) }
            let outbound = entries[index].outbound.spi == state.spi
            if hard {
                let spi = entries[index].inbound.spi
                remove(inboundSPI: spi)
                return ([], [spi])
            }
            guard outbound, !entries[index].rekeyRequested else { return ([], []) }
            entries[index].rekeyRequested = true
            let entry = entries[index]
            return ([AcquireRequest(selector: entry.selector, local: entry.local, peer: entry.peer, filter: entry.filter, rekey: true)], [])
        }
    }

    // MARK: monitor

    /// The pair the kernel would pick: one with the reqid of the deciding filter's binding,
    /// towards its peer, whose selector covers the packet (the newest, as the kernel prefers).
    public func outboundChoice(for packet: PacketSelector, now: Double) -> OutboundSAChoice {
        let ruling = policy.ruling(packet, direction: .outbound, now: now)
        guard case .negotiate(let rank) = ruling else { return .notNegotiated(ruling) }
        let request = AcquireRequest(for: packet, rank: rank, in: policy.decider.table, sourceAddress: sourceAddress)
        let wanted = reqid(for: request.filter)
        if let entry = entries.last(where: { entry in
            entry.reqid == wanted && entry.peer == request.peer
                && SecurityAssociationTable.covers(entry.selector, local: packet.source, remote: packet.destination, protocolNumber: packet.protocolNumber,
                                                   localPort: packet.sourcePort, remotePort: packet.destinationPort)
        }) {
            return .securityAssociation(outboundSPI: entry.outbound.spi, inboundSPI: entry.inbound.spi, peer: entry.peer, transform: entry.transform)
        }
        return .negotiation(request)
    }

    /// Each SA's traffic as the kernel counts it (one GETSA per SA: the monitor asks rarely).
    private func statistics(_ entry: Entry) -> (inbound: IPsecStatistics, outbound: IPsecStatistics) {
        func info(_ sa: SAParameters) -> XFRMStateInfo? {
            guard let answer = try? channel.query(XFRMState.get(destination: sa.destination, spi: sa.spi, securityProtocol: sa.securityProtocol.rawValue),
                                                  describing: "read SA spi 0x\(String(sa.spi, radix: 16))").first else { return nil }
            return try? XFRMStateInfo(decoding: answer)
        }
        var inbound = IPsecStatistics(), outbound = IPsecStatistics()
        let tunnel: Bool = { if case .tunnel = entry.outbound.mode { true } else { false } }()
        let confidential = entry.outbound.encryption != nil && entry.outbound.encryption != .null
        if let state = info(entry.outbound) {
            outbound.packetsSent = state.packets
            outbound.authenticatedBytesSent = state.bytes
            if confidential { outbound.confidentialBytesSent = state.bytes }
            if tunnel { outbound.bytesSentInTunnels = state.bytes } else { outbound.transportBytesSent = state.bytes }
        }
        if let state = info(entry.inbound) {
            inbound.packetsReceived = state.packets
            inbound.authenticatedBytesReceived = state.bytes
            if confidential { inbound.confidentialBytesReceived = state.bytes }
            if tunnel { inbound.bytesReceivedInTunnels = state.bytes } else { inbound.transportBytesReceived = state.bytes }
            inbound.packetsWithReplayDetection = UInt64(state.replayed)
            inbound.packetsNotAuthenticated = UInt64(state.integrityFailed)
        }
        return (inbound, outbound)
    }

    public var securityAssociations: [InstalledSAPair] {
        entries.map { entry in
            let (inbound, outbound) = statistics(entry)
            return InstalledSAPair(selector: entry.selector, peer: entry.peer, outboundSPI: entry.outbound.spi, inboundSPI: entry.inbound.spi,
                                   transform: entry.transform, installedAt: entry.installedAt, inbound: inbound, outbound: outbound,
                                   udpEncapsulated: entry.outbound.udpEncapsulation != nil,
                                   tunnel: { if case .tunnel = entry.outbound.mode { true } else { false } }(), serves: entry.serves)
        }
    }

    public var totalStatistics: IPsecStatistics {
        var total = retired
        for entry in entries {
            let (inbound, outbound) = statistics(entry)
            total.add(inbound)
            total.add(outbound)
        }
        // What no SA can be charged with, from the kernel's own counters (RFC 4301 §4.4.2 audit).
        let kernel = kernelStatistics()
        total.badSPIPackets = kernel["XfrmInNoStates"] ?? 0
        total.malformedPackets = (kernel["XfrmInHdrError"] ?? 0) + (kernel["XfrmInStateProtoError"] ?? 0)
        return total
    }

    // MARK: SA parameters → XFRM

    /// The XFRM form of one SA: outer addresses, mode, the negotiated selector (seen from the
    /// SA's direction), algorithms by their kernel names, lifetimes, NAT-T ports.
    static func state(_ sa: SAParameters, source: IPAddress, selector: TrafficSelector, inbound: Bool,
                      reqid: UInt32 = XFRMPolicyCompiler.reqid) throws(XFRMError) -> XFRMState {
        var outerSource = source, outerDestination = sa.destination, tunnel = false
        if case .tunnel(let from, let to) = sa.mode {
            outerSource = from
            outerDestination = to
            tunnel = true
        }
        let flow = inbound
            ? XFRMSelector(source: selector.remote, destination: selector.local, protocolNumber: selector.protocolID,
                           sourcePort: selector.remotePort, destinationPort: selector.localPort)
            : XFRMSelector(source: selector.local, destination: selector.remote, protocolNumber: selector.protocolID,
                           sourcePort: selector.localPort, destinationPort: selector.remotePort)
        var algorithms: [XFRMAlgorithm] = []
        if let encryption = sa.encryption {
            guard let algorithm = xfrmAlgorithm(encryption, key: sa.encryptionKey) else {
                throw XFRMError(operation: "SA spi 0x\(String(sa.spi, radix: 16))", code: 0, detail: "the kernel backend has no name for \(encryption)")
            }
            algorithms.append(algorithm)
        }
        if let integrity = sa.integrity {
            algorithms.append(XFRMAlgorithm(.authentication(truncationBits: integrity.icvLength * 8), name: kernelName(integrity), key: sa.integrityKey))
        }
        let lifetime = XFRMLifetime(softBytes: sa.lifetime.softBytes, hardBytes: sa.lifetime.hardBytes,
                                    softSeconds: UInt64(sa.lifetime.softSeconds.rounded(.up)), hardSeconds: UInt64(sa.lifetime.hardSeconds.rounded(.up)))
        return XFRMState(source: outerSource, destination: outerDestination, spi: sa.spi, securityProtocol: sa.securityProtocol.rawValue, tunnel: tunnel,
                         reqid: reqid, selector: flow.source.network.isIPv4 == flow.destination.network.isIPv4 ? flow : nil,
                         replayWindow: inbound ? sa.replayWindow : 0, extendedSequenceNumbers: sa.extendedSequenceNumbers,
                         algorithms: algorithms, udpEncapsulation: sa.udpEncapsulation, lifetime: lifetime)
    }

    static func xfrmAlgorithm(_ encryption: EncryptionAlgorithm, key: [UInt8]) -> XFRMAlgorithm? {
        switch encryption {
        case .null: XFRMAlgorithm(.encryption, name: "ecb(cipher_null)", key: [])
        case .desCBC: XFRMAlgorithm(.encryption, name: "cbc(des)", key: key)
        case .tripleDESCBC: XFRMAlgorithm(.encryption, name: "cbc(des3_ede)", key: key)
        case .aesCBC: XFRMAlgorithm(.encryption, name: "cbc(aes)", key: key)
        case .aesGCM16: XFRMAlgorithm(.aead(icvBits: 128), name: "rfc4106(gcm(aes))", key: key)
        case .chacha20Poly1305: XFRMAlgorithm(.aead(icvBits: 128), name: "rfc7539esp(chacha20,poly1305)", key: key)
        }
    }

    static func kernelName(_ integrity: IntegrityAlgorithm) -> String {
        switch integrity {
        case .hmacMD5_96: "hmac(md5)"
        case .hmacSHA1_96: "hmac(sha1)"
        case .hmacSHA256_128: "hmac(sha256)"
        case .hmacSHA384_192: "hmac(sha384)"
        case .hmacSHA512_256: "hmac(sha512)"
        }
    }
}
