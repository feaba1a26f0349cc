import Filtering
import Foundation
import Packet
import Policy

/// `ipsec dynamic add|set|delete mmpolicy|qmpolicy|rule` and `delete all` (reference c.1–c.5):
/// the arguments arrive as `ward` bound them (tag → value, and the tags in command-line order for
/// the authentication list); each value is checked here and an error names the tag. A change is
/// compiled with the stores' policies and swapped in only if the whole table compiles.
extension AgentRuntime {
    func handleDynamic(_ command: String, _ arguments: [String: String], order: [String]) -> ControlResponse? {
        var next = dynamic
        do {
            switch command {
            case "add mmpolicy": try next.add(try mainModePolicy(arguments, base: nil))
            case "set mmpolicy":
                let name = try required(arguments, "name", command)
                guard let existing = next.mainModePolicy(name) else { throw DynamicError("set mmpolicy: no main mode policy named '\(name)'") }
                next.replace(try mainModePolicy(arguments, base: existing))
            case "delete mmpolicy": try next.deleteMainModePolicy(try nameOrAll(arguments, command))
            case "add qmpolicy": try next.add(try quickModePolicy(arguments, base: nil))
            case "set qmpolicy":
                let name = try required(arguments, "name", command)
                guard let existing = next.quickModePolicy(name) else { throw DynamicError("set qmpolicy: no quick mode policy named '\(name)'") }
                next.replace(try quickModePolicy(arguments, base: existing))
            case "delete qmpolicy": try next.deleteQuickModePolicy(try nameOrAll(arguments, command))
            case "add rule": try next.add(try rule(arguments, order: order, base: nil, command: command))
            case "set rule":
                let key = try ruleKey(arguments, command: command)
                guard let index = next.ruleIndex(key) else { throw DynamicError("set rule: no rule has this filter") }
                try next.replace(try rule(arguments, order: order, base: next.rules[index], command: command))
            case "delete rule":
                try next.deleteRule(arguments["all"] != nil ? nil : try ruleKey(arguments, command: command))
            case "delete all": next.deleteAll()
            default: return nil
            }
        } catch {
            return ControlResponse(status: 1, output: "\(error)")
        }
        let previous = dynamic
        dynamic = next
        if let problem = applyPolicy() {
            dynamic = previous
            return ControlResponse(status: 1, output: "\(command): the change does not compile and was not applied: \(problem)")
        }
        log(.notice, "dynamic policy changed", ["command": command, "rules": dynamic.rules.count])
        return ControlResponse(status: 0, output: "")
    }

    private func required(_ arguments: [String: String], _ tag: String, _ command: String) throws(DynamicError) -> String {
        guard let value = arguments[tag], !value.isEmpty else { throw DynamicError("\(command): \(tag) is required") }
        return value
    }

    private func nameOrAll(_ arguments: [String: String], _ command: String) throws(DynamicError) -> String? {
        if let name = arguments["name"] { return name }
        if arguments["all"] != nil { return nil }
        throw DynamicError("\(command): give name=<name> or all")
    }

    private func integer(_ arguments: [String: String], _ tag: String, _ command: String) throws(DynamicError) -> Int? {
        guard let text = arguments[tag] else { return nil }
        guard let value = Int(text) else { throw DynamicError("\(command): \(tag): '\(text)' is not a number") }
        return value
    }

    private func boolean(_ arguments: [String: String], _ tag: String, _ command: String) throws(DynamicError) -> Bool? {
        guard let text = arguments[tag] else { return nil }
        guard let value = NetshBoolean.parse(text) else { throw DynamicError("\(command): \(tag): '\(text)' is not yes or no") }
        return value
    }

    private func mainModePolicy(_ arguments: [String: String], base: DynamicPolicy.MainModePolicy?) throws(DynamicError) -> DynamicPolicy.MainModePolicy {
        let command = base == nil ? "add mmpolicy" : "set mmpolicy"
        var policy: DynamicPolicy.MainModePolicy
        if let base { policy = base } else {
            policy = DynamicPolicy.MainModePolicy(name: try required(arguments, "name", command), isakmp: ISAKMPSettings(), softSAExpiration: 300)
        }
        if let value = try integer(arguments, "qmpermm", command) { policy.isakmp.quickModesPerMainMode = value }
        if let value = try integer(arguments, "mmlifetime", command) { policy.isakmp.lifetimeMinutes = value }
        if let value = try integer(arguments, "softsaexpirationtime", command) {
            guard (1...172_800).contains(value) else { throw DynamicError("\(command): softsaexpirationtime: \(value) is out of range; allowed 1-172800 seconds") }
            policy.softSAExpiration = value
        }
        do {
            if let text = arguments["mmsecmethods"] { policy.isakmp.securityMethods = try MainModeSecurityMethod.parseList(text) }
            try policy.isakmp.validate()
        } catch { throw DynamicError("\(command): \(error)") }
        return policy
    }

    private func quickModePolicy(_ arguments: [String: String], base: DynamicPolicy.QuickModePolicy?) throws(DynamicError) -> DynamicPolicy.QuickModePolicy {
        let command = base == nil ? "add qmpolicy" : "set qmpolicy"
        var policy: DynamicPolicy.QuickModePolicy
        if let base { policy = base } else {
            policy = DynamicPolicy.QuickModePolicy(name: try required(arguments, "name", command), soft: false, pfs: false,
                                                   securityMethods: QuickModeSecurityMethod.requireSecurityDefaults)
        }
        if let value = try boolean(arguments, "soft", command) { policy.soft = value }
        if let text = arguments["pfsgroup"] {
            // Quick Mode PFS runs in the Main Mode SA's group ([NF]; Docs/compatibility.md):
            // GRP1/GRP2/GRP3/GRPMM all mean "PFS on".
            switch text.uppercased() {
            case "GRP1", "GRP2", "GRP3", "GRPMM": policy.pfs = true
            case "NOPFS": policy.pfs = false
            default: throw DynamicError("\(command): pfsgroup: '\(text)' is not GRP1, GRP2, GRP3, GRPMM or NOPFS")
            }
        }
        if let text = arguments["qmsecmethods"] {
            do { policy.securityMethods = try QuickModeSecurityMethod.parseList(text) } catch { throw DynamicError("\(command): \(error)") }
        }
        return policy
    }

    private func side(_ arguments: [String: String], address tag: String, mask maskTag: String, command: String) throws(DynamicError) -> FilterAddress {
        guard let text = arguments[tag] else { throw DynamicError("\(command): \(tag) is required") }
        switch text.lowercased() {
        case "me": return .me
        case "any": return .any
        default: break
        }
        if let server = ServerType.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) { return .server(server) }
        if text.contains("/") {
            guard let subnet = Subnet(text) else { throw DynamicError("\(command): \(tag): '\(text)' is not address/prefix") }
            guard arguments[maskTag] == nil else { throw DynamicError("\(command): \(maskTag): give the prefix either in \(tag) or in \(maskTag), not both") }
            return .subnet(subnet)
        }
        guard let address = IPAddress(text) else {
            throw DynamicError("\(command): \(tag): '\(text)' is not me, any, DNS, WINS, DHCP, GATEWAY or an IP address (dynamic rules take addresses, not names)")
        }
        let width = address.isIPv4 ? 32 : 128
        var prefix = width
        if let mask = arguments[maskTag] {
            guard let length = PrefixLength.parse(mask, bitWidth: width) else { throw DynamicError("\(command): \(maskTag): '\(mask)' is not a mask or prefix length") }
            prefix = length
        }
        guard let subnet = Subnet(address: address, prefixLength: prefix) else { throw DynamicError("\(command): \(tag): \(text)/\(prefix) is not a subnet") }
        guard subnet.network == address else { throw DynamicError("\(command): \(tag): \(text) has host bits set for mask /\(prefix)") }
        return .subnet(subnet)
    }

    func ruleKey(_ arguments: [String: String], command: String) throws(DynamicError) -> DynamicPolicy.RuleKey {
        let source = try side(arguments, address: "srcaddr", mask: "srcmask", command: command)
        let destination = try side(arguments, address: "dstaddr", mask: "dstmask", command: command)
        let protocolSelector: ProtocolSelector
        do { protocolSelector = try ProtocolSelector(netsh: arguments["protocol"] ?? "ANY") } catch { throw DynamicError("\(command): \(error)") }
        func port(_ tag: String) throws(DynamicError) -> UInt16 {
            guard let text = arguments[tag] else { return 0 }
            guard let value = UInt16(text) else { throw DynamicError("\(command): \(tag): '\(text)' is not a port 0-65535") }
            if value != 0 && !protocolSelector.hasPorts { throw DynamicError("\(command): \(tag): ports need protocol=TCP or UDP") }
            return value
        }
        let mirrored = try boolean(arguments, "mirrored", command) ?? true
        guard let connection = ConnectionType(netsh: arguments["conntype"] ?? "all") else {
            throw DynamicError("\(command): conntype: '\(arguments["conntype"] ?? "")' is not lan, dialup or all")
        }
        var tunnel: IPAddress?
        if let text = arguments["tunneldstaddress"] {
            guard let address = IPAddress(text) else { throw DynamicError("\(command): tunneldstaddress: '\(text)' is not an IP address") }
            tunnel = address
        }
        return DynamicPolicy.RuleKey(source: source, destination: destination, protocolSelector: protocolSelector, sourcePort: try port("srcport"),
                                     destinationPort: try port("dstport"), mirrored: mirrored, connectionType: connection, tunnelEndpoint: tunnel)
    }

    private func rule(_ arguments: [String: String], order: [String], base: DynamicPolicy.Rule?, command: String) throws(DynamicError) -> DynamicPolicy.Rule {
        func action(_ tag: String) throws(DynamicError) -> FilterAction.Action? {
            guard let text = arguments[tag] else { return nil }
            guard let value = FilterAction.Action(rawValue: text.lowercased()) else { throw DynamicError("\(command): \(tag): '\(text)' is not permit, block or negotiate") }
            return value
        }
        var rule: DynamicPolicy.Rule
        if let base { rule = base } else {
            rule = DynamicPolicy.Rule(key: try ruleKey(arguments, command: command), mainModePolicy: try required(arguments, "mmpolicy", command),
                                      quickModePolicy: nil, actionInbound: .negotiate, actionOutbound: .negotiate,
                                      authentication: AuthenticationMethod.defaults)
        }
        if let name = arguments["mmpolicy"] { rule.mainModePolicy = name }
        if let name = arguments["qmpolicy"] { rule.quickModePolicy = name }
        if let value = try action("actioninbound") { rule.actionInbound = value }
        if let value = try action("actionoutbound") { rule.actionOutbound = value }
        // kerberos, psk, rootca: their order on the command line is the order of preference;
        // giving any of them replaces the whole list (reference c.4).
        var methods: [AuthenticationMethod] = []
        var touched = false
        for tag in order {
            guard let value = arguments[tag] else { continue }
            do {
                switch tag {
                case "psk": methods.append(try AuthenticationMethod.preSharedKey(netsh: value)); touched = true
                case "rootca": methods.append(try AuthenticationMethod.rootCA(netsh: value)); touched = true
                case "kerberos":
                    guard let on = NetshBoolean.parse(value) else { throw DynamicError("\(command): kerberos: '\(value)' is not yes or no") }
                    if on { methods.append(.kerberos) }
                    touched = true
                default: continue
                }
            } catch let error as DynamicError { throw error } catch { throw DynamicError("\(command): \(error)") }
        }
        if touched {
            guard !methods.isEmpty else { throw DynamicError("\(command): kerberos: a rule needs at least one authentication method") }
            rule.authentication = methods
        }
        return rule
    }
}
