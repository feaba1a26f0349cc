import Filtering
import IKE
import Packet

/// Outbound packets waiting for an SA while IKE negotiates (RFC 4301 §5.1's "acquire"), one
/// queue per negotiation — a peer and the selector asked for — so that two rules towards the
/// same gateway negotiate side by side and each queue drains under its own rule's SA. Bounded
/// per negotiation and in total, oldest dropped first, so that a peer that never answers
/// cannot make the agent hold unbounded memory. Copies are made only while a negotiation is
/// pending — never in steady state.
struct AcquireQueue {
    struct Key: Hashable {
        var peer: IPAddress
        var selector: TrafficSelector
    }

    struct Held {
        /// The filter the negotiation is for.
        var filter: FilterIdentity?
        var packets: [[UInt8]] = []
    }

    /// Packets held for one negotiation at most.
    var perNegotiationLimit = 64
    /// Packets held in all.
    var totalLimit = 1_024
    private(set) var waiting: [Key: Held] = [:]
    private(set) var total = 0
    /// Packets dropped because a queue was full.
    private(set) var overflowDrops: UInt64 = 0

    /// Holds a copy of `packet` for the negotiation `request` asks for. Returns whether this is
    /// the first packet for it (the caller starts a negotiation only then).
    mutating func hold(_ packet: UnsafeRawBufferPointer, for request: AcquireRequest) -> Bool {
        let key = Key(peer: request.peer, selector: request.selector)
        let first = waiting[key] == nil
        // Modified in place in the dictionary: a local copy would duplicate the whole queue
        // (copy-on-write) for every packet held.
        let held = waiting[key]?.packets.count ?? 0
        if held >= perNegotiationLimit || total >= totalLimit {
            overflowDrops += 1
            guard held > 0 else { return first }
            waiting[key]!.packets.removeFirst()
            total -= 1
        }
        waiting[key, default: Held(filter: request.filter)].packets.append(Array(packet))
        total += 1
        return first
    }

    /// Takes the packets held for `peer` whose negotiation was for `filter` (an SA pair bound to
    /// it arrived: they are sent under it, or wait for their own).
    mutating func release(_ peer: IPAddress, filter: FilterIdentity?) -> [[UInt8]] {
        take(waiting.filter { $0.key.peer == peer && $0.value.filter == filter }.map(\.key))
    }

    /// Takes every packet held for `peer` (its negotiation failed: they are dropped).
    mutating func release(_ peer: IPAddress) -> [[UInt8]] {
        take(waiting.keys.filter { $0.peer == peer })
    }

    private mutating func take(_ keys: [Key]) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        for key in keys {
            guard let queue = waiting.removeValue(forKey: key) else { continue }
            total -= queue.packets.count
            packets += queue.packets
        }
        return packets
    }

}
