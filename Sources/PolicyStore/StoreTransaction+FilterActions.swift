import Foundation
import GRDB
import Policy

extension StoreTransaction {
    /// Every filter action, by name.
    public func filterActions() throws -> [FilterAction] {
        try fetchBodies("SELECT body FROM filteraction WHERE store = ? ORDER BY name_key", [store])
            .map { try decode(FilterAction.self, $0, table: "filteraction") }
    }

    public func filterAction(named name: String) throws -> FilterAction? {
        try fetchBodies("SELECT body FROM filteraction WHERE store = ? AND name_key = ?", [store, ObjectName.key(name)])
            .first.map { try decode(FilterAction.self, $0, table: "filteraction") }
    }

    public func filterAction(id: UUID) throws -> FilterAction? {
        try fetchBodies("SELECT body FROM filteraction WHERE store = ? AND id = ?", [store, id.uuidString])
            .first.map { try decode(FilterAction.self, $0, table: "filteraction") }
    }

    public func requireFilterAction(named name: String) throws -> FilterAction {
        guard let action = try filterAction(named: name) else {
            throw StoreError.notFound(kind: "filter action", name: name, store: location)
        }
        return action
    }

    public func insert(_ action: FilterAction) throws {
        var action = action
        action.whenChanged = now
        do { try action.validate() } catch { throw StoreError.invalid(error) }
        if try filterAction(named: action.name) != nil {
            throw StoreError.duplicateName(kind: "filter action", name: action.name, store: location)
        }
        try db.execute(sql: "INSERT INTO filteraction (store, id, name_key, body) VALUES (?, ?, ?, ?)",
                       arguments: [store, action.id.uuidString, ObjectName.key(action.name), encode(action)])
    }

    public func update(_ action: FilterAction) throws {
        var action = action
        action.whenChanged = now
        do { try action.validate() } catch { throw StoreError.invalid(error) }
        if let other = try filterAction(named: action.name), other.id != action.id {
            throw StoreError.duplicateName(kind: "filter action", name: action.name, store: location)
        }
        try db.execute(sql: "UPDATE filteraction SET name_key = ?, body = ? WHERE store = ? AND id = ?",
                       arguments: [ObjectName.key(action.name), encode(action), store, action.id.uuidString])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "filter action", name: action.name, store: location) }
    }

    /// Deletes a filter action; refused while a rule uses it.
    public func deleteFilterAction(_ action: FilterAction) throws {
        let users = try ruleNames(where: "filteraction_id = ?", action.id)
        if !users.isEmpty { throw StoreError.inUse(object: action.objectName, users: users) }
        try db.execute(sql: "DELETE FROM filteraction WHERE store = ? AND id = ?", arguments: [store, action.id.uuidString])
    }
}
