import Packet
import Policy

/// How the driver filters before the agent has loaded policy (reference c.8).
public enum BootMode: String, Sendable, CaseIterable {
    /// Outbound traffic and the replies to it pass; other inbound traffic is dropped.
    case stateful
    /// Everything is dropped except boot exemptions and DHCP.
    case block
    /// Nothing is filtered.
    case permit
}

/// One `bootexemptions` entry: `protocol:srcport:dstport:direction` (reference c.6, g.10).
public struct BootExemption: Sendable, Equatable, CustomStringConvertible {
    public var protocolNumber: UInt8?
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var direction: Direction

    public init(protocolNumber: UInt8?, sourcePort: UInt16, destinationPort: UInt16, direction: Direction) {
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.direction = direction
    }

    /// Parses `tcp:0:3389:inbound`; protocol as in filters (ICMP, TCP, UDP, RAW, 0–255), ports
    /// 0 = any (and only with TCP/UDP).
    public init(netsh text: String) throws(CompileError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else {
            throw CompileError(message: "bootexemptions: '\(text)' is not protocol:srcport:dstport:inbound|outbound")
        }
        let selector: ProtocolSelector
        do { selector = try ProtocolSelector(netsh: parts[0]) } catch {
            throw CompileError(message: "bootexemptions: '\(text)': \(error.message)")
        }
        guard let source = UInt16(parts[1]), let destination = UInt16(parts[2]) else {
            throw CompileError(message: "bootexemptions: '\(text)': ports must be 0-65535")
        }
        if (source != 0 || destination != 0) && !selector.hasPorts {
            throw CompileError(message: "bootexemptions: '\(text)': ports need TCP or UDP")
        }
        guard let direction = Direction(rawValue: parts[3].lowercased()) else {
            throw CompileError(message: "bootexemptions: '\(text)': direction must be inbound or outbound")
        }
        self.init(protocolNumber: selector.number, sourcePort: source, destinationPort: destination, direction: direction)
    }

    func matches(_ packet: PacketSelector, direction: Direction) -> Bool {
        direction == self.direction && (protocolNumber == nil || protocolNumber == packet.protocolNumber)
            && (sourcePort == 0 || sourcePort == packet.sourcePort) && (destinationPort == 0 || destinationPort == packet.destinationPort)
    }

    public var description: String {
        "\(ProtocolSelector(protocolNumber)):\(sourcePort):\(destinationPort):\(direction.rawValue)"
    }
}

/// The startup filter: what applies until persistent policy is in force, and whenever the
/// agent is not running (reference c.8). Sans-I/O; the stateful mode remembers outbound flows.
public struct StartupFilter: Sendable {
    public var mode: BootMode
    public var exemptions: [BootExemption]
    /// Outbound flows seen in stateful mode (bounded: the oldest are forgotten).
    private var flows: [PacketSelector] = []
    private var flowSet: Set<PacketSelector> = []
    public static let flowLimit = 65_536

    public init(mode: BootMode = .stateful, exemptions: [BootExemption] = []) {
        self.mode = mode
        self.exemptions = exemptions
    }

    /// DHCP is always allowed at startup (reference c.8).
    static func isDHCP(_ packet: PacketSelector) -> Bool {
        packet.protocolNumber == 17 && ([67, 68].contains(packet.sourcePort) || [67, 68].contains(packet.destinationPort))
            || packet.protocolNumber == 17 && ([546, 547].contains(packet.sourcePort) || [546, 547].contains(packet.destinationPort))
    }

    public mutating func decide(_ packet: PacketSelector, direction: Direction) -> Decision {
        if mode == .permit { return Decision(.permit, reason: "boot mode permit: no filtering") }
        if Self.isDHCP(packet) { return Decision(.permit, reason: "DHCP is always allowed at startup") }
        if let exemption = exemptions.first(where: { $0.matches(packet, direction: direction) }) {
            return Decision(.permit, reason: "boot exemption \(exemption)")
        }
        if mode == .block { return Decision(.block, reason: "boot mode block") }
        if direction == .outbound {
            if flowSet.insert(packet).inserted {
                flows.append(packet)
                if flows.count > Self.flowLimit { flowSet.remove(flows.removeFirst()) }
            }
            return Decision(.permit, reason: "boot mode stateful: outbound traffic starts a flow")
        }
        let reply = PacketSelector(source: packet.destination, destination: packet.source, protocolNumber: packet.protocolNumber,
                                   sourcePort: packet.destinationPort, destinationPort: packet.sourcePort)
        if flowSet.contains(reply) { return Decision(.permit, reason: "boot mode stateful: reply to an outbound flow") }
        return Decision(.block, reason: "boot mode stateful: inbound traffic that answers no outbound flow")
    }
}
