import Packet

/// Outbound packets waiting for an SA while IKE negotiates (RFC 4301 §5.1's "acquire"):
/// bounded per peer and in total, oldest dropped first, so that a peer that never answers
/// cannot make the agent hold unbounded memory. Copies are made only while a negotiation is
/// pending — never in steady state.
struct AcquireQueue {
    /// Packets held for one peer at most.
    var perPeerLimit = 64
    /// Packets held in all.
    var totalLimit = 1_024
    private(set) var waiting: [IPAddress: [[UInt8]]] = [:]
    private(set) var total = 0
    /// Packets dropped because a queue was full.
    private(set) var overflowDrops: UInt64 = 0

    /// Holds a copy of `packet` for `peer`. Returns whether this is the first packet for the
    /// peer (the caller starts a negotiation only then).
    mutating func hold(_ packet: UnsafeRawBufferPointer, for peer: IPAddress) -> Bool {
        let first = waiting[peer] == nil
        // Modified in place in the dictionary: a local copy would duplicate the whole queue
        // (copy-on-write) for every packet held.
        let held = waiting[peer]?.count ?? 0
        if held >= perPeerLimit || total >= totalLimit {
            overflowDrops += 1
            guard held > 0 else { return first }
            waiting[peer]!.removeFirst()
            total -= 1
        }
        waiting[peer, default: []].append(Array(packet))
        total += 1
        return first
    }

    /// Takes the packets held for `peer` (to send under a new SA, or to drop).
    mutating func release(_ peer: IPAddress) -> [[UInt8]] {
        guard let queue = waiting.removeValue(forKey: peer) else { return [] }
        total -= queue.count
        return queue
    }

    func isWaiting(for peer: IPAddress) -> Bool { waiting[peer] != nil }
}
