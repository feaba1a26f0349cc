/// An IKEv1 message: the header and its payload chain — or, when the encryption flag is set,
/// the still-encrypted body (the exchange's keys decrypt it, then `decodePayloads` reads it).
public struct ISAKMPMessage: Equatable, Sendable {
    public var header: ISAKMPHeader
    public var payloads: [Payload]
    /// The encrypted body (header flag E), undecoded.
    public var encryptedBody: [UInt8]?
    /// The first payload type of an encrypted body (from the header).
    public var firstPayloadType: UInt8
    /// Each decoded payload exactly as received, generic header included: what the RFC 2409
    /// hashes cover (SAi_b, IDii_b, Quick Mode's "SA | Ni | …") must be the peer's bytes, not
    /// a re-encoding. Empty for a message built here; not part of equality.
    public var receivedPayloads: [[UInt8]] = []

    public static func == (lhs: ISAKMPMessage, rhs: ISAKMPMessage) -> Bool {
        lhs.header == rhs.header && lhs.payloads == rhs.payloads && lhs.encryptedBody == rhs.encryptedBody
            && lhs.firstPayloadType == rhs.firstPayloadType
    }

    public init(header: ISAKMPHeader, payloads: [Payload]) {
        self.header = header
        self.payloads = payloads
        encryptedBody = nil
        firstPayloadType = payloads.first?.type.rawValue ?? 0
    }

    // MARK: Decoding

    /// Parses a datagram (without the non-ESP marker). Every length and offset is checked
    /// against the datagram before use (RFC 2408 §5.1–§5.2 checks, in their order).
    public static func decode(_ bytes: [UInt8]) throws(ISAKMPError) -> ISAKMPMessage {
        let reader = ByteReader(bytes)
        let initiator = UInt64(try reader.u32(0, "ISAKMP header", "initiator cookie")) << 32 | UInt64(try reader.u32(4, "ISAKMP header", "initiator cookie"))
        let responder = UInt64(try reader.u32(8, "ISAKMP header", "responder cookie")) << 32 | UInt64(try reader.u32(12, "ISAKMP header", "responder cookie"))
        let next = try reader.u8(16, "ISAKMP header", "next payload")
        let version = try reader.u8(17, "ISAKMP header", "version")
        guard version >> 4 == 1 else { throw ISAKMPError("ISAKMP header", "version", offset: 17, "major version \(version >> 4) (IKEv1 is 1)") }
        let exchangeValue = try reader.u8(18, "ISAKMP header", "exchange type")
        guard let exchange = ISAKMPHeader.Exchange(rawValue: exchangeValue) else {
            throw ISAKMPError("ISAKMP header", "exchange type", offset: 18, "\(exchangeValue) is not a known exchange")
        }
        let flags = try reader.u8(19, "ISAKMP header", "flags")
        guard flags & 0xF8 == 0 else { throw ISAKMPError("ISAKMP header", "flags", offset: 19, "reserved bits set (0x\(String(flags, radix: 16)))") }
        let messageID = try reader.u32(20, "ISAKMP header", "message ID")
        let length = Int(try reader.u32(24, "ISAKMP header", "length"))
        guard length >= ISAKMPHeader.length, length <= bytes.count else {
            throw ISAKMPError("ISAKMP header", "length", offset: 24, "\(length) but the datagram has \(bytes.count) bytes")
        }
        guard initiator != 0 else { throw ISAKMPError("ISAKMP header", "initiator cookie", offset: 0, "must not be zero") }
        let header = ISAKMPHeader(initiatorCookie: initiator, responderCookie: responder, exchange: exchange,
                                  encrypted: flags & 1 != 0, commit: flags & 2 != 0, messageID: messageID)
        var message = ISAKMPMessage(header: header, payloads: [])
        message.firstPayloadType = next
        if header.encrypted {
            message.encryptedBody = Array(bytes[ISAKMPHeader.length..<length])
            return message
        }
        (message.payloads, message.receivedPayloads) = try decodeChain(bytes, first: next, from: ISAKMPHeader.length, to: length,
                                                                       allowPadding: false)
        // Normalised: a draft NAT-D/NAT-OA number (130/131) is re-encoded with RFC 3947's.
        message.firstPayloadType = message.payloads.first?.type.rawValue ?? 0
        return message
    }

    /// Reads a payload chain in `bytes[from..<to]` starting with payload type `first`. Bytes
    /// after the last payload are allowed only as the padding of a decrypted body.
    public static func decodePayloads(_ bytes: [UInt8], first: UInt8, from: Int, to end: Int,
                                      allowPadding: Bool = true) throws(ISAKMPError) -> [Payload] {
        try decodeChain(bytes, first: first, from: from, to: end, allowPadding: allowPadding).payloads
    }

    /// ``decodePayloads(_:first:from:to:allowPadding:)`` that also returns each payload's bytes.
    static func decodeChain(_ bytes: [UInt8], first: UInt8, from: Int, to end: Int,
                            allowPadding: Bool) throws(ISAKMPError) -> (payloads: [Payload], raw: [[UInt8]]) {
        var raw: [[UInt8]] = []
        let reader = ByteReader(bytes, start: from, end: end)
        var payloads: [Payload] = []
        var type = first
        var offset = from
        while type != 0 {
            let name = "payload \(payloads.count + 1) (type \(type))"
            let next = try reader.u8(offset, name, "next payload")
            guard try reader.u8(offset + 1, name, "reserved") == 0 else {
                throw ISAKMPError(name, "reserved", offset: offset + 1, "must be zero")
            }
            let length = Int(try reader.u16(offset + 2, name, "payload length"))
            guard length >= 4 else { throw ISAKMPError(name, "payload length", offset: offset + 2, "\(length) is shorter than the 4-byte header") }
            try reader.need(offset, length, name, "payload length")
            let body = ByteReader(bytes, start: offset + 4, end: offset + length)
            payloads.append(try decodePayload(type: type, body, at: offset + 4, name: name))
            raw.append(Array(bytes[offset..<(offset + length)]))
            type = next
            offset += length
        }
        if !allowPadding && offset != end {
            throw ISAKMPError("ISAKMP header", "length", offset: 24, "\(end - offset) bytes follow the last payload")
        }
        return (payloads, raw)
    }

    static func decodePayload(type: UInt8, _ r: ByteReader, at o: Int, name: String) throws(ISAKMPError) -> Payload {
        let size = r.end - o
        switch PayloadType(rawValue: type) {
        case .securityAssociation: return .securityAssociation(try decodeSA(r, at: o))
        case .keyExchange: return .keyExchange(try r.slice(o, size, "KE payload", "key exchange data"))
        case .identification, .natOriginalAddress, .natOriginalAddressDraft:
            let kindValue = try r.u8(o, name, "ID type")
            guard let kind = Identification.Kind(rawValue: kindValue) else {
                throw ISAKMPError(name, "ID type", offset: o, "\(kindValue) is not an IPsec DOI identification type")
            }
            let id = Identification(kind: kind, protocolID: try r.u8(o + 1, name, "protocol ID"), port: try r.u16(o + 2, name, "port"),
                                    data: try r.slice(o + 4, size - 4, name, "identification data"))
            return type == PayloadType.identification.rawValue ? .identification(id) : .natOriginalAddress(id)
        case .certificate:
            return .certificate(encoding: try r.u8(o, "CERT payload", "encoding"), data: try r.slice(o + 1, size - 1, "CERT payload", "data"))
        case .certificateRequest:
            return .certificateRequest(type: try r.u8(o, "CR payload", "type"), authority: try r.slice(o + 1, size - 1, "CR payload", "authority"))
        case .hash: return .hash(try r.slice(o, size, "HASH payload", "data"))
        case .signature: return .signature(try r.slice(o, size, "SIG payload", "data"))
        case .nonce:
            guard (8...256).contains(size) else { throw ISAKMPError("NONCE payload", "nonce", offset: o, "\(size) bytes; RFC 2409 §5 allows 8-256") }
            return .nonce(try r.slice(o, size, "NONCE payload", "data"))
        case .notification:
            let spiSize = Int(try r.u8(o + 5, "N payload", "SPI size"))
            return .notification(Notification(doi: try r.u32(o, "N payload", "DOI"), protocolID: try r.u8(o + 4, "N payload", "protocol ID"),
                                              type: try r.u16(o + 6, "N payload", "notify message type"),
                                              spi: try r.slice(o + 8, spiSize, "N payload", "SPI"),
                                              data: try r.slice(o + 8 + spiSize, size - 8 - spiSize, "N payload", "notification data")))
        case .delete:
            let spiSize = try r.u8(o + 5, "D payload", "SPI size")
            let count = Int(try r.u16(o + 6, "D payload", "number of SPIs"))
            guard 8 + count * Int(spiSize) == size else {
                throw ISAKMPError("D payload", "number of SPIs", offset: o + 6, "\(count) SPIs of \(spiSize) bytes do not fill \(size - 8) bytes")
            }
            var spis: [[UInt8]] = []
            for index in 0..<count { spis.append(try r.slice(o + 8 + index * Int(spiSize), Int(spiSize), "D payload", "SPI \(index + 1)")) }
            return .delete(Delete(doi: try r.u32(o, "D payload", "DOI"), protocolID: try r.u8(o + 4, "D payload", "protocol ID"),
                                  spiSize: spiSize, spis: spis))
        case .vendorID: return .vendorID(try r.slice(o, size, "VID payload", "data"))
        case .natDiscovery, .natDiscoveryDraft: return .natDiscovery(try r.slice(o, size, "NAT-D payload", "hash"))
        case .gssToken:
            guard size > 0 else { throw ISAKMPError("GSS payload", "token", offset: o, "empty: a GSS payload carries a token") }
            return .gssToken(try r.slice(o, size, "GSS payload", "token"))
        case .proposal, .transform:
            throw ISAKMPError(name, "next payload", offset: o - 4, "a \(type == 2 ? "proposal" : "transform") payload may appear only inside an SA payload")
        case .none?, nil:
            // RFC 2408 §5.1: an unknown payload type is an INVALID-PAYLOAD-TYPE.
            throw ISAKMPError(name, "next payload", offset: o - 4, "unknown payload type \(type) (INVALID-PAYLOAD-TYPE)")
        }
    }

    static func decodeSA(_ r: ByteReader, at o: Int) throws(ISAKMPError) -> SecurityAssociationPayload {
        let doi = try r.u32(o, "SA payload", "DOI")
        guard doi == 1 else { throw ISAKMPError("SA payload", "DOI", offset: o, "\(doi) is not the IPsec DOI (1)") }
        let situation = try r.u32(o + 4, "SA payload", "situation")
        var proposals: [Proposal] = []
        var offset = o + 8
        var more = true
        while more {
            let name = "proposal \(proposals.count + 1)"
            let next = try r.u8(offset, name, "next payload")
            guard next == 0 || next == 2 else { throw ISAKMPError(name, "next payload", offset: offset, "\(next); only 2 (proposal) or 0") }
            let length = Int(try r.u16(offset + 2, name, "payload length"))
            guard length >= 8 else { throw ISAKMPError(name, "payload length", offset: offset + 2, "\(length) is shorter than 8") }
            try r.need(offset, length, name, "payload length")
            let spiSize = Int(try r.u8(offset + 6, name, "SPI size"))
            let count = Int(try r.u8(offset + 7, name, "number of transforms"))
            let spi = try r.slice(offset + 8, spiSize, name, "SPI")
            var transforms: [Transform] = []
            var transformOffset = offset + 8 + spiSize
            for index in 0..<count {
                let tname = "\(name) transform \(index + 1)"
                let tnext = try r.u8(transformOffset, tname, "next payload")
                let expectedNext: UInt8 = index == count - 1 ? 0 : 3
                guard tnext == expectedNext else {
                    throw ISAKMPError(tname, "next payload", offset: transformOffset, "\(tnext), expected \(expectedNext) (the proposal says \(count) transforms)")
                }
                let tlength = Int(try r.u16(transformOffset + 2, tname, "payload length"))
                guard tlength >= 8, transformOffset + tlength <= offset + length else {
                    throw ISAKMPError(tname, "payload length", offset: transformOffset + 2, "\(tlength) does not fit the proposal")
                }
                let attributes = try decodeAttributes(ByteReader(r.bytes, start: transformOffset + 8, end: transformOffset + tlength),
                                                      at: transformOffset + 8, name: tname)
                transforms.append(Transform(number: try r.u8(transformOffset + 4, tname, "transform number"),
                                            id: try r.u8(transformOffset + 5, tname, "transform ID"), attributes: attributes))
                transformOffset += tlength
            }
            guard transformOffset == offset + length else {
                throw ISAKMPError(name, "payload length", offset: offset + 2, "\(offset + length - transformOffset) bytes left after \(count) transforms")
            }
            proposals.append(Proposal(number: try r.u8(offset + 4, name, "proposal number"), protocolID: try r.u8(offset + 5, name, "protocol ID"),
                                      spi: spi, transforms: transforms))
            offset += length
            more = next == 2
        }
        guard offset == r.end else { throw ISAKMPError("SA payload", "payload length", offset: offset, "\(r.end - offset) bytes after the last proposal") }
        return SecurityAssociationPayload(proposals: proposals, doi: doi, situation: situation)
    }

    static func decodeAttributes(_ r: ByteReader, at start: Int, name: String) throws(ISAKMPError) -> [Attribute] {
        var attributes: [Attribute] = []
        var offset = start
        while offset < r.end {
            let word = try r.u16(offset, name, "attribute type")
            if word & 0x8000 != 0 {
                attributes.append(Attribute(word & 0x7FFF, try r.u16(offset + 2, name, "attribute value")))
                offset += 4
            } else {
                let length = Int(try r.u16(offset + 2, name, "attribute length"))
                attributes.append(Attribute(word, bytes: try r.slice(offset + 4, length, name, "attribute value")))
                offset += 4 + length
            }
        }
        return attributes
    }

    // MARK: Encoding

    /// The datagram; lengths and next-payload fields are computed. An encrypted message's body
    /// must already be set (`encryptedBody`).
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(truncatingIfNeeded: header.initiatorCookie >> 32)); w.u32(UInt32(truncatingIfNeeded: header.initiatorCookie))
        w.u32(UInt32(truncatingIfNeeded: header.responderCookie >> 32)); w.u32(UInt32(truncatingIfNeeded: header.responderCookie))
        w.u8(encryptedBody != nil ? firstPayloadType : (payloads.first?.type.rawValue ?? 0))
        w.u8(ISAKMPHeader.version)
        w.u8(header.exchange.rawValue)
        w.u8((header.encrypted ? 1 : 0) | (header.commit ? 2 : 0))
        w.u32(header.messageID)
        w.u32(0)
        if let encryptedBody {
            w.put(encryptedBody)
        } else {
            w.put(Self.encodePayloads(payloads))
        }
        w.patch32(UInt32(w.bytes.count), at: 24)
        return w.bytes
    }

    /// A payload chain (the plaintext of an encrypted body, too).
    public static func encodePayloads(_ payloads: [Payload]) -> [UInt8] {
        var w = ByteWriter()
        for (index, payload) in payloads.enumerated() {
            let start = w.bytes.count
            w.u8(index + 1 < payloads.count ? payloads[index + 1].type.rawValue : 0)
            w.u8(0)
            w.u16(0)
            encodeBody(payload, into: &w)
            w.patch16(UInt16(w.bytes.count - start), at: start + 2)
        }
        return w.bytes
    }

    static func encodeBody(_ payload: Payload, into w: inout ByteWriter) {
        switch payload {
        case .securityAssociation(let sa):
            w.u32(sa.doi); w.u32(sa.situation)
            for (index, proposal) in sa.proposals.enumerated() {
                let start = w.bytes.count
                w.u8(index + 1 < sa.proposals.count ? 2 : 0); w.u8(0); w.u16(0)
                w.u8(proposal.number); w.u8(proposal.protocolID); w.u8(UInt8(proposal.spi.count)); w.u8(UInt8(proposal.transforms.count))
                w.put(proposal.spi)
                for (tindex, transform) in proposal.transforms.enumerated() {
                    let tstart = w.bytes.count
                    w.u8(tindex + 1 < proposal.transforms.count ? 3 : 0); w.u8(0); w.u16(0)
                    w.u8(transform.number); w.u8(transform.id); w.u16(0)
                    for attribute in transform.attributes {
                        switch attribute.value {
                        case .basic(let value): w.u16(attribute.type | 0x8000); w.u16(value)
                        case .variable(let bytes): w.u16(attribute.type & 0x7FFF); w.u16(UInt16(bytes.count)); w.put(bytes)
                        }
                    }
                    w.patch16(UInt16(w.bytes.count - tstart), at: tstart + 2)
                }
                w.patch16(UInt16(w.bytes.count - start), at: start + 2)
            }
        case .keyExchange(let data), .hash(let data), .signature(let data), .nonce(let data), .vendorID(let data), .natDiscovery(let data),
             .gssToken(let data):
            w.put(data)
        case .identification(let id), .natOriginalAddress(let id):
            w.u8(id.kind.rawValue); w.u8(id.protocolID); w.u16(id.port); w.put(id.data)
        case let .certificate(encoding, data):
            w.u8(encoding); w.put(data)
        case let .certificateRequest(type, authority):
            w.u8(type); w.put(authority)
        case .notification(let n):
            w.u32(n.doi); w.u8(n.protocolID); w.u8(UInt8(n.spi.count)); w.u16(n.type); w.put(n.spi); w.put(n.data)
        case .delete(let d):
            w.u32(d.doi); w.u8(d.protocolID); w.u8(d.spiSize); w.u16(UInt16(d.spis.count))
            for spi in d.spis { w.put(spi) }
        }
    }
}
