import Packet

/// Kerberos through GSS-API, as Main Mode needs it (draft-ietf-ipsec-isakmp-gss-auth-07 §3):
/// a security context per exchange whose tokens ride in GSS payloads and which seals the
/// Main Mode hashes. The engine stays free of I/O: the agent plugs in MIT krb5
/// (`Kerberos.GSSAPIKerberos`), the tests a fake realm.
///
/// A mechanism is shared by every exchange of a rule; its contexts belong to one exchange.
/// Nothing here may block on the network: the initiator's first step, which asks the KDC for
/// tickets, is started by ``initiator(exchange:target:peer:)`` and collected when it is done.
public protocol GSSMechanism: Sendable {
    /// This host's GSS identity, sent in the GSS Identity Name attribute (16384) of Main
    /// Mode's SA payload: Windows' form `HOST1$@WARD.TEST`.
    func localName() throws(GSSFailure) -> String
    /// The initiator's context for one exchange (`exchange`: its initiator cookie), towards
    /// `target` (the peer's GSS identity from its SA payload) or, when the peer named none,
    /// the host service of `peer`. Returns ``GSSInitiation/pending`` while the tickets are
    /// being fetched; the engine asks again when the peer repeats its message.
    func initiator(exchange: UInt64, target: String?, peer: IPAddress) -> GSSInitiation
    /// A context that accepts with this host's keys (no KDC traffic: the keytab decrypts).
    func acceptor() throws(GSSFailure) -> any GSSSecurityContext
}

/// Where an initiator's context stands.
public enum GSSInitiation {
    /// Tickets are still being fetched.
    case pending
    /// The context and its first token (the Kerberos AP-REQ).
    case ready(any GSSSecurityContext, firstToken: [UInt8])
    case failed(GSSFailure)
}

/// One GSS-API security context (RFC 2743 §2.2): stepped with the peer's tokens until it is
/// complete, then used to seal and open the Main Mode hashes.
public protocol GSSSecurityContext: AnyObject {
    /// Feeds the peer's token (nil for an initiator's first step) and returns the token to
    /// send, if any. Throws when the mechanism refuses (GSS_Init_sec_context /
    /// GSS_Accept_sec_context failing).
    func step(_ token: [UInt8]?) throws(GSSFailure) -> [UInt8]?
    /// Whether the context is established (GSS_S_COMPLETE), mutual authentication included.
    var isComplete: Bool { get }
    /// The authenticated peer's principal, once complete (`HOST2$@WARD.TEST`).
    var peerName: String? { get }
    /// GSS_Wrap with confidentiality (draft §3.1: HASH_I and HASH_R travel wrapped).
    func wrap(_ message: [UInt8]) throws(GSSFailure) -> [UInt8]
    /// GSS_Unwrap; throws when the token does not verify or repeats (sequence checks).
    func unwrap(_ token: [UInt8]) throws(GSSFailure) -> [UInt8]
}

/// Why GSS-API refused: the call, its major and minor status and the mechanism's words for
/// them, with the reason sorted where Kerberos names it.
public struct GSSFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, in the words an administrator looks for.
    public enum Reason: String, Sendable {
        case clockSkew = "clock skew"
        case unknownPrincipal = "unknown principal"
        case wrongRealm = "wrong realm"
        case expiredTicket = "expired ticket"
        case kdcUnreachable = "KDC unreachable"
        case wrongKey = "wrong key"
        case noCredentials = "no credentials"
        case integrity = "integrity check failed"
        case other = "refused"
    }

    /// The GSS-API call that failed: `gss_init_sec_context`, `gss_unwrap`…
    public var call: String
    public var major: UInt32
    public var minor: UInt32
    public var reason: Reason
    /// The mechanism's text for the status codes (gss_display_status).
    public var text: String

    public init(call: String, major: UInt32 = 0, minor: UInt32 = 0, reason: Reason, text: String) {
        self.call = call
        self.major = major
        self.minor = minor
        self.reason = reason
        self.text = text
    }

    public var description: String {
        "\(reason.rawValue): \(text) (\(call), major 0x\(String(major, radix: 16)), minor \(Int32(bitPattern: minor)))"
    }
}

/// The wire facts of GSS-API authentication in IKEv1 (draft-ietf-ipsec-isakmp-gss-auth-07
/// §3.3, §3.4; [MS-IKEE] for Microsoft's vendor ID).
public enum GSSAuthentication {
    /// The GSS token payload's type (§3.3.3, private-use range).
    public static let tokenPayloadType: UInt8 = 129
    /// The GSS Identity Name SA attribute (§3.3.2); Windows 2000 also used 32001.
    public static let identityAttribute: UInt16 = 16384
    public static let legacyIdentityAttribute: UInt16 = 32001
    /// "MS NT5 ISAKMPOAKLEY" = MD5 of the string, then a 4-byte version ([MS-IKEE]; 4 is
    /// Windows Server 2003, the system Ward behaves as).
    public static let microsoftVendorIDPrefix: [UInt8] = [0x1E, 0x2B, 0x51, 0x69, 0x05, 0x99, 0x1C, 0x7D,
                                                          0x7C, 0x96, 0xFC, 0xBF, 0xB5, 0x87, 0xE4, 0x61]
    public static let microsoftVendorID: [UInt8] = microsoftVendorIDPrefix + [0, 0, 0, 4]
    /// "GSSAPI" = MD5("GSSAPI").
    public static let gssapiVendorID: [UInt8] = [0x62, 0x1B, 0x04, 0xBB, 0x09, 0x88, 0x2A, 0xC1,
                                                 0xE1, 0x59, 0x35, 0xFE, 0xFA, 0x24, 0xAE, 0xEE]
    /// MD5("A GSS-API Authentication Method for IKE"), and the draft's printed value (the
    /// same string with a trailing newline), as racoon and older peers send them.
    public static let draftVendorIDs: [[UInt8]] = [
        [0xAD, 0x2C, 0x0D, 0xD0, 0xB9, 0xC3, 0x20, 0x83, 0xCC, 0xBA, 0x25, 0xB8, 0x86, 0x1E, 0xC4, 0x55],
        [0xB4, 0x6D, 0x89, 0x14, 0xF3, 0xAA, 0xA3, 0xF2, 0xFE, 0xDE, 0xB7, 0xC7, 0xDB, 0x29, 0x43, 0xCA],
    ]
    /// The vendor IDs Ward sends when it offers or chooses Kerberos.
    public static let vendorIDs: [[UInt8]] = [microsoftVendorID, gssapiVendorID]

    /// Whether a vendor ID says its sender speaks GSS-API authentication (any of the forms
    /// above; the Microsoft one with any version).
    public static func announcesGSS(_ vendorID: [UInt8]) -> Bool {
        (vendorID.count == 20 && Array(vendorID.prefix(16)) == microsoftVendorIDPrefix)
            || vendorID == gssapiVendorID || draftVendorIDs.contains(vendorID)
    }

    /// The Microsoft vendor ID's version (2 = Windows 2000, 3 = XP, 4 = Server 2003, 5 = Vista…).
    public static func microsoftVersion(_ vendorID: [UInt8]) -> UInt32? {
        guard vendorID.count == 20, Array(vendorID.prefix(16)) == microsoftVendorIDPrefix else { return nil }
        return vendorID[16...].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// A GSS identity as the attribute carries it: UTF-16LE without a terminator (draft §3,
    /// "for Windows 2000 compatibility … encoded as unicode strings").
    public static func encodeIdentity(_ name: String) -> [UInt8] {
        name.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    /// Reads the attribute's value: UTF-16LE (even length, valid code units), a trailing NUL
    /// dropped. Nil when it is not.
    public static func decodeIdentity(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, bytes.count % 2 == 0, bytes.count <= 1024 else { return nil }
        var units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        if units.last == 0 { units.removeLast() }
        guard !units.isEmpty, !units.contains(0), let name = String(validating: units, as: UTF16.self) else { return nil }
        return name
    }

    /// The token payload's body as Ward sends it: draft-07's one-byte Vendor Encoding (0) and
    /// the token (§3.3.3).
    public static func payloadBody(token: [UInt8]) -> [UInt8] { [0] + token }

    /// The token inside a received body. Draft-07 puts a Vendor Encoding byte first; racoon
    /// (which follows draft-06) sends the bare token. A GSS initial-context token and
    /// Kerberos' framed tokens begin with 0x60 (RFC 2743 §3.1, RFC 4121 §4.1), which no
    /// vendor encoding Ward knows uses, so a body starting 0x60 is taken as bare.
    public static func token(fromBody body: [UInt8]) -> [UInt8] {
        guard let first = body.first, first != 0x60 else { return body }
        return Array(body.dropFirst())
    }
}
