import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static let policyParameters = [
        ParameterSpec("description"), ParameterSpec("mmpfs", yesNo), ParameterSpec("qmpermm", "<integer>"),
        ParameterSpec("mmlifetime", "<minutes>"), ParameterSpec("activatedefaultrule", yesNo),
        ParameterSpec("pollinginterval", "<minutes>"), ParameterSpec("assign", yesNo),
    ]

    static var policyCommands: [CommandSpec] {
        [
            CommandSpec(words: ["add", "policy"],
                        parameters: [ParameterSpec("name", required: true)] + policyParameters
                            + [ParameterSpec("mmsecmethods", "\"ConfAlg-HashAlg-GroupNum ...\"")],
                        summary: "Creates a policy with its main mode settings and default response rule.",
                        remarks: ["mmsecmethods: space-separated offers such as \"3DES-SHA1-2 DES-MD5-1\"; group 3 = 2048-bit.",
                                  "mmpfs=yes forces one quick mode per main mode (qmpermm=1).",
                                  "assign=yes unassigns the store's previously assigned policy."],
                        run: addPolicy),
            CommandSpec(words: ["set", "policy"],
                        parameters: [ParameterSpec("name"), ParameterSpec("guid", "<guid>"), ParameterSpec("newname")]
                            + policyParameters + [ParameterSpec("gponame"), ParameterSpec("mmsecmethods", "\"ConfAlg-HashAlg-GroupNum ...\"")],
                        oneOf: [["name", "guid"]],
                        summary: "Changes a policy; parameters left out keep their value.",
                        remarks: ["gponame applies to the domain store only."],
                        run: setPolicy),
            CommandSpec(words: ["delete", "policy"], parameters: [ParameterSpec("name")], keywords: ["all"],
                        oneOf: [["name", "all"]],
                        summary: "Deletes a policy (or all) with its rules; filter lists and actions stay.",
                        run: deletePolicy),
        ]
    }

    static func policySettings(_ policy: inout IPsecPolicy, _ arguments: BoundArguments) throws -> [String] {
        var warnings: [String] = []
        if let description = try checkDescription(arguments) { policy.description = description }
        if let value = try arguments.bool("activatedefaultrule") { policy.defaultResponseRule.active = value }
        if let value = try arguments.integer("pollinginterval", in: IPsecPolicy.pollingIntervalRange, unit: "minutes") {
            policy.pollingIntervalMinutes = value
        }
        if let value = try arguments.bool("assign") { policy.assigned = value }
        if let value = try arguments.integer("mmlifetime", in: ISAKMPSettings.lifetimeRange, unit: "minutes") {
            policy.isakmp.lifetimeMinutes = value
        }
        if let methods = try arguments.parse("mmsecmethods", MainModeSecurityMethod.parseList) {
            policy.isakmp.securityMethods = methods
        }
        let qmPerMM = try arguments.integer("qmpermm", in: ISAKMPSettings.quickModesPerMainModeRange)
        if let value = try arguments.bool("mmpfs") { policy.isakmp.masterKeyPFS = value }
        if policy.isakmp.masterKeyPFS {
            if let qmPerMM, qmPerMM != 1 {
                warnings.append("qmpermm=\(qmPerMM) ignored: master key PFS (mmpfs=yes) means one quick mode per main mode")
            }
            policy.isakmp.quickModesPerMainMode = 1
        } else if let qmPerMM {
            policy.isakmp.quickModesPerMainMode = qmPerMM
        }
        return warnings
    }

    /// In the domain store a policy is put in force by a Group Policy object, not by a flag:
    /// `assign=` has no effect there, as in netsh.
    static func domainAssignment(_ policy: inout IPsecPolicy, _ session: NetshSession, _ arguments: BoundArguments) -> [String] {
        guard session.location == .domain else { return [] }
        policy.assigned = false
        return arguments.has("assign") ? ["assign has no effect in the domain store; assign the policy to a Group Policy object with set policy name=... gponame=..."] : []
    }

    static func addPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let name = try arguments.requiredString("name")
        try checkName(name, tag: "name", arguments)
        var policy = IPsecPolicy(name: name)
        let warnings = try policySettings(&policy, arguments) + domainAssignment(&policy, session, arguments)
        try session.write { transaction in try transaction.insert(policy) }
        return CommandOutput(warnings: warnings)
    }

    static func setPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        if arguments.has("gponame") {
            guard session.location == .domain, let store = session.domainStore else {
                throw arguments.fail("gponame", "assigns a policy to a Group Policy object: use it in the domain store (set store location=domain)")
            }
            let gpo = try arguments.requiredString("gponame")
            guard let name = arguments.string("name") else { throw arguments.fail("name", "names the policy to assign to GPO '\(gpo)'") }
            do { try store.assign(policyNamed: name, toGPO: gpo) } catch { throw NetshError("set policy: \(error)") }
            return .none
        }
        return try session.write { transaction in
            var policy = try locate(arguments, kind: "policy", in: transaction,
                                    byName: transaction.policy(named:), byID: transaction.policy(id:))
            if let newName = arguments.string("newname") {
                try checkName(newName, tag: "newname", arguments)
                policy.name = newName
            }
            let warnings = try policySettings(&policy, arguments) + domainAssignment(&policy, session, arguments)
            try transaction.update(policy)
            return CommandOutput(warnings: warnings)
        }
    }

    static func deletePolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            if arguments.keyword("all") {
                for policy in try transaction.policies() { try transaction.deletePolicy(id: policy.id) }
            } else {
                let policy = try transaction.requirePolicy(named: arguments.requiredString("name"))
                try transaction.deletePolicy(id: policy.id)
            }
        }
        return .none
    }
}
