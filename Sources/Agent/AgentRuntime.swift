import Certificates
import DomainClient
import ESP
import Filtering
import Foundation
import GroupPolicy
import IKE
import Packet
import Platform
import Policy
import PolicyStore

/// Set by SIGTERM/SIGINT; the loop ends at its next turn.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

/// `wardd`: the datapath, IKE and the control API on the machine's devices and sockets.
///
/// The loop (userspace datapath; the kernel datapath's is in `AgentRuntime+Kernel`), once
/// everything is set up — the persistent policy in force first, then the local one, then the
/// steering, then the boot-time filter removed:
///  1. poll IKE's UDP 500/4500 sockets (first: see `ikeSources`), the TUN devices, the raw ESP
///     sockets (IPv4, IPv6) and the control socket (50 ms at most); read only what poll
///     reported ready;
///  2. outbound TUN → `Datapath.outbound` (permit / block / ESP / hold and acquire);
///     inbound TUN → strip the Ethernet header nftables' forward kept → `Datapath.inboundClear`;
///     raw ESP (IPv6: header rebuilt), and non-IKE datagrams on 4500 (headers rebuilt) →
///     `Datapath.inboundProtected`; UDP 500/4500 IKE → `IKEEngine.receive`; each socket
///     drained a bounded batch per turn;
///  3. IKE's actions: send datagrams, install SA pairs in the backend (the userspace one flushes
///     held packets), delete;
///  4. every 100 ms tick IKE; every second tick SA lifetimes (rekey, expiry) and check the
///     stores and the machine's addresses, recompiling the table when they changed;
///  5. answer one control request per waiting connection.
public final class AgentRuntime: PacketSink {
    let configuration: AgentConfiguration
    let log: Log
    /// The table in force. `ipsecexempt` is read once, at start (reference c.7: a change needs
    /// a restart).
    public private(set) lazy var policy = RunningPolicy(exemptions: (try? Exemptions(level: settings.ipsecexempt)) ?? .windows2003)
    lazy var datapath = Datapath(policy: policy, sink: self, sourceAddress: SourceAddress.toward)
    /// The kernel backend, when `configuration.datapath` is `.kernel`.
    var kernel: KernelDatapath?
    /// Whichever datapath does the per-packet work.
    var backend: DatapathBackend { kernel ?? datapath }
    /// What IKE asks about policy; certificate methods see the store through it.
    lazy var policyProvider = RunningPolicyProvider(policy)
    lazy var engine = IKEEngine(policy: policyProvider)
    /// The certificate store's generation and `strongcrlcheck` when the store was last read.
    var certificateState: (generation: Int, crlCheck: Int)?
    /// CRLs from distribution points, fetched off the loop into the certificate store.
    lazy var crlFetcher = RevocationListFetcher(store: CertificateFileStore(directory: configuration.certificatePath))
    let loader: PolicyLoader
    /// `ipsec dynamic` rules and policies: in memory only, compiled ahead of the stores.
    var dynamic = DynamicPolicy()
    /// The stores' policies as last read successfully (a store that cannot be read keeps these).
    var storeSnapshots: [PolicySnapshot] = []
    /// The domain's policy (Group Policy), when a GPO assigns one: it takes the local
    /// policy's place (`AgentRuntime+GroupPolicy`).
    var domainLayer: DomainLayer?
    /// The Group Policy client's thread, with `wardd --domain`.
    var groupPolicy: GroupPolicyWorker?
    /// The last Group Policy result (for RSoP) and the state of the domain layer, in words.
    var groupPolicyResult: GroupPolicyResult?
    var groupPolicyStatus = "no domain (wardd --domain not given)"
    /// The KDCs Kerberos in IKE depends on (krb5.conf or DNS), found at start.
    var kerberosKDCs: [IPAddress] = []
    /// The last cycle reached no controller or read something that could not be applied.
    var groupPolicyCycleFailed = false
    /// Whether the current outage of the domain controllers was already logged.
    var domainOutageLogged = false
    var machine = SystemConfiguration.read()
    var settings: AgentSettings
    let startedAt = Date()
    private let clockOrigin = MonotonicClock.seconds()

    private var outboundDevice: TunDevice!
    private var inboundDevice: TunDevice!
    private var rawESP: RawIPSocket!
    private var rawESP6: RawESP6Socket?
    private var rawSend4: RawIPSocket!
    private var rawSend6: RawIPSocket?
    var ikeSockets: [UDPSocket] = []
    var control: UnixControlSocket!
    private let buffer = PacketBuffer()
    private var lastIKETick = 0.0, lastSecond = 0.0, lastDiagnostics = 0.0
    /// The drop counters at the last diagnostics summary.
    private var diagnosticsBaseline = (DatapathCounters(), IPsecStatistics())
    /// Bytes of link-layer header in front of each packet read from the inbound device (set
    /// by the steering mechanism).
    private var linkHeaderLength = 0
    /// Store problems are reported once per distinct message.
    private var lastCompileProblem: String?
    /// The inbound policy mismatches already logged (one line a second at most, with the count).
    private var mismatchesLogged: UInt64 = 0
    /// Why the table in force is what it is (for `show config` and the logs).
    public private(set) var policySummary = "no policy loaded yet"
    /// How long the last successful compile took (seconds), and when its table went in force.
    private(set) var lastCompileSeconds = 0.0
    private(set) var lastPolicyChange: Date?
    /// Where the loop hands its snapshot once a second (the console); called on the loop, so
    /// it must only store the value and return.
    public var monitor: (@Sendable (AgentSnapshot) -> Void)?

    public init(configuration: AgentConfiguration, log: Log) {
        self.configuration = configuration
        self.log = log
        loader = PolicyLoader(path: configuration.storePath)
        settings = AgentSettings.load(path: configuration.configPath)
    }

    /// Seconds since the agent started (the clock every engine is fed).
    var now: Double { MonotonicClock.seconds() - clockOrigin }

    // MARK: setup and teardown

    /// Opens devices and sockets, installs the steering rules, loads the policy, and runs until
    /// SIGTERM or SIGINT; then removes what it installed. Throws when setup fails (after undoing
    /// what was done).
    public func run() throws {
        signal(SIGTERM) { _ in stopRequested = 1 }
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
        if configuration.datapath == .kernel { return try runKernel() }
        var steering = configuration.steering
        steering.interfaces = configuration.interfaces ?? PacketSteering.ethernetInterfaces()
        do {
            outboundDevice = try TunDevice(name: steering.outboundDevice)
            inboundDevice = try TunDevice(name: steering.inboundDevice)
            rawESP = try RawIPSocket(receiving: 50, mark: steering.agentMark)
            rawSend4 = try RawIPSocket(receiving: nil, mark: steering.agentMark)
            rawSend6 = try? RawIPSocket(receiving: nil, mark: steering.agentMark, ipv6: true)
            control = try UnixControlSocket(path: configuration.socketPath)
            rawESP6 = try? RawESP6Socket(mark: steering.agentMark)
            openIKESockets(mark: steering.agentMark, kernelDecapsulation: false)
        } catch {
            outboundDevice?.remove()
            inboundDevice?.remove()
            throw error
        }
        loadStartupPolicy()
        let mechanism: PacketSteering.Mechanism
        do {
            mechanism = try steering.install()
            linkHeaderLength = mechanism.inboundLinkHeaderLength
        } catch {
            steering.uninstall()
            outboundDevice.remove()
            inboundDevice.remove()
            throw error
        }
        removeBootFilter()
        log(.notice, "started", ["steering": mechanism.rawValue, "interfaces": steering.interfaces.joined(separator: ","), "ike": ikeSockets.map { "\($0.address):\($0.port)" }.joined(separator: ","),
                                 "socket": configuration.socketPath, "policy": policySummary])
        loop(ikeSources() + [(outboundDevice.descriptor, drainOutbound), (inboundDevice.descriptor, drainInbound),
                             (rawESP.descriptor, drainESP), (rawESP6?.descriptor ?? -1, drainESP6)])
        groupPolicy?.stop()
        log(.notice, "stopping", ["sas": datapath.table.count])
        for entry in datapath.table.entries { perform(engine.delete(inboundSPI: entry.inboundSPI, now: now)) }
        steering.uninstall()
        outboundDevice.remove()
        inboundDevice.remove()
        log(.notice, "stopped")
    }

    /// IKE on every IPv4 address and every global IPv6 address (link-local ones would need a
    /// scope; IPsec between link-local peers is not offered). An address that cannot be bound
    /// (still tentative, going away) is skipped and logged: one address must not keep the
    /// agent from protecting the others. `kernelDecapsulation`: port 4500 hands ESP in UDP to
    /// the kernel's SAD (kernel datapath).
    func openIKESockets(mark: UInt32?, kernelDecapsulation: Bool) {
        for address in machine.localAddresses {
            if case .v6(let v6) = address, v6.high >> 54 == 0x3FA { continue }  // fe80::/10
            do {
                let natTraversal = try UDPSocket(address: address, port: 4500, mark: mark)
                if kernelDecapsulation { try natTraversal.decapsulateESPInKernel() }
                ikeSockets += [try UDPSocket(address: address, port: 500, mark: mark), natTraversal]
            } catch {
                log(.warning, "IKE not bound", ["address": address, "reason": error])
            }
        }
    }

    /// IKE's sockets as poll sources. They come first in every turn: a responder installs its
    /// SAs on Quick Mode message 3, and the initiator's first ESP packets leave right behind
    /// that message — read in the other order they would meet no SA yet.
    func ikeSources() -> [(Int32, (Double) -> Void)] {
        ikeSockets.map { socket in (socket.descriptor, { [unowned self] now in drainIKE(socket, now) }) }
    }

    /// The agent's loop over `sources` (descriptor, what drains it) and the control socket.
    /// Only what poll reported readable is read: an empty read is a wasted system call, and
    /// under load most turns find one or two descriptors ready.
    func loop(_ sources: [(Int32, (Double) -> Void)]) {
        var descriptors = sources.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: control.descriptor, events: Int16(POLLIN), revents: 0))
        let controlIndex = sources.count
        func ready(_ index: Int) -> Bool { descriptors[index].revents & Int16(POLLIN | POLLERR) != 0 }
        while stopRequested == 0 {
            _ = poll(&descriptors, nfds_t(descriptors.count), 50)
            let now = self.now
            for (index, source) in sources.enumerated() where ready(index) { source.1(now) }
            if now - lastIKETick >= 0.1 {
                lastIKETick = now
                perform(engine.tick(now: now))
            }
            if now - lastSecond >= configuration.storeCheckInterval {
                lastSecond = now
                everySecond(now)
                publishSnapshot()
            }
            while ready(controlIndex), let connection = control.accept(refusal: ControlResponse(status: 1, output: "access denied: the control socket is root-only").encoded) {
                connection.respond(handle(connection.request).encoded)
            }
        }
    }

    private static let batch = 256

    private func drainOutbound(_ now: Double) {
        for _ in 0..<Self.batch {
            guard outboundDevice.read(into: buffer) else { return }
            if let request = datapath.outbound(buffer, now: now) { acquire(request, now: now) }
        }
    }

    private func drainInbound(_ now: Double) {
        for _ in 0..<Self.batch {
            guard inboundDevice.read(into: buffer) else { return }
            if linkHeaderLength > 0 {
                // An Ethernet header, ending in the EtherType, comes off first.
                guard buffer.count > linkHeaderLength, let etherType = try? buffer.uint16(at: linkHeaderLength - 2),
                      etherType == 0x0800 || etherType == 0x86DD, (try? buffer.removeFront(linkHeaderLength)) != nil else {
                    continue
                }
            }
            datapath.inboundClear(buffer, now: now)
        }
    }

    private func drainESP(_ now: Double) {
        for _ in 0..<Self.batch {
            guard rawESP.read(into: buffer) else { return }
            datapath.inboundProtected(buffer, now: now)
        }
    }

    private func drainESP6(_ now: Double) {
        guard let rawESP6 else { return }
        for _ in 0..<Self.batch {
            guard rawESP6.read(into: buffer) else { return }
            datapath.inboundProtected(buffer, now: now)
        }
    }

    func drainIKE(_ socket: UDPSocket, _ now: Double) {
        for _ in 0..<Self.batch {
            var sender: (IPAddress, UInt16)?
            buffer.fill { room in
                guard let (count, from, port) = socket.receive(into: room) else { return -1 }
                sender = (from, port)
                return count
            }
            guard let (from, port) = sender else { return }
            if socket.port == 4500 {
                if buffer.count == 1 && buffer.bytes[0] == 0xFF { continue }  // NAT keepalive (RFC 3948 §2.3)
                if buffer.count >= 4, (try? buffer.uint32(at: 0)) != 0 {
                    // ESP in UDP: put the headers back so the SAD sees the packet as sent.
                    do { try UDPEncapsulationHeaders.restore(buffer, from: from, port: port, to: socket.address, port: 4500) } catch { continue }
                    datapath.inboundProtected(buffer, now: now)
                    continue
                }
            }
            let datagram = IKEDatagram(payload: Array(buffer.bytes), local: .init(socket.address, socket.port), remote: .init(from, port))
            if settings.ikelogging == 1 { logIKE("received", datagram) }
            perform(engine.receive(datagram, now: now))
        }
    }

    private func everySecond(_ now: Double) {
        let lifetimes = backend.tick(now: now)
        for request in lifetimes.rekeys { acquire(request, now: now) }
        logInboundMismatches()
        for spi in lifetimes.expired { perform(engine.delete(inboundSPI: spi, now: now)) }
        if settings.ipsecdiagnostics > 0, now - lastDiagnostics >= Double(settings.ipsecloginterval) {
            logDiagnostics()
            lastDiagnostics = now
        }
        refreshCertificates()
        drainGroupPolicy()
        let current = SystemConfiguration.read()
        if current != machine {
            machine = current
            reloadPolicy(force: true)
        } else {
            reloadPolicy(force: false)
        }
    }

    // MARK: policy

    /// At start: the persistent store's policy is put in force first, then the local one
    /// joins (reference e.1 — persistent policy protects the host while the rest loads). A
    /// kernel datapath that adopted a previous run's policies skips the intermediate step:
    /// those cover the local policy's traffic too, and a persistent-only table would take
    /// them away for a moment.
    func loadStartupPolicy() {
        refreshCertificates()
        setUpKerberos()
        loadDomainCache()
        if kernel?.installedPolicies.isEmpty ?? true, let snapshots = try? loader.snapshots() {
            let persistent = snapshots.filter { $0.store == StoreLocation.persistent.rawValue }
            if !persistent.isEmpty, persistent.count < snapshots.count {
                storeSnapshots = persistent
                if applyPolicy() == nil { log(.notice, "persistent policy in force; the local policy follows") }
            }
        }
        reloadPolicy(force: true)
        startGroupPolicy()
    }

    /// The boot-time filter (`wardd --boot`) has done its work once the policy is in force.
    func removeBootFilter() {
        if BootFilter.remove() { log(.notice, "boot-time filter removed; the policy is in force") }
    }

    /// Reads the stores when they changed (or `force`), compiles, and swaps the table in. A
    /// store that cannot be read or a policy that cannot be compiled leaves the running table
    /// as it is, and is reported once.
    func reloadPolicy(force: Bool) {
        let polling = Double(storeSnapshots.map(\.policy.pollingIntervalMinutes).min() ?? IPsecPolicy.defaultPollingIntervalMinutes) * 60
        guard loader.shouldReload(now: now, pollingInterval: polling) || force else { return }
        let previous = storeSnapshots
        do {
            storeSnapshots = try loader.snapshots()
        } catch {
            report("\(error)")
            return
        }
        if let problem = applyPolicy() {
            storeSnapshots = previous
            report(problem)
        }
    }

    private func report(_ problem: String) {
        if problem != lastCompileProblem {
            log(.error, "policy not applied; the running table stays", ["reason": problem])
            lastCompileProblem = problem
        }
    }

    /// Compiles the dynamic rules and the stores' policies into a new table and swaps it in;
    /// returns why not when it does not compile (the running table then stays).
    func applyPolicy() -> String? {
        let layers = effectiveStoreSnapshots
        let started = MonotonicClock.seconds()
        do {
            try policy.update(dynamic.snapshots() + layers, addresses: machine)
        } catch {
            return "\(error)"
        }
        lastCompileSeconds = MonotonicClock.seconds() - started
        lastPolicyChange = Date()
        var names = layers.map { "\($0.policy.name) (\($0.store))" }
        if !dynamic.rules.isEmpty { names.insert("\(dynamic.rules.count) dynamic rule(s)", at: 0) }
        let summary = names.isEmpty ? "no policy assigned" : names.joined(separator: ", ")
        log(.notice, "policy applied", ["policies": summary, "filters": policy.decider.table.filters.count, "generation": policy.generation])
        policySummary = summary
        lastCompileProblem = nil
        checkKerberosReachability()
        if let kernel { synchronizeKernelPolicies(kernel) }
        for spi in backend.pairsNoLongerCovered(now: now) {
            log(.notice, "SA no longer covered by the policy; deleting", ["spi_in": hex(spi)])
            perform(engine.delete(inboundSPI: spi, now: now))
        }
        return nil
    }

    // MARK: IKE

    func acquire(_ request: AcquireRequest, now: Double) {
        log(.info, request.rekey ? "rekey" : "acquire", ["peer": request.peer, "selector": request.selector,
                                                         "rule": request.filter.map { filterName($0) } ?? "none"])
        policy.negotiationStarted(with: request.peer, now: now)
        perform(engine.acquire(request.selector, local: request.local, peer: request.peer, filter: request.filter, now: now))
    }

    func perform(_ actions: [IKEAction]) {
        for action in actions {
            switch action {
            case .send(let datagram):
                if settings.ikelogging == 1 { logIKE("sent", datagram) }
                guard let socket = ikeSockets.first(where: { $0.address == datagram.local.address && $0.port == datagram.local.port })
                        ?? ikeSockets.first(where: { $0.port == datagram.local.port && $0.address.isIPv4 == datagram.remote.address.isIPv4 }) else {
                    log(.warning, "no IKE socket", ["local": datagram.local.address, "port": datagram.local.port])
                    continue
                }
                do { try datagram.payload.withUnsafeBytes { try socket.send($0, to: datagram.remote.address, port: datagram.remote.port) } } catch {
                    log(.warning, "IKE send failed", ["peer": datagram.remote.address, "reason": error])
                }
            case .install(let pair):
                do {
                    let waiting = try backend.install(pair, now: now)
                    if let path = configuration.oracleKeyLog { OracleKeyLog(path: path).record(pair) }
                    policy.peerAnswered(pair.peer.address)
                    backend.peerAnswered(pair.peer.address)
                    log(.notice, "quick mode SA installed", ["peer": pair.peer.address, "selector": pair.selector, "transform": pair.transform,
                                                            "spi_in": hex(pair.inbound.spi), "spi_out": hex(pair.outbound.spi),
                                                            "udp": pair.outbound.udpEncapsulation != nil,
                                                            "rule": pair.filter.map { filterName($0) } ?? "default response"])
                    for request in waiting { acquire(request, now: now) }
                } catch {
                    log(.error, "SA not installed", ["peer": pair.peer.address, "reason": error])
                    perform(engine.delete(inboundSPI: pair.inbound.spi, now: now))
                }
            case .delete(let inboundSPI, let outboundSPI, let peer):
                backend.remove(inboundSPI: inboundSPI)
                log(.notice, "quick mode SA deleted", ["peer": peer, "spi_in": hex(inboundSPI), "spi_out": hex(outboundSPI)])
            case .event(let event):
                switch event {
                case .negotiationFailed(let peer, let reason):
                    backend.negotiationFailed(peer: peer)
                    log(.warning, "negotiation failed", ["peer": peer, "reason": reason])
                case .authenticationFailed(let peer, let reason):
                    backend.negotiationFailed(peer: peer)
                    log(.warning, "authentication failed", ["peer": peer, "reason": reason])
                case .mainModeEstablished(let peer, let cookies, let transform):
                    policy.peerAnswered(peer)
                    backend.peerAnswered(peer)
                    log(.notice, "main mode SA established", ["peer": peer, "cookies": cookies, "transform": transform])
                case .natDetected(let peer, let localBehindNAT, let peerBehindNAT):
                    log(.notice, "NAT detected", ["peer": peer, "local_behind_nat": localBehindNAT, "peer_behind_nat": peerBehindNAT])
                case .peerDeleted(let peer, let spi):
                    log(.info, "peer sent delete", ["peer": peer, "spi": spi.map(hex) ?? "ISAKMP SA"])
                case .notified(let peer, let type):
                    log(.info, "peer notified", ["peer": peer, "type": type])
                }
            }
        }
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// "rule 'X' filter list 'Y' filter a → b", for the log.
    private func filterName(_ filter: FilterIdentity) -> String {
        let table = policy.decider.table
        return table.rank(of: filter).map { "\(table.filters[$0].names)" } ?? "a filter no longer in force (\(filter.source) → \(filter.destination))"
    }

    /// Inbound packets that came through another rule's SA (`Datapath.lastMismatch`): one line
    /// a second at most, naming the SA, the filter it serves, the filter that decided the
    /// packet, and how many were dropped since the last line.
    private func logInboundMismatches() {
        let count = backend.counters.inboundPolicyMismatch
        guard count > mismatchesLogged else { return }
        let dropped = count - mismatchesLogged
        mismatchesLogged = count
        guard kernel == nil, let mismatch = datapath.lastMismatch else {
            // The kernel checks each packet against its policy's template (reqid) and counts
            // the refusals (XfrmInTmplMismatch); it does not say which SA.
            log(.warning, "inbound policy mismatch: dropped by the kernel", ["dropped": dropped])
            return
        }
        let table = policy.decider.table
        func name(_ rank: Int) -> String {
            guard mismatch.generation == policy.generation, rank >= 0, rank < table.filters.count else { return rank < 0 ? "none" : "(an earlier table)" }
            return "\(table.filters[rank].names)"
        }
        log(.warning, "inbound policy mismatch: dropped", ["dropped": dropped, "spi": hex(mismatch.spi), "packet": mismatch.packet,
                                                          "sa_serves": name(mismatch.boundRank),
                                                          "decided_by": mismatch.outsideSelectors ? "outside the SA's selectors" : name(mismatch.decidedByRank)])
    }

    // MARK: diagnostics (set config ikelogging, ipsecdiagnostics, ipsecloginterval)

    /// `ikelogging=1`: one line per IKE message — direction, peer, ports, exchange type and
    /// length (the header only; never payloads, which hold nonces, keys and hashes).
    private func logIKE(_ direction: String, _ datagram: IKEDatagram) {
        let payload = datagram.payload
        let marker = datagram.local.port == 4500 ? 4 : 0
        let exchange = payload.count > marker + 18 ? String(payload[marker + 18]) : "?"
        log(.info, "ike message", ["direction": direction, "peer": datagram.remote.address, "peer_port": datagram.remote.port,
                                   "local_port": datagram.local.port, "exchange": exchange, "bytes": payload.count])
    }

    /// `ipsecdiagnostics` ≥ 1: every `ipsecloginterval` seconds, one summary of what the driver
    /// dropped since the last one (as Windows writes its summarised drop events), if anything.
    private func logDiagnostics() {
        let counters = backend.counters, statistics = backend.totalStatistics
        let (before, beforeStatistics) = diagnosticsBaseline
        diagnosticsBaseline = (counters, statistics)
        let drops: KeyValuePairs<String, Any> = [
            "blocked_out": counters.outboundBlocked - before.outboundBlocked, "blocked_in": counters.inboundBlocked - before.inboundBlocked,
            "clear_dropped": counters.inboundClearDropped - before.inboundClearDropped,
            "policy_mismatch": counters.inboundPolicyMismatch - before.inboundPolicyMismatch,
            "held_dropped": counters.queueDropped - before.queueDropped, "malformed": counters.malformed - before.malformed,
            "bad_spi": statistics.badSPIPackets - beforeStatistics.badSPIPackets,
            "not_authenticated": statistics.packetsNotAuthenticated - beforeStatistics.packetsNotAuthenticated,
            "replayed": statistics.packetsWithReplayDetection - beforeStatistics.packetsWithReplayDetection,
        ]
        guard drops.contains(where: { ($0.value as? UInt64 ?? 0) > 0 }) else { return }
        log(.notice, "ipsec diagnostics", drops)
    }

    // MARK: PacketSink

    public func transmit(_ packet: UnsafeRawBufferPointer, to destination: IPAddress) -> Bool {
        if destination.isIPv4 { return rawSend4.send(packet, to: destination) }
        return rawSend6?.send(packet, to: destination) ?? false
    }

    public func deliver(_ packet: UnsafeRawBufferPointer) -> Bool {
        inboundDevice.write(packet)
    }
}
