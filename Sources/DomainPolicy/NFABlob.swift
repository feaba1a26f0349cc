import Foundation

/// The `ipsecNFA` blob ([MS-GPIPSEC] §2.2.1.3): a rule's authentication methods, interface
/// type, tunnel endpoint and active flag. Its filter list and filter action are references
/// on the object, not in the blob.
public struct NFABlob: Equatable, Sendable {
    public struct AuthenticationMethod: Equatable, Sendable {
        /// 1 preshared key, 3 certificate, 5 Kerberos.
        public var type: UInt32
        /// The key in clear (type 1), the root CA's name (type 3), empty (type 5).
        public var data: String
        public init(type: UInt32, data: String) {
            self.type = type
            self.data = data
        }

        public static let preSharedKey: UInt32 = 1
        public static let certificate: UInt32 = 3
        public static let kerberos: UInt32 = 5
    }

    public var authenticationMethods: [AuthenticationMethod]
    /// 0xFFFFFFFD all, 0xFFFFFFFE LAN, 0xFFFFFFFF dial-up.
    public var interfaceType: UInt32
    public var interfaceName: String = ""
    /// The tunnel endpoint, IPv4 in network byte order; 0 when not a tunnel.
    public var tunnelAddress: [UInt8]
    public var isTunnel: UInt32
    public var isActive: UInt32
    public var endpointName: String = ""
    /// Bytes after the fields above (later Windows versions), kept as read.
    public var extra: [UInt8] = []

    public static let interfaceAll: UInt32 = 0xFFFF_FFFD
    public static let interfaceLAN: UInt32 = 0xFFFF_FFFE
    public static let interfaceDialUp: UInt32 = 0xFFFF_FFFF

    public init(authenticationMethods: [AuthenticationMethod], interfaceType: UInt32, tunnelAddress: [UInt8],
                isTunnel: Bool, isActive: Bool) {
        self.authenticationMethods = authenticationMethods
        self.interfaceType = interfaceType
        self.tunnelAddress = tunnelAddress
        self.isTunnel = isTunnel ? 1 : 0
        self.isActive = isActive ? 1 : 0
    }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> NFABlob {
        var reader = try BlobFraming.payload(blob, kind: .nfa, object: object)
        // Each method is at least 8 bytes (type and a length).
        let count = try reader.count("Auth-Method-Count", itemSize: 8)
        var methods: [AuthenticationMethod] = []
        for index in stride(from: 1, through: count, by: 1) {
            let type = try reader.u32("auth method \(index) type")
            let data = try reader.utf16String("auth method \(index) data")
            methods.append(AuthenticationMethod(type: type, data: data))
        }
        let interfaceType = try reader.u32("Interface-Type")
        let interfaceName = try reader.utf16String("Interface-Name")
        let tunnel = Array(try reader.take(4, "Tunnel-Address"))
        let isTunnel = try reader.u32("Is-Tunnel")
        let isActive = try reader.u32("Is-Active")
        let endpoint = try reader.utf16String("End-Point-Name")
        var value = NFABlob(authenticationMethods: methods, interfaceType: interfaceType, tunnelAddress: tunnel,
                            isTunnel: isTunnel != 0, isActive: isActive != 0)
        value.isTunnel = isTunnel
        value.isActive = isActive
        value.interfaceName = interfaceName
        value.endpointName = endpoint
        value.extra = Array(try reader.take(reader.remaining, "trailing data"))
        return value
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.u32(UInt32(authenticationMethods.count))
        for method in authenticationMethods {
            writer.u32(method.type)
            writer.utf16String(method.data)
        }
        writer.u32(interfaceType)
        writer.utf16String(interfaceName)
        writer.raw(tunnelAddress.count == 4 ? tunnelAddress : [0, 0, 0, 0])
        writer.u32(isTunnel)
        writer.u32(isActive)
        writer.utf16String(endpointName)
        writer.raw(extra)
        return BlobFraming.frame(writer.bytes, kind: .nfa)
    }
}
