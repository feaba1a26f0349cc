/// A packet in one fixed allocation with headroom and tailroom, so that headers are prepended
/// and trailers appended in place (ESP encapsulation, tunnel headers) without copying the
/// payload. The datapath allocates a few of these once and reuses them for every packet.
///
/// Offsets in the accessors are relative to the first byte of the packet; every access is
/// bounds-checked and a failed check throws, it never traps or reads outside the packet.
public final class PacketBuffer {
    /// Bytes the allocation holds.
    public let capacity: Int
    @usableFromInline let storage: UnsafeMutableRawPointer
    // The bounds are read on every header access: `@exclusivity(unchecked)` drops the dynamic
    // exclusivity bookkeeping (a quarter of the per-packet time); a buffer belongs to one
    // thread at a time, so overlapping accesses cannot happen.
    /// Offset of the packet's first byte in the allocation.
    @exclusivity(unchecked) public internal(set) var start: Int
    /// Offset one past the packet's last byte in the allocation.
    @exclusivity(unchecked) public internal(set) var end: Int

    /// - Parameters:
    ///   - capacity: total bytes (default: a maximum IPv4/IPv6 packet plus room for headers).
    ///   - headroom: where an empty packet starts.
    public init(capacity: Int = 65_535 + 1_024, headroom: Int = 256) {
        precondition(capacity > 0 && headroom >= 0 && headroom <= capacity)
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        start = headroom
        end = headroom
    }

    deinit { storage.deallocate() }

    /// Bytes in the packet.
    @inlinable
    public var count: Int { end - start }
    /// Free bytes before the packet.
    public var headroom: Int { start }
    /// Free bytes after the packet.
    public var tailroom: Int { capacity - end }

    /// The packet's bytes (valid until the next prepend/append/remove).
    @inlinable
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: storage + start, count: count) }

    /// The packet's bytes from `offset` for `length` bytes, or a `truncated` error.
    @inlinable
    public func region(_ offset: Int, _ length: Int, field: StaticString = "packet") throws(PacketError) -> UnsafeMutableRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw .truncated(field: field, offset: offset, needed: length, available: max(0, count - offset))
        }
        return UnsafeMutableRawBufferPointer(start: storage + start + offset, count: length)
    }

    /// Empties the buffer and puts the next packet's start `headroom` bytes in.
    public func reset(headroom: Int = 256) {
        precondition(headroom <= capacity)
        start = headroom
        end = headroom
    }

    /// Replaces the contents with `packet` (tests, and sockets that cannot read in place).
    public func load(_ packet: some Collection<UInt8>, headroom: Int = 256) throws(PacketError) {
        guard headroom + packet.count <= capacity else { throw .noRoom(needed: packet.count, available: capacity - headroom) }
        start = headroom
        end = headroom + packet.count
        let copied: Void? = packet.withContiguousStorageIfAvailable { bytes in
            (storage + start).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        if copied == nil {
            var offset = start
            for byte in packet {
                storage.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        }
    }

    /// Empties the buffer and lets `read` fill it in place from `headroom` on (a socket or TUN
    /// read): `read` gets the free room and returns how many bytes it wrote, or a negative
    /// value for none. Returns that value.
    @discardableResult
    public func fill(headroom: Int = 256, _ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        precondition(headroom <= capacity)
        start = headroom
        let count = read(UnsafeMutableRawBufferPointer(start: storage + headroom, count: capacity - headroom))
        end = headroom + max(0, min(count, capacity - headroom))
        return count
    }

    /// The packet as an array (tests and diagnostics; allocates).
    public var array: [UInt8] { Array(bytes) }

    /// Grows the packet by `length` bytes at the front; returns the new bytes.
    @discardableResult
    public func prepend(_ length: Int) throws(PacketError) -> UnsafeMutableRawBufferPointer {
        guard length >= 0, length <= start else { throw .noRoom(needed: length, available: start) }
        start -= length
        return UnsafeMutableRawBufferPointer(start: storage + start, count: length)
    }

    /// Grows the packet by `length` bytes at the back; returns the new bytes.
    @discardableResult
    public func append(_ length: Int) throws(PacketError) -> UnsafeMutableRawBufferPointer {
        guard length >= 0, length <= capacity - end else { throw .noRoom(needed: length, available: capacity - end) }
        let region = UnsafeMutableRawBufferPointer(start: storage + end, count: length)
        end += length
        return region
    }

    /// Drops `length` bytes from the front.
    public func removeFront(_ length: Int) throws(PacketError) {
        guard length >= 0, length <= count else { throw .truncated(field: "packet", offset: 0, needed: length, available: count) }
        start += length
    }

    /// Drops `length` bytes from the back.
    public func removeBack(_ length: Int) throws(PacketError) {
        guard length >= 0, length <= count else { throw .truncated(field: "packet", offset: count, needed: length, available: count) }
        end -= length
    }

    /// Moves the first `length` bytes of the packet `distance` bytes towards the front (negative)
    /// or back (positive) within the packet's new bounds — used to open or close a gap after the
    /// IP header. The caller adjusts the bounds with prepend/removeFront first.
    public func moveBytes(from source: Int, to destination: Int, count length: Int) throws(PacketError) {
        guard source >= 0, destination >= 0, length >= 0, source + length <= count, destination + length <= count else {
            throw .truncated(field: "packet", offset: max(source, destination), needed: length, available: count)
        }
        (storage + start + destination).copyMemory(from: storage + start + source, byteCount: length)
    }

    @inlinable
    public func uint8(at offset: Int, field: StaticString = "packet") throws(PacketError) -> UInt8 {
        try region(offset, 1, field: field).load(as: UInt8.self)
    }

    @inlinable
    public func uint16(at offset: Int, field: StaticString = "packet") throws(PacketError) -> UInt16 {
        let r = try region(offset, 2, field: field)
        return UInt16(r[0]) << 8 | UInt16(r[1])
    }

    @inlinable
    public func uint32(at offset: Int, field: StaticString = "packet") throws(PacketError) -> UInt32 {
        let r = try region(offset, 4, field: field)
        return UInt32(r[0]) << 24 | UInt32(r[1]) << 16 | UInt32(r[2]) << 8 | UInt32(r[3])
    }

    @inlinable
    public func setUInt8(_ value: UInt8, at offset: Int) throws(PacketError) {
        try region(offset, 1)[0] = value
    }

    @inlinable
    public func setUInt16(_ value: UInt16, at offset: Int) throws(PacketError) {
        let r = try region(offset, 2)
        r[0] = UInt8(value >> 8)
        r[1] = UInt8(truncatingIfNeeded: value)
    }

    @inlinable
    public func setUInt32(_ value: UInt32, at offset: Int) throws(PacketError) {
        let r = try region(offset, 4)
        r[0] = UInt8(value >> 24)
        r[1] = UInt8(truncatingIfNeeded: value >> 16)
        r[2] = UInt8(truncatingIfNeeded: value >> 8)
        r[3] = UInt8(truncatingIfNeeded: value)
    }
}

/// A packet that is too short for what it claims, or a buffer without room.
public enum PacketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `field` at byte `offset` needs `needed` bytes but only `available` remain.
    case truncated(field: StaticString, offset: Int, needed: Int, available: Int)
    /// The buffer lacks head- or tailroom.
    case noRoom(needed: Int, available: Int)
    /// A header field holds a value that cannot be right.
    case invalid(field: StaticString, offset: Int, value: Int)

    public static func == (lhs: PacketError, rhs: PacketError) -> Bool { lhs.description == rhs.description }

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available): "\(field) at byte \(offset): needs \(needed) bytes, \(available) available"
        case let .noRoom(needed, available): "buffer has room for \(available) more bytes, \(needed) needed"
        case let .invalid(field, offset, value): "\(field) at byte \(offset): invalid value \(value)"
        }
    }
}
