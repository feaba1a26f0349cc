import Foundation
import Packet
import Policy

/// Which specific filter an SA pair serves, independent of the table it sits in: the same
/// configured filter of the same rule, expanded to the same addresses, under the same filter
/// action. A recompiled table (a store change, a new address) finds the filter again by it;
/// an edited filter, rule or filter action is a different identity, and the SAs of the old
/// one are retired (Windows deletes the SAs of filters that changed).
///
/// An SA is bound to the filter whose acquire created it, or — as responder — to the filter
/// whose selectors contain the peer's proposal (`FilterTable.filter(containing:_:protocolNumber:localPort:remotePort:interface:)`).
/// Outbound traffic goes only under an SA of the filter that decided it; inbound traffic
/// through an SA is delivered only when the table decides it by that filter or its mirror.
public struct FilterIdentity: Hashable, Sendable {
    public var store: String
    public var policyID: UUID
    public var ruleID: UUID
    public var filterListID: UUID
    public var filterID: UUID
    public var filterIndex: Int
    public var mirrorCopy: Bool
    public var source: Subnet
    public var destination: Subnet
    public var protocolNumber: UInt8?
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var tunnelEndpoint: IPAddress?
    /// The whole action: new security methods, PFS or lifetimes make a new identity.
    public var filterAction: FilterAction
}

extension SpecificFilter {
    /// This filter's identity (built when an SA is bound, never per packet).
    public var identity: FilterIdentity {
        FilterIdentity(store: origin.store, policyID: origin.policy.id, ruleID: origin.rule.id, filterListID: origin.filterList.id,
                       filterID: origin.filter.id, filterIndex: origin.filterIndex, mirrorCopy: origin.mirrorCopy, source: source,
                       destination: destination, protocolNumber: protocolNumber, sourcePort: sourcePort, destinationPort: destinationPort,
                       tunnelEndpoint: tunnelEndpoint, filterAction: origin.filterAction)
    }

    /// Whether every packet of `selector` (local → remote, protocol 0 and port 0 meaning any)
    /// falls within this filter: the responder's test for a peer's Quick Mode IDs.
    public func contains(local: Subnet, remote: Subnet, protocolNumber selectorProtocol: UInt8, localPort: UInt16, remotePort: UInt16) -> Bool {
        if let protocolNumber, protocolNumber != selectorProtocol { return false }
        if sourcePort != 0, sourcePort != localPort { return false }
        if destinationPort != 0, destinationPort != remotePort { return false }
        return source.contains(local) && destination.contains(remote)
    }

    /// The names an SA pair bound to this filter is shown with.
    public var names: FilterNames {
        FilterNames(store: origin.store, policy: origin.policy.name, rule: origin.rule.name, filterList: origin.filterList.name, filter: selectorText)
    }
}

/// The names of a specific filter for people: `show qmsas`, `trace`, the log.
public struct FilterNames: Equatable, Sendable, CustomStringConvertible {
    public var store: String
    public var policy: String
    public var rule: String
    public var filterList: String
    /// The specific filter's selectors.
    public var filter: String

    /// "rule 'X' of local policy 'P', filter list 'Y', filter a → b protocol … ports …".
    public var description: String { "rule '\(rule)' of \(store) policy '\(policy)', filter list '\(filterList)', filter \(filter)" }
}

/// The table's bindings, computed once per table: which negotiate filters exist by identity,
/// and which filters are each other's mirror (the two halves of a mirrored filter, or the two
/// tunnel rules of one tunnel, whose selectors are exact reverses). One SA pair serves a
/// filter and its mirror: outbound under the one, inbound checked by the other.
struct FilterBindings {
    /// Per rank: the negotiate filter's identity, built once per table (nil for filters that
    /// permit or block).
    let identities: [FilterIdentity?]
    /// Negotiate filters by identity (the first, most specific, where two are identical).
    let rankByIdentity: [FilterIdentity: Int]
    /// Per rank: the binding class (the lower rank of a filter and its mirror), or -1 for
    /// filters that do not negotiate.
    let classes: [Int32]
    /// Per rank: the tunnel endpoint (nil in transport mode), read on the hot path.
    let tunnelEndpoints: [IPAddress?]

    init(_ filters: [SpecificFilter]) {
        struct Reverse: Hashable {
            var source: Subnet, destination: Subnet, protocolNumber: Int16, sourcePort: UInt16, destinationPort: UInt16
        }
        var byIdentity: [FilterIdentity: Int] = [:]
        var firstBySelectors: [Reverse: Int] = [:]
        var classes = [Int32](repeating: -1, count: filters.count)
        var identities = [FilterIdentity?](repeating: nil, count: filters.count)
        for (rank, filter) in filters.enumerated() where filter.action == .negotiate {
            let identity = filter.identity
            identities[rank] = identity
            if byIdentity[identity] == nil { byIdentity[identity] = rank }
            let own = Reverse(source: filter.source, destination: filter.destination, protocolNumber: filter.protocolNumber.map(Int16.init) ?? -1,
                              sourcePort: filter.sourcePort, destinationPort: filter.destinationPort)
            let mirror = Reverse(source: filter.destination, destination: filter.source, protocolNumber: own.protocolNumber,
                                 sourcePort: filter.destinationPort, destinationPort: filter.sourcePort)
            if let other = firstBySelectors[mirror] {
                classes[rank] = classes[other]
            } else {
                classes[rank] = Int32(rank)
            }
            if firstBySelectors[own] == nil { firstBySelectors[own] = rank }
        }
        self.identities = identities
        rankByIdentity = byIdentity
        self.classes = classes
        tunnelEndpoints = filters.map(\.tunnelEndpoint)
    }
}
