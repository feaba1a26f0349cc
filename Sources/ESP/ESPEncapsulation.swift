import Packet
import Transforms

/// Produces the explicit IV of a CBC packet. The default draws from libcrypto's DRBG; tests
/// inject a fixed one to compare with other implementations byte for byte.
public protocol IVSource: AnyObject {
    func fill(_ iv: UnsafeMutableRawBufferPointer) throws(TransformError)
}

/// Random IVs from libcrypto's DRBG (RFC 3602 §2.1: CBC IVs must be unpredictable), drawn
/// 4 KiB at a time: one RAND_bytes call costs about as much as encrypting a packet, so a pool
/// serves 256 AES IVs per call. Used bytes are wiped. One source per thread.
public final class RandomIVSource: IVSource {
    private static let poolSize = 4096
    private let pool: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var next: Int

    public init() {
        pool = .allocate(byteCount: Self.poolSize, alignment: 16)
        next = Self.poolSize
    }

    deinit { pool.deallocate() }

    public func fill(_ iv: UnsafeMutableRawBufferPointer) throws(TransformError) {
        guard iv.count <= Self.poolSize else { return try RandomBytes.fill(iv) }
        if next + iv.count > Self.poolSize {
            try RandomBytes.fill(pool)
            next = 0
        }
        let slice = UnsafeMutableRawBufferPointer(rebasing: pool[next..<(next + iv.count)])
        iv.copyMemory(from: UnsafeRawBufferPointer(slice))
        slice.initializeMemory(as: UInt8.self, repeating: 0)
        next += iv.count
    }
}

extension SecurityAssociation {
    /// ESP-protects the IP packet in `buffer`, in place (RFC 4303 §3.3):
    ///
    /// 1. check the hard lifetime and take the next sequence number;
    /// 2. append padding (1, 2, 3, …), pad length, next header, and room for the ICV;
    /// 3. open room in front: the outer IP header (tunnel), the UDP header (RFC 3948) and the
    ///    ESP header with its IV, moving a transport-mode IP header forward;
    /// 4. write SPI and sequence number and the IV (random for CBC, the 64-bit sequence number
    ///    for AES-GCM and ChaCha20-Poly1305: unique per key, RFC 4106 §3.1 and RFC 7634 §2);
    /// 5. encrypt and authenticate (AEAD in one pass, with SPI ‖ sequence as AAD);
    /// 6. fix the IP header: protocol or next header, lengths, IPv4 checksum.
    ///
    /// Returns a lifetime event when this packet crossed a soft or hard limit.
    @discardableResult
    public func encapsulate(_ buffer: PacketBuffer, now: Double, ivSource: IVSource) throws(ESPError) -> LifetimeEvent? {
        guard parameters.securityProtocol == .esp else { return try encapsulateAH(buffer, now: now) }
        if isExpired(now: now) { throw .expired(spi: spi) }
        let next = sequence + 1
        if !parameters.extendedSequenceNumbers && next > UInt64(UInt32.max) { throw .sequenceExhausted(spi: spi) }
        do {
            let inner = try IPLayout(buffer)
            try buffer.removeBack(buffer.count - inner.totalLength)  // drop link-layer padding
            // RFC 4301 §5.1.2.1: the tunnel header copies DSCP and ECN from the inner header.
            let trafficClass = try Self.trafficClass(buffer, version: inner.version)
            let payloadOffset = isTunnel ? 0 : inner.insertionOffset
            let payloadLength = buffer.count - payloadOffset
            let nextHeader: UInt8 = isTunnel ? (inner.version == 4 ? 4 : 41) : inner.nextHeader
            let padLength = (alignment - (payloadLength + 2) % alignment) % alignment
            let trailer = try buffer.append(padLength + 2 + icvSize)
            for index in 0..<padLength { trailer[index] = UInt8(index + 1) }
            trailer[padLength] = UInt8(padLength)
            trailer[padLength + 1] = nextHeader

            let udpLength = parameters.udpEncapsulation == nil ? 0 : 8
            let espHeaderLength = 8 + ivSize
            let espOffset: Int
            var outerLength = 0
            if case .tunnel(let source, _) = parameters.mode {
                outerLength = source.isIPv4 ? 20 : 40
                try buffer.prepend(outerLength + udpLength + espHeaderLength)
                espOffset = outerLength + udpLength
            } else {
                try buffer.prepend(udpLength + espHeaderLength)
                try buffer.moveBytes(from: udpLength + espHeaderLength, to: 0, count: payloadOffset)
                espOffset = payloadOffset + udpLength
            }
            try buffer.setUInt32(spi, at: espOffset)
            try buffer.setUInt32(UInt32(truncatingIfNeeded: next), at: espOffset + 4)
            let iv = try buffer.region(espOffset + 8, ivSize, field: "ESP IV")
            let protectedLength = buffer.count - espOffset - espHeaderLength - icvSize
            let plaintext = try buffer.region(espOffset + espHeaderLength, protectedLength, field: "ESP payload")
            let icv = try buffer.region(buffer.count - icvSize, icvSize, field: "ESP ICV")
            if let aead {
                var counter = next.bigEndian
                withUnsafeBytes(of: &counter) { bytes in iv.copyMemory(from: bytes) }
                try withAAD(espOffset: espOffset, buffer: buffer, sequence: next) { (aad) throws(TransformError) in
                    try aead.seal(plaintext, iv: UnsafeRawBufferPointer(iv), aad: aad, tag: icv)
                }
            } else {
                if let cipher, ivSize > 0 {
                    try ivSource.fill(iv)
                    try cipher.encrypt(plaintext, iv: UnsafeRawBufferPointer(iv))
                }
                if let authenticator {
                    try authenticator.begin()
                    try authenticator.update(UnsafeRawBufferPointer(try buffer.region(espOffset, buffer.count - espOffset - icvSize)))
                    try authenticateHighSequence(authenticator, next)
                    try authenticator.finish(into: icv)
                }
            }
            try writeOuterHeaders(buffer, inner: inner, trafficClass: trafficClass, outerLength: outerLength, udpLength: udpLength,
                                  espOffset: espOffset, protocolNumber: IPsecProtocol.esp.rawValue)
            commitSent(sequence: next, payload: UInt64(payloadLength))
        } catch {
            throw ESPError.from(error)
        }
        return lifetimeEvent(now: now)
    }

    /// RFC 4303 §2.2.1 / §3.3.3: with ESN the high 32 bits are authenticated but not sent.
    func authenticateHighSequence(_ authenticator: any Authenticator, _ sequence: UInt64) throws(TransformError) {
        guard parameters.extendedSequenceNumbers else { return }
        var high = UInt32(truncatingIfNeeded: sequence >> 32).bigEndian
        try withUnsafeBytes(of: &high) { (bytes) throws(TransformError) in try authenticator.update(bytes) }
    }

    /// RFC 4106 §5 / RFC 7634 §2.1: AAD = SPI ‖ sequence (32-bit), or SPI ‖ high ‖ low with ESN.
    func withAAD(espOffset: Int, buffer: PacketBuffer, sequence: UInt64,
                 _ body: (UnsafeRawBufferPointer) throws(TransformError) -> Void) throws(TransformError) {
        var aad: (UInt32, UInt32, UInt32) = (spi.bigEndian, 0, 0)
        if parameters.extendedSequenceNumbers {
            aad.1 = UInt32(truncatingIfNeeded: sequence >> 32).bigEndian
            aad.2 = UInt32(truncatingIfNeeded: sequence).bigEndian
        } else {
            aad.1 = UInt32(truncatingIfNeeded: sequence).bigEndian
        }
        let length = parameters.extendedSequenceNumbers ? 12 : 8
        try withUnsafeBytes(of: &aad) { (raw) throws(TransformError) in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }

    /// Writes the outer header (tunnel) or fixes the moved inner one (transport), and the UDP
    /// header when encapsulating for NAT traversal.
    func writeOuterHeaders(_ buffer: PacketBuffer, inner: IPLayout, trafficClass: UInt8, outerLength: Int, udpLength: Int,
                           espOffset: Int, protocolNumber: UInt8) throws(PacketError) {
        let carried: UInt8 = udpLength > 0 ? 17 : protocolNumber
        if case .tunnel(let source, let destination) = parameters.mode {
            if source.isIPv4 {
                let header = try buffer.region(0, 20)
                for index in 0..<20 { header[index] = 0 }
                try buffer.setUInt8(0x45, at: 0)
                try buffer.setUInt8(trafficClass, at: 1)
                try buffer.setUInt16(UInt16(buffer.count), at: 2)
                try buffer.setUInt16(0x4000, at: 6)  // DF: the tunnel does not fragment (RFC 4301 §8)
                try buffer.setUInt8(64, at: 8)
                try buffer.setUInt8(carried, at: 9)
                try IPLayout.write(source, to: buffer, at: 12)
                try IPLayout.write(destination, to: buffer, at: 16)
                try IPLayout.updateIPv4Checksum(buffer, headerLength: 20)
            } else {
                let header = try buffer.region(0, 40)
                for index in 0..<40 { header[index] = 0 }
                try buffer.setUInt8(0x60 | trafficClass >> 4, at: 0)
                try buffer.setUInt8(trafficClass << 4, at: 1)
                try buffer.setUInt16(UInt16(buffer.count - 40), at: 4)
                try buffer.setUInt8(carried, at: 6)
                try buffer.setUInt8(64, at: 7)
                try IPLayout.write(source, to: buffer, at: 8)
                try IPLayout.write(destination, to: buffer, at: 24)
            }
        } else {
            try rewriteTransportHeader(buffer, layout: inner, nextHeader: carried)
        }
        if let ports = parameters.udpEncapsulation {
            let udpOffset = espOffset - udpLength
            try buffer.setUInt16(ports.sourcePort, at: udpOffset)
            try buffer.setUInt16(ports.destinationPort, at: udpOffset + 2)
            try buffer.setUInt16(UInt16(buffer.count - udpOffset), at: udpOffset + 4)
            try buffer.setUInt16(0, at: udpOffset + 6)
            // RFC 3948 §2.1: IPv4 senders may leave the UDP checksum zero; IPv6 needs it.
            let outer = try IPLayout(buffer)
            if outer.version == 6 {
                try IPLayout.recomputeTransportChecksum(buffer, layout: outer, protocolNumber: 17, offset: udpOffset)
            }
        }
    }

    /// The IPv4 TOS byte or the IPv6 traffic class of the packet at the start of `buffer`.
    static func trafficClass(_ buffer: PacketBuffer, version: Int) throws(PacketError) -> UInt8 {
        if version == 4 { return try buffer.uint8(at: 1) }
        return (try buffer.uint8(at: 0)) << 4 | (try buffer.uint8(at: 1)) >> 4
    }

    /// A packet went out: its sequence number is now used, its bytes count against the
    /// lifetime, and the statistics move. One place, so ESP and AH send paths cannot drift.
    func commitSent(sequence next: UInt64, payload: UInt64) {
        sequence = next
        bytes += payload
        statistics.packetsSent += 1
        if isConfidential { statistics.confidentialBytesSent += payload } else { statistics.authenticatedBytesSent += payload }
        if isTunnel { statistics.bytesSentInTunnels += payload } else { statistics.transportBytesSent += payload }
    }

    func count(received payload: UInt64) {
        statistics.packetsReceived += 1
        if isConfidential { statistics.confidentialBytesReceived += payload } else { statistics.authenticatedBytesReceived += payload }
        if isTunnel { statistics.bytesReceivedInTunnels += payload } else { statistics.transportBytesReceived += payload }
    }
}
