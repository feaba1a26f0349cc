import Packet
import Transforms

/// AH (RFC 4302): integrity for the payload and the immutable parts of the IP header.
///
/// The ICV covers the IP header with its mutable fields zeroed (IPv4: TOS, flags and fragment
/// offset, TTL, checksum; IPv6: traffic class, flow label, hop limit), the AH header with a
/// zero ICV, and the payload; with ESN the high 32 sequence bits follow (RFC 4302 §3.3.3.2.1).
/// IPv4 options and IPv6 extension headers in front of AH are refused: their mutability rules
/// are not implemented.
extension SecurityAssociation {
    /// The ICV field length for sending: the ICV padded so the AH header is a multiple of 64 bits.
    /// RFC 4302 §2.6 asks for 32 bits with IPv4 and 64 with IPv6; 64 is legal for both, and
    /// Linux accepts only 64 (unless a state is marked align4), so Ward always sends 64.
    func ahICVFieldLength(version: Int) -> Int {
        (icvSize + 12 + 7) / 8 * 8 - 12
    }

    func encapsulateAH(_ buffer: PacketBuffer, now: Double) throws(ESPError) -> LifetimeEvent? {
        if isExpired(now: now) { throw .expired(spi: spi) }
        let next = sequence + 1
        if !parameters.extendedSequenceNumbers && next > UInt64(UInt32.max) { throw .sequenceExhausted(spi: spi) }
        guard let authenticator else { throw .badConfiguration("AH without an integrity transform") }
        do {
            let inner = try IPLayout(buffer)
            try buffer.removeBack(buffer.count - inner.totalLength)
            let trafficClass = try Self.trafficClass(buffer, version: inner.version)
            let payloadOffset = isTunnel ? 0 : inner.insertionOffset
            if !isTunnel { try Self.checkAHHeaders(inner) }
            let payloadLength = buffer.count - payloadOffset
            let nextHeader: UInt8 = isTunnel ? (inner.version == 4 ? 4 : 41) : inner.nextHeader
            var outerLength = 0
            var outerVersion = inner.version
            if case .tunnel(let source, _) = parameters.mode {
                outerLength = source.isIPv4 ? 20 : 40
                outerVersion = source.isIPv4 ? 4 : 6
            }
            let icvField = ahICVFieldLength(version: outerVersion)
            let ahLength = 12 + icvField
            let ahOffset: Int
            if isTunnel {
                try buffer.prepend(outerLength + ahLength)
                ahOffset = outerLength
            } else {
                try buffer.prepend(ahLength)
                try buffer.moveBytes(from: ahLength, to: 0, count: payloadOffset)
                ahOffset = payloadOffset
            }
            try buffer.setUInt8(nextHeader, at: ahOffset)
            try buffer.setUInt8(UInt8(ahLength / 4 - 2), at: ahOffset + 1)
            try buffer.setUInt16(0, at: ahOffset + 2)
            try buffer.setUInt32(spi, at: ahOffset + 4)
            try buffer.setUInt32(UInt32(truncatingIfNeeded: next), at: ahOffset + 8)
            let icv = try buffer.region(ahOffset + 12, icvField, field: "AH ICV")
            for index in 0..<icvField { icv[index] = 0 }
            try writeOuterHeaders(buffer, inner: inner, trafficClass: trafficClass, outerLength: outerLength, udpLength: 0,
                                  espOffset: ahOffset, protocolNumber: IPsecProtocol.ah.rawValue)
            try computeAHICV(buffer, version: outerVersion, ahOffset: ahOffset, sequence: next, authenticator: authenticator,
                             into: UnsafeMutableRawBufferPointer(rebasing: icv[0..<icvSize]))
            commitSent(sequence: next, payload: UInt64(payloadLength))
        } catch {
            throw ESPError.from(error)
        }
        return lifetimeEvent(now: now)
    }

    static func checkAHHeaders(_ layout: IPLayout) throws(ESPError) {
        if layout.version == 4 && layout.baseHeaderLength != 20 {
            throw .badConfiguration("AH over IPv4 with options is not supported")
        }
        if layout.version == 6 && layout.insertionOffset != 40 {
            throw .badConfiguration("AH over IPv6 with extension headers in front is not supported")
        }
    }

    /// Hashes the packet as RFC 4302 §3.3.3.1 prescribes; the ICV field must already be zero.
    func computeAHICV(_ buffer: PacketBuffer, version: Int, ahOffset: Int, sequence: UInt64,
                      authenticator: any Authenticator, into icv: UnsafeMutableRawBufferPointer) throws(ESPError) {
        do {
            try hashAH(buffer, version: version, sequence: sequence, authenticator: authenticator, into: icv)
        } catch {
            throw ESPError.from(error)
        }
    }

    private func hashAH(_ buffer: PacketBuffer, version: Int, sequence: UInt64, authenticator: any Authenticator,
                        into icv: UnsafeMutableRawBufferPointer) throws {
        try authenticator.begin()
        let length = version == 4 ? 20 : 40
        // The IP header with its mutable fields zeroed, in a stack copy (no allocation).
        var header = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let original = UnsafeRawBufferPointer(try buffer.region(0, length))
        try withUnsafeMutableBytes(of: &header) { copy in
            copy.copyMemory(from: original)
            if version == 4 {
                copy[1] = 0                            // TOS
                copy[6] = 0; copy[7] = 0               // flags, fragment offset
                copy[8] = 0                            // TTL
                copy[10] = 0; copy[11] = 0             // header checksum
            } else {
                copy[0] &= 0xF0                        // traffic class, high nibble
                copy[1] = 0; copy[2] = 0; copy[3] = 0  // traffic class, flow label
                copy[7] = 0                            // hop limit
            }
            try authenticator.update(UnsafeRawBufferPointer(rebasing: copy[0..<length]))
        }
        try authenticator.update(UnsafeRawBufferPointer(try buffer.region(length, buffer.count - length)))
        try authenticateHighSequence(authenticator, sequence)
        try authenticator.finish(into: icv)
    }

    /// Removes one AH layer (RFC 4302 §3.4).
    func decapsulateAH(_ buffer: PacketBuffer, layout: IPLayout, ahOffset: Int, now: Double) throws(ESPError) -> LayerResult {
        if isExpired(now: now) { throw .expired(spi: spi) }
        guard let authenticator else { throw .badConfiguration("AH without an integrity transform") }
        do {
            try Self.checkAHHeaders(layout)
            let nextHeader = try buffer.uint8(at: ahOffset, field: "AH next header")
            let ahLength = (Int(try buffer.uint8(at: ahOffset + 1, field: "AH payload length")) + 2) * 4
            // RFC 4302 §2.6: the ICV field may carry padding after the ICV; Linux, for one,
            // pads IPv4 AH to 64 bits. Accept any aligned length that holds the ICV.
            let icvField = ahLength - 12
            guard icvField >= icvSize, icvField - icvSize < 8, ahLength % (layout.version == 4 ? 4 : 8) == 0 else {
                throw ESPError.malformed(.invalid(field: "AH payload length", offset: ahOffset + 1, value: ahLength / 4 - 2))
            }
            _ = try buffer.region(ahOffset, ahLength, field: "AH header")
            let low = try buffer.uint32(at: ahOffset + 8, field: "AH sequence number")
            let sequence = try receivedSequence(low: low)
            // Keep the received ICV, zero the field, compute, compare in constant time.
            var received = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            let icvRegion = try buffer.region(ahOffset + 12, icvField, field: "AH ICV")
            let ok = try withUnsafeMutableBytes(of: &received) { (saved) throws(ESPError) -> Bool in
                // Only the ICV is zeroed; padding after it is hashed as sent (RFC 4302 §3.3.3.2.1).
                for index in 0..<icvSize {
                    saved[index] = icvRegion[index]
                    icvRegion[index] = 0
                }
                var computed = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                return try withUnsafeMutableBytes(of: &computed) { (mine) throws(ESPError) -> Bool in
                    let out = UnsafeMutableRawBufferPointer(rebasing: mine[0..<icvSize])
                    try computeAHICV(buffer, version: layout.version, ahOffset: ahOffset, sequence: sequence,
                                     authenticator: authenticator, into: out)
                    var difference: UInt8 = 0
                    for index in 0..<icvSize { difference |= out[index] ^ saved[index] }
                    return difference == 0
                }
            }
            guard ok else { throw ESPError.authenticationFailed(spi: spi) }
            window?.accept(sequence)
            let innerLength = buffer.count - ahOffset - ahLength
            bytes += UInt64(isTunnel ? innerLength : innerLength)
            if isTunnel {
                try buffer.removeFront(ahOffset + ahLength)
                try checkTunnelPayload(buffer, nextHeader: nextHeader)
            } else {
                try buffer.moveBytes(from: 0, to: ahLength, count: ahOffset)
                try buffer.removeFront(ahLength)
                try rewriteTransportHeader(buffer, layout: layout, nextHeader: nextHeader)
            }
            count(received: UInt64(innerLength))
            return LayerResult(event: lifetimeEvent(now: now))
        } catch {
            throw ESPError.from(error)
        }
    }
}
