/// The receiver's anti-replay window (RFC 4303 §3.4.3), kept as RFC 6479 does: a ring of
/// 64-bit blocks, so sliding the window clears whole blocks instead of shifting bits.
///
/// `check` runs before the ICV is verified (cheap rejection); `accept` only after it verified,
/// so forged packets cannot move the window.
public struct AntiReplayWindow: Sendable {
    /// Sequence numbers the window covers behind the highest one accepted.
    public let size: Int
    private var blocks: [UInt64]
    /// The highest sequence number accepted (64-bit: the full ESN when ESN is in use).
    public private(set) var highest: UInt64 = 0

    /// - Parameter size: bits, rounded up to a multiple of 64; at least 64.
    public init(size: Int) {
        let rounded = max(64, (size + 63) / 64 * 64)
        self.size = rounded
        // One block more than the window, as in RFC 6479 §2: the block being filled.
        blocks = [UInt64](repeating: 0, count: rounded / 64 + 1)
    }

    public enum Verdict: Equatable, Sendable { case acceptable, replayed, tooOld }

    public func check(_ sequence: UInt64) -> Verdict {
        if sequence == 0 { return .tooOld }  // 0 is never sent (RFC 4303 §3.3.3)
        if sequence > highest { return .acceptable }
        if highest - sequence >= UInt64(size) { return .tooOld }
        let block = Int((sequence >> 6) % UInt64(blocks.count))
        return blocks[block] & (1 << (sequence & 63)) != 0 ? .replayed : .acceptable
    }

    /// Records `sequence` (which `check` found acceptable).
    public mutating func accept(_ sequence: UInt64) {
        if sequence > highest {
            let oldBlock = highest >> 6
            let newBlock = sequence >> 6
            let steps = min(newBlock - oldBlock, UInt64(blocks.count))
            var index = oldBlock
            for _ in 0..<steps {
                index += 1
                blocks[Int(index % UInt64(blocks.count))] = 0
            }
            highest = sequence
        }
        let block = Int((sequence >> 6) % UInt64(blocks.count))
        blocks[block] |= 1 << (sequence & 63)
    }

    /// The full 64-bit sequence number for a received low half (RFC 4303 Appendix A.2.2).
    public func inferExtended(low: UInt32) -> UInt64 {
        let tl = UInt32(truncatingIfNeeded: highest)
        let th = UInt32(truncatingIfNeeded: highest >> 32)
        let window = UInt32(min(size, Int(UInt32.max)))
        var high = th
        if tl >= window - 1 {
            // Case A: the window lies within one subspace.
            if low < tl &- window &+ 1 { high = th &+ 1 }
        } else {
            // Case B: the window spans two subspaces.
            if low >= tl &- window &+ 1, th > 0 { high = th - 1 }
        }
        return UInt64(high) << 32 | UInt64(low)
    }
}
