import Packet

/// Which way a packet travels relative to this computer.
public enum Direction: String, Sendable, CaseIterable {
    case inbound, outbound
}

/// The interface kind a packet uses (rules have a connection type, reference a.4).
public enum InterfaceKind: String, Sendable {
    case lan, dialup
}

/// What the filter table looks at: the 5-tuple of an IP packet. Ports are 0 when the protocol
/// has none (they are then matched only by "any port" filters).
public struct PacketSelector: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public var description: String {
        let ports = protocolNumber == 6 || protocolNumber == 17 ? " \(sourcePort)→\(destinationPort)" : ""
        return "\(source) → \(destination) protocol \(protocolNumber)\(ports)"
    }
}
