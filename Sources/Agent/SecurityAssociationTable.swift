import ESP
import Filtering
import IKE
import Packet

/// The installed SA pairs as the datapath needs them: outbound, which SA protects a packet
/// (RFC 4301 §5.1: the SPD entry's selectors, here the negotiated ones); inbound, which
/// selectors a packet that came through an SA must fall within (§5.2 step 4). The inbound SAs
/// themselves live in `SecurityAssociationDatabase`, found by SPI.
///
/// Lookups scan a small array and build nothing: a host has a handful of SA pairs, rekeying
/// adds one for a while, and the newest match wins (the rekeyed pair replaces the old one for
/// outbound traffic at once; the old one still accepts what is in flight).
final class SecurityAssociationTable {
    struct Entry {
        let selector: TrafficSelector
        /// Where ESP goes: the peer (transport) or the tunnel endpoint.
        let peer: IPAddress
        /// This host's outer address.
        let local: IPAddress
        let outbound: SecurityAssociation
        let inbound: SecurityAssociation
        var inboundSPI: UInt32 { inbound.spi }
        let transform: String
        let installedAt: Double
        /// Whether a rekey was asked for (soft lifetime).
        var rekeyRequested = false
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    func install(_ entry: Entry) { entries.append(entry) }

    /// The newest SA whose selector covers the outbound packet.
    func outbound(for packet: PacketSelector) -> Int? {
        var index = entries.count - 1
        while index >= 0 {
            if Self.covers(entries[index].selector, local: packet.source, remote: packet.destination, protocolNumber: packet.protocolNumber,
                           localPort: packet.sourcePort, remotePort: packet.destinationPort) { return index }
            index -= 1
        }
        return nil
    }

    /// An entry, borrowed or modified in place (a plain getter would copy it, retaining both
    /// SAs, on every packet).
    subscript(index: Int) -> Entry {
        _read { yield entries[index] }
        _modify { yield &entries[index] }
    }

    /// Whether an inbound packet that came through the SA `spi` falls within that SA's selector.
    func inboundAllows(spi: UInt32, _ packet: PacketSelector) -> Bool {
        // By index: `for entry in entries` would copy each entry, retaining its SAs, per packet.
        for index in entries.indices where entries[index].inbound.spi == spi {
            return Self.covers(entries[index].selector, local: packet.destination, remote: packet.source, protocolNumber: packet.protocolNumber,
                               localPort: packet.destinationPort, remotePort: packet.sourcePort)
        }
        return false
    }

    /// Removes the pair with this inbound SPI; returns it.
    @discardableResult
    func remove(inboundSPI: UInt32) -> Entry? {
        guard let index = entries.firstIndex(where: { $0.inboundSPI == inboundSPI }) else { return nil }
        return entries.remove(at: index)
    }

    /// Removes every pair with `peer` (a restarted peer, a policy change).
    func removeAll(where predicate: (Entry) -> Bool) -> [Entry] {
        let removed = entries.filter(predicate)
        entries.removeAll(where: predicate)
        return removed
    }

    static func covers(_ selector: TrafficSelector, local: IPAddress, remote: IPAddress, protocolNumber: UInt8,
                       localPort: UInt16, remotePort: UInt16) -> Bool {
        if selector.protocolID != 0 && selector.protocolID != protocolNumber { return false }
        if selector.localPort != 0 && selector.localPort != localPort { return false }
        if selector.remotePort != 0 && selector.remotePort != remotePort { return false }
        return selector.local.contains(local) && selector.remote.contains(remote)
    }
}
