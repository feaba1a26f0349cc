import Transforms

/// One Quick Mode offer for an ESP or AH SA (RFC 2407 §4.4.4, §4.4.3 transform IDs and §4.5
/// attributes; RFC 3947 §5 UDP encapsulation modes; RFC 4304 extended sequence numbers).
public struct QuickModeTransform: Equatable, Sendable, CustomStringConvertible {
    /// The ISAKMP protocol of the proposal.
    public enum IPsecProtocol: UInt8, Sendable {
        case ah = 2
        case esp = 3
    }

    /// Encapsulation Mode values (RFC 2407 §4.5, RFC 3947 §5). The draft values 61443/61444
    /// that older peers send for the UDP modes are read as the RFC ones.
    public enum Encapsulation: UInt16, Sendable {
        case tunnel = 1, transport = 2, udpTunnel = 3, udpTransport = 4
    }

    public var ipsecProtocol: IPsecProtocol
    /// ESP's cipher (nil for AH).
    public var cipher: EncryptionAlgorithm?
    /// ESP's or AH's integrity (nil for an AEAD cipher).
    public var integrity: IntegrityAlgorithm?
    public var encapsulation: Encapsulation
    /// The PFS group (Group Description), nil without PFS.
    public var pfsGroup: DiffieHellmanGroup?
    public var lifetimeSeconds: UInt64?
    public var lifetimeKilobytes: UInt64?
    public var extendedSequenceNumbers: Bool

    public init(ipsecProtocol: IPsecProtocol, cipher: EncryptionAlgorithm?, integrity: IntegrityAlgorithm?, encapsulation: Encapsulation,
                pfsGroup: DiffieHellmanGroup? = nil, lifetimeSeconds: UInt64? = 3_600, lifetimeKilobytes: UInt64? = 100_000,
                extendedSequenceNumbers: Bool = false) {
        self.ipsecProtocol = ipsecProtocol
        self.cipher = cipher
        self.integrity = integrity
        self.encapsulation = encapsulation
        self.pfsGroup = pfsGroup
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
        self.extendedSequenceNumbers = extendedSequenceNumbers
    }

    public var description: String {
        let parts = [ipsecProtocol == .esp ? "ESP" : "AH", cipher?.description, integrity?.description, "\(encapsulation)",
                     pfsGroup.map { "PFS \($0.rawValue)" }]
        return parts.compactMap { $0 }.joined(separator: " ")
    }

    /// The transform ID: ESP's cipher (RFC 2407 §4.4.4, RFC 4106 for GCM) or AH's hash (§4.4.3).
    public var transformID: UInt8? {
        switch ipsecProtocol {
        case .esp:
            switch cipher {
            case .desCBC?: 2
            case .tripleDESCBC?: 3
            case .null?: 11
            case .aesCBC?: 12
            case .aesGCM16?: 20
            default: nil
            }
        case .ah:
            switch integrity {
            case .hmacMD5_96?: 2
            case .hmacSHA1_96?: 3
            case .hmacSHA256_128?: 5
            case .hmacSHA384_192?: 6
            case .hmacSHA512_256?: 7
            case nil: nil
            }
        }
    }

    /// RFC 2407 §4.5 Authentication Algorithm values (RFC 4868 for SHA-2).
    static func authenticationValue(_ integrity: IntegrityAlgorithm) -> UInt16 {
        switch integrity {
        case .hmacMD5_96: 1
        case .hmacSHA1_96: 2
        case .hmacSHA256_128: 5
        case .hmacSHA384_192: 6
        case .hmacSHA512_256: 7
        }
    }

    /// The transform payload, or nil for a combination IKEv1 cannot express (ChaCha20, AH
    /// without integrity).
    public func transform(number: UInt8) -> Transform? {
        guard let id = transformID else { return nil }
        var attributes: [Attribute] = []
        for (type, value) in [(UInt16(1), lifetimeSeconds), (2, lifetimeKilobytes)] {
            guard let value else { continue }
            attributes.append(Attribute(1, type))
            attributes.append(value <= UInt64(UInt16.max) ? Attribute(2, UInt16(value))
                              : Attribute(2, bytes: withUnsafeBytes(of: UInt32(clamping: value).bigEndian) { Array($0) }))
        }
        if let pfsGroup { attributes.append(Attribute(3, UInt16(pfsGroup.rawValue))) }
        attributes.append(Attribute(4, encapsulation.rawValue))
        if let integrity { attributes.append(Attribute(5, Self.authenticationValue(integrity))) }
        switch cipher {
        case .aesCBC(let bits)?: attributes.append(Attribute(6, UInt16(bits)))
        case .aesGCM16(let bits)?: attributes.append(Attribute(6, UInt16(bits)))
        default: break
        }
        if extendedSequenceNumbers { attributes.append(Attribute(11, 1)) }
        return Transform(number: number, id: id, attributes: attributes)
    }
}

extension QuickModeTransform {
    /// Reads an ESP or AH transform of a Quick Mode proposal. Throws naming the attribute when it
    /// is missing, repeated or has a value Ward does not implement.
    public init(protocolID: UInt8, transform: Transform) throws(ProposalError) {
        func refuse(_ detail: String) -> ProposalError { ProposalError(transform: transform.number, detail) }
        guard let ipsecProtocol = IPsecProtocol(rawValue: protocolID) else { throw refuse("protocol \(protocolID) is not AH (2) or ESP (3)") }
        var seconds: UInt64?, kilobytes: UInt64?, pendingLifeType: UInt16?
        var group: DiffieHellmanGroup?, encapsulation: Encapsulation?, authentication: UInt16?, keyLength: UInt16?, esn = false
        var seen: Set<UInt16> = []
        for attribute in transform.attributes {
            guard attribute.type <= 2 || seen.insert(attribute.type).inserted else { throw refuse("attribute type \(attribute.type) is repeated") }
            if attribute.type == 2 {
                guard let lifeType = pendingLifeType else { throw refuse("SA Life Duration without an SA Life Type before it") }
                guard let value = attribute.number else { throw refuse("SA Life Duration longer than 8 bytes") }
                switch lifeType {
                case 1: seconds = value
                case 2: kilobytes = value
                default: throw refuse("SA Life Type \(lifeType) is not seconds (1) or kilobytes (2)")
                }
                pendingLifeType = nil
                continue
            }
            guard case .basic(let value) = attribute.value else { throw refuse("attribute type \(attribute.type) must be basic") }
            switch attribute.type {
            case 1: pendingLifeType = value
            case 3:
                guard let known = DiffieHellmanGroup(rawValue: Int(value)) else { throw refuse("Group Description \(value) is not supported") }
                group = known
            case 4:
                switch value {
                case 61443: encapsulation = .udpTunnel  // draft-ietf-ipsec-nat-t-ike
                case 61444: encapsulation = .udpTransport
                default:
                    guard let known = Encapsulation(rawValue: value) else { throw refuse("Encapsulation Mode \(value) is not supported") }
                    encapsulation = known
                }
            case 5: authentication = value
            case 6: keyLength = value
            case 11: esn = value == 1
            default: throw refuse("attribute type \(attribute.type) is not supported")
            }
        }
        if pendingLifeType != nil { throw refuse("SA Life Type without an SA Life Duration after it") }
        // RFC 2407 §4.5: Encapsulation Mode defaults to unspecified; Ward, like Windows, reads
        // a missing one as transport.
        let mode = encapsulation ?? .transport
        let integrity: IntegrityAlgorithm?
        switch authentication {
        case nil: integrity = nil
        case 1?: integrity = .hmacMD5_96
        case 2?: integrity = .hmacSHA1_96
        case 5?: integrity = .hmacSHA256_128
        case 6?: integrity = .hmacSHA384_192
        case 7?: integrity = .hmacSHA512_256
        case let other?: throw refuse("Authentication Algorithm \(other) is not supported")
        }
        var cipher: EncryptionAlgorithm?
        switch ipsecProtocol {
        case .esp:
            switch (transform.id, keyLength) {
            case (2, nil): cipher = .desCBC
            case (3, nil): cipher = .tripleDESCBC
            case (11, nil): cipher = .null
            case (12, let bits?) where [128, 192, 256].contains(bits): cipher = .aesCBC(keyBits: Int(bits))
            case (12, nil): cipher = .aesCBC(keyBits: 128)  // RFC 3602 §5: no Key Length means 128
            case (20, let bits?) where [128, 192, 256].contains(bits): cipher = .aesGCM16(keyBits: Int(bits))
            default: throw refuse("ESP transform \(transform.id) (key length \(keyLength.map(String.init) ?? "none")) is not supported")
            }
            if cipher?.isAEAD == true {
                guard integrity == nil else { throw refuse("AES-GCM takes no Authentication Algorithm") }
            } else if integrity == nil && cipher == .null {
                throw refuse("ESP with NULL encryption needs an Authentication Algorithm")
            }
        case .ah:
            let fromID: IntegrityAlgorithm? = switch transform.id {
            case 2: .hmacMD5_96
            case 3: .hmacSHA1_96
            case 5: .hmacSHA256_128
            case 6: .hmacSHA384_192
            case 7: .hmacSHA512_256
            default: nil
            }
            guard let fromID else { throw refuse("AH transform \(transform.id) is not supported") }
            guard integrity == nil || integrity == fromID else { throw refuse("Authentication Algorithm disagrees with AH transform \(transform.id)") }
            self.init(ipsecProtocol: .ah, cipher: nil, integrity: fromID, encapsulation: mode, pfsGroup: group,
                      lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes, extendedSequenceNumbers: esn)
            return
        }
        self.init(ipsecProtocol: ipsecProtocol, cipher: cipher, integrity: integrity, encapsulation: mode, pfsGroup: group,
                  lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes, extendedSequenceNumbers: esn)
    }
}
