import Foundation
import Packet
import Policy

/// The IP Security container as read → Ward's objects, tolerantly: Windows' padding and
/// uninitialised bytes are ignored, unknown extra bytes kept, the Version Information Object
/// and objects no policy reaches left alone. What Ward's model cannot hold, or a reference to
/// a missing object, is an error naming the object and attribute.
public struct DomainPolicyDecoder {
    public let container: IPsecContainer

    public init(container: IPsecContainer) { self.container = container }

    public struct Image: Sendable {
        public var objects: DomainPolicyObjects
        public var companions: [UUID: PolicyCompanions]
    }

    public func decode(_ entries: [DirectoryEntry]) throws(DomainObjectError) -> Image {
        var byKey: [String: DirectoryEntry] = [:]
        for entry in entries { byKey[IPsecContainer.key(entry.dn)] = entry }

        func kind(of entry: DirectoryEntry) -> BlobKind? {
            let classes = Set(entry.strings(IPsecAttribute.objectClass).map { $0.lowercased() })
            return BlobKind.allCases.first { classes.contains($0.objectClass.lowercased()) }
        }
        func cn(_ entry: DirectoryEntry) -> String {
            String(entry.dn.prefix { $0 != "," }.dropFirst(3))
        }
        func id(_ entry: DirectoryEntry) throws(DomainObjectError) -> UUID {
            if let text = entry.string(IPsecAttribute.id), let value = WindowsGUID.parse(text) { return value }
            if let parsed = container.parse(entry.dn) { return parsed.id }
            throw DomainObjectError(object: cn(entry), attribute: "ipsecID", "is missing or not a GUID")
        }
        func data(_ entry: DirectoryEntry) throws(DomainObjectError) -> [UInt8] {
            guard let value = entry.values(IPsecAttribute.data).first else {
                throw DomainObjectError(object: cn(entry), attribute: "ipsecData", "is missing")
            }
            return value
        }
        func target(_ entry: DirectoryEntry, _ attribute: String, _ expected: BlobKind) throws(DomainObjectError) -> [DirectoryEntry] {
            var result: [DirectoryEntry] = []
            for dn in entry.strings(attribute) {
                guard let found = byKey[IPsecContainer.key(dn)], kind(of: found) == expected else {
                    throw DomainObjectError(object: cn(entry), attribute: Self.displayName(attribute),
                                            "names \(dn), which does not exist (a dangling reference)")
                }
                result.append(found)
            }
            return result
        }

        var objects = DomainPolicyObjects()
        var companions: [UUID: PolicyCompanions] = [:]
        var listIDs = Set<UUID>(), actionIDs = Set<UUID>()
        for entry in entries {
            switch kind(of: entry) {
            case .filter?:
                let list = try filterList(entry, id: try id(entry), data: try data(entry), object: cn(entry))
                objects.filterLists.append(list)
                listIDs.insert(list.id)
            case .negotiation?:
                let typeText = entry.string(IPsecAttribute.negotiationType) ?? ""
                guard WindowsGUID.parse(typeText) != NegotiationPolicyGUID.defaultResponseType else { continue }
                let action = try filterAction(entry, id: try id(entry), data: try data(entry), object: cn(entry))
                objects.filterActions.append(action)
                actionIDs.insert(action.id)
            default:
                continue
            }
        }
        for entry in entries where kind(of: entry) == .policy {
            let policyID = try id(entry)
            let object = cn(entry)
            let polling: PolicyBlob
            let policyData = try data(entry)
            polling = try Self.blob { () throws(BlobError) in try PolicyBlob.decode(policyData, object: object) }
            guard let isakmpEntry = try target(entry, IPsecAttribute.isakmpReference, .isakmp).first else {
                throw DomainObjectError(object: object, attribute: "ipsecISAKMPReference", "is missing")
            }
            let isakmp: ISAKMPBlob
            let isakmpData = try data(isakmpEntry)
            isakmp = try Self.blob { () throws(BlobError) in try ISAKMPBlob.decode(isakmpData, object: cn(isakmpEntry)) }
            var defaultRule: DefaultResponseRule?
            var defaultIDs: (rule: UUID, action: UUID)?
            var rules: [Rule] = []
            for nfaEntry in try target(entry, IPsecAttribute.nfaReference, .nfa) {
                let nfaID = try id(nfaEntry)
                if nfaID == VersionInformationObject.id { continue }
                let nfaObject = cn(nfaEntry)
                let blob: NFABlob
                let nfaData = try data(nfaEntry)
                blob = try Self.blob { () throws(BlobError) in try NFABlob.decode(nfaData, object: nfaObject) }
                let methods = try authenticationMethods(blob, options: isakmp.options, object: nfaObject)
                guard let actionEntry = try target(nfaEntry, IPsecAttribute.negotiationReference, .negotiation).first else {
                    throw DomainObjectError(object: nfaObject, attribute: "ipsecNegotiationPolicyReference", "is missing")
                }
                let lists = try target(nfaEntry, IPsecAttribute.filterReference, .filter)
                if lists.isEmpty {
                    // No filter list: the default response rule ([MS-GPIPSEC] §3.2.5.3).
                    let negotiation: NegotiationBlob
                    let actionData = try data(actionEntry)
                    negotiation = try Self.blob { () throws(BlobError) in try NegotiationBlob.decode(actionData, object: cn(actionEntry)) }
                    let offers = try quickModeMethods(negotiation, object: cn(actionEntry))
                    defaultRule = DefaultResponseRule(active: blob.isActive != 0, quickModePFS: offers.pfs,
                                                      securityMethods: offers.methods, authenticationMethods: methods)
                    defaultIDs = (nfaID, try id(actionEntry))
                    continue
                }
                guard lists.count == 1 else {
                    throw DomainObjectError(object: nfaObject, attribute: "ipsecFilterReference",
                                            "names \(lists.count) filter lists; a rule has one")
                }
                let listID = try id(lists[0]), actionID = try id(actionEntry)
                guard listIDs.contains(listID) else {
                    throw DomainObjectError(object: nfaObject, attribute: "ipsecFilterReference", "names \(lists[0].dn), which is not a filter list")
                }
                guard actionIDs.contains(actionID) else {
                    throw DomainObjectError(object: nfaObject, attribute: "ipsecNegotiationPolicyReference",
                                            "names \(actionEntry.dn), a default response action, for a rule with a filter list")
                }
                var tunnel: IPAddress?
                if blob.isTunnel != 0, blob.tunnelAddress != [0, 0, 0, 0] { tunnel = IPAddress(octets: blob.tunnelAddress) }
                let connection: ConnectionType = switch blob.interfaceType {
                case NFABlob.interfaceLAN: .lan
                case NFABlob.interfaceDialUp: .dialup
                default: .all
                }
                let name = nfaEntry.string(IPsecAttribute.name) ?? ""
                rules.append(Rule(id: nfaID, policyID: policyID, name: name.isEmpty ? nfaObject : name,
                                  description: nfaEntry.string(IPsecAttribute.description) ?? "",
                                  filterListID: listID, filterActionID: actionID, tunnelEndpoint: tunnel,
                                  connectionType: connection, active: blob.isActive != 0,
                                  authenticationMethods: methods, whenChanged: Self.time(nfaEntry)))
            }
            let seconds = polling.pollingIntervalSeconds == 0 ? 10_800 : Int(polling.pollingIntervalSeconds)
            let name = entry.string(IPsecAttribute.name) ?? ""
            let ids = defaultIDs
            // A policy without a default response NFA gets one, inactive, when Ward writes it.
            companions[policyID] = PolicyCompanions(isakmpID: try id(isakmpEntry), isakmpIdentifier: isakmp.identifier,
                                                    defaultRuleID: ids?.rule ?? Self.derived(policyID, 1),
                                                    defaultActionID: ids?.action ?? Self.derived(policyID, 2))
            objects.policies.append(IPsecPolicy(id: policyID, name: name.isEmpty ? object : name,
                                                description: entry.string(IPsecAttribute.description) ?? "",
                                                pollingIntervalMinutes: max(1, seconds / 60), assigned: false,
                                                isakmp: try isakmpSettings(isakmp, object: cn(isakmpEntry)),
                                                defaultResponseRule: defaultRule ?? DefaultResponseRule(active: false),
                                                whenChanged: Self.time(entry)))
            objects.rules += rules
        }
        return Image(objects: objects, companions: companions)
    }

    static func blob<T>(_ body: () throws(BlobError) -> T) throws(DomainObjectError) -> T {
        do { return try body() } catch { throw DomainObjectError(error) }
    }

    /// A GUID derived from another, for a companion object Windows would have had.
    static func derived(_ id: UUID, _ salt: UInt8) -> UUID {
        var bytes = id.uuid
        bytes.15 ^= salt
        bytes.14 ^= 0x5A
        return UUID(uuid: bytes)
    }

    static func displayName(_ attribute: String) -> String {
        switch attribute {
        case IPsecAttribute.nfaReference: "ipsecNFAReference"
        case IPsecAttribute.isakmpReference: "ipsecISAKMPReference"
        case IPsecAttribute.filterReference: "ipsecFilterReference"
        case IPsecAttribute.negotiationReference: "ipsecNegotiationPolicyReference"
        default: attribute
        }
    }

    /// `whenChanged` (GeneralizedTime, `20261202014010.0Z`); the epoch when absent.
    static func time(_ entry: DirectoryEntry) -> Date {
        guard let text = entry.string(IPsecAttribute.whenChanged), text.count >= 14 else { return Date(timeIntervalSince1970: 0) }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        let digits = Array(text.prefix(14))
        func number(_ range: Range<Int>) -> Int? { Int(String(digits[range])) }
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = number(8..<10)
        components.minute = number(10..<12)
        components.second = number(12..<14)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    // MARK: Blobs → model

    func filterList(_ entry: DirectoryEntry, id: UUID, data: [UInt8], object: String) throws(DomainObjectError) -> FilterList {
        let blob: FilterBlob
        do { blob = try FilterBlob.decode(data, object: object) } catch { throw DomainObjectError(error) }
        var filters: [Filter] = []
        if let version2 = blob.version2 {
            for (index, entryValue) in version2.enumerated() {
                let field = "v2 filter \(index + 1)"
                guard entryValue.protocol <= 255 else {
                    throw DomainObjectError(object: object, attribute: "ipsecData", "\(field) protocol \(entryValue.protocol) is not 0-255")
                }
                guard entryValue.sourcePort.type <= 1, entryValue.destinationPort.type <= 1 else {
                    throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): port ranges are not supported (a single port or any)")
                }
                filters.append(Filter(id: entryValue.identifier, description: entryValue.description,
                                      source: try version2Side(entryValue.source, object: object, field: field + " source"),
                                      destination: try version2Side(entryValue.destination, object: object, field: field + " destination"),
                                      sourceDNSName: entryValue.sourceDNSName.isEmpty ? nil : entryValue.sourceDNSName,
                                      destinationDNSName: entryValue.destinationDNSName.isEmpty ? nil : entryValue.destinationDNSName,
                                      protocolSelector: entryValue.protocol == 0 ? .any : ProtocolSelector(UInt8(entryValue.protocol)),
                                      sourcePort: entryValue.sourcePort.type == 0 ? 0 : entryValue.sourcePort.port,
                                      destinationPort: entryValue.destinationPort.type == 0 ? 0 : entryValue.destinationPort.port,
                                      mirrored: entryValue.mirrored != 0))
            }
        }
        for (index, entryValue) in blob.filters.enumerated() where blob.version2 == nil {
            let field = "filter \(index + 1)"
            let source = try side(entryValue.sourceAddress, entryValue.sourceMask,
                                  special: entryValue.special & 0x80 == 0 ? entryValue.special : 0, object: object, field: field + " source")
            let destination = try side(entryValue.destinationAddress, entryValue.destinationMask,
                                       special: entryValue.special & 0x80 != 0 ? entryValue.special & 0x7F : 0, object: object, field: field + " destination")
            guard entryValue.protocol <= 255 else {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field) protocol \(entryValue.protocol) is not 0-255")
            }
            filters.append(Filter(id: entryValue.identifier, description: entryValue.description,
                                  source: source, destination: destination,
                                  sourceDNSName: entryValue.sourceDNSName.isEmpty ? nil : entryValue.sourceDNSName,
                                  destinationDNSName: entryValue.destinationDNSName.isEmpty ? nil : entryValue.destinationDNSName,
                                  protocolSelector: entryValue.protocol == 0 ? .any : ProtocolSelector(UInt8(entryValue.protocol)),
                                  sourcePort: entryValue.sourcePort, destinationPort: entryValue.destinationPort,
                                  mirrored: entryValue.mirrored != 0))
        }
        let name = entry.string(IPsecAttribute.name) ?? ""
        return FilterList(id: id, name: name.isEmpty ? object : name, description: entry.string(IPsecAttribute.description) ?? "",
                          filters: filters, whenChanged: Self.time(entry))
    }

    private func version2Side(_ value: FilterVersion2.Address, object: String, field: String) throws(DomainObjectError) -> FilterAddress {
        switch value.type {
        case FilterVersion2.Address.any: return .any
        case FilterVersion2.Address.me: return .me
        case FilterVersion2.Address.dns: return .server(.dns)
        case FilterVersion2.Address.wins: return .server(.wins)
        case FilterVersion2.Address.dhcp: return .server(.dhcp)
        case FilterVersion2.Address.gateway: return .server(.gateway)
        case FilterVersion2.Address.single, FilterVersion2.Address.subnet:
            let network: IPAddress?
            var prefix: Int
            switch value.version {
            case 1:
                network = IPAddress(octets: Array(value.address.prefix(4)))
                let mask = value.secondary.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let length = PrefixLength.of(mask: IPv4Address(mask)) else {
                    throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): mask \(IPv4Address(mask)) is not contiguous")
                }
                prefix = value.type == FilterVersion2.Address.single ? 32 : length
            case 2:
                network = IPAddress(octets: value.address)
                prefix = value.type == FilterVersion2.Address.single ? 128 : Int(value.secondary[0])
            default:
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): address version \(value.version) is not IPv4 (1) or IPv6 (2)")
            }
            guard let network, let subnet = Subnet(address: network, prefixLength: prefix) else {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): not an address and prefix")
            }
            return .subnet(subnet)
        default:
            throw DomainObjectError(object: object, attribute: "ipsecData",
                                    "\(field): address type \(value.type) is not any, single, subnet, me or a server type (ranges are not supported)")
        }
    }

    private func side(_ address: [UInt8], _ mask: [UInt8], special: UInt8, object: String, field: String) throws(DomainObjectError) -> FilterAddress {
        switch special {
        case 1: return .server(.dns)
        case 2: return .server(.wins)
        case 3: return .server(.dhcp)
        case 4: return .server(.gateway)
        case 0: break
        default: throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): special address type \(special) is not DNS (1), WINS (2), DHCP (3) or gateway (4)")
        }
        let addressValue = address.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let maskValue = mask.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        if addressValue == 0 && maskValue == 0xFFFF_FFFF { return .me }
        if maskValue == 0 { return .any }
        guard let prefix = PrefixLength.of(mask: IPv4Address(maskValue)) else {
            throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): mask \(IPv4Address(maskValue)) is not contiguous")
        }
        guard let subnet = Subnet(address: .v4(IPv4Address(addressValue & maskValue)), prefixLength: prefix) else {
            throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): \(IPv4Address(addressValue))/\(prefix) is not a subnet")
        }
        return .subnet(subnet)
    }

    func filterAction(_ entry: DirectoryEntry, id: UUID, data: [UInt8], object: String) throws(DomainObjectError) -> FilterAction {
        let actionText = entry.string(IPsecAttribute.negotiationAction) ?? ""
        let action: FilterAction.Action
        var inboundPassthrough = false
        switch WindowsGUID.parse(actionText) {
        case NegotiationPolicyGUID.block?: action = .block
        case NegotiationPolicyGUID.permit?: action = .permit
        case NegotiationPolicyGUID.negotiate?: action = .negotiate
        case NegotiationPolicyGUID.inboundPassThrough?:
            action = .negotiate
            inboundPassthrough = true
        default:
            throw DomainObjectError(object: object, attribute: "iPSECNegotiationPolicyAction",
                                    "'\(actionText)' is not the block, permit, negotiate or inbound pass-through GUID")
        }
        let name = entry.string(IPsecAttribute.name) ?? ""
        var result = FilterAction(id: id, name: name.isEmpty ? object : name, description: entry.string(IPsecAttribute.description) ?? "",
                                  action: action, inboundPassthrough: inboundPassthrough, securityMethods: [],
                                  whenChanged: Self.time(entry))
        if action == .negotiate {
            let blob: NegotiationBlob
            do { blob = try NegotiationBlob.decode(data, object: object) } catch { throw DomainObjectError(error) }
            let offers = try quickModeMethods(blob, object: object)
            result.securityMethods = offers.methods
            result.quickModePFS = offers.pfs
            result.fallbackToClear = offers.soft
        }
        return result
    }

    func quickModeMethods(_ blob: NegotiationBlob, object: String) throws(DomainObjectError) -> (methods: [QuickModeSecurityMethod], pfs: Bool, soft: Bool) {
        var methods: [QuickModeSecurityMethod] = []
        var soft = false
        var pfs = false
        for (index, offer) in blob.offers.enumerated() {
            let field = "offer \(index + 1)"
            if offer.algorithms.isEmpty {
                soft = true
                continue
            }
            pfs = pfs || offer.pfsRequired != 0
            var ah: IntegrityAlgorithm?
            var esp: QuickModeSecurityMethod.ESPTransform?
            // Read by operation, not by slot position.
            for algorithm in offer.algorithms {
                switch algorithm.operation {
                case NegotiationBlob.Algorithm.authentication:
                    guard let hash = AlgorithmNumbers.integrity(algorithm.identifier), let hash else {
                        throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): AH algorithm \(algorithm.identifier) is not MD5 (1) or SHA-1 (2)")
                    }
                    ah = hash
                case NegotiationBlob.Algorithm.encryption:
                    guard let cipher = AlgorithmNumbers.espCipher(algorithm.identifier, keyLength: algorithm.keyLength) else {
                        throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): ESP algorithm \(algorithm.identifier) is not none (0), DES (1) or 3DES (3)")
                    }
                    guard let integrity = AlgorithmNumbers.integrity(algorithm.secondaryIdentifier) else {
                        throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): ESP integrity \(algorithm.secondaryIdentifier) is not none (0), MD5 (1) or SHA-1 (2)")
                    }
                    esp = .init(cipher: cipher, integrity: integrity)
                default:
                    throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): operation \(algorithm.operation) is not AH (1) or ESP (2)")
                }
            }
            // 0 means the quick mode default (d.5).
            let seconds = offer.lifetimeSeconds == 0 ? QuickModeSecurityMethod.defaultLifetimeSeconds : Int(offer.lifetimeSeconds)
            let kilobytes = offer.lifetimeKilobytes == 0 ? QuickModeSecurityMethod.defaultLifetimeKilobytes : Int(offer.lifetimeKilobytes)
            do {
                methods.append(try QuickModeSecurityMethod(ah: ah, esp: esp, lifetimeKilobytes: kilobytes, lifetimeSeconds: seconds))
            } catch {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): \(error.message)")
            }
        }
        return (methods, pfs, soft)
    }

    func authenticationMethods(_ blob: NFABlob, options: UInt32, object: String) throws(DomainObjectError) -> [AuthenticationMethod] {
        var methods: [AuthenticationMethod] = []
        for (index, method) in blob.authenticationMethods.enumerated() {
            switch method.type {
            case NFABlob.AuthenticationMethod.kerberos: methods.append(.kerberos)
            case NFABlob.AuthenticationMethod.preSharedKey: methods.append(.preSharedKey(method.data))
            case NFABlob.AuthenticationMethod.certificate:
                methods.append(.certificate(.init(name: method.data,
                                                  certificateMapping: options & ISAKMPBlob.optionCertificateMapping != 0,
                                                  excludeCAName: options & ISAKMPBlob.optionNoCertificateRequest != 0)))
            default:
                throw DomainObjectError(object: object, attribute: "ipsecData",
                                        "auth method \(index + 1) type \(method.type) is not preshared key (1), certificate (3) or Kerberos (5)")
            }
        }
        return methods
    }

    func isakmpSettings(_ blob: ISAKMPBlob, object: String) throws(DomainObjectError) -> ISAKMPSettings {
        var methods: [MainModeSecurityMethod] = []
        for (index, method) in blob.methods.enumerated() {
            let field = "security method \(index + 1)"
            guard let cipher = AlgorithmNumbers.mainModeCipher(method.encryption) else {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): encryption \(method.encryption.identifier) is not DES (1) or 3DES (3)")
            }
            guard let hash = AlgorithmNumbers.mainModeHash(method.hash.identifier) else {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): hash \(method.hash.identifier) is not MD5 (1) or SHA-1 (2)")
            }
            guard let group = AlgorithmNumbers.group(method.oakleyGroup) else {
                throw DomainObjectError(object: object, attribute: "ipsecData", "\(field): Oakley group \(method.oakleyGroup) is not 1, 2 or 2048 (0x10000001)")
            }
            methods.append(MainModeSecurityMethod(cipher, hash, group))
        }
        // Windows writes the lifetime in every method and 0 in the header.
        let seconds = blob.methods.first.map { Int($0.lifetimeSeconds) }.flatMap { $0 == 0 ? nil : $0 }
            ?? (blob.mainModeLifetime == 0 ? 28_800 : Int(blob.mainModeLifetime))
        let limit = blob.quickModeLimit != 0 ? blob.quickModeLimit : (blob.methods.first?.quickModeLimit ?? 0)
        var settings = ISAKMPSettings(masterKeyPFS: blob.masterPFSRequired != 0, quickModesPerMainMode: Int(limit),
                                      lifetimeMinutes: max(1, seconds / 60),
                                      securityMethods: methods.isEmpty ? MainModeSecurityMethod.defaults : methods)
        if settings.masterKeyPFS { settings.quickModesPerMainMode = 1 }
        return settings
    }
}
