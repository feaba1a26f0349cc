import Directory
import Foundation
import Packet

/// Where this host's KDCs are: the `kdc` lines of the default realm in krb5.conf
/// (`KRB5_CONFIG`, else /etc/krb5.conf), or else the realm's domain controllers from DNS SRV
/// records (in Active Directory every DC is a KDC). Addresses only: what the policy must let
/// through in the clear (`KerberosReachability`).
public enum KDCLocator {
    /// The default realm and its KDCs' addresses; the realm is nil when krb5.conf names none.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> (realm: String?, kdcs: [IPAddress]) {
        let paths = (environment["KRB5_CONFIG"] ?? "/etc/krb5.conf").split(separator: ":").map(String.init)
        let texts = paths.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        let configuration = Krb5Configuration(texts.joined(separator: "\n"))
        guard let realm = configuration.defaultRealm else { return (nil, []) }
        var hosts = configuration.kdcs(of: realm)
        if hosts.isEmpty, let controllers = try? DomainControllerLocator.controllers(of: realm.lowercased()) {
            hosts = controllers
        }
        return (realm, hosts.flatMap { addresses(of: Krb5Configuration.hostPart($0)) })
    }

    /// A host name or literal's addresses (getaddrinfo).
    static func addresses(of host: String) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.ai_addr, info.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
               let address = IPAddress(String(cString: buffer)), !found.contains(address) {
                found.append(address)
            }
            entry = info.ai_next
        }
        return found
    }
}

/// The parts of krb5.conf (krb5.conf(5)) the KDC check needs: `default_realm` and the realms'
/// `kdc` relations.
struct Krb5Configuration {
    var defaultRealm: String?
    var realmKDCs: [String: [String]] = [:]

    init(_ text: String) {
        var section = "", realm: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard !line.isEmpty, !line.hasPrefix(";") else { continue }
            if line.hasPrefix("[") { section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")); realm = nil; continue }
            if line == "}" { realm = nil; continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch (section, realm) {
            case ("libdefaults", _) where parts[0] == "default_realm": defaultRealm = parts[1]
            case ("realms", nil) where parts[1] == "{": realm = parts[0]
            case ("realms", let current?) where parts[0] == "kdc": realmKDCs[current, default: []].append(parts[1])
            default: break
            }
        }
    }

    func kdcs(of realm: String) -> [String] { realmKDCs[realm] ?? [] }

    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 literal → the host.
    static func hostPart(_ entry: String) -> String {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") { return String(entry[entry.index(after: entry.startIndex)..<close]) }
        if entry.filter({ $0 == ":" }).count == 1 { return String(entry.split(separator: ":")[0]) }
        return entry
    }
}
