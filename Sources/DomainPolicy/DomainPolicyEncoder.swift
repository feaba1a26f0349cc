import Foundation
import Packet
import Policy

/// Ward's objects → the directory entries [MS-GPIPSEC] describes, as Windows writes them.
///
/// The result holds only the attributes the domain store manages; `DomainChangePlan` compares
/// two such images to decide what to write.
public struct DomainPolicyEncoder {
    public let container: IPsecContainer

    public init(container: IPsecContainer) { self.container = container }

    /// Every object's entry, keyed by `IPsecContainer.key(dn)`.
    ///
    /// - Parameter companions: the ISAKMP and default response identities of each policy; a
    ///   policy missing from it is an error (the caller draws fresh ones for new policies).
    public func entries(_ objects: DomainPolicyObjects, companions: [UUID: PolicyCompanions]) throws(DomainObjectError) -> [String: DirectoryEntry] {
        var result: [String: DirectoryEntry] = [:]
        var listOwners: [UUID: [String]] = [:]
        var actionOwners: [UUID: [String]] = [:]
        var policyRules: [UUID: [String]] = [:]
        for rule in objects.rules {
            let nfa = container.dn(.nfa, rule.id)
            listOwners[rule.filterListID, default: []].append(nfa)
            actionOwners[rule.filterActionID, default: []].append(nfa)
            policyRules[rule.policyID, default: []].append(nfa)
        }
        for list in objects.filterLists {
            var entry = base(.filter, list.id, name: list.name, description: list.description, data: try filterBlob(list).encoded())
            entry.attributes[IPsecAttribute.owners] = values(listOwners[list.id] ?? [])
            result[IPsecContainer.key(entry.dn)] = entry
        }
        for action in objects.filterActions {
            var entry = base(.negotiation, action.id, name: action.name, description: action.description,
                             data: try negotiationBlob(action.securityMethods, pfs: action.quickModePFS,
                                                       soft: action.action == .negotiate && action.fallbackToClear,
                                                       defaultResponse: false, object: action.objectName,
                                                       negotiate: action.action == .negotiate).encoded())
            entry.attributes[IPsecAttribute.owners] = values(actionOwners[action.id] ?? [])
            entry.attributes[IPsecAttribute.negotiationType] = [Array(WindowsGUID.text(NegotiationPolicyGUID.standardType).utf8)]
            let actionGUID: UUID = switch action.action {
            case .block: NegotiationPolicyGUID.block
            case .permit: NegotiationPolicyGUID.permit
            case .negotiate: action.inboundPassthrough ? NegotiationPolicyGUID.inboundPassThrough : NegotiationPolicyGUID.negotiate
            }
            entry.attributes[IPsecAttribute.negotiationAction] = [Array(WindowsGUID.text(actionGUID).utf8)]
            result[IPsecContainer.key(entry.dn)] = entry
        }
        for rule in objects.rules {
            var entry = base(.nfa, rule.id, name: rule.name, description: rule.description,
                             data: try nfaBlob(rule.authenticationMethods, connection: rule.connectionType,
                                               tunnel: rule.tunnelEndpoint, active: rule.active, object: rule.objectName).encoded())
            entry.attributes[IPsecAttribute.owners] = values([container.dn(.policy, rule.policyID)])
            entry.attributes[IPsecAttribute.filterReference] = values([container.dn(.filter, rule.filterListID)])
            entry.attributes[IPsecAttribute.negotiationReference] = values([container.dn(.negotiation, rule.filterActionID)])
            result[IPsecContainer.key(entry.dn)] = entry
        }
        for policy in objects.policies {
            guard let companion = companions[policy.id] else {
                throw DomainObjectError(object: policy.objectName, attribute: "ipsecISAKMPReference", "has no ISAKMP object")
            }
            let policyDN = container.dn(.policy, policy.id)
            var entry = base(.policy, policy.id, name: policy.name, description: policy.description,
                             data: PolicyBlob(pollingIntervalSeconds: UInt32(clamping: policy.pollingIntervalMinutes * 60)).encoded())
            let defaultRuleDN = container.dn(.nfa, companion.defaultRuleID)
            entry.attributes[IPsecAttribute.isakmpReference] = values([container.dn(.isakmp, companion.isakmpID)])
            entry.attributes[IPsecAttribute.nfaReference] = values((policyRules[policy.id] ?? []) + [defaultRuleDN])
            result[IPsecContainer.key(entry.dn)] = entry

            var isakmp = base(.isakmp, companion.isakmpID, name: nil, description: "",
                              data: isakmpBlob(policy.isakmp, identifier: companion.isakmpIdentifier,
                                               options: certificateOptions(objects.rules.filter { $0.policyID == policy.id })).encoded())
            isakmp.attributes[IPsecAttribute.owners] = values([policyDN])
            result[IPsecContainer.key(isakmp.dn)] = isakmp

            let rule = policy.defaultResponseRule
            var nfa = base(.nfa, companion.defaultRuleID, name: nil, description: "",
                           data: try nfaBlob(rule.authenticationMethods, connection: .all, tunnel: nil, active: rule.active,
                                             object: "the default response rule of \(policy.objectName)").encoded())
            nfa.attributes[IPsecAttribute.owners] = values([policyDN])
            nfa.attributes[IPsecAttribute.negotiationReference] = values([container.dn(.negotiation, companion.defaultActionID)])
            result[IPsecContainer.key(nfa.dn)] = nfa

            var action = base(.negotiation, companion.defaultActionID, name: nil, description: "",
                              data: try negotiationBlob(rule.securityMethods, pfs: rule.quickModePFS, soft: false, defaultResponse: true,
                                                        object: "the default response rule of \(policy.objectName)", negotiate: true).encoded())
            action.attributes[IPsecAttribute.owners] = values([defaultRuleDN])
            action.attributes[IPsecAttribute.negotiationType] = [Array(WindowsGUID.text(NegotiationPolicyGUID.defaultResponseType).utf8)]
            action.attributes[IPsecAttribute.negotiationAction] = [Array(WindowsGUID.text(NegotiationPolicyGUID.negotiate).utf8)]
            result[IPsecContainer.key(action.dn)] = action
        }
        return result
    }

    /// [MS-GPIPSEC] keeps certificate mapping and "no certificate request" once per policy
    /// (ISAKMP-Options), Ward per root CA: a policy's bit is set when any of its rules' CAs asks.
    func certificateOptions(_ rules: [Rule]) -> UInt32 {
        var options: UInt32 = 0
        for rule in rules {
            for case .certificate(let root) in rule.authenticationMethods {
                if root.certificateMapping { options |= ISAKMPBlob.optionCertificateMapping }
                if root.excludeCAName { options |= ISAKMPBlob.optionNoCertificateRequest }
            }
        }
        return options
    }

    private func values(_ strings: [String]) -> [[UInt8]] { strings.map { Array($0.utf8) } }

    private func base(_ kind: BlobKind, _ id: UUID, name: String?, description: String, data: [UInt8]) -> DirectoryEntry {
        var entry = DirectoryEntry(dn: container.dn(kind, id))
        entry.attributes[IPsecAttribute.objectClass] = [Array(kind.objectClass.utf8)]
        entry.attributes[IPsecAttribute.id] = [Array(WindowsGUID.text(id).utf8)]
        entry.attributes[IPsecAttribute.dataType] = [Array(String(BlobFraming.windowsDataType).utf8)]
        entry.attributes[IPsecAttribute.data] = [data]
        if let name, !name.isEmpty { entry.attributes[IPsecAttribute.name] = [Array(name.utf8)] }
        if !description.isEmpty { entry.attributes[IPsecAttribute.description] = [Array(description.utf8)] }
        return entry
    }

    // MARK: Blobs

    func isakmpBlob(_ settings: ISAKMPSettings, identifier: UUID, options: UInt32) -> ISAKMPBlob {
        let methods = settings.securityMethods.map { method in
            ISAKMPBlob.SecurityMethod(encryption: AlgorithmNumbers.mainModeCipher(method.cipher),
                                      hash: AlgorithmNumbers.mainModeHash(method.hash),
                                      oakleyGroup: AlgorithmNumbers.group(method.group),
                                      quickModeLimit: UInt32(clamping: settings.quickModesPerMainMode),
                                      lifetimeKilobytes: 0, lifetimeSeconds: UInt32(clamping: settings.lifetimeMinutes * 60))
        }
        var blob = ISAKMPBlob(identifier: identifier, pfsRequired: settings.masterKeyPFS, methods: methods)
        blob.quickModeLimit = UInt32(clamping: settings.quickModesPerMainMode)
        blob.options = options
        return blob
    }

    func nfaBlob(_ methods: [AuthenticationMethod], connection: ConnectionType, tunnel: IPAddress?, active: Bool,
                 object: String) throws(DomainObjectError) -> NFABlob {
        let authentication = methods.map { method -> NFABlob.AuthenticationMethod in
            switch method {
            case .kerberos: NFABlob.AuthenticationMethod(type: NFABlob.AuthenticationMethod.kerberos, data: "")
            case .preSharedKey(let key): NFABlob.AuthenticationMethod(type: NFABlob.AuthenticationMethod.preSharedKey, data: key)
            case .certificate(let root): NFABlob.AuthenticationMethod(type: NFABlob.AuthenticationMethod.certificate, data: root.name)
            }
        }
        let interface: UInt32 = switch connection {
        case .all: NFABlob.interfaceAll
        case .lan: NFABlob.interfaceLAN
        case .dialup: NFABlob.interfaceDialUp
        }
        var address: [UInt8] = [0, 0, 0, 0]
        if let tunnel {
            guard case .v4(let v4) = tunnel else {
                throw DomainObjectError(object: object, attribute: "tunnel",
                                        "\(tunnel) is IPv6; the Windows Server 2003 directory format holds IPv4 tunnel endpoints only")
            }
            address = v4.octets
        }
        let blob = NFABlob(authenticationMethods: authentication, interfaceType: interface, tunnelAddress: address,
                           isTunnel: tunnel != nil, isActive: active)
        return blob
    }

    func negotiationBlob(_ methods: [QuickModeSecurityMethod], pfs: Bool, soft: Bool, defaultResponse: Bool,
                         object: String, negotiate: Bool) throws(DomainObjectError) -> NegotiationBlob {
        guard negotiate else { return NegotiationBlob(offers: []) }
        var offers: [NegotiationBlob.Offer] = []
        for method in methods {
            var algorithms: [NegotiationBlob.Algorithm] = []
            if let ah = method.ah {
                algorithms.append(NegotiationBlob.Algorithm(identifier: AlgorithmNumbers.integrity(ah), secondaryIdentifier: 0,
                                                            operation: NegotiationBlob.Algorithm.authentication))
            }
            if let esp = method.esp {
                let cipher = AlgorithmNumbers.espCipher(esp.cipher)
                var algorithm = NegotiationBlob.Algorithm(identifier: cipher.identifier,
                                                          secondaryIdentifier: AlgorithmNumbers.integrity(esp.integrity),
                                                          operation: NegotiationBlob.Algorithm.encryption)
                if cipher.keyLength > 64 {
                    algorithm.keyLength = cipher.keyLength
                    algorithm.rounds = 0
                }
                algorithms.append(algorithm)
            }
            // The default response rule's offers carry 0 lifetimes ("the default") in Windows'
            // own objects; Ward writes 0 there when the method has the default lifetimes.
            let usesDefaults = defaultResponse && method.lifetimeSeconds == QuickModeSecurityMethod.defaultLifetimeSeconds
                && method.lifetimeKilobytes == QuickModeSecurityMethod.defaultLifetimeKilobytes
            offers.append(NegotiationBlob.Offer(lifetimeSeconds: usesDefaults ? 0 : UInt32(clamping: method.lifetimeSeconds),
                                                lifetimeKilobytes: usesDefaults ? 0 : UInt32(clamping: method.lifetimeKilobytes),
                                                pfsRequired: pfs, algorithms: algorithms))
        }
        // Fallback to clear is a last offer with no algorithm ("no security").
        if soft { offers.append(NegotiationBlob.Offer(lifetimeSeconds: 0, lifetimeKilobytes: 0, pfsRequired: false, algorithms: [])) }
        return NegotiationBlob(offers: offers)
    }

    func filterBlob(_ list: FilterList) throws(DomainObjectError) -> FilterBlob {
        var legacy: [FilterBlob.Entry] = []
        var needsVersion2 = false
        for (index, filter) in list.filters.enumerated() {
            let object = "\(list.objectName) filter \(index + 1)"
            guard filter.source.family != 128, filter.destination.family != 128 else {
                needsVersion2 = true
                continue
            }
            let source = try side(filter.source, field: "srcaddr", object: object)
            let destination = try side(filter.destination, field: "dstaddr", object: object)
            var entry = FilterBlob.Entry(identifier: filter.id, mirrored: filter.mirrored,
                                         sourceAddress: source.address, sourceMask: source.mask,
                                         destinationAddress: destination.address, destinationMask: destination.mask,
                                         protocol: UInt32(filter.protocolSelector.number ?? 0),
                                         sourcePort: filter.sourcePort, destinationPort: filter.destinationPort)
            entry.description = filter.description
            entry.sourceDNSName = filter.sourceDNSName ?? ""
            entry.destinationDNSName = filter.destinationDNSName ?? ""
            if let special = source.special { entry.special = special }
            if let special = destination.special { entry.special = 0x80 | special }
            legacy.append(entry)
        }
        // IPv6 needs the second section; it then holds the whole list, in order, and the
        // legacy section keeps the IPv4 part for Windows Server 2003 clients.
        guard needsVersion2 else { return FilterBlob(filters: legacy) }
        let version2 = list.filters.map { filter in
            let family = filter.source.family ?? filter.destination.family ?? 32
            var entry = FilterVersion2.Entry(identifier: filter.id, mirrored: filter.mirrored,
                                             source: Self.version2Address(filter.source, family: family),
                                             destination: Self.version2Address(filter.destination, family: family),
                                             sourcePort: .init(filter.sourcePort), destinationPort: .init(filter.destinationPort),
                                             protocol: UInt32(filter.protocolSelector.number ?? 0))
            entry.description = filter.description
            entry.sourceDNSName = filter.sourceDNSName ?? ""
            entry.destinationDNSName = filter.destinationDNSName ?? ""
            return entry
        }
        return FilterBlob(filters: legacy, version2: version2)
    }

    static func version2Address(_ address: FilterAddress, family: Int) -> FilterVersion2.Address {
        let version: UInt32 = family == 128 ? 2 : 1
        switch address {
        case .any: return .init(type: FilterVersion2.Address.any, version: version)
        case .me: return .init(type: FilterVersion2.Address.me, version: 3)
        case .server(let type):
            let value: UInt32 = switch type {
            case .dns: FilterVersion2.Address.dns
            case .wins: FilterVersion2.Address.wins
            case .dhcp: FilterVersion2.Address.dhcp
            case .gateway: FilterVersion2.Address.gateway
            }
            return .init(type: value, version: 3)
        case .subnet(let subnet):
            var bytes: [UInt8]
            var secondary = Array(repeating: UInt8(0), count: 16)
            switch subnet.network {
            case .v4(let v4):
                bytes = v4.octets
                secondary.replaceSubrange(0..<4, with: subnet.ipv4Mask?.octets ?? [])
            case .v6(let v6):
                bytes = v6.octets
                secondary[0] = UInt8(subnet.prefixLength)
            }
            bytes += Array(repeating: 0, count: 16 - bytes.count)
            return .init(type: subnet.isHost ? FilterVersion2.Address.single : FilterVersion2.Address.subnet,
                         version: subnet.network.isIPv4 ? 1 : 2, address: bytes, secondary: secondary)
        }
    }

    private func side(_ address: FilterAddress, field: String, object: String) throws(DomainObjectError) -> (address: [UInt8], mask: [UInt8], special: UInt8?) {
        switch address {
        case .me: return ([0, 0, 0, 0], [255, 255, 255, 255], nil)
        case .any: return ([0, 0, 0, 0], [0, 0, 0, 0], nil)
        case .server(let type):
            let special: UInt8 = switch type {
            case .dns: 1
            case .wins: 2
            case .dhcp: 3
            case .gateway: 4
            }
            return ([0, 0, 0, 0], [0, 0, 0, 0], special)
        case .subnet(let subnet):
            guard case .v4(let network) = subnet.network, let mask = subnet.ipv4Mask else {
                throw DomainObjectError(object: object, attribute: field,
                                        "\(subnet) is IPv6; the Windows Server 2003 directory format holds IPv4 filters only")
            }
            return (network.octets, mask.octets, nil)
        }
    }
}
