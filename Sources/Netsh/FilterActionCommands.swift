import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static let filterActionParameters = [
        ParameterSpec("description"), ParameterSpec("qmpfs", yesNo), ParameterSpec("inpass", yesNo), ParameterSpec("soft", yesNo),
        ParameterSpec("action", "permit|block|negotiate"), ParameterSpec("qmsecmethods", "\"ESP[ConfAlg,AuthAlg]:Nk/Ns AH[HashAlg] ...\""),
    ]

    static var filterActionCommands: [CommandSpec] {
        [
            CommandSpec(words: ["add", "filteraction"], parameters: [ParameterSpec("name", required: true)] + filterActionParameters,
                        summary: "Creates a filter action: permit, block, or negotiate security.",
                        remarks: ["qmsecmethods: ESP[ConfAlg,AuthAlg], AH[HashAlg] or AH[HashAlg]+ESP[ConfAlg,AuthAlg], each optionally :Nk/Ns.",
                                  "ConfAlg: None DES 3DES AES128 AES192 AES256 AES-GCM128 AES-GCM192 AES-GCM256; AuthAlg/HashAlg: None MD5 SHA1 SHA256 SHA384 SHA512.",
                                  "Lifetimes default to 100000k/3600s; seconds 300-172800, kilobytes 20480-2147483647.",
                                  "Security methods are used only when action=negotiate."],
                        run: addFilterAction),
            CommandSpec(words: ["set", "filteraction"],
                        parameters: [ParameterSpec("name"), ParameterSpec("guid", "<guid>"), ParameterSpec("newname")] + filterActionParameters,
                        oneOf: [["name", "guid"]], summary: "Changes a filter action; parameters left out keep their value.",
                        run: setFilterAction),
            CommandSpec(words: ["delete", "filteraction"], parameters: [ParameterSpec("name")], keywords: ["all"], oneOf: [["name", "all"]],
                        summary: "Deletes a filter action (or all); refused while a rule uses it.", run: deleteFilterAction),
        ]
    }

    static func filterActionSettings(_ action: inout FilterAction, _ arguments: BoundArguments) throws -> [String] {
        var warnings: [String] = []
        if let description = try checkDescription(arguments) { action.description = description }
        if let value = try arguments.bool("qmpfs") { action.quickModePFS = value }
        if let value = try arguments.bool("inpass") { action.inboundPassthrough = value }
        if let value = try arguments.bool("soft") { action.fallbackToClear = value }
        if let value = try arguments.choice("action", { FilterAction.Action(rawValue: $0.lowercased()) }, allowed: "permit, block, negotiate") {
            action.action = value
        }
        if let methods = try arguments.parse("qmsecmethods", QuickModeSecurityMethod.parseList) {
            action.securityMethods = methods
            if action.action != .negotiate {
                warnings.append("qmsecmethods are kept but not used while action=\(action.action.rawValue)")
            }
        }
        if action.action == .negotiate && action.securityMethods.isEmpty {
            action.securityMethods = QuickModeSecurityMethod.requireSecurityDefaults
        }
        if action.action != .negotiate && (action.inboundPassthrough || action.fallbackToClear || action.quickModePFS)
            && (arguments.has("inpass") || arguments.has("soft") || arguments.has("qmpfs")) {
            warnings.append("qmpfs, inpass and soft take effect only when action=negotiate")
        }
        return warnings
    }

    static func addFilterAction(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let name = try arguments.requiredString("name")
        try checkName(name, tag: "name", arguments)
        var action = FilterAction(name: name, securityMethods: [])
        let warnings = try filterActionSettings(&action, arguments)
        try session.write { transaction in try transaction.insert(action) }
        return CommandOutput(warnings: warnings)
    }

    static func setFilterAction(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            var action = try locate(arguments, kind: "filter action", in: transaction,
                                    byName: transaction.filterAction(named:), byID: transaction.filterAction(id:))
            if let newName = arguments.string("newname") {
                try checkName(newName, tag: "newname", arguments)
                action.name = newName
            }
            let warnings = try filterActionSettings(&action, arguments)
            try transaction.update(action)
            return CommandOutput(warnings: warnings)
        }
    }

    static func deleteFilterAction(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            if arguments.keyword("all") {
                for action in try transaction.filterActions() { try transaction.deleteFilterAction(action) }
            } else {
                try transaction.deleteFilterAction(transaction.requireFilterAction(named: arguments.requiredString("name")))
            }
        }
        return .none
    }
}
