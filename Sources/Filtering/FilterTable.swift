import Packet
import Policy

/// The compiled SPD: specific filters in precedence order, indexed for lookup.
///
/// Lookup returns the first filter (in precedence order) that matches. Filters are grouped by
/// their (source prefix, destination prefix) pair; a group is a hash table from the masked
/// address pair to its filters in precedence order. Weight compares the source prefix first and
/// the destination prefix second, so the groups, visited from the most specific pair down,
/// are visited in weight order: the first group with a match holds the answer, and only one
/// hash probe per group is needed. IPv4 groups live in one flat open-addressing table
/// (`FlatIndex`): ~30–70 ns per lookup at 10,000 filters here, against ~1.3 ms linear.
public final class FilterTable {
    /// Every specific filter, in precedence order (index = rank).
    public let filters: [SpecificFilter]

    /// The fields lookup compares, by rank: a small plain struct, so that the hot loop copies
    /// no reference-counted origin data.
    struct Matcher {
        var protocolNumber: Int16  // -1 = any
        var sourcePort: UInt16
        var destinationPort: UInt16
        var connection: UInt8       // 0 all, 1 lan, 2 dial-up

        @inline(__always)
        func matches(_ packet: PacketSelector, interface: InterfaceKind) -> Bool {
            (protocolNumber < 0 || protocolNumber == Int16(packet.protocolNumber))
                && (sourcePort == 0 || sourcePort == packet.sourcePort)
                && (destinationPort == 0 || destinationPort == packet.destinationPort)
                && (connection == 0 || (connection == 1) == (interface == .lan))
        }
    }

    private let matchers: [Matcher]

    struct Group {
        var sourcePrefix: Int
        var destinationPrefix: Int
        var v4: [UInt64: [Int32]] = [:]
        var v6: [V6Key: [Int32]] = [:]
    }

    struct V6Key: Hashable {
        var sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64
    }

    private let v6Groups: [Group]
    /// IPv4 groups, flattened for the hot path (IPv4 is most of the traffic).
    private let v4Index: FlatIndex
    /// Which SA pairs may carry which filter's traffic (`FilterBinding.swift`).
    let bindings: FilterBindings

    public init(_ filters: [SpecificFilter]) {
        self.filters = filters
        bindings = FilterBindings(filters)
        matchers = filters.map { filter in
            Matcher(protocolNumber: filter.protocolNumber.map { Int16($0) } ?? -1, sourcePort: filter.sourcePort,
                    destinationPort: filter.destinationPort,
                    connection: filter.connectionType == .all ? 0 : (filter.connectionType == .lan ? 1 : 2))
        }
        var v4: [Int: Group] = [:], v6: [Int: Group] = [:]
        for (rank, filter) in filters.enumerated() {
            let s = filter.source.prefixLength, d = filter.destination.prefixLength
            let key = s << 8 | d
            switch (filter.source.network, filter.destination.network) {
            case (.v4(let source), .v4(let destination)):
                v4[key, default: Group(sourcePrefix: s, destinationPrefix: d)]
                    .v4[UInt64(source.value) << 32 | UInt64(destination.value), default: []].append(Int32(rank))
            case (.v6(let source), .v6(let destination)):
                v6[key, default: Group(sourcePrefix: s, destinationPrefix: d)]
                    .v6[V6Key(sourceHigh: source.high, sourceLow: source.low, destinationHigh: destination.high,
                              destinationLow: destination.low), default: []].append(Int32(rank))
            default:
                continue
            }
        }
        let order = { (a: Group, b: Group) in (a.sourcePrefix, a.destinationPrefix) > (b.sourcePrefix, b.destinationPrefix) }
        v6Groups = v6.values.sorted(by: order)
        v4Index = FlatIndex(v4.values.sorted(by: order))
    }

    /// The deciding filter's rank, or nil when no filter matches.
    public func lookup(_ packet: PacketSelector, interface: InterfaceKind = .lan) -> Int? {
        switch (packet.source, packet.destination) {
        case (.v4(let source), .v4(let destination)):
            return v4Index.lookup(source: source.value, destination: destination.value, packet: packet, interface: interface,
                                  matchers: matchers)
        case (.v6(let source), .v6(let destination)):
            for index in v6Groups.indices {
                let (sh, sl) = Self.mask128(source, v6Groups[index].sourcePrefix)
                let (dh, dl) = Self.mask128(destination, v6Groups[index].destinationPrefix)
                guard let bucket = v6Groups[index].v6[V6Key(sourceHigh: sh, sourceLow: sl, destinationHigh: dh, destinationLow: dl)]
                else { continue }
                for rank in bucket where matchers[Int(rank)].matches(packet, interface: interface) { return Int(rank) }
            }
        default:
            break
        }
        return nil
    }

    // MARK: SA bindings

    /// The binding class of the filter of `rank`: a negotiate filter and its mirror share one
    /// (an SA pair of the one carries the other's traffic back); -1 for no filter or a filter
    /// that permits or blocks. Constant time, for the per-packet checks.
    @inline(__always)
    public func bindingClass(_ rank: Int?) -> Int32 {
        guard let rank else { return -1 }
        return bindings.classes[rank]
    }

    /// The identity of the negotiate filter of `rank` (nil when it permits or blocks), built
    /// when the table was.
    public func identity(_ rank: Int) -> FilterIdentity? { bindings.identities[rank] }

    /// The rank of the negotiate filter with this identity in this table, if it is still here.
    public func rank(of identity: FilterIdentity) -> Int? { bindings.rankByIdentity[identity] }

    /// The tunnel endpoint of the filter of `rank` (nil: transport mode), without copying it.
    @inline(__always)
    public func tunnelEndpoint(_ rank: Int) -> IPAddress? { bindings.tunnelEndpoints[rank] }

    /// The most specific filter (any action) that contains the whole of a proposed selector:
    /// its addresses lie within the filter's, and where the filter names a protocol or port the
    /// proposal names the same (RFC 4301 §4.4.1: a responder's SPD entry must cover what the
    /// initiator proposes). A proposal that only overlaps a filter is not contained by it.
    public func filter(containing local: Subnet, _ remote: Subnet, protocolNumber: UInt8, localPort: UInt16, remotePort: UInt16,
                       interface: InterfaceKind = .lan) -> Int? {
        filters.indices.first { rank in
            let filter = filters[rank]
            if filter.connectionType == .lan && interface == .dialup || filter.connectionType == .dialup && interface == .lan { return false }
            return filter.contains(local: local, remote: remote, protocolNumber: protocolNumber, localPort: localPort, remotePort: remotePort)
        }
    }

    /// The same answer by scanning every filter: the reference the fast path is tested against.
    public func linearLookup(_ packet: PacketSelector, interface: InterfaceKind = .lan) -> Int? {
        filters.firstIndex { $0.matches(packet, interface: interface) }
    }

    @inline(__always)
    static func mask32(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - UInt32(prefix)) }

    @inline(__always)
    static func mask128(_ address: IPv6Address, _ prefix: Int) -> (UInt64, UInt64) {
        let high: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : UInt64.max << (64 - UInt64(prefix)))
        let low: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : UInt64.max << (128 - UInt64(prefix)))
        return (address.high & high, address.low & low)
    }
}

/// The IPv4 groups as flat open-addressing hash tables: one probe sequence per group with a
/// multiplicative hash, no Swift Dictionary hashing and no array retains on the lookup path.
struct FlatIndex {
    struct Slot {
        var key: UInt64
        var start: Int32   // into `ranks`; -1 = empty slot
        var count: Int32
    }

    struct GroupTable {
        var sourceMask: UInt32
        var destinationMask: UInt32
        var slotOffset: Int
        var slotMask: Int
    }

    private var groups: [GroupTable] = []
    private var slots: [Slot] = []
    private var ranks: [Int32] = []

    init(_ source: [FilterTable.Group]) {
        for group in source {
            let buckets = group.v4
            var capacity = 4
            while capacity < buckets.count * 2 { capacity <<= 1 }
            let offset = slots.count
            slots += [Slot](repeating: Slot(key: 0, start: -1, count: 0), count: capacity)
            for (key, bucket) in buckets {
                var index = Self.hash(key) & (capacity - 1)
                while slots[offset + index].start >= 0 { index = (index + 1) & (capacity - 1) }
                slots[offset + index] = Slot(key: key, start: Int32(ranks.count), count: Int32(bucket.count))
                ranks += bucket
            }
            groups.append(GroupTable(sourceMask: FilterTable.mask32(group.sourcePrefix),
                                     destinationMask: FilterTable.mask32(group.destinationPrefix),
                                     slotOffset: offset, slotMask: capacity - 1))
        }
    }

    @inline(__always)
    static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    func lookup(source: UInt32, destination: UInt32, packet: PacketSelector, interface: InterfaceKind,
                matchers: [FilterTable.Matcher]) -> Int? {
        groups.withUnsafeBufferPointer { groups in
            slots.withUnsafeBufferPointer { slots in
                ranks.withUnsafeBufferPointer { ranks in
                    matchers.withUnsafeBufferPointer { matchers in
                        for group in groups {
                            let key = UInt64(source & group.sourceMask) << 32 | UInt64(destination & group.destinationMask)
                            var index = Self.hash(key) & group.slotMask
                            while true {
                                let slot = slots[group.slotOffset + index]
                                if slot.start < 0 { break }
                                if slot.key == key {
                                    for position in Int(slot.start)..<Int(slot.start + slot.count) {
                                        let rank = Int(ranks[position])
                                        if matchers[rank].matches(packet, interface: interface) { return rank }
                                    }
                                    break
                                }
                                index = (index + 1) & group.slotMask
                            }
                        }
                        return nil
                    }
                }
            }
        }
    }
}
