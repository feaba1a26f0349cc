import Foundation
import GRDB
import Packet
import Policy

/// Column encodings of the values rules and filters hold. Each `storageText` is read back by
/// the matching initializer; anything else in the file is reported as damage.
extension FilterAddress {
    /// `me`, `any`, `DNS`/`WINS`/`DHCP`/`GATEWAY`, or `network/prefix`.
    var storageText: String {
        switch self {
        case .me: "me"
        case .any: "any"
        case .server(let type): type.rawValue
        case .subnet(let subnet): "\(subnet.network)/\(subnet.prefixLength)"
        }
    }

    init?(storageText text: String) {
        switch text {
        case "me": self = .me
        case "any": self = .any
        default:
            if let server = ServerType(rawValue: text) {
                self = .server(server)
            } else if let subnet = Subnet(text) {
                self = .subnet(subnet)
            } else {
                return nil
            }
        }
    }
}

extension AuthenticationMethod {
    /// One line per method: `kerberos`, `psk:<key>`, `cert:<certmap 0|1><excludecaname 0|1>:<CA>`,
    /// with `%` and line breaks percent-escaped.
    static func storageText(_ methods: [AuthenticationMethod]) -> String {
        methods.map { method in
            switch method {
            case .kerberos: "kerberos"
            case .preSharedKey(let key): "psk:" + escape(key)
            case .certificate(let root):
                "cert:\(root.certificateMapping ? 1 : 0)\(root.excludeCAName ? 1 : 0):" + escape(root.name)
            }
        }.joined(separator: "\n")
    }

    static func methods(storageText text: String) -> [AuthenticationMethod]? {
        var methods: [AuthenticationMethod] = []
        for line in text.split(separator: "\n") {
            if line == "kerberos" {
                methods.append(.kerberos)
            } else if line.hasPrefix("psk:") {
                methods.append(.preSharedKey(unescape(line.dropFirst(4))))
            } else if line.hasPrefix("cert:"), line.count >= 8 {
                let flags = Array(line.dropFirst(5).prefix(3))
                guard flags.count == 3, flags[2] == ":", let map = Int(String(flags[0])), let exclude = Int(String(flags[1])) else { return nil }
                methods.append(.certificate(RootCA(name: unescape(line.dropFirst(8)), certificateMapping: map == 1, excludeCAName: exclude == 1)))
            } else {
                return nil
            }
        }
        return methods
    }

    private static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "\n" || $0 == "\r" }) else { return text }
        return text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\n", with: "%0A")
            .replacingOccurrences(of: "\r", with: "%0D")
    }

    private static func unescape(_ text: Substring) -> String {
        guard text.contains(Character("%")) else { return String(text) }
        return text.replacingOccurrences(of: "%0A", with: "\n").replacingOccurrences(of: "%0D", with: "\r")
            .replacingOccurrences(of: "%25", with: "%")
    }
}

extension StoreTransaction {
    static let filterColumns = "id, description, source, destination, source_dns, destination_dns, protocol, source_port, destination_port, mirrored"

    func filter(from row: Row, list: String) throws -> Filter {
        guard let id = UUID(text: row[0]), let source = FilterAddress(storageText: row[2]),
              let destination = FilterAddress(storageText: row[3]) else {
            throw StoreError.unusableFile(path: path, reason: "a filter record of filter list '\(list)' is damaged")
        }
        let protocolNumber: Int? = row[6]
        let description: String = row[1]
        let sourceDNS: String? = row[4], destinationDNS: String? = row[5]
        let sourcePort: Int = row[7], destinationPort: Int = row[8]
        let mirrored: Bool = row[9]
        return Filter(id: id, description: description, source: source, destination: destination, sourceDNSName: sourceDNS,
                      destinationDNSName: destinationDNS, protocolSelector: ProtocolSelector(protocolNumber.map { UInt8(clamping: $0) }),
                      sourcePort: UInt16(clamping: sourcePort), destinationPort: UInt16(clamping: destinationPort), mirrored: mirrored)
    }

    func filterArguments(_ filter: Filter, listID: String) -> StatementArguments {
        [store, listID, filter.id.text, filter.description, filter.source.storageText, filter.destination.storageText,
         filter.sourceDNSName, filter.destinationDNSName, filter.protocolSelector.number.map { Int($0) },
         Int(filter.sourcePort), Int(filter.destinationPort), filter.mirrored]
    }

    static let ruleColumns = "id, policy_id, name, description, filterlist_id, filteraction_id, tunnel, conntype, active, authentication, when_changed"

    func rule(from row: Row) throws -> Rule {
        let name: String = row[2]
        let tunnelText: String? = row[6]
        guard let id = UUID(text: row[0]), let policyID = UUID(text: row[1]), let listID = UUID(text: row[4]),
              let actionID = UUID(text: row[5]), let connectionType = ConnectionType(rawValue: row[7]),
              let methods = AuthenticationMethod.methods(storageText: row[9]) else {
            throw StoreError.unusableFile(path: path, reason: "the record of rule '\(name)' is damaged")
        }
        var tunnel: IPAddress?
        if let tunnelText {
            guard let address = IPAddress(tunnelText) else {
                throw StoreError.unusableFile(path: path, reason: "the tunnel endpoint of rule '\(name)' is damaged")
            }
            tunnel = address
        }
        let description: String = row[3]
        let active: Bool = row[8]
        let changed: Double = row[10]
        return Rule(id: id, policyID: policyID, name: name, description: description, filterListID: listID, filterActionID: actionID,
                    tunnelEndpoint: tunnel, connectionType: connectionType, active: active, authenticationMethods: methods,
                    whenChanged: Date(timeIntervalSince1970: changed))
    }

    func rules(_ condition: String, _ arguments: StatementArguments) throws -> [Rule] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.ruleColumns) FROM rule WHERE store = ? AND \(condition)"),
                         arguments: arguments).map(rule(from:))
    }
}
