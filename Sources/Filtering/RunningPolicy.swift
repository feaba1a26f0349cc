import Packet
import Policy

/// The table in force and how it is replaced: a new one is compiled from the snapshots and the
/// current addresses, and swapped in only when compilation succeeds — a policy that cannot be
/// compiled never replaces the running one. The agent calls `update` when a store changes or
/// when the machine's configuration (a new DNS server, a new address) differs from the last.
public final class RunningPolicy {
    public private(set) var decider: PolicyDecider
    /// How many tables have been installed (the first is the empty one).
    public private(set) var generation = 0
    /// The policy whose default response rule answers IKE from peers no filter covers.
    public private(set) var defaultResponse: (store: String, policy: IPsecPolicy)?

    public init(exemptions: Exemptions = .windows2003) {
        decider = PolicyDecider(table: FilterTable([]), exemptions: exemptions)
    }

    /// Decides with the table in force (and its soft associations).
    public func decide(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                       protected: Bool = false, now: Double = 0) -> Decision {
        decider.decide(packet, direction: direction, interface: interface, protected: protected, now: now)
    }

    /// The datapath's decision with the table in force: no text built.
    public func ruling(_ packet: PacketSelector, direction: Direction, interface: InterfaceKind = .lan,
                       protected: Bool = false, now: Double = 0) -> Ruling {
        decider.ruling(packet, direction: direction, interface: interface, protected: protected, now: now)
    }

    /// IKE started for a `soft=yes` action: the 3-second fallback clock starts (reference a.5).
    public func negotiationStarted(with peer: IPAddress, now: Double) {
        decider.softAssociations.negotiationStarted(with: peer, now: now)
    }

    /// The peer answered IKE: never fall back to clear with it.
    public func peerAnswered(_ peer: IPAddress) {
        decider.softAssociations.peerAnswered(peer)
    }

    /// A soft association ended without an IKE answer (idle in the kernel datapath).
    public func softAssociationEnded(_ peer: IPAddress) {
        decider.softAssociations.ended(peer)
    }

    /// Compiles and installs; on failure the running table stays and the error is thrown.
    /// Soft associations survive a recompilation.
    public func update(_ snapshots: [PolicySnapshot], addresses: AddressProvider) throws(CompileError) {
        let filters = try FilterCompiler.compile(snapshots, addresses: addresses)
        var next = PolicyDecider(table: FilterTable(filters), exemptions: decider.exemptions, broadcast: addresses.broadcastAddresses)
        next.softAssociations = decider.softAssociations
        decider = next
        defaultResponse = FilterCompiler.defaultResponse(snapshots)
        generation += 1
    }
}
