import Foundation

/// The `ipsecFilter` blob ([MS-GPIPSEC] §2.2.1.5): a filter list's filters.
///
/// Each filter is three strings (source and destination DNS names, description) and 52 fixed
/// bytes. Addresses and masks are IPv4 in network byte order; Windows writes "my address" as
/// 0.0.0.0 with mask 255.255.255.255 and "any" as 0.0.0.0/0.0.0.0.
public struct FilterBlob: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var sourceDNSName: String = ""
        public var destinationDNSName: String = ""
        public var description: String = ""
        public var identifier: UUID
        public var mirrored: UInt32
        public var sourceAddress: [UInt8]
        public var sourceMask: [UInt8]
        public var destinationAddress: [UInt8]
        public var destinationMask: [UInt8]
        public var tunnelAddress: [UInt8] = [0, 0, 0, 0]
        public var `protocol`: UInt32
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var isTunnel: UInt8 = 0
        /// A dynamic address: 0x01–0x04 source DNS, WINS, DHCP, gateway; 0x81–0x84 destination.
        public var special: UInt8 = 0
        public var options: UInt16 = 0

        public init(identifier: UUID, mirrored: Bool, sourceAddress: [UInt8], sourceMask: [UInt8],
                    destinationAddress: [UInt8], destinationMask: [UInt8], protocol: UInt32,
                    sourcePort: UInt16, destinationPort: UInt16) {
            self.identifier = identifier
            self.mirrored = mirrored ? 1 : 0
            self.sourceAddress = sourceAddress
            self.sourceMask = sourceMask
            self.destinationAddress = destinationAddress
            self.destinationMask = destinationMask
            self.protocol = `protocol`
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
        }

        static let fixedSize = 52
    }

    /// The legacy (IPv4) filters, which every Windows version reads.
    public var filters: [Entry]
    /// The second section, when present: the whole list in Ward's reading (legacy readers see
    /// only `filters`, the IPv4 part of it).
    public var version2: [FilterVersion2.Entry]?

    public init(filters: [Entry], version2: [FilterVersion2.Entry]? = nil) {
        self.filters = filters
        self.version2 = version2
    }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> FilterBlob {
        var reader = try BlobFraming.payload(blob, kind: .filter, object: object)
        // Each filter is at least three 4-byte string lengths and the fixed part.
        let count = try reader.count("Filter-Count", itemSize: 12 + Entry.fixedSize)
        var filters: [Entry] = []
        for index in stride(from: 1, through: count, by: 1) {
            let name = "filter \(index)"
            let sourceName = try reader.utf16String(name + " Source-DNS-Name")
            let destinationName = try reader.utf16String(name + " Destination-DNS-Name")
            let description = try reader.utf16String(name + " Description")
            let identifier = try reader.guid(name + " Filter-Identifier")
            let mirrored = try reader.u32(name + " Mirrored")
            var entry = Entry(identifier: identifier, mirrored: mirrored != 0,
                              sourceAddress: Array(try reader.take(4, name + " Source-Address")),
                              sourceMask: Array(try reader.take(4, name + " Source-Mask")),
                              destinationAddress: Array(try reader.take(4, name + " Destination-Address")),
                              destinationMask: Array(try reader.take(4, name + " Destination-Mask")),
                              protocol: 0, sourcePort: 0, destinationPort: 0)
            entry.mirrored = mirrored
            entry.sourceDNSName = sourceName
            entry.destinationDNSName = destinationName
            entry.description = description
            entry.tunnelAddress = Array(try reader.take(4, name + " Tunnel-Address"))
            entry.protocol = try reader.u32(name + " Protocol")
            entry.sourcePort = try reader.u16(name + " Source-Port")
            entry.destinationPort = try reader.u16(name + " Destination-Port")
            entry.isTunnel = try reader.u8(name + " Is-Tunnel")
            entry.special = try reader.u8(name + " Special")
            entry.options = try reader.u16(name + " Options")
            filters.append(entry)
        }
        var version2: [FilterVersion2.Entry]?
        if reader.remaining >= 16 {
            let at = reader.offset
            var probe = reader
            if try probe.guid("Filter-Policy-ID2") == FilterVersion2.sectionGUID {
                version2 = try FilterVersion2.decode(&reader).filters
            } else {
                throw reader.error("Filter-Policy-ID2", "\(reader.remaining) bytes follow the filters and are not a version 2 section", at: at)
            }
        }
        return FilterBlob(filters: filters, version2: version2)
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.u32(UInt32(filters.count))
        for filter in filters {
            writer.utf16String(filter.sourceDNSName)
            writer.utf16String(filter.destinationDNSName)
            writer.utf16String(filter.description)
            writer.guid(filter.identifier)
            writer.u32(filter.mirrored)
            writer.raw(filter.sourceAddress)
            writer.raw(filter.sourceMask)
            writer.raw(filter.destinationAddress)
            writer.raw(filter.destinationMask)
            writer.raw(filter.tunnelAddress)
            writer.u32(filter.protocol)
            writer.u16(filter.sourcePort)
            writer.u16(filter.destinationPort)
            writer.u8(filter.isTunnel)
            writer.u8(filter.special)
            writer.u16(filter.options)
        }
        if let version2 { FilterVersion2.encode(version2, legacyCount: filters.count, into: &writer) }
        return BlobFraming.frame(writer.bytes, kind: .filter)
    }
}
