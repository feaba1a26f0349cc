import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static var filterListCommands: [CommandSpec] {
        [
            CommandSpec(words: ["add", "filterlist"], parameters: [ParameterSpec("name", required: true), ParameterSpec("description")],
                        summary: "Creates an empty filter list.", run: addFilterList),
            CommandSpec(words: ["set", "filterlist"],
                        parameters: [ParameterSpec("name"), ParameterSpec("guid", "<guid>"), ParameterSpec("newname"), ParameterSpec("description")],
                        oneOf: [["name", "guid"]], summary: "Renames a filter list or changes its description.", run: setFilterList),
            CommandSpec(words: ["delete", "filterlist"], parameters: [ParameterSpec("name")], keywords: ["all"], oneOf: [["name", "all"]],
                        summary: "Deletes a filter list (or all); refused while a rule uses it.", run: deleteFilterList),
        ]
    }

    static func addFilterList(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let name = try arguments.requiredString("name")
        try checkName(name, tag: "name", arguments)
        let list = FilterList(name: name, description: try checkDescription(arguments) ?? "")
        try session.write { transaction in try transaction.insert(list) }
        return .none
    }

    static func setFilterList(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            var list = try locate(arguments, kind: "filter list", in: transaction,
                                  byName: transaction.filterList(named:), byID: transaction.filterList(id:))
            if let newName = arguments.string("newname") {
                try checkName(newName, tag: "newname", arguments)
                list.name = newName
            }
            if let description = try checkDescription(arguments) { list.description = description }
            try transaction.update(list)
        }
        return .none
    }

    static func deleteFilterList(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in
            if arguments.keyword("all") {
                for list in try transaction.filterLists() { try transaction.deleteFilterList(list) }
            } else {
                try transaction.deleteFilterList(transaction.requireFilterList(named: arguments.requiredString("name")))
            }
        }
        return .none
    }
}
