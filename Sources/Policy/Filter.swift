import Foundation
import Packet

/// One filter of a filter list: a packet selector (reference a.6). Filters have no name;
/// "mirrored" means the reverse direction matches too.
public struct Filter: Hashable, Codable, Sendable {
    public var id: UUID
    public var description: String
    public var source: FilterAddress
    public var destination: FilterAddress
    /// The DNS name the source address was resolved from, kept for display only.
    public var sourceDNSName: String?
    /// The DNS name the destination address was resolved from, kept for display only.
    public var destinationDNSName: String?
    public var protocolSelector: ProtocolSelector
    /// 0 = any.
    public var sourcePort: UInt16
    /// 0 = any.
    public var destinationPort: UInt16
    public var mirrored: Bool

    public init(id: UUID = .random(), description: String = "", source: FilterAddress, destination: FilterAddress,
                sourceDNSName: String? = nil, destinationDNSName: String? = nil,
                protocolSelector: ProtocolSelector = .any, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0,
                mirrored: Bool = true) {
        self.id = id
        self.description = description
        self.source = source
        self.destination = destination
        self.sourceDNSName = sourceDNSName
        self.destinationDNSName = destinationDNSName
        self.protocolSelector = protocolSelector
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.mirrored = mirrored
    }

    /// Enforces the address and port rules of reference a.6 and Appendix B.
    public func validate() throws(ValidationError) {
        if (sourcePort != 0 || destinationPort != 0) && !protocolSelector.hasPorts {
            let field = sourcePort != 0 ? "srcport" : "dstport"
            throw ValidationError(field: field, "ports can be given only with protocol TCP or UDP (protocol is \(protocolSelector))")
        }
        if source.isServer && destination != .me {
            throw ValidationError(field: "dstaddr", "with srcaddr=\(source) the other side must be 'me' (found \(destination))")
        }
        if destination.isServer && source != .me {
            throw ValidationError(field: "srcaddr", "with dstaddr=\(destination) the other side must be 'me' (found \(source))")
        }
        if let a = source.family, let b = destination.family, a != b {
            throw ValidationError(field: "dstaddr", "source \(source) and destination \(destination) are of different IP versions")
        }
        if source == .me && destination == .me {
            throw ValidationError(field: "dstaddr", "a filter from 'me' to 'me' matches no network traffic")
        }
    }

    /// Selector equality: everything but the id and the description.
    public func sameSelector(as other: Filter) -> Bool {
        source == other.source && destination == other.destination && protocolSelector == other.protocolSelector
            && sourcePort == other.sourcePort && destinationPort == other.destinationPort && mirrored == other.mirrored
    }
}

/// A named, shareable set of filters (reference a.6). Filter order has no effect on matching.
public struct FilterList: Hashable, Codable, Sendable {
    public var id: UUID
    public var name: String
    public var description: String
    public var filters: [Filter]
    public var whenChanged: Date

    public init(id: UUID = .random(), name: String, description: String = "", filters: [Filter] = [],
                whenChanged: Date = Date(timeIntervalSince1970: 0)) {
        self.id = id
        self.name = name
        self.description = description
        self.filters = filters
        self.whenChanged = whenChanged
    }

    public var objectName: String { "filter list '\(name)'" }

    public func validate() throws(ValidationError) {
        do throws(ValidationError) {
            try ObjectName.validate(name)
            for filter in filters { try filter.validate() }
        } catch { throw error.on(objectName) }
    }
}
