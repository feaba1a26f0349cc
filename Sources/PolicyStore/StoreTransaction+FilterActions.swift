import Foundation
import GRDB
import Policy

extension StoreTransaction {
    private static let actionColumns = "SELECT body, when_changed FROM filteraction WHERE store = ?"

    /// Every filter action, by name.
    public func filterActions() throws -> [FilterAction] {
        try objects(FilterAction.self, Self.actionColumns + " ORDER BY name_key", [store])
    }

    public func filterAction(named name: String) throws -> FilterAction? {
        try objects(FilterAction.self, Self.actionColumns + " AND name_key = ?", [store, ObjectName.key(name)]).first
    }

    public func filterAction(id: UUID) throws -> FilterAction? {
        try objects(FilterAction.self, Self.actionColumns + " AND id = ?", [store, id.text]).first
    }

    public func requireFilterAction(named name: String) throws -> FilterAction {
        guard let action = try filterAction(named: name) else {
            throw StoreError.notFound(kind: "filter action", name: name, store: location)
        }
        return action
    }

    /// The id of the filter action called `name`, without decoding it; throws `notFound`.
    public func requireFilterActionID(named name: String) throws -> UUID {
        guard let text = try value(String.self, "SELECT id FROM filteraction WHERE store = ? AND name_key = ?", [store, ObjectName.key(name)]),
              let id = UUID(text: text) else { throw StoreError.notFound(kind: "filter action", name: name, store: location) }
        return id
    }

    public func insert(_ action: FilterAction) throws {
        do { try action.validate() } catch { throw StoreError.invalid(error) }
        try insertRow(kind: "filter action", name: action.name, "INSERT INTO filteraction (store, id, name_key, when_changed, body) VALUES (?, ?, ?, ?, ?)",
                    [store, action.id.text, ObjectName.key(action.name), now.timeIntervalSince1970, encode(action)])
    }

    public func update(_ action: FilterAction) throws {
        do { try action.validate() } catch { throw StoreError.invalid(error) }
        if try exists("SELECT 1 FROM filteraction WHERE store = ? AND name_key = ? AND id != ?",
                      [store, ObjectName.key(action.name), action.id.text]) {
            throw StoreError.duplicateName(kind: "filter action", name: action.name, store: location)
        }
        try execute("UPDATE filteraction SET name_key = ?, when_changed = ?, body = ? WHERE store = ? AND id = ?",
                    [ObjectName.key(action.name), now.timeIntervalSince1970, encode(action), store, action.id.text])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "filter action", name: action.name, store: location) }
    }

    /// Deletes a filter action; refused while a rule uses it.
    public func deleteFilterAction(_ action: FilterAction) throws {
        let users = try ruleNames(where: "filteraction_id = ?", action.id)
        if !users.isEmpty { throw StoreError.inUse(object: action.objectName, users: users) }
        try execute("DELETE FROM filteraction WHERE store = ? AND id = ?", [store, action.id.text])
    }
}
