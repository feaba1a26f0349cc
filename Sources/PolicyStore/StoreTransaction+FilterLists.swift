import Foundation
import GRDB
import Policy

extension StoreTransaction {
    /// Every filter list with its filters, by name.
    public func filterLists() throws -> [FilterList] {
        try fetchBodies("SELECT body FROM filterlist WHERE store = ? ORDER BY name_key", [store])
            .map { try withFilters(decode(FilterList.self, $0, table: "filterlist")) }
    }

    public func filterList(named name: String) throws -> FilterList? {
        try fetchBodies("SELECT body FROM filterlist WHERE store = ? AND name_key = ?", [store, ObjectName.key(name)])
            .first.map { try withFilters(decode(FilterList.self, $0, table: "filterlist")) }
    }

    public func filterList(id: UUID) throws -> FilterList? {
        try fetchBodies("SELECT body FROM filterlist WHERE store = ? AND id = ?", [store, id.uuidString])
            .first.map { try withFilters(decode(FilterList.self, $0, table: "filterlist")) }
    }

    public func requireFilterList(named name: String) throws -> FilterList {
        guard let list = try filterList(named: name) else { throw StoreError.notFound(kind: "filter list", name: name, store: location) }
        return list
    }

    private func withFilters(_ list: FilterList) throws -> FilterList {
        var list = list
        list.filters = try fetchBodies("SELECT body FROM filter WHERE store = ? AND filterlist_id = ? ORDER BY position",
                                       [store, list.id.uuidString]).map { try decode(Filter.self, $0, table: "filter") }
        return list
    }

    /// Adds a new filter list with its filters.
    public func insert(_ list: FilterList) throws {
        var list = list
        list.whenChanged = now
        do { try list.validate() } catch { throw StoreError.invalid(error) }
        if try filterList(named: list.name) != nil {
            throw StoreError.duplicateName(kind: "filter list", name: list.name, store: location)
        }
        try db.execute(sql: "INSERT INTO filterlist (store, id, name_key, body) VALUES (?, ?, ?, ?)",
                       arguments: [store, list.id.uuidString, ObjectName.key(list.name), encode(header(list))])
        try writeFilters(list.filters, of: list.id, startingAt: 0)
    }

    /// Replaces a stored filter list (matched by id), its name, description and filters.
    public func update(_ list: FilterList) throws {
        var list = list
        list.whenChanged = now
        do { try list.validate() } catch { throw StoreError.invalid(error) }
        if let other = try filterList(named: list.name), other.id != list.id {
            throw StoreError.duplicateName(kind: "filter list", name: list.name, store: location)
        }
        try checkTunnelRules(using: list.id, accept: list.filters)
        try db.execute(sql: "UPDATE filterlist SET name_key = ?, body = ? WHERE store = ? AND id = ?",
                       arguments: [ObjectName.key(list.name), encode(header(list)), store, list.id.uuidString])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "filter list", name: list.name, store: location) }
        try db.execute(sql: "DELETE FROM filter WHERE store = ? AND filterlist_id = ?", arguments: [store, list.id.uuidString])
        try writeFilters(list.filters, of: list.id, startingAt: 0)
    }

    /// Appends filters to a list without rewriting the ones it has.
    public func append(_ filters: [Filter], toFilterList id: UUID) throws {
        guard var list = try fetchBodies("SELECT body FROM filterlist WHERE store = ? AND id = ?", [store, id.uuidString])
            .first.map({ try decode(FilterList.self, $0, table: "filterlist") }) else {
            throw StoreError.notFound(kind: "filter list", name: id.uuidString, store: location)
        }
        for filter in filters {
            do { try filter.validate() } catch { throw StoreError.invalid(error.on(list.objectName)) }
        }
        try checkTunnelRules(using: id, accept: filters)
        let next = try Int.fetchOne(db, sql: "SELECT coalesce(max(position) + 1, 0) FROM filter WHERE store = ? AND filterlist_id = ?",
                                    arguments: [store, id.uuidString]) ?? 0
        try writeFilters(filters, of: id, startingAt: next)
        list.whenChanged = now
        try db.execute(sql: "UPDATE filterlist SET body = ? WHERE store = ? AND id = ?",
                       arguments: [encode(list), store, id.uuidString])
    }

    /// Deletes a filter list; refused while a rule uses it.
    public func deleteFilterList(_ list: FilterList) throws {
        let users = try ruleNames(where: "filterlist_id = ?", list.id)
        if !users.isEmpty { throw StoreError.inUse(object: list.objectName, users: users) }
        try db.execute(sql: "DELETE FROM filterlist WHERE store = ? AND id = ?", arguments: [store, list.id.uuidString])
    }

    private func header(_ list: FilterList) -> FilterList {
        var header = list
        header.filters = []
        return header
    }

    private func writeFilters(_ filters: [Filter], of listID: UUID, startingAt first: Int) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO filter (store, filterlist_id, position, body) VALUES (?, ?, ?, ?)")
        for (offset, filter) in filters.enumerated() {
            try statement.execute(arguments: [store, listID.uuidString, first + offset, encode(filter)])
        }
    }

    /// A tunnel rule's list must hold no mirrored filter (reference a.4).
    private func checkTunnelRules(using listID: UUID, accept filters: [Filter]) throws {
        guard let mirrored = filters.first(where: \.mirrored) else { return }
        for rule in try rulesUsing(filterList: listID) where rule.isTunnel {
            let policyName = try policy(id: rule.policyID)?.name ?? "?"
            throw StoreError.invalid(ValidationError(object: "filter '\(mirrored.source) to \(mirrored.destination)'", field: "mirrored",
                                                     "tunnel rule '\(rule.name)' of policy '\(policyName)' uses this list; tunnel rules need mirrored=no"))
        }
    }
}
