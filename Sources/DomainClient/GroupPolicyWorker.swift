import Directory
import DomainPolicy
import Filtering
import Foundation
import GroupPolicy
import Packet
import Platform
import Policy

/// The agent's Group Policy client: a thread of its own (LDAP is blocking; the packet loop must
/// never wait on a domain controller) that follows `GroupPolicySchedule` and hands what it
/// found to the agent's loop as `Event`s.
///
/// One cycle:
///  1. find the controllers (DNS SRV `_ldap._tcp.dc._msdcs.<domain>`) and bind to the first
///     that answers, as the computer, signed and sealed; none answers → `.unreachable`, and
///     the schedule backs off;
///  2. at a refresh: discover the GPOs and which one assigns the IPsec policy;
///  3. read the assigned policy's stamp; unchanged (and not forced) → `.unchanged`;
///  4. otherwise fetch the closure, decode it → `.applied` (or `.failed` naming the object).
public final class GroupPolicyWorker: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var domain: String
        public var identity: MachineIdentity
        public var refreshBase: Double = 5_400
        public var refreshJitter: Double = 1_800
        /// Overrides every policy's polling interval (seconds; labs and tests).
        public var pollOverride: Double?
        public var timeoutSeconds = 10

        public init(domain: String, identity: MachineIdentity) {
            self.domain = domain
            self.identity = identity
        }
    }

    public enum Event: Sendable {
        /// A new or changed policy, decoded, and the record to cache once it is in force.
        case applied(PolicySnapshot, DomainPolicyCache.Record)
        /// The policy is as last read; the GPO list was read again (a refresh) or not.
        case unchanged(GroupPolicyResult)
        /// A successful read found no GPO assigning an IPsec policy to this computer.
        case noPolicy(GroupPolicyResult)
        /// No controller answered (the last one's error), retried in `retry` seconds.
        case unreachable(String, retry: Double)
        /// The directory answered with something that cannot be used (named).
        case failed(String, GroupPolicyResult?)
    }

    public let configuration: Configuration
    private let condition = NSCondition()
    private var events: [Event] = []
    private var schedule: GroupPolicySchedule
    private var forced = false
    private var contentRejected = false
    private var stopping = false
    private var cycles = 0
    private var lastResult: GroupPolicyResult?
    private var lastStamp: [String]?
    private var lastPolicyDN: String?
    private var pollInterval: Double
    /// The controllers DNS named last (the worker's thread only).
    private var knownControllers: [String] = []
    /// The content of the policy last handed over, without the controller-local change
    /// stamps (the worker's thread only): a stamp differs on every controller, so a read from
    /// another one fetches again; the same content is then no change.
    private var lastContent: [DirectoryEntry]?
    private let clock: @Sendable () -> Double
    private let addresses: @Sendable () -> [IPAddress]

    /// - Parameters:
    ///   - cached: the record the agent started with: its stamp spares a fetch when the
    ///     directory still holds the same policy.
    ///   - addresses: the host's addresses (for its site), read on the worker's thread.
    public init(configuration: Configuration, cached: DomainPolicyCache.Record?, clock: @escaping @Sendable () -> Double,
                addresses: @escaping @Sendable () -> [IPAddress]) {
        self.configuration = configuration
        self.clock = clock
        self.addresses = addresses
        schedule = GroupPolicySchedule(refreshBase: configuration.refreshBase, refreshJitter: configuration.refreshJitter, now: clock())
        lastStamp = cached?.stamp
        lastPolicyDN = cached?.policyDN
        lastResult = cached?.result
        knownControllers = cached.map { [$0.result.controller] } ?? []
        lastContent = cached.map { Self.content($0.directoryEntries) }
        pollInterval = configuration.pollOverride ?? Double(IPsecPolicy.defaultPollingIntervalMinutes * 60)
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ward-group-policy"
        thread.start()
    }

    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// `gpupdate`: a cycle now, re-reading everything. Returns the cycle number whose
    /// completion answers it (`completedCycles` reaches it).
    public func updateNow() -> Int {
        condition.lock()
        defer { condition.unlock() }
        forced = true
        schedule.updateNow(now: clock())
        condition.signal()
        return cycles + 1
    }

    /// Cycles finished so far.
    public var completedCycles: Int {
        condition.lock()
        defer { condition.unlock() }
        return cycles
    }

    /// The events since the last call (the agent's loop drains them every second).
    public func takeEvents() -> [Event] {
        condition.lock()
        defer { condition.unlock() }
        let taken = events
        events = []
        return taken
    }

    /// The agent could not put the last `.applied` policy in force: the next poll fetches it
    /// again rather than taking the unchanged stamp as applied.
    public func rejected() {
        condition.lock()
        lastStamp = nil
        contentRejected = true
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            var work = schedule.due(now: clock())
            while work == nil, !stopping {
                _ = condition.wait(until: Date(timeIntervalSinceNow: min(schedule.wait(now: clock()), 60)))
                work = schedule.due(now: clock())
            }
            if stopping { condition.unlock(); return }
            let force = forced
            forced = false
            if contentRejected { lastContent = nil; contentRejected = false }
            let known = (lastStamp, lastPolicyDN, lastResult)
            condition.unlock()

            let (event, state) = cycle(work!, force: force, known: known)

            condition.lock()
            let now = clock()
            if case .unreachable = event {
                schedule.unreachable(now: now)
                events.append(.unreachable(state.message ?? "no domain controller answered", retry: schedule.wait(now: now)))
            } else {
                schedule.succeeded(work!, now: now, pollInterval: state.pollInterval ?? pollInterval)
                if let interval = state.pollInterval { pollInterval = interval }
                events.append(event)
            }
            if let result = state.result { lastResult = result }
            if state.updateStamp { lastStamp = state.stamp; lastPolicyDN = state.policyDN }
            cycles += 1
            condition.unlock()
        }
    }

    private struct CycleState {
        var result: GroupPolicyResult?
        var stamp: [String]?
        var policyDN: String?
        var updateStamp = false
        var pollInterval: Double?
        var message: String?
    }

    private func cycle(_ work: GroupPolicySchedule.Work, force: Bool,
                       known: ([String]?, String?, GroupPolicyResult?)) -> (Event, CycleState) {
        var state = CycleState()
        let connection: LDAPConnection
        do {
            connection = try connect()
        } catch {
            state.message = "\(error)"
            return (.unreachable("\(error)", retry: 0), state)
        }
        do {
            var result = known.2
            if work == .refresh || force || result == nil {
                result = try GroupPolicyDiscovery(directory: connection).discover(account: configuration.identity.account,
                                                                                 addresses: addresses(), now: Date())
            }
            guard let result else { throw GroupPolicyError("no Group Policy result") }
            state.result = result
            guard let applied = result.applied, let policyDN = applied.policyDN else {
                state.updateStamp = true
                return (.noPolicy(result), state)
            }
            let reader = AssignedPolicyReader(directory: connection, namingContext: result.domain)
            if !force, known.1?.lowercased() == policyDN.lowercased(), let stamp = known.0, try reader.stamp(of: policyDN) == stamp {
                return (.unchanged(result), state)
            }
            let (entries, stamp) = try reader.fetch(policyDN)
            state.stamp = stamp
            state.policyDN = policyDN
            let content = Self.content(entries)
            if content == lastContent, known.1?.lowercased() == policyDN.lowercased() {
                state.updateStamp = true
                return (.unchanged(result), state)
            }
            let snapshot = try AssignedPolicyReader.snapshot(of: policyDN, entries: entries, namingContext: result.domain, gpoName: applied.gpoName)
            state.updateStamp = true
            lastContent = content
            state.pollInterval = configuration.pollOverride ?? Double(snapshot.policy.pollingIntervalMinutes * 60)
            return (.applied(snapshot, DomainPolicyCache.Record(result: result, policyDN: policyDN, namingContext: result.domain,
                                                                stamp: stamp, entries: entries)), state)
        } catch let error as DirectoryError {
            // The controller bound, then failed: as if it had not answered.
            state.message = "\(error)"
            return (.unreachable("\(error)", retry: 0), state)
        } catch {
            return (.failed("\(error)", state.result), state)
        }
    }

    /// Entries in DN order without `whenChanged` and `uSNChanged`, which each controller keeps
    /// for itself.
    static func content(_ entries: [DirectoryEntry]) -> [DirectoryEntry] {
        entries.map { entry in
            var stripped = entry
            stripped.attributes["whenchanged"] = nil
            stripped.attributes["usnchanged"] = nil
            return stripped
        }.sorted { $0.dn.lowercased() < $1.dn.lowercased() }
    }

    /// The first controller of the domain that binds, in SRV order. When DNS does not answer
    /// (its server is often a controller that just went away), the controllers it named last
    /// time, or the one the cached policy came from, are tried: a DNS outage alone must not
    /// cut the host off from the controllers that are still up.
    private func connect() throws(DirectoryError) -> LDAPConnection {
        if let found = try? DomainControllerLocator.controllers(of: configuration.domain), !found.isEmpty {
            knownControllers = found
        }
        let servers = knownControllers.isEmpty ? [configuration.domain] : knownControllers
        return try DomainControllerLocator.connect(to: servers, timeoutSeconds: configuration.timeoutSeconds)
    }
}
