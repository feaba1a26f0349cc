import ESP
import Filtering
import IKE
import Packet

/// The installed SA pairs as the datapath needs them, each bound to the specific filter it
/// serves (`FilterIdentity`):
///  - outbound, which SA protects a packet: one of the SAs bound to the filter that decided
///    it, towards the same peer, whose negotiated selectors cover the packet (RFC 4301 §5.1:
///    the SPD entry's own SAs) — never an SA another rule negotiated, even where its selectors
///    cover the addresses;
///  - inbound, which pair an SPI belongs to, the selectors its packets must fall within (§5.2
///    step 4) and the binding class they must be decided by.
/// The inbound SAs themselves live in `SecurityAssociationDatabase`, found by SPI.
///
/// Both lookups are hash probes keyed by what the packet's decision gives (the filter's rank
/// and the peer) or by the SPI; nothing is built per packet. The indexes are rebuilt when a
/// pair comes or goes and when a new filter table is in force (`rebind`), which moves every
/// pair to its filter's new rank — or leaves it bound to nothing when its filter went away.
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
        /// The filter the pair serves; nil for the default response rule's pairs.
        let filter: FilterIdentity?
        /// The rule, filter list and filter it serves, for the monitor (nil: default response).
        let serves: FilterNames?
        /// The bound filter's rank in the table in force (-1: none, or gone).
        var rank: Int32 = -1
        /// The binding class inbound packets must be decided by: the filter's (and its
        /// mirror's), -1 for the default response rule's pairs, `Self.unbound` when the filter
        /// is no longer in the table (nothing is accepted).
        var bindingClass: Int32 = SecurityAssociationTable.unbound
        /// Whether a rekey was asked for (soft lifetime).
        var rekeyRequested = false
    }

    /// The binding class of a pair whose filter left the table: matches no decision.
    static let unbound: Int32 = -2

    struct OutboundKey: Hashable {
        var rank: Int32
        var peer: IPAddress
    }

    private(set) var entries: [Entry] = []
    /// (filter rank, peer) → entry indices, oldest first.
    private var outboundIndex: [OutboundKey: [Int32]] = [:]
    /// Inbound SPI → entry index.
    private var inboundIndex: [UInt32: Int32] = [:]
    /// The table the ranks were computed for (`RunningPolicy.generation`).
    private(set) var generation = -1

    var count: Int { entries.count }

    /// Adds a pair, bound in `table` (of `generation`).
    func install(_ entry: Entry, table: FilterTable, generation: Int) {
        entries.append(entry)
        rebind(to: table, generation: generation)
    }

    /// Moves every pair to its filter's rank in `table` (a new table is in force).
    func rebind(to table: FilterTable, generation: Int) {
        for index in entries.indices {
            if let filter = entries[index].filter {
                if let rank = table.rank(of: filter) {
                    entries[index].rank = Int32(rank)
                    entries[index].bindingClass = table.bindingClass(rank)
                } else {
                    entries[index].rank = -1
                    entries[index].bindingClass = Self.unbound
                }
            } else {
                entries[index].rank = -1
                entries[index].bindingClass = -1
            }
        }
        self.generation = generation
        reindex()
    }

    private func reindex() {
        outboundIndex.removeAll(keepingCapacity: true)
        inboundIndex.removeAll(keepingCapacity: true)
        for (index, entry) in entries.enumerated() {
            inboundIndex[entry.inbound.spi] = Int32(index)
            guard entry.rank >= 0 else { continue }
            outboundIndex[OutboundKey(rank: entry.rank, peer: entry.peer), default: []].append(Int32(index))
        }
    }

    /// The newest SA bound to the filter of `rank`, towards `peer`, whose selector covers the
    /// outbound packet (a rekeyed pair replaces the old one at once; the old one still accepts
    /// what is in flight).
    func outbound(rank: Int, peer: IPAddress, for packet: PacketSelector) -> Int? {
        guard let candidates = outboundIndex[OutboundKey(rank: Int32(truncatingIfNeeded: rank), peer: peer)] else { return nil }
        var position = candidates.count - 1
        while position >= 0 {
            let index = Int(candidates[position])
            if Self.covers(entries[index].selector, local: packet.source, remote: packet.destination, protocolNumber: packet.protocolNumber,
                           localPort: packet.sourcePort, remotePort: packet.destinationPort) { return index }
            position -= 1
        }
        return nil
    }

    /// An entry, borrowed or modified in place (a plain getter would copy it, retaining both
    /// SAs, on every packet).
    subscript(index: Int) -> Entry {
        _read { yield entries[index] }
        _modify { yield &entries[index] }
    }

    /// The pair whose inbound SA has this SPI.
    func index(inboundSPI spi: UInt32) -> Int? {
        inboundIndex[spi].map { Int($0) }
    }

    /// Whether an inbound packet that came through the pair at `index` falls within its selector.
    func selectorAdmits(_ index: Int, _ packet: PacketSelector) -> Bool {
        Self.covers(entries[index].selector, local: packet.destination, remote: packet.source, protocolNumber: packet.protocolNumber,
                    localPort: packet.destinationPort, remotePort: packet.sourcePort)
    }

    /// Removes the pair with this inbound SPI; returns it.
    @discardableResult
    func remove(inboundSPI: UInt32) -> Entry? {
        guard let index = index(inboundSPI: inboundSPI) else { return nil }
        let entry = entries.remove(at: index)
        reindex()
        return entry
    }

    static func covers(_ selector: TrafficSelector, local: IPAddress, remote: IPAddress, protocolNumber: UInt8,
                       localPort: UInt16, remotePort: UInt16) -> Bool {
        if selector.protocolID != 0 && selector.protocolID != protocolNumber { return false }
        if selector.localPort != 0 && selector.localPort != localPort { return false }
        if selector.remotePort != 0 && selector.remotePort != remotePort { return false }
        return selector.local.contains(local) && selector.remote.contains(remote)
    }
}
