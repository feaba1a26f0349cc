import Foundation
import Packet
import Policy

/// Parsers shared by several commands: authentication lists, filter addresses, tunnel endpoints.
extension BoundArguments {
    /// The `kerberos`/`psk`/`rootca` parameters as an ordered method list (command-line order is
    /// preference order, reference a.7), or nil when none was given.
    func authenticationMethods() throws(NetshError) -> [AuthenticationMethod]? {
        guard has("kerberos") || has("psk") || has("rootca") else { return nil }
        var entries: [(index: Int, method: AuthenticationMethod)] = []
        for entry in all("kerberos") {
            guard let enabled = NetshBoolean.parse(entry.value) else { throw fail("kerberos", "'\(entry.value)' is not yes or no") }
            if enabled { entries.append((entry.index, .kerberos)) }
        }
        for entry in all("psk") {
            do { entries.append((entry.index, try AuthenticationMethod.preSharedKey(netsh: entry.value))) }
            catch { throw NetshError("\(command): \(error.description)") }
        }
        for entry in all("rootca") {
            do { entries.append((entry.index, try AuthenticationMethod.rootCA(netsh: entry.value))) }
            catch { throw NetshError("\(command): \(error.description)") }
        }
        let methods = entries.sorted { $0.index < $1.index }.map(\.method)
        if methods.isEmpty {
            throw NetshError("\(command): kerberos=no leaves no authentication method; give psk= or rootca= as well")
        }
        do { try AuthenticationMethod.validateList(methods) } catch { throw NetshError("\(command): \(error.description)") }
        return methods
    }

    /// `tunnel=`: an IP address or a DNS name resolved now (first address); `none` (or
    /// 0.0.0.0, or empty) means transport mode. nil when the tag was not given.
    func tunnelEndpoint(resolver: NameResolver) throws(NetshError) -> IPAddress?? {
        guard let text = string("tunnel") else { return nil }
        if text.isEmpty || text.lowercased() == "none" || text == "0.0.0.0" || text == "::" { return .some(nil) }
        if let address = IPAddress(text) { return .some(address) }
        guard Self.looksLikeHostName(text) else { throw fail("tunnel", "'\(text)' is not an IP address or a DNS name") }
        guard let first = resolver.resolve(text).first else { throw fail("tunnel", "'\(text)' does not resolve to an address") }
        return .some(first)
    }

    /// One side of a filter: `srcaddr`/`srcmask` or `dstaddr`/`dstmask`. A DNS name can give
    /// several addresses (one filter each); the name is kept for display.
    func filterSide(address addressTag: String, mask maskTag: String, resolver: NameResolver)
        throws(NetshError) -> [(address: FilterAddress, dnsName: String?)] {
        let text = try requiredString(addressTag)
        let maskText = string(maskTag)
        switch text.lowercased() {
        case "me": return [(.me, nil)]
        case "any": return [(.any, nil)]
        default: break
        }
        if let server = ServerType.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) {
            return [(.server(server), nil)]
        }
        var address: IPAddress
        var prefix: Int?
        if text.contains(Character("/")) {
            guard let subnet = Subnet(text) else { throw fail(addressTag, "'\(text)' is not address/prefix") }
            guard maskText == nil else { throw fail(maskTag, "give the prefix either in \(addressTag) or in \(maskTag), not both") }
            address = subnet.network
            prefix = subnet.prefixLength
            if let original = IPAddress(text.split(separator: "/")[0]), original != address {
                throw fail(addressTag, "\(text) has host bits set; the subnet is \(subnet.network)/\(subnet.prefixLength)")
            }
        } else if let literal = IPAddress(text) {
            address = literal
        } else {
            guard Self.looksLikeHostName(text) else {
                throw fail(addressTag, "'\(text)' is not me, any, DNS, WINS, DHCP, GATEWAY, an IP address or a DNS name")
            }
            let resolved = resolver.resolve(text)
            guard !resolved.isEmpty else { throw fail(addressTag, "'\(text)' does not resolve to an address") }
            if maskText != nil { throw fail(maskTag, "a mask cannot be combined with the DNS name '\(text)'") }
            return resolved.map { (.subnet(Subnet(host: $0)), text) }
        }
        if let maskText {
            guard let length = PrefixLength.parse(maskText, bitWidth: address.bitWidth) else {
                let allowed = address.isIPv4 ? "a contiguous netmask like 255.255.255.0 or a prefix length 0-32" : "a prefix length 0-128"
                throw fail(maskTag, "'\(maskText)' is not \(allowed)")
            }
            prefix = length
        }
        let length = prefix ?? address.bitWidth
        guard let subnet = Subnet(address: address, prefixLength: length) else { throw fail(maskTag, "prefix \(length) is too long") }
        if subnet.network != address {
            throw fail(addressTag, "\(address) has host bits set for mask /\(length); the subnet address is \(subnet.network)")
        }
        return [(.subnet(subnet), nil)]
    }

    /// `protocol`, `srcport`, `dstport`, checked together (ports need TCP or UDP).
    func protocolAndPorts() throws(NetshError) -> (ProtocolSelector, UInt16, UInt16) {
        let protocolSelector = try parse("protocol") { (text) throws(ValidationError) in try ProtocolSelector(netsh: text) } ?? .any
        let sourcePort = try integer("srcport", in: 0...65535) ?? 0
        let destinationPort = try integer("dstport", in: 0...65535) ?? 0
        if (sourcePort != 0 || destinationPort != 0) && !protocolSelector.hasPorts {
            throw fail(sourcePort != 0 ? "srcport" : "dstport", "ports can be given only with protocol=TCP or protocol=UDP (protocol is \(protocolSelector))")
        }
        return (protocolSelector, UInt16(sourcePort), UInt16(destinationPort))
    }

    static func looksLikeHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && text.first != "-" && text.first != "."
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
            && text.contains(where: \.isLetter)
    }
}
