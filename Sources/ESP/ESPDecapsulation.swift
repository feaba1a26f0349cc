import Packet
import Transforms

struct LayerResult {
    var event: LifetimeEvent?
    var dummy = false
}

extension SecurityAssociation {
    /// The full sequence number of a received packet, and whether the window rejects it.
    func receivedSequence(low: UInt32) throws(ESPError) -> UInt64 {
        guard let window else { return UInt64(low) }
        let full = parameters.extendedSequenceNumbers ? window.inferExtended(low: low) : UInt64(low)
        switch window.check(full) {
        case .acceptable: return full
        case .replayed: throw .replayed(sequence: full)
        case .tooOld: throw .tooOld(sequence: full)
        }
    }

    /// Removes one ESP layer (RFC 4303 §3.4). `espOffset` is where the ESP header starts.
    func decapsulateESP(_ buffer: PacketBuffer, layout: IPLayout, espOffset: Int, udpLength: Int, now: Double) throws(ESPError) -> LayerResult {
        if (udpLength > 0) != (parameters.udpEncapsulation != nil) { throw .encapsulationMismatch(spi: spi) }
        if isExpired(now: now) { throw .expired(spi: spi) }
        do {
            return try unwrapESP(buffer, layout: layout, espOffset: espOffset, udpLength: udpLength, now: now)
        } catch {
            throw ESPError.from(error)
        }
    }

    private func unwrapESP(_ buffer: PacketBuffer, layout: IPLayout, espOffset: Int, udpLength: Int, now: Double) throws -> LayerResult {
        do {
            let low = try buffer.uint32(at: espOffset + 4, field: "ESP sequence number")
            let sequence = try receivedSequence(low: low)
            let headerLength = 8 + ivSize
            let protectedLength = buffer.count - espOffset - headerLength - icvSize
            guard protectedLength >= 2 else { throw ESPError.badCiphertextLength(spi: spi, length: max(0, protectedLength)) }
            if cipher != nil, protectedLength % alignment != 0 { throw ESPError.badCiphertextLength(spi: spi, length: protectedLength) }
            let iv = UnsafeRawBufferPointer(try buffer.region(espOffset + 8, ivSize, field: "ESP IV"))
            let payload = try buffer.region(espOffset + headerLength, protectedLength, field: "ESP payload")
            let icv = UnsafeRawBufferPointer(try buffer.region(buffer.count - icvSize, icvSize, field: "ESP ICV"))
            if let aead {
                var opened = false
                try withAAD(espOffset: espOffset, buffer: buffer, sequence: sequence) { (aad) throws(TransformError) in
                    opened = try aead.open(payload, iv: iv, aad: aad, tag: icv)
                }
                guard opened else { throw ESPError.authenticationFailed(spi: spi) }
            } else {
                if let authenticator {
                    try authenticator.begin()
                    try authenticator.update(UnsafeRawBufferPointer(try buffer.region(espOffset, buffer.count - espOffset - icvSize)))
                    try authenticateHighSequence(authenticator, sequence)
                    guard try authenticator.verify(icv) else { throw ESPError.authenticationFailed(spi: spi) }
                }
                if let cipher, ivSize > 0 { try cipher.decrypt(payload, iv: iv) }
            }
            let padLength = Int(payload[protectedLength - 2])
            let nextHeader = payload[protectedLength - 1]
            guard padLength + 2 <= protectedLength else {
                throw ESPError.badPadding(spi: spi, detail: "pad length \(padLength) exceeds the \(protectedLength - 2)-byte payload")
            }
            // RFC 4303 §2.4: the default padding is 1, 2, 3, …; anything else means a wrong key
            // or a corrupted packet.
            for index in 0..<padLength where payload[protectedLength - 2 - padLength + index] != UInt8(index + 1) {
                throw ESPError.badPadding(spi: spi, detail: "padding byte \(index + 1) is \(payload[protectedLength - 2 - padLength + index])")
            }
            window?.accept(sequence)
            let innerLength = protectedLength - 2 - padLength
            bytes += UInt64(innerLength)
            if nextHeader == 59 { return LayerResult(event: lifetimeEvent(now: now), dummy: true) }
            let trailerAndICV = 2 + padLength + icvSize
            if isTunnel {
                try buffer.removeBack(trailerAndICV)
                try buffer.removeFront(espOffset + headerLength)
                try checkTunnelPayload(buffer, nextHeader: nextHeader)
            } else {
                let gap = udpLength + headerLength
                let headerRegion = espOffset - udpLength
                try buffer.removeBack(trailerAndICV)
                try buffer.moveBytes(from: 0, to: gap, count: headerRegion)
                try buffer.removeFront(gap)
                try rewriteTransportHeader(buffer, layout: layout, nextHeader: nextHeader)
                if udpLength > 0 {
                    // RFC 3948 §3.1.2: the NAT changed addresses the checksum covered.
                    try IPLayout.recomputeTransportChecksum(buffer, layout: try IPLayout(buffer), protocolNumber: nextHeader,
                                                            offset: headerRegion)
                }
            }
            count(received: UInt64(innerLength))
            return LayerResult(event: lifetimeEvent(now: now))
        }
    }
}

extension SecurityAssociation {
    /// A tunnel's payload must be one whole IP packet of the family its next header names.
    func checkTunnelPayload(_ buffer: PacketBuffer, nextHeader: UInt8) throws(ESPError) {
        guard nextHeader == 4 || nextHeader == 41 else {
            throw .badInnerPacket(spi: spi, detail: "next header \(nextHeader) is not IPv4 (4) or IPv6 (41)")
        }
        let inner: IPLayout
        do { inner = try IPLayout(buffer) } catch { throw .badInnerPacket(spi: spi, detail: "\(error)") }
        guard inner.version == (nextHeader == 4 ? 4 : 6), inner.totalLength == buffer.count else {
            throw .badInnerPacket(spi: spi, detail: "IPv\(inner.version) packet of \(inner.totalLength) bytes in \(buffer.count) bytes, next header \(nextHeader)")
        }
    }

    /// After a transport-mode IPsec header is inserted or removed: the protocol that now follows
    /// the IP header, the new length, and the IPv4 header checksum.
    func rewriteTransportHeader(_ buffer: PacketBuffer, layout: IPLayout, nextHeader: UInt8) throws(PacketError) {
        try buffer.setUInt8(nextHeader, at: layout.nextHeaderFieldOffset)
        if layout.version == 4 {
            try buffer.setUInt16(UInt16(buffer.count), at: 2)
            try IPLayout.updateIPv4Checksum(buffer, headerLength: layout.baseHeaderLength)
        } else {
            try buffer.setUInt16(UInt16(buffer.count - 40), at: 4)
        }
    }
}

extension ESPError {
    /// Maps what the layers below throw onto the packet's verdict.
    static func from(_ error: any Error) -> ESPError {
        switch error {
        case let error as ESPError: error
        case let error as PacketError: .malformed(error)
        case let error as TransformError: .transform(error)
        default: .badConfiguration("\(error)")
        }
    }
}
