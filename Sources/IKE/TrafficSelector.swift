import Packet

/// What one Quick Mode SA pair protects, from this side's point of view (RFC 2409 §5.5
/// IDci/IDcr, RFC 2407 §4.6.2): local and remote addresses, an IP protocol and ports, where 0
/// means any.
public struct TrafficSelector: Hashable, Sendable, CustomStringConvertible {
    public var local: Subnet
    public var remote: Subnet
    public var protocolID: UInt8
    public var localPort: UInt16
    public var remotePort: UInt16

    public init(local: Subnet, remote: Subnet, protocolID: UInt8 = 0, localPort: UInt16 = 0, remotePort: UInt16 = 0) {
        self.local = local
        self.remote = remote
        self.protocolID = protocolID
        self.localPort = localPort
        self.remotePort = remotePort
    }

    /// Host to host between two addresses, every protocol.
    public static func hosts(_ local: IPAddress, _ remote: IPAddress) -> TrafficSelector {
        TrafficSelector(local: Subnet(host: local), remote: Subnet(host: remote))
    }

    /// The same traffic seen from the peer.
    public var reversed: TrafficSelector {
        TrafficSelector(local: remote, remote: local, protocolID: protocolID, localPort: remotePort, remotePort: localPort)
    }

    public var description: String {
        let proto = protocolID == 0 ? "" : " proto \(protocolID)"
        func side(_ subnet: Subnet, _ port: UInt16) -> String { port == 0 ? subnet.description : "\(subnet):\(port)" }
        return "\(side(local, localPort)) <-> \(side(remote, remotePort))\(proto)"
    }

    /// The ID payload naming one side: an address ID for a host, a subnet ID otherwise.
    static func identification(_ subnet: Subnet, protocolID: UInt8, port: UInt16) -> Identification {
        if subnet.isHost { return .address(subnet.network, protocolID: protocolID, port: port) }
        switch subnet.network {
        case .v4(let network):
            let mask = IPv4Address(subnet.prefixLength == 0 ? 0 : UInt32.max << (32 - UInt32(subnet.prefixLength)))
            return Identification(kind: .ipv4Subnet, protocolID: protocolID, port: port, data: network.octets + mask.octets)
        case .v6(let network):
            var mask = [UInt8](repeating: 0, count: 16)
            for bit in 0..<subnet.prefixLength { mask[bit / 8] |= 0x80 >> UInt8(bit % 8) }
            return Identification(kind: .ipv6Subnet, protocolID: protocolID, port: port, data: network.octets + mask)
        }
    }

    /// Reads an address or subnet ID (the only kinds Quick Mode selectors use here). Throws
    /// naming the field when the data has the wrong size or a non-contiguous mask.
    static func subnet(from id: Identification, payload: String) throws(ISAKMPError) -> Subnet {
        func bad(_ detail: String) -> ISAKMPError { ISAKMPError(payload, "identification data", offset: 0, detail) }
        func prefix(_ mask: ArraySlice<UInt8>) throws(ISAKMPError) -> Int {
            var length = 0, ended = false
            for byte in mask {
                for bit in 0..<8 {
                    let set = byte & (0x80 >> UInt8(bit)) != 0
                    if set && ended { throw bad("mask is not contiguous") }
                    if set { length += 1 } else { ended = true }
                }
            }
            return length
        }
        switch id.kind {
        case .ipv4Address, .ipv6Address:
            let width = id.kind == .ipv4Address ? 4 : 16
            guard id.data.count == width, let address = IPAddress(octets: id.data) else { throw bad("\(id.data.count) bytes, expected \(width)") }
            return Subnet(host: address)
        case .ipv4Subnet, .ipv6Subnet:
            let width = id.kind == .ipv4Subnet ? 4 : 16
            guard id.data.count == 2 * width, let address = IPAddress(octets: id.data.prefix(width)) else {
                throw bad("\(id.data.count) bytes, expected \(2 * width)")
            }
            let length = try prefix(id.data.suffix(width))
            guard let subnet = Subnet(address: address, prefixLength: length) else { throw bad("address has bits outside the mask") }
            return subnet
        default:
            throw bad("ID type \(id.kind) cannot name Quick Mode traffic (address or subnet only)")
        }
    }
}
