import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static let displayParameters = [
        ParameterSpec("level", "verbose|normal|terse"), ParameterSpec("format", "list|table"), ParameterSpec("wide", yesNo),
    ]

    static var showCommands: [CommandSpec] {
        [
            CommandSpec(words: ["show", "policy"], parameters: [ParameterSpec("name")] + displayParameters, keywords: ["all"],
                        oneOf: [["name", "all"]], summary: "Shows a policy or all policies.", run: showPolicy),
            CommandSpec(words: ["show", "filterlist"],
                        parameters: [ParameterSpec("name"), ParameterSpec("rule")] + displayParameters + [ParameterSpec("resolvedns", yesNo)],
                        keywords: ["all"], oneOf: [["name", "rule", "all"]],
                        summary: "Shows a filter list, the list of a rule, or all filter lists.", run: showFilterList),
            CommandSpec(words: ["show", "filteraction"], parameters: [ParameterSpec("name"), ParameterSpec("rule")] + displayParameters,
                        keywords: ["all"], oneOf: [["name", "rule", "all"]],
                        summary: "Shows a filter action, the action of a rule, or all filter actions.", run: showFilterAction),
            CommandSpec(words: ["show", "rule"],
                        parameters: [ParameterSpec("name"), ParameterSpec("id", "<integer>"), ParameterSpec("policy"),
                                     ParameterSpec("type", "tunnel|transport")] + displayParameters,
                        keywords: ["all", "default"], oneOf: [["name", "id", "all", "default"]],
                        summary: "Shows rules of a policy (all: of every policy; default: the default response rule).", run: showRule),
            CommandSpec(words: ["show", "all"], parameters: displayParameters + [ParameterSpec("resolvedns", yesNo)],
                        summary: "Shows every policy with its rules, then every filter list and filter action.", run: showAll),
            CommandSpec(words: ["show", "store"], parameters: [], summary: "Shows the current store.", run: showStore),
            CommandSpec(words: ["show", "gpoassignedpolicy"], parameters: [ParameterSpec("name")],
                        summary: "Shows the policy assigned to a Group Policy object (domain store).", run: showGPOAssignedPolicy),
        ]
    }

    static func displayOptions(_ arguments: BoundArguments) throws -> ShowFormatter.Options {
        var options = ShowFormatter.Options()
        if let level = try arguments.choice("level", { ["verbose", "normal", "terse"].contains($0.lowercased()) ? $0.lowercased() : nil },
                                            allowed: "verbose, normal, terse") {
            options.verbose = level == "verbose"
        }
        if let format = try arguments.choice("format", { ["list", "table"].contains($0.lowercased()) ? $0.lowercased() : nil },
                                             allowed: "list, table") {
            options.table = format == "table"
        }
        options.wide = try arguments.bool("wide") ?? true
        options.resolveDNS = arguments.has("resolvedns") ? (try arguments.bool("resolvedns") ?? false) : false
        return options
    }

    static func formatter(_ session: NetshSession, _ transaction: StoreTransaction, _ arguments: BoundArguments) throws -> ShowFormatter {
        ShowFormatter(transaction: transaction, options: try displayOptions(arguments), resolver: session.resolver)
    }

    static func showPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.read { transaction in
            let format = try formatter(session, transaction, arguments)
            let policies = arguments.keyword("all") ? try transaction.policies()
                : [try transaction.requirePolicy(named: arguments.requiredString("name"))]
            if policies.isEmpty { return CommandOutput("No policies in the \(transaction.location.displayName).") }
            if format.options.table { return CommandOutput(try format.policyTable(policies)) }
            return CommandOutput(try policies.map(format.policy).joined(separator: "\n\n"))
        }
    }

    /// Rules named `rule=` across the store's policies, with their policy.
    static func rulesNamed(_ name: String, in transaction: StoreTransaction) throws -> [(policy: IPsecPolicy, rule: Rule)] {
        var found: [(IPsecPolicy, Rule)] = []
        for policy in try transaction.policies() {
            if let rule = try transaction.rule(named: name, inPolicy: policy.id) { found.append((policy, rule)) }
        }
        if found.isEmpty { throw StoreError.notFound(kind: "rule", name: name, store: transaction.location) }
        return found
    }

    static func showFilterList(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.read { transaction in
            let format = try formatter(session, transaction, arguments)
            var lists: [FilterList]
            if arguments.keyword("all") {
                lists = try transaction.filterLists()
            } else if let ruleName = arguments.string("rule") {
                lists = try rulesNamed(ruleName, in: transaction).compactMap { try transaction.filterList(id: $0.rule.filterListID) }
            } else {
                lists = [try transaction.requireFilterList(named: arguments.requiredString("name"))]
            }
            if lists.isEmpty { return CommandOutput("No filter lists in the \(transaction.location.displayName).") }
            if format.options.table && !format.options.verbose { return CommandOutput(format.filterListTable(lists)) }
            return CommandOutput(lists.map(format.filterList).joined(separator: "\n\n"))
        }
    }

    static func showFilterAction(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.read { transaction in
            let format = try formatter(session, transaction, arguments)
            var actions: [FilterAction]
            if arguments.keyword("all") {
                actions = try transaction.filterActions()
            } else if let ruleName = arguments.string("rule") {
                actions = try rulesNamed(ruleName, in: transaction).compactMap { try transaction.filterAction(id: $0.rule.filterActionID) }
            } else {
                actions = [try transaction.requireFilterAction(named: arguments.requiredString("name"))]
            }
            if actions.isEmpty { return CommandOutput("No filter actions in the \(transaction.location.displayName).") }
            if format.options.table { return CommandOutput(format.filterActionTable(actions)) }
            return CommandOutput(actions.map(format.filterAction).joined(separator: "\n\n"))
        }
    }

    static func showRule(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let type = try arguments.choice("type", { ["tunnel", "transport"].contains($0.lowercased()) ? $0.lowercased() : nil },
                                        allowed: "tunnel, transport")
        return try session.read { transaction in
            let format = try formatter(session, transaction, arguments)
            var policies: [IPsecPolicy]
            if let name = arguments.string("policy") {
                policies = [try transaction.requirePolicy(named: name)]
            } else if arguments.keyword("all") {
                policies = try transaction.policies()
            } else {
                throw arguments.fail("policy", "is required with \(arguments.keyword("default") ? "default" : arguments.has("id") ? "id=" : "name=")")
            }
            var sections: [String] = []
            for policy in policies {
                if arguments.keyword("default") {
                    sections.append(format.defaultRule(policy))
                    continue
                }
                let numbered = try transaction.rules(ofPolicy: policy.id).enumerated().map { (id: $0.offset + 1, rule: $0.element) }
                var selected: [(id: Int, rule: Rule)]
                if arguments.keyword("all") {
                    selected = numbered
                } else {
                    let rule = try locateRule(arguments, policy: policy, in: transaction)
                    selected = numbered.filter { $0.rule.id == rule.id }
                }
                if type == "tunnel" { selected = selected.filter { $0.rule.isTunnel } }
                if type == "transport" { selected = selected.filter { !$0.rule.isTunnel } }
                if selected.isEmpty { continue }
                if format.options.table {
                    sections.append(try format.ruleTable(selected, policy: policy))
                } else {
                    sections += try selected.map { try format.rule($0.rule, id: $0.id, policy: policy) }
                }
            }
            return CommandOutput(sections.isEmpty ? "No rules match." : sections.joined(separator: "\n\n"))
        }
    }

    static func showAll(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.read { transaction in
            let format = try formatter(session, transaction, arguments)
            var sections: [String] = ["Store: \(transaction.location.displayName)"]
            let policies = try transaction.policies()
            let lists = try transaction.filterLists()
            let actions = try transaction.filterActions()
            if format.options.table {
                sections.append("Policies\n" + (try format.policyTable(policies)))
                for policy in policies {
                    let numbered = try transaction.rules(ofPolicy: policy.id).enumerated().map { (id: $0.offset + 1, rule: $0.element) }
                    if !numbered.isEmpty { sections.append(try format.ruleTable(numbered, policy: policy)) }
                }
                sections.append("Filter Lists\n" + format.filterListTable(lists))
                sections.append("Filter Actions\n" + format.filterActionTable(actions))
            } else {
                for policy in policies {
                    sections.append(try format.policy(policy))
                    if !format.options.verbose {
                        for (index, rule) in try transaction.rules(ofPolicy: policy.id).enumerated() {
                            sections.append(try format.rule(rule, id: index + 1, policy: policy))
                        }
                        sections.append(format.defaultRule(policy))
                    }
                }
                sections += lists.map(format.filterList)
                sections += actions.map(format.filterAction)
            }
            return CommandOutput(sections.joined(separator: "\n\n"))
        }
    }

    static func showStore(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        if session.location == .domain, let store = session.domainStore {
            return CommandOutput(ShowLayout.fields(store.details))
        }
        let path = (try? session.database().path) ?? "(not opened)"
        return CommandOutput(ShowLayout.fields([("Current Store", session.location.displayName), ("Database", path),
                                                ("Batch Mode", session.inBatch ? "ENABLED" : "DISABLED")]))
    }

    static func showGPOAssignedPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        guard session.location == .domain, let store = session.domainStore else {
            throw NetshError("show gpoassignedpolicy: Group Policy objects live in the domain store (set store location=domain)")
        }
        let gpo = try arguments.requiredString("name")
        do { return CommandOutput(ShowLayout.fields(try store.assignedPolicy(ofGPO: gpo))) } catch { throw NetshError("show gpoassignedpolicy: \(error)") }
    }
}
