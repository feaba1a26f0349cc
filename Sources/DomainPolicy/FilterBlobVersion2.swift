import Foundation

/// The second section of an `ipsecFilter` blob ([MS-GPIPSEC] §2.2.1.5.1, Filter-Policy-ID2
/// `{35FECD3D-AE29-4373-8A6A-C5D8FAB2FB08}`): filters with IPv6 addresses, ranges and port
/// ranges, which the Windows Server 2003 (legacy) section cannot hold.
///
/// Layout after the legacy filters: the GUID, Data-Length2 (bytes of the filters that follow),
/// Number-Of-Filters11 (the legacy count again), Number-Of-Filters2, then each filter: three
/// strings as in the legacy section, its GUID, Mirror-Flags, two 40-byte address blocks, two
/// 8-byte port blocks, the protocol and Filter-Flags.
public struct FilterVersion2: Equatable, Sendable {
    public static let sectionGUID = UUID(uuidString: "35FECD3D-AE29-4373-8A6A-C5D8FAB2FB08")!

    /// One side's addresses (IPsec-Address-Type, -Version, two 16-byte addresses).
    public struct Address: Equatable, Sendable {
        public var type: UInt32
        /// 1 IPv4, 2 IPv6, 3 both (only for "me" and the server types).
        public var version: UInt32
        /// Network byte order; an IPv4 address in the first 4 bytes.
        public var address: [UInt8]
        /// The range's last address, the IPv4 mask, or (IPv6) the prefix length in byte 0.
        public var secondary: [UInt8]

        public init(type: UInt32, version: UInt32, address: [UInt8] = Array(repeating: 0, count: 16),
                    secondary: [UInt8] = Array(repeating: 0, count: 16)) {
            self.type = type
            self.version = version
            self.address = address
            self.secondary = secondary
        }

        public static let any: UInt32 = 0, single: UInt32 = 1, range: UInt32 = 2, subnet: UInt32 = 4, me: UInt32 = 8
        public static let dns: UInt32 = 0x10, wins: UInt32 = 0x20, dhcp: UInt32 = 0x40, gateway: UInt32 = 0x80
        static let size = 40
    }

    /// A port block: type (0 any, 1 single, 2 range), port, range end.
    public struct Port: Equatable, Sendable {
        public var type: UInt32
        public var port: UInt16
        public var rangeEnd: UInt16

        public init(_ port: UInt16) {
            type = port == 0 ? 0 : 1
            self.port = port
            rangeEnd = 0
        }
    }

    public struct Entry: Equatable, Sendable {
        public var sourceDNSName = ""
        public var destinationDNSName = ""
        public var description = ""
        public var identifier: UUID
        public var mirrored: UInt32
        public var source: Address
        public var destination: Address
        public var sourcePort: Port
        public var destinationPort: Port
        public var `protocol`: UInt32
        public var flags: UInt32 = 0

        public init(identifier: UUID, mirrored: Bool, source: Address, destination: Address,
                    sourcePort: Port, destinationPort: Port, protocol: UInt32) {
            self.identifier = identifier
            self.mirrored = mirrored ? 1 : 0
            self.source = source
            self.destination = destination
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
            self.protocol = `protocol`
        }

        /// The bytes after the strings.
        static let fixedSize = 16 + 4 + 40 + 40 + 8 + 8 + 4 + 4
    }

    static func decode(_ reader: inout BlobReader) throws(BlobError) -> (legacyCount: UInt32, filters: [Entry]) {
        _ = try reader.guid("Filter-Policy-ID2")
        let lengthAt = reader.offset
        let length = Int(try reader.u32("Data-Length2"))
        guard length <= reader.remaining else {
            throw reader.error("Data-Length2", "says \(length) bytes, only \(reader.remaining) follow", at: lengthAt)
        }
        let legacyCount = try reader.u32("Number-Of-Filters11")
        let count = try reader.count("Number-Of-Filters2", itemSize: 12 + Entry.fixedSize)
        var filters: [Entry] = []
        for index in stride(from: 1, through: count, by: 1) {
            let name = "v2 filter \(index)"
            let sourceName = try reader.utf16String(name + " Source-DNS-Name2")
            let destinationName = try reader.utf16String(name + " Destination-DNS-Name2")
            let description = try reader.utf16String(name + " Filter-Description2")
            let identifier = try reader.guid(name + " Filter-Specification-ID2")
            let mirrored = try reader.u32(name + " Mirror-Flags")
            let source = try address(&reader, name + " Source-Address-Data")
            let destination = try address(&reader, name + " Destination-Address-Data")
            let sourcePort = try port(&reader, name + " Source-Port-Data")
            let destinationPort = try port(&reader, name + " Destination-Port-Data")
            var entry = Entry(identifier: identifier, mirrored: mirrored != 0, source: source, destination: destination,
                              sourcePort: sourcePort, destinationPort: destinationPort,
                              protocol: try reader.u32(name + " Filter-Protocol"))
            entry.flags = try reader.u32(name + " Filter-Flags")
            entry.mirrored = mirrored
            entry.sourceDNSName = sourceName
            entry.destinationDNSName = destinationName
            entry.description = description
            filters.append(entry)
        }
        return (legacyCount, filters)
    }

    private static func address(_ reader: inout BlobReader, _ field: String) throws(BlobError) -> Address {
        Address(type: try reader.u32(field + " IPsec-Address-Type"), version: try reader.u32(field + " IPsec-Address-Version"),
                address: Array(try reader.take(16, field + " IP-Address")), secondary: Array(try reader.take(16, field + " IP-Address-Secondary")))
    }

    private static func port(_ reader: inout BlobReader, _ field: String) throws(BlobError) -> Port {
        var value = Port(0)
        value.type = try reader.u32(field + " type")
        value.port = try reader.u16(field + " port")
        value.rangeEnd = try reader.u16(field + " range end")
        return value
    }

    static func encode(_ filters: [Entry], legacyCount: Int, into writer: inout BlobWriter) {
        var body = BlobWriter()
        for filter in filters {
            body.utf16String(filter.sourceDNSName)
            body.utf16String(filter.destinationDNSName)
            body.utf16String(filter.description)
            body.guid(filter.identifier)
            body.u32(filter.mirrored)
            for side in [filter.source, filter.destination] {
                body.u32(side.type)
                body.u32(side.version)
                body.raw(side.address.count == 16 ? side.address : Array(repeating: 0, count: 16))
                body.raw(side.secondary.count == 16 ? side.secondary : Array(repeating: 0, count: 16))
            }
            for port in [filter.sourcePort, filter.destinationPort] {
                body.u32(port.type)
                body.u16(port.port)
                body.u16(port.rangeEnd)
            }
            body.u32(filter.protocol)
            body.u32(filter.flags)
        }
        writer.guid(sectionGUID)
        writer.u32(UInt32(body.bytes.count))
        writer.u32(UInt32(legacyCount))
        writer.u32(UInt32(filters.count))
        writer.raw(body.bytes)
    }
}
