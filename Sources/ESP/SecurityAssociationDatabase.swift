import Packet

/// The SAD (RFC 4301 §4.4.2): inbound SAs by SPI, destination and protocol; statistics for
/// everything that passed through, and for what could not be attributed to an SA.
public final class SecurityAssociationDatabase {
    struct Key: Hashable {
        var spi: UInt32
        var destination: IPAddress
        var securityProtocol: UInt8
    }

    private var inbound: [Key: SecurityAssociation] = [:]
    /// Rejections that belong to no SA (unknown SPI, malformed headers) and the totals.
    @exclusivity(unchecked) public private(set) var statistics = IPsecStatistics()

    public init() {}

    /// Adds an inbound SA; replaces one with the same SPI, destination and protocol.
    public func add(inbound sa: SecurityAssociation) {
        inbound[Key(spi: sa.spi, destination: sa.parameters.destination, securityProtocol: sa.parameters.securityProtocol.rawValue)] = sa
    }

    public func remove(spi: UInt32, destination: IPAddress, securityProtocol: IPsecProtocol) {
        inbound[Key(spi: spi, destination: destination, securityProtocol: securityProtocol.rawValue)] = nil
    }

    public func lookup(spi: UInt32, destination: IPAddress, securityProtocol: IPsecProtocol) -> SecurityAssociation? {
        inbound[Key(spi: spi, destination: destination, securityProtocol: securityProtocol.rawValue)]
    }

    public var count: Int { inbound.count }

    /// What an inbound packet turned out to be.
    public enum Inbound: Equatable {
        /// The buffer now holds the inner packet, which arrived protected by the SA `spi` and,
        /// in an AH+ESP bundle, inside it by `innerSPI`; a lifetime event is reported when an SA
        /// crossed a limit.
        case packet(spi: UInt32, innerSPI: UInt32?, event: LifetimeEvent?)
        /// A dummy packet (next header 59), dropped.
        case dummy(spi: UInt32)
        /// UDP 4500 with the non-ESP marker: an IKE message for the IKE module (RFC 3948 §2.2);
        /// the buffer holds it from the marker on.
        case ike
        /// A NAT-keepalive (RFC 3948 §2.3), to be dropped.
        case natKeepalive
        /// Not an IPsec packet addressed to an SA (the caller passes it on as it is).
        case notIPsec
    }

    /// Removes every ESP/AH layer of the packet in `buffer`, in place, verifying each.
    ///
    /// 1. find the IPsec header after the IP header (and the UDP header on port 4500);
    /// 2. look the SA up by SPI, destination and protocol;
    /// 3. reject a sequence number the anti-replay window has seen or left behind;
    /// 4. verify the ICV (or open the AEAD) before anything is decrypted or believed;
    /// 5. decrypt, check the trailer, mark the sequence number seen;
    /// 6. restore the inner packet (tunnel) or the original header (transport);
    /// 7. repeat once more when the result is again addressed to an SA (AH+ESP bundles; deeper
    ///    nesting is left to the caller, which may call again).
    ///
    /// Every failure is counted against the SA (or this database) and thrown.
    public func decapsulate(_ buffer: PacketBuffer, now: Double, udpEncapsulationPort: UInt16 = 4500) throws(ESPError) -> Inbound {
        var outer: UInt32?
        var event: LifetimeEvent?
        for _ in 0..<2 {
            let located: Located
            do throws(ESPError) {
                located = try locate(buffer, udpEncapsulationPort: udpEncapsulationPort)
            } catch {
                statistics.count(error)
                throw error
            }
            switch located {
            case .none:
                return outer.map { .packet(spi: $0, innerSPI: nil, event: event) } ?? .notIPsec
            case .ike: return .ike
            case .keepalive: return .natKeepalive
            case let .header(layout, securityProtocol, offset, udp):
                let spi: UInt32
                do throws(PacketError) {
                    spi = try buffer.uint32(at: offset + (securityProtocol == .ah ? 4 : 0), field: "SPI")
                } catch {
                    statistics.count(.malformed(error))
                    throw .malformed(error)
                }
                guard let sa = lookup(spi: spi, destination: layout.destination, securityProtocol: securityProtocol) else {
                    guard let outer else {
                        statistics.count(.unknownSPI(spi: spi))
                        throw .unknownSPI(spi: spi)
                    }
                    return .packet(spi: outer, innerSPI: nil, event: event)  // an inner layer for someone else
                }
                do throws(ESPError) {
                    let result = securityProtocol == .esp
                        ? try sa.decapsulateESP(buffer, layout: layout, espOffset: offset, udpLength: udp ? 8 : 0, now: now)
                        : try sa.decapsulateAH(buffer, layout: layout, ahOffset: offset, now: now)
                    if let happened = result.event { event = happened }
                    statistics.packetsReceived += 1
                    if result.dummy {
                        statistics.dummyPacketsDropped += 1
                        return .dummy(spi: spi)
                    }
                    if let outer { return .packet(spi: outer, innerSPI: spi, event: event) }
                    outer = spi
                } catch {
                    sa.statistics.count(error)
                    statistics.count(error)
                    throw error
                }
            }
        }
        return outer.map { .packet(spi: $0, innerSPI: nil, event: event) } ?? .notIPsec
    }

    enum Located {
        case none, ike, keepalive
        case header(IPLayout, IPsecProtocol, offset: Int, udp: Bool)
    }

    /// Where the ESP or AH header is, if the packet has one.
    func locate(_ buffer: PacketBuffer, udpEncapsulationPort: UInt16) throws(ESPError) -> Located {
        do {
            let layout = try IPLayout(buffer)
            try buffer.removeBack(buffer.count - layout.totalLength)
            if layout.version == 4 {
                let fragment = try buffer.uint16(at: 6)
                if fragment & 0x3FFF != 0 {
                    // RFC 4303 §3.4.1: reassemble before processing.
                    throw ESPError.malformed(.invalid(field: "IPv4 fragment (reassemble first)", offset: 6, value: Int(fragment)))
                }
            }
            switch layout.nextHeader {
            case IPsecProtocol.esp.rawValue:
                return .header(layout, .esp, offset: layout.insertionOffset, udp: false)
            case IPsecProtocol.ah.rawValue:
                return .header(layout, .ah, offset: layout.insertionOffset, udp: false)
            case 17:
                let udp = layout.insertionOffset
                let destinationPort = try buffer.uint16(at: udp + 2, field: "UDP header")
                guard destinationPort == udpEncapsulationPort else { return .none }
                let length = Int(try buffer.uint16(at: udp + 4, field: "UDP length"))
                guard length >= 8, udp + length == buffer.count else {
                    throw ESPError.malformed(.invalid(field: "UDP length", offset: udp + 4, value: length))
                }
                let payload = udp + 8
                if length == 9, try buffer.uint8(at: payload) == 0xFF { return .keepalive }
                if length >= 12, try buffer.uint32(at: payload) == 0 {
                    try buffer.removeFront(payload)
                    return .ike
                }
                guard length >= 16 else { throw ESPError.malformed(.truncated(field: "ESP header in UDP", offset: payload, needed: 8, available: length - 8)) }
                return .header(layout, .esp, offset: payload, udp: true)
            default:
                return .none
            }
        } catch {
            throw ESPError.from(error)
        }
    }
}
