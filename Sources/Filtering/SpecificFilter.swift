import Foundation
import Packet
import Policy

/// How specific a filter is (reference e.2, [NF] — Ward's design, `Docs/filtering.md`):
/// compared field by field, the more specific filter wins:
/// 1. source prefix length (host 32/128 … any 0), 2. destination prefix length,
/// 3. protocol given, 4. source port given, 5. destination port given.
public struct FilterWeight: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var sourcePrefix: Int
    public var destinationPrefix: Int
    public var protocolGiven: Bool
    public var sourcePortGiven: Bool
    public var destinationPortGiven: Bool
    /// For display only: IPv4 prefixes are stored ×4.
    public var isIPv4: Bool = true

    /// One number that orders as the tuple does (shown by `trace`).
    public var value: Int {
        sourcePrefix << 11 | destinationPrefix << 3 | (protocolGiven ? 4 : 0) | (sourcePortGiven ? 2 : 0) | (destinationPortGiven ? 1 : 0)
    }

    public static func < (lhs: FilterWeight, rhs: FilterWeight) -> Bool { lhs.value < rhs.value }
    public static func == (lhs: FilterWeight, rhs: FilterWeight) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    public var description: String {
        let scale = isIPv4 ? 4 : 1
        return "\(value) (source /\(sourcePrefix / scale), destination /\(destinationPrefix / scale), protocol \(protocolGiven ? "given" : "any"), ports \(sourcePortGiven ? "src" : "-")/\(destinationPortGiven ? "dst" : "-"))"
    }
}

/// Where a specific filter came from, for decisions and `trace`.
public struct FilterOrigin: Sendable {
    public var store: String
    /// 0 for the first snapshot (persistent), 1 for the next…: earlier wins ties.
    public var storeRank: Int
    public var policy: IPsecPolicy
    public var rule: Rule
    public var filterList: FilterList
    /// The configured filter (with `me`, `any` and server keywords).
    public var filter: Filter
    public var filterIndex: Int
    /// Whether this is the reverse direction of a mirrored filter.
    public var mirrorCopy: Bool
    public var filterAction: FilterAction
}

/// One concrete filter: keywords expanded to addresses, one direction (reference e.2).
public struct SpecificFilter: Sendable {
    public var source: Subnet
    public var destination: Subnet
    /// nil = any protocol.
    public var protocolNumber: UInt8?
    /// 0 = any.
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var connectionType: ConnectionType
    public var weight: FilterWeight
    public var origin: FilterOrigin

    public var action: FilterAction.Action { origin.filterAction.action }
    public var tunnelEndpoint: IPAddress? { origin.rule.tunnelEndpoint }

    /// Block before permit before negotiate on equal weight: the safest action wins ([NF] g.7).
    var actionRank: Int {
        switch action {
        case .block: 0
        case .permit: 1
        case .negotiate: 2
        }
    }

    /// Whether the packet falls within this filter (the hot path: no strings built).
    public func matches(_ packet: PacketSelector, interface: InterfaceKind) -> Bool {
        if let protocolNumber, protocolNumber != packet.protocolNumber { return false }
        if sourcePort != 0, sourcePort != packet.sourcePort { return false }
        if destinationPort != 0, destinationPort != packet.destinationPort { return false }
        if connectionType == .lan && interface == .dialup || connectionType == .dialup && interface == .lan { return false }
        return source.contains(packet.source) && destination.contains(packet.destination)
    }

    /// The first field that does not match, or nil.
    public func mismatch(_ packet: PacketSelector, interface: InterfaceKind) -> String? {
        if !source.contains(packet.source) { return "source \(packet.source) is not in \(source)" }
        if !destination.contains(packet.destination) { return "destination \(packet.destination) is not in \(destination)" }
        if let protocolNumber, protocolNumber != packet.protocolNumber { return "protocol \(packet.protocolNumber) is not \(protocolNumber)" }
        if sourcePort != 0, sourcePort != packet.sourcePort { return "source port \(packet.sourcePort) is not \(sourcePort)" }
        if destinationPort != 0, destinationPort != packet.destinationPort {
            return "destination port \(packet.destinationPort) is not \(destinationPort)"
        }
        switch (connectionType, interface) {
        case (.lan, .dialup): return "rule applies to LAN interfaces only"
        case (.dialup, .lan): return "rule applies to dial-up interfaces only"
        default: return nil
        }
    }

    /// How many fields differ (for `trace`'s nearest candidates).
    func distance(_ packet: PacketSelector, interface: InterfaceKind) -> Int {
        var count = 0
        if !source.contains(packet.source) { count += 1 }
        if !destination.contains(packet.destination) { count += 1 }
        if let protocolNumber, protocolNumber != packet.protocolNumber { count += 1 }
        if sourcePort != 0, sourcePort != packet.sourcePort { count += 1 }
        if destinationPort != 0, destinationPort != packet.destinationPort { count += 1 }
        if connectionType == .lan && interface == .dialup || connectionType == .dialup && interface == .lan { count += 1 }
        return count
    }

    /// "source → destination protocol ports", in the address form the table uses.
    public var selectorText: String {
        let proto = protocolNumber.map(String.init) ?? "any"
        return "\(source) → \(destination) protocol \(proto) ports \(sourcePort == 0 ? "any" : String(sourcePort))→\(destinationPort == 0 ? "any" : String(destinationPort))"
    }
}
