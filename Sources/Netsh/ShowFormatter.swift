import Foundation
import Packet
import Policy
import PolicyStore

/// Renders store objects the way `netsh ipsec static show` lays them out.
///
/// `level=normal` prints what an administrator configured; `level=verbose` adds each object's
/// GUID and last-change time and expands a rule's filter list and filter action. `format=table`
/// prints one row per object.
struct ShowFormatter {
    struct Options {
        var verbose = false
        var table = false
        var wide = true
        var resolveDNS = false
    }

    let transaction: StoreTransaction
    let options: Options
    let resolver: NameResolver
    /// Filter lists and actions by id, read once per command: many rules share them.
    private let cache = LinkedObjects()

    init(transaction: StoreTransaction, options: Options, resolver: NameResolver) {
        self.transaction = transaction
        self.options = options
        self.resolver = resolver
    }

    private final class LinkedObjects {
        var lists: [UUID: FilterList?] = [:]
        var actions: [UUID: FilterAction?] = [:]
    }

    func filterList(id: UUID) throws -> FilterList? {
        if let cached = cache.lists[id] { return cached }
        let list = try transaction.filterList(id: id)
        cache.lists[id] = list
        return list
    }

    func filterAction(id: UUID) throws -> FilterAction? {
        if let cached = cache.actions[id] { return cached }
        let action = try transaction.filterAction(id: id)
        cache.actions[id] = action
        return action
    }

    var storeName: String { transaction.location.displayName }

    // MARK: Policies

    func policy(_ policy: IPsecPolicy) throws -> String {
        let rules = try transaction.rules(ofPolicy: policy.id)
        var pairs: [(String, String)] = [
            ("Policy Name", policy.name), ("Description", policy.description), ("Store", storeName),
        ]
        if options.verbose { pairs += [("Last Modified", ShowLayout.time(policy.whenChanged)), ("GUID", ShowLayout.guid(policy.id))] }
        pairs += [
            ("Assigned", ShowLayout.yesNo(policy.assigned)),
            ("Master PFS", ShowLayout.yesNo(policy.isakmp.masterKeyPFS)),
            ("Polling Interval", "\(policy.pollingIntervalMinutes) minutes"),
            ("Main Mode Lifetime", "\(policy.isakmp.lifetimeMinutes) minutes"),
            ("QM Per MM", policy.isakmp.quickModesPerMainMode == 0 ? "0 (unlimited)" : "\(policy.isakmp.quickModesPerMainMode)"),
            ("Default Response Rule", policy.defaultResponseRule.active ? "ACTIVE" : "INACTIVE"),
            ("No. of Rules", "\(rules.count)"),
        ]
        var text = ShowLayout.fields(pairs)
        text += "\n\nMain Mode Security Methods\n" + mainModeMethods(policy.isakmp.securityMethods)
        if options.verbose {
            text += "\n\nRule(s)\n-------"
            for (index, rule) in rules.enumerated() {
                text += "\n" + (try self.rule(rule, id: index + 1, policy: policy)) + "\n"
            }
            text += "\n" + defaultRule(policy)
        }
        return text
    }

    func mainModeMethods(_ methods: [MainModeSecurityMethod]) -> String {
        ShowLayout.table(["Encryption", "Integrity", "DH Group"],
                         methods.map { [$0.cipher.rawValue, $0.hash.rawValue, $0.group.displayName] },
                         limits: [12, 12, 14], wide: true)
    }

    func policyTable(_ policies: [IPsecPolicy]) throws -> String {
        var rows: [[String]] = []
        for policy in policies {
            var row = [policy.name, ShowLayout.yesNo(policy.assigned), "\(try transaction.rules(ofPolicy: policy.id).count)",
                       policy.defaultResponseRule.active ? "ACTIVE" : "INACTIVE"]
            if options.verbose { row += [ShowLayout.time(policy.whenChanged), ShowLayout.guid(policy.id)] }
            rows.append(row)
        }
        var header = ["Policy Name", "Assigned", "Rules", "Default Response"]
        var limits = [40, 8, 6, 16]
        if options.verbose { header += ["Last Modified", "GUID"]; limits += [23, 38] }
        return ShowLayout.table(header, rows, limits: limits, wide: options.wide)
    }

    // MARK: Rules

    func rule(_ rule: Rule, id: Int, policy: IPsecPolicy) throws -> String {
        let list = try filterList(id: rule.filterListID)
        let action = try filterAction(id: rule.filterActionID)
        var pairs: [(String, String)] = [("Rule ID", "\(id)"), ("Rule Name", rule.name), ("Description", rule.description)]
        if options.verbose { pairs += [("Last Modified", ShowLayout.time(rule.whenChanged)), ("GUID", ShowLayout.guid(rule.id))] }
        pairs += [
            ("Policy Name", policy.name),
            ("Filter List Name", list?.name ?? "<missing>"),
            ("Filter Action Name", action?.name ?? "<missing>"),
            ("Tunnel Endpoint", rule.tunnelEndpoint?.description ?? "NONE"),
            ("Connection Type", rule.connectionType.rawValue.uppercased()),
            ("Activated", ShowLayout.yesNo(rule.active)),
            ("Authentication Methods", authentication(rule.authenticationMethods)),
        ]
        var text = ShowLayout.fields(pairs)
        if options.verbose {
            if let list { text += "\n\n" + filterList(list) }
            if let action { text += "\n\n" + filterAction(action) }
        }
        return text
    }

    func defaultRule(_ policy: IPsecPolicy) -> String {
        let rule = policy.defaultResponseRule
        return ShowLayout.fields([
            ("Rule Name", "<Default Response>"), ("Policy Name", policy.name), ("Filter List Name", "<Dynamic>"),
            ("Filter Action Name", "Default Response"), ("Activated", ShowLayout.yesNo(rule.active)),
            ("QMPFS", ShowLayout.yesNo(rule.quickModePFS)),
            ("Authentication Methods", authentication(rule.authenticationMethods)),
        ]) + "\n\nSecurity Methods\n" + quickModeMethods(rule.securityMethods)
    }

    func ruleTable(_ rules: [(id: Int, rule: Rule)], policy: IPsecPolicy) throws -> String {
        var rows: [[String]] = []
        for (id, rule) in rules {
            rows.append([
                "\(id)", rule.name, try filterList(id: rule.filterListID)?.name ?? "<missing>",
                try filterAction(id: rule.filterActionID)?.name ?? "<missing>",
                rule.tunnelEndpoint?.description ?? "NONE", rule.connectionType.rawValue.uppercased(),
                ShowLayout.yesNo(rule.active), rule.authenticationMethods.map(shortAuthentication).joined(separator: ","),
            ])
        }
        return "Policy Name: \(policy.name)\n" + ShowLayout.table(
            ["ID", "Rule Name", "Filter List", "Filter Action", "Tunnel", "Conn", "Active", "Auth"], rows,
            limits: [4, 24, 24, 24, 15, 6, 6, 24], wide: options.wide)
    }

    func authentication(_ methods: [AuthenticationMethod]) -> String {
        methods.map { method in
            switch method {
            case .kerberos: "Kerberos"
            case .preSharedKey: "Preshared Key (hidden)"
            case .certificate(let root):
                "Root CA: \(root.name) (certmap: \(ShowLayout.yesNo(root.certificateMapping)), excludecaname: \(ShowLayout.yesNo(root.excludeCAName)))"
            }
        }.joined(separator: "\n")
    }

    func shortAuthentication(_ method: AuthenticationMethod) -> String {
        switch method {
        case .kerberos: "Kerberos"
        case .preSharedKey: "PSK"
        case .certificate: "Cert"
        }
    }

    // MARK: Filter lists

    func filterList(_ list: FilterList) -> String {
        var pairs: [(String, String)] = [("FilterList Name", list.name), ("Description", list.description), ("Store", storeName)]
        if options.verbose { pairs += [("Last Modified", ShowLayout.time(list.whenChanged)), ("GUID", ShowLayout.guid(list.id))] }
        pairs.append(("No. of Filters", "\(list.filters.count)"))
        var text = ShowLayout.fields(pairs)
        guard !list.filters.isEmpty else { return text }
        text += "\n\nFilter(s)\n---------\n"
        if options.table {
            text += filterTable(list.filters)
        } else {
            text += list.filters.map(filter).joined(separator: "\n\n")
        }
        return text
    }

    func filter(_ filter: Filter) -> String {
        ShowLayout.fields([
            ("Description", filter.description), ("Mirrored", ShowLayout.yesNo(filter.mirrored)),
            ("Source IP Address", addressText(filter.source)), ("Source Mask", maskText(filter.source)),
            ("Source DNS Name", dnsText(filter.source, kept: filter.sourceDNSName)),
            ("Destination IP Address", addressText(filter.destination)), ("Destination Mask", maskText(filter.destination)),
            ("Destination DNS Name", dnsText(filter.destination, kept: filter.destinationDNSName)),
            ("Protocol", filter.protocolSelector.description),
            ("Source Port", filter.sourcePort == 0 ? "ANY" : "\(filter.sourcePort)"),
            ("Destination Port", filter.destinationPort == 0 ? "ANY" : "\(filter.destinationPort)"),
        ])
    }

    func filterTable(_ filters: [Filter]) -> String {
        ShowLayout.table(["Mir", "Source", "Destination", "Protocol", "SrcPort", "DstPort"], filters.map { filter in
            [ShowLayout.yesNo(filter.mirrored), shortAddress(filter.source, filter.sourceDNSName),
             shortAddress(filter.destination, filter.destinationDNSName), filter.protocolSelector.description,
             filter.sourcePort == 0 ? "ANY" : "\(filter.sourcePort)", filter.destinationPort == 0 ? "ANY" : "\(filter.destinationPort)"]
        }, limits: [3, 32, 32, 8, 7, 7], wide: options.wide)
    }

    func filterListTable(_ lists: [FilterList]) -> String {
        var rows: [[String]] = []
        for list in lists {
            var row = [list.name, "\(list.filters.count)", list.description]
            if options.verbose { row += [ShowLayout.time(list.whenChanged), ShowLayout.guid(list.id)] }
            rows.append(row)
        }
        var header = ["FilterList Name", "Filters", "Description"]
        var limits = [32, 7, 40]
        if options.verbose { header += ["Last Modified", "GUID"]; limits += [23, 38] }
        return ShowLayout.table(header, rows, limits: limits, wide: options.wide)
    }

    func addressText(_ address: FilterAddress) -> String {
        switch address {
        case .me: "<My IP Address>"
        case .any: "<Any IP Address>"
        case .subnet(let subnet): subnet.network.description
        case .server(.dns): "<DNS Servers>"
        case .server(.wins): "<WINS Servers>"
        case .server(.dhcp): "<DHCP Server>"
        case .server(.gateway): "<Default Gateway>"
        }
    }

    func maskText(_ address: FilterAddress) -> String {
        switch address {
        case .me, .server: "255.255.255.255"
        case .any: "0.0.0.0"
        case .subnet(let subnet): subnet.ipv4Mask?.description ?? "/\(subnet.prefixLength)"
        }
    }

    func dnsText(_ address: FilterAddress, kept: String?) -> String {
        if let kept { return kept }
        if options.resolveDNS, case .subnet(let subnet) = address, subnet.isHost {
            return resolver.name(for: subnet.network) ?? ""
        }
        return ""
    }

    func shortAddress(_ address: FilterAddress, _ dnsName: String?) -> String {
        switch address {
        case .me: "Me"
        case .any: "Any"
        case .server(let type): type.rawValue
        case .subnet(let subnet):
            dnsName.map { "\($0) (\(subnet))" } ?? (options.resolveDNS && subnet.isHost ? resolver.name(for: subnet.network) : nil)
                ?? subnet.description
        }
    }

    // MARK: Filter actions

    func filterAction(_ action: FilterAction) -> String {
        var pairs: [(String, String)] = [("FilterAction Name", action.name), ("Description", action.description), ("Store", storeName)]
        if options.verbose { pairs += [("Last Modified", ShowLayout.time(action.whenChanged)), ("GUID", ShowLayout.guid(action.id))] }
        switch action.action {
        case .permit: pairs.append(("Action", "PERMIT"))
        case .block: pairs.append(("Action", "BLOCK"))
        case .negotiate:
            pairs += [("Action", "NEGOTIATE SECURITY"), ("QMPFS", ShowLayout.yesNo(action.quickModePFS)),
                      ("Inbound Pass Thru", ShowLayout.yesNo(action.inboundPassthrough)),
                      ("AllowUnsecuredComm", ShowLayout.yesNo(action.fallbackToClear))]
        }
        var text = ShowLayout.fields(pairs)
        if action.action == .negotiate {
            text += "\n\nSecurity Methods\n" + quickModeMethods(action.securityMethods)
        }
        return text
    }

    func quickModeMethods(_ methods: [QuickModeSecurityMethod]) -> String {
        ShowLayout.table(["Encryption", "Integrity", "AH Transform", "Lifetime (KBytes/Seconds)"], methods.map { method in
            [method.esp?.cipher.rawValue ?? "None", method.esp?.integrity?.rawValue ?? "None", method.ah?.rawValue ?? "None",
             "\(method.lifetimeKilobytes)/\(method.lifetimeSeconds)"]
        }, limits: [12, 10, 12, 26], wide: true)
    }

    func filterActionTable(_ actions: [FilterAction]) -> String {
        var rows: [[String]] = []
        for action in actions {
            var row = [action.name, action.action.rawValue.uppercased(), ShowLayout.yesNo(action.quickModePFS),
                       ShowLayout.yesNo(action.inboundPassthrough), ShowLayout.yesNo(action.fallbackToClear),
                       action.action == .negotiate ? action.securityMethods.map(\.description).joined(separator: " ") : ""]
            if options.verbose { row += [ShowLayout.time(action.whenChanged), ShowLayout.guid(action.id)] }
            rows.append(row)
        }
        var header = ["FilterAction Name", "Action", "QMPFS", "Inpass", "Soft", "Security Methods"]
        var limits = [32, 9, 5, 6, 4, 48]
        if options.verbose { header += ["Last Modified", "GUID"]; limits += [23, 38] }
        return ShowLayout.table(header, rows, limits: limits, wide: options.wide)
    }
}
