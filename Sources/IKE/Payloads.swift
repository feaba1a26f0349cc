import Packet

/// Payload type numbers (RFC 2408 §3.1; NAT-D and NAT-OA from RFC 3947, with the draft
/// numbers 130/131 that older peers still send; the GSS token payload of
/// draft-ietf-ipsec-isakmp-gss-auth-07 §3.3.3).
public enum PayloadType: UInt8, Sendable {
    case none = 0, securityAssociation = 1, proposal = 2, transform = 3, keyExchange = 4, identification = 5
    case certificate = 6, certificateRequest = 7, hash = 8, signature = 9, nonce = 10, notification = 11
    case delete = 12, vendorID = 13, natDiscovery = 20, natOriginalAddress = 21
    case gssToken = 129, natDiscoveryDraft = 130, natOriginalAddressDraft = 131
}

/// A data attribute of a transform (RFC 2408 §3.3): basic (16-bit value) or variable length.
public struct Attribute: Equatable, Sendable {
    public var type: UInt16
    public var value: Value

    public enum Value: Equatable, Sendable {
        case basic(UInt16)
        case variable([UInt8])
    }

    public init(_ type: UInt16, _ value: UInt16) {
        self.type = type
        self.value = .basic(value)
    }

    public init(_ type: UInt16, bytes: [UInt8]) {
        self.type = type
        value = .variable(bytes)
    }

    /// The value as a number (variable values up to 8 bytes, e.g. a long life duration).
    public var number: UInt64? {
        switch value {
        case .basic(let v): UInt64(v)
        case .variable(let bytes) where bytes.count <= 8: bytes.reduce(0) { $0 << 8 | UInt64($1) }
        case .variable: nil
        }
    }
}

/// A transform payload: one complete set of algorithms and lifetimes a proposal offers.
public struct Transform: Equatable, Sendable {
    public var number: UInt8
    /// KEY_IKE (1) in Main Mode; ESP/AH transform IDs (RFC 2407 §4.4) in Quick Mode.
    public var id: UInt8
    public var attributes: [Attribute]

    public init(number: UInt8, id: UInt8, attributes: [Attribute]) {
        self.number = number
        self.id = id
        self.attributes = attributes
    }

    public func attribute(_ type: UInt16) -> Attribute? { attributes.first { $0.type == type } }
}

/// A proposal payload: a protocol (ISAKMP 1, AH 2, ESP 3), its SPI and alternative transforms.
public struct Proposal: Equatable, Sendable {
    public var number: UInt8
    public var protocolID: UInt8
    public var spi: [UInt8]
    public var transforms: [Transform]

    public init(number: UInt8, protocolID: UInt8, spi: [UInt8] = [], transforms: [Transform]) {
        self.number = number
        self.protocolID = protocolID
        self.spi = spi
        self.transforms = transforms
    }
}

/// The SA payload with the IPsec DOI (RFC 2407 §4.6.1): situation SIT_IDENTITY_ONLY.
public struct SecurityAssociationPayload: Equatable, Sendable {
    public var doi: UInt32 = 1
    public var situation: UInt32 = 1
    public var proposals: [Proposal]

    public init(proposals: [Proposal], doi: UInt32 = 1, situation: UInt32 = 1) {
        self.proposals = proposals
        self.doi = doi
        self.situation = situation
    }
}

/// The ID payload of the IPsec DOI (RFC 2407 §4.6.2).
public struct Identification: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case ipv4Address = 1, fqdn = 2, userFQDN = 3, ipv4Subnet = 4, ipv6Address = 5, ipv6Subnet = 6
        case ipv4Range = 7, ipv6Range = 8, derASN1DN = 9, derASN1GN = 10, keyID = 11
    }

    public var kind: Kind
    public var protocolID: UInt8
    public var port: UInt16
    public var data: [UInt8]

    public init(kind: Kind, protocolID: UInt8 = 0, port: UInt16 = 0, data: [UInt8]) {
        self.kind = kind
        self.protocolID = protocolID
        self.port = port
        self.data = data
    }

    /// A fully qualified domain name ID (RFC 2407 §4.6.2.3).
    public static func fqdn(_ name: String) -> Identification {
        Identification(kind: .fqdn, data: Array(name.utf8))
    }

    /// The ID for a log line: an address, a name, or the type and length.
    public static func text(_ id: Identification) -> String {
        switch id.kind {
        case .fqdn, .userFQDN: return String(decoding: id.data, as: UTF8.self)
        case .ipv4Address, .ipv6Address: return IPAddress(octets: id.data)?.description ?? "\(id.kind) (\(id.data.count) bytes)"
        default: return "\(id.kind) (\(id.data.count) bytes)"
        }
    }

    /// An address ID, as Windows uses for Main Mode.
    public static func address(_ address: IPAddress, protocolID: UInt8 = 0, port: UInt16 = 0) -> Identification {
        switch address {
        case .v4(let a): Identification(kind: .ipv4Address, protocolID: protocolID, port: port, data: a.octets)
        case .v6(let a): Identification(kind: .ipv6Address, protocolID: protocolID, port: port, data: a.octets)
        }
    }
}

/// A notification (RFC 2408 §3.14).
public struct Notification: Equatable, Sendable {
    public var doi: UInt32
    public var protocolID: UInt8
    public var type: UInt16
    public var spi: [UInt8]
    public var data: [UInt8]

    public init(doi: UInt32 = 1, protocolID: UInt8, type: UInt16, spi: [UInt8] = [], data: [UInt8] = []) {
        self.doi = doi
        self.protocolID = protocolID
        self.type = type
        self.spi = spi
        self.data = data
    }
}

/// A delete payload (RFC 2408 §3.15): SPIs of one protocol, all the same size.
public struct Delete: Equatable, Sendable {
    public var doi: UInt32
    public var protocolID: UInt8
    public var spiSize: UInt8
    public var spis: [[UInt8]]

    public init(doi: UInt32 = 1, protocolID: UInt8, spiSize: UInt8, spis: [[UInt8]]) {
        self.doi = doi
        self.protocolID = protocolID
        self.spiSize = spiSize
        self.spis = spis
    }
}

/// One payload of a message.
public enum Payload: Equatable, Sendable {
    case securityAssociation(SecurityAssociationPayload)
    case keyExchange([UInt8])
    case identification(Identification)
    case certificate(encoding: UInt8, data: [UInt8])
    case certificateRequest(type: UInt8, authority: [UInt8])
    case hash([UInt8])
    case signature([UInt8])
    case nonce([UInt8])
    case notification(Notification)
    case delete(Delete)
    case vendorID([UInt8])
    case natDiscovery([UInt8])
    case natOriginalAddress(Identification)
    /// A GSS token payload's body as on the wire (``GSSAuthentication/token(fromBody:)``
    /// finds the token in it).
    case gssToken([UInt8])

    var type: PayloadType {
        switch self {
        case .securityAssociation: .securityAssociation
        case .keyExchange: .keyExchange
        case .identification: .identification
        case .certificate: .certificate
        case .certificateRequest: .certificateRequest
        case .hash: .hash
        case .signature: .signature
        case .nonce: .nonce
        case .notification: .notification
        case .delete: .delete
        case .vendorID: .vendorID
        case .natDiscovery: .natDiscovery
        case .natOriginalAddress: .natOriginalAddress
        case .gssToken: .gssToken
        }
    }
}
