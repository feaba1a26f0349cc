import Foundation
import Packet
import Policy
import PolicyStore

extension StaticCommands {
    static var dump: CommandSpec {
        CommandSpec(words: ["dump"], parameters: [],
                    summary: "Prints a script of ipsec static commands that recreates the local and persistent stores.",
                    remarks: ["Run the output with ward -f FILE; it starts each store with delete all.",
                              "Filters made from DNS names are written with the addresses they resolved to.",
                              "Preshared keys are written in clear: keep dumps private."],
                    run: { session, _ in
                        var text = "# Ward ipsec static configuration\n# Recreate it with: ward -f <this file>\npushd ipsec static\n"
                        if session.location == .domain {
                            // The domain store's script names no store: it replays into
                            // whichever store the runner chose (local by default).
                            text += try session.read { transaction in try DumpWriter(transaction: transaction).script() }
                            return CommandOutput(text + "popd")
                        }
                        for location in StoreLocation.fileStores {
                            let saved = session.location
                            session.location = location
                            defer { session.location = saved }
                            text += try session.read { transaction in try DumpWriter(transaction: transaction).script() }
                        }
                        text += "set store location=\(session.location.rawValue)\npopd"
                        return CommandOutput(text)
                    })
    }
}

/// Writes one store as netsh commands that recreate it.
struct DumpWriter {
    let transaction: StoreTransaction

    private func q(_ value: String) -> String { Tokenizer.quote(value) }

    func script() throws -> String {
        var lines = transaction.location == .domain
            ? ["", "# Domain Store: replays into the store the script runs in", "delete all"]
            : ["", "# \(transaction.location.displayName)", "set store location=\(transaction.location.rawValue)", "delete all"]
        for list in try transaction.filterLists() {
            lines.append("add filterlist name=\(q(list.name)) description=\(q(list.description))")
            for filter in list.filters { lines.append(addFilter(filter, list: list)) }
        }
        for action in try transaction.filterActions() {
            var line = "add filteraction name=\(q(action.name)) description=\(q(action.description))"
                + " qmpfs=\(NetshBoolean.text(action.quickModePFS)) inpass=\(NetshBoolean.text(action.inboundPassthrough))"
                + " soft=\(NetshBoolean.text(action.fallbackToClear)) action=\(action.action.rawValue)"
            if !action.securityMethods.isEmpty {
                line += " qmsecmethods=\(q(action.securityMethods.map(\.description).joined(separator: " ")))"
            }
            lines.append(line)
        }
        for policy in try transaction.policies() {
            let isakmp = policy.isakmp
            lines.append("add policy name=\(q(policy.name)) description=\(q(policy.description))"
                + " mmpfs=\(NetshBoolean.text(isakmp.masterKeyPFS)) qmpermm=\(isakmp.quickModesPerMainMode)"
                + " mmlifetime=\(isakmp.lifetimeMinutes) activatedefaultrule=\(NetshBoolean.text(policy.defaultResponseRule.active))"
                + " pollinginterval=\(policy.pollingIntervalMinutes) assign=\(NetshBoolean.text(policy.assigned))"
                + " mmsecmethods=\(q(isakmp.securityMethods.map(\.description).joined(separator: " ")))")
            let response = policy.defaultResponseRule
            lines.append("set defaultrule policy=\(q(policy.name)) qmpfs=\(NetshBoolean.text(response.quickModePFS))"
                + " activate=\(NetshBoolean.text(response.active))"
                + " qmsecmethods=\(q(response.securityMethods.map(\.description).joined(separator: " ")))"
                + authentication(response.authenticationMethods))
            for rule in try transaction.rules(ofPolicy: policy.id) {
                guard let list = try transaction.filterList(id: rule.filterListID),
                      let action = try transaction.filterAction(id: rule.filterActionID) else { continue }
                var line = "add rule name=\(q(rule.name)) policy=\(q(policy.name)) filterlist=\(q(list.name))"
                    + " filteraction=\(q(action.name))"
                if let tunnel = rule.tunnelEndpoint { line += " tunnel=\(tunnel)" }
                line += " conntype=\(rule.connectionType.rawValue) activate=\(NetshBoolean.text(rule.active))"
                    + " description=\(q(rule.description))" + authentication(rule.authenticationMethods)
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func addFilter(_ filter: Filter, list: FilterList) -> String {
        var line = "add filter filterlist=\(q(list.name))"
        line += side("src", filter.source) + side("dst", filter.destination)
        line += " description=\(q(filter.description)) protocol=\(filter.protocolSelector) mirrored=\(NetshBoolean.text(filter.mirrored))"
        if filter.protocolSelector.hasPorts { line += " srcport=\(filter.sourcePort) dstport=\(filter.destinationPort)" }
        return line
    }

    private func side(_ prefix: String, _ address: FilterAddress) -> String {
        switch address {
        case .subnet(let subnet) where !subnet.isHost:
            " \(prefix)addr=\(subnet.network) \(prefix)mask=\(subnet.prefixLength)"
        default:
            " \(prefix)addr=\(address)"
        }
    }

    private func authentication(_ methods: [AuthenticationMethod]) -> String {
        methods.map { method in
            switch method {
            case .kerberos: " kerberos=yes"
            case .preSharedKey(let key): " psk=\(q(key))"
            case .certificate(let root):
                " rootca=\"\(root.name.replacingOccurrences(of: "\"", with: "\\'")) certmap:\(NetshBoolean.text(root.certificateMapping)) excludecaname:\(NetshBoolean.text(root.excludeCAName))\""
            }
        }.joined()
    }
}
