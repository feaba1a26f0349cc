import Foundation
import Packet
import Policy
import PolicyStore

extension StaticCommands {
    static let authenticationParameters = [
        ParameterSpec("kerberos", yesNo), ParameterSpec("psk", "<string>"),
        ParameterSpec("rootca", repeatable: true, "\"<CA name> certmap:yes|no excludecaname:yes|no\""),
    ]
    static let authenticationRemarks = [
        "kerberos, psk and rootca: the order on the command line is the order of preference.",
        "rootca may be given several times; inside its quoted value write an embedded double quote as \\'.",
        "On set, any authentication parameter replaces the whole list.",
    ]

    static var ruleCommands: [CommandSpec] {
        [
            CommandSpec(words: ["add", "rule"],
                        parameters: [ParameterSpec("name", required: true), ParameterSpec("policy", required: true),
                                     ParameterSpec("filterlist", required: true), ParameterSpec("filteraction", required: true),
                                     ParameterSpec("tunnel", "<address>|<name>"), ParameterSpec("conntype", "lan|dialup|all"),
                                     ParameterSpec("activate", yesNo), ParameterSpec("description")] + authenticationParameters,
                        summary: "Adds a rule to a policy: filter list + filter action + authentication + mode.",
                        remarks: ["tunnel= makes a tunnel-mode rule for one direction; a tunnel needs two rules, with mirrored=no filters.",
                                  "With no authentication parameter the rule uses Kerberos."] + authenticationRemarks,
                        run: addRule),
            CommandSpec(words: ["set", "rule"],
                        parameters: [ParameterSpec("name"), ParameterSpec("id", "<integer>"), ParameterSpec("policy", required: true),
                                     ParameterSpec("newname"), ParameterSpec("description"), ParameterSpec("filterlist"),
                                     ParameterSpec("filteraction"), ParameterSpec("tunnel", "<address>|<name>|none"),
                                     ParameterSpec("conntype", "lan|dialup|all"), ParameterSpec("activate", yesNo)] + authenticationParameters,
                        oneOf: [["name", "id"]], summary: "Changes a rule; parameters left out keep their value.",
                        remarks: ["id is the rule's position in show rule order, counting from 1.", "tunnel=none returns the rule to transport mode."]
                            + authenticationRemarks,
                        run: setRule),
            CommandSpec(words: ["delete", "rule"], parameters: [ParameterSpec("name"), ParameterSpec("id", "<integer>"), ParameterSpec("policy", required: true)],
                        keywords: ["all"], oneOf: [["name", "id", "all"]],
                        summary: "Deletes a rule (or all rules) of a policy; the default response rule stays.", run: deleteRule),
            CommandSpec(words: ["set", "defaultrule"],
                        parameters: [ParameterSpec("policy", required: true), ParameterSpec("qmpfs", yesNo), ParameterSpec("activate", yesNo),
                                     ParameterSpec("qmsecmethods", "\"ESP[ConfAlg,AuthAlg]:Nk/Ns ...\"")] + authenticationParameters,
                        summary: "Changes a policy's default response rule (its action is always negotiate).",
                        remarks: authenticationRemarks, run: setDefaultRule),
        ]
    }

    /// The rule `name=` or `id=` designates in a policy.
    static func locateRule(_ arguments: BoundArguments, policy: IPsecPolicy, in transaction: StoreTransaction) throws -> Rule {
        let rules = try transaction.rules(ofPolicy: policy.id)
        if let id = try arguments.integer("id", in: 1...Int(Int32.max)) {
            guard id <= rules.count else {
                throw arguments.fail("id", "\(policy.objectName) has \(rules.count) rule\(rules.count == 1 ? "" : "s"); no rule \(id)")
            }
            return rules[id - 1]
        }
        let name = try arguments.requiredString("name")
        guard let rule = rules.first(where: { ObjectName.key($0.name) == ObjectName.key(name) }) else {
            throw StoreError.notFound(kind: "rule", name: "\(name)' in policy '\(policy.name)", store: transaction.location)
        }
        return rule
    }

    static func ruleSettings(_ rule: inout Rule, _ arguments: BoundArguments, session: NetshSession, transaction: StoreTransaction) throws {
        if let description = try checkDescription(arguments) { rule.description = description }
        if let listName = arguments.string("filterlist") { rule.filterListID = try transaction.requireFilterListID(named: listName) }
        if let actionName = arguments.string("filteraction") { rule.filterActionID = try transaction.requireFilterActionID(named: actionName) }
        if let tunnel = try arguments.tunnelEndpoint(resolver: session.resolver) { rule.tunnelEndpoint = tunnel }
        if let value = try arguments.choice("conntype", { ConnectionType(netsh: $0) }, allowed: "lan, dialup, all") { rule.connectionType = value }
        if let value = try arguments.bool("activate") { rule.active = value }
        if let methods = try arguments.authenticationMethods() { rule.authenticationMethods = methods }
    }

    static func addRule(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let name = try arguments.requiredString("name")
        try checkName(name, tag: "name", arguments)
        try session.write { transaction in
            let links = try transaction.ruleLinks(policy: arguments.requiredString("policy"),
                                                  filterList: arguments.requiredString("filterlist"),
                                                  filterAction: arguments.requiredString("filteraction"))
            var rule = Rule(policyID: links.policy, name: name, filterListID: links.filterList, filterActionID: links.filterAction)
            try ruleSettings(&rule, arguments, session: session, transaction: transaction)
            try transaction.insert(rule)
        }
        return .none
    }

    static func setRule(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            let policy = try transaction.requirePolicy(named: arguments.requiredString("policy"))
            var rule = try locateRule(arguments, policy: policy, in: transaction)
            if let newName = arguments.string("newname") {
                try checkName(newName, tag: "newname", arguments)
                rule.name = newName
            }
            try ruleSettings(&rule, arguments, session: session, transaction: transaction)
            try transaction.update(rule)
        }
        return .none
    }

    static func deleteRule(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            let policy = try transaction.requirePolicy(named: arguments.requiredString("policy"))
            if arguments.keyword("all") {
                for rule in try transaction.rules(ofPolicy: policy.id) { try transaction.deleteRule(rule) }
            } else {
                try transaction.deleteRule(locateRule(arguments, policy: policy, in: transaction))
            }
        }
        return .none
    }

    static func setDefaultRule(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            var policy = try transaction.requirePolicy(named: arguments.requiredString("policy"))
            if let value = try arguments.bool("qmpfs") { policy.defaultResponseRule.quickModePFS = value }
            if let value = try arguments.bool("activate") { policy.defaultResponseRule.active = value }
            if let methods = try arguments.parse("qmsecmethods", QuickModeSecurityMethod.parseList) {
                policy.defaultResponseRule.securityMethods = methods
            }
            if let methods = try arguments.authenticationMethods() { policy.defaultResponseRule.authenticationMethods = methods }
            try transaction.update(policy)
        }
        return .none
    }
}
