import Foundation
import Policy
import PolicyStore

/// The `ipsec static` context: commands that edit a policy store (reference section b).
enum StaticCommands {
    /// Built once: the table is consulted for every line of a script.
    nonisolated(unsafe) static let all: [CommandSpec] =
        policyCommands + filterListCommands + filterCommands + filterActionCommands + ruleCommands
            + storeCommands + showCommands + [dump]

    static let yesNo = "yes|no"

    /// `name=` of an object, or `guid=` (the `set` commands accept either).
    static func locate<T>(_ arguments: BoundArguments, kind: String, in transaction: StoreTransaction,
                          byName: (String) throws -> T?, byID: (UUID) throws -> T?) throws -> T {
        if let id = try arguments.guid("guid") {
            guard let object = try byID(id) else {
                throw StoreError.notFound(kind: kind, name: "{\(id.uuidString)}", store: transaction.location)
            }
            return object
        }
        let name = try arguments.requiredString("name")
        guard let object = try byName(name) else { throw StoreError.notFound(kind: kind, name: name, store: transaction.location) }
        return object
    }

    /// Checks a new or changed name before it reaches the store.
    static func checkName(_ name: String, tag: String, _ arguments: BoundArguments) throws(NetshError) {
        do { try ObjectName.validate(name, field: tag) } catch { throw arguments.fail(tag, error.message) }
    }

    static func checkDescription(_ arguments: BoundArguments) throws(NetshError) -> String? {
        guard let text = arguments.string("description") else { return nil }
        if text.contains(Character("\"")) { throw arguments.fail("description", "must not contain a double quote") }
        if text.count > 4096 { throw arguments.fail("description", "is longer than 4096 characters") }
        return text
    }
}
