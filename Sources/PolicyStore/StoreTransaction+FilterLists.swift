import Foundation
import GRDB
import Policy

extension StoreTransaction {
    private func lists(_ condition: String, _ arguments: StatementArguments) throws -> [FilterList] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name, description, when_changed FROM filterlist WHERE store = ? AND \(condition)"),
                         arguments: arguments).map { row in
            let name: String = row[1], description: String = row[2], changed: Double = row[3]
            guard let id = UUID(text: row[0]) else {
                throw StoreError.unusableFile(path: path, reason: "the record of filter list '\(name)' is damaged")
            }
            return try withFilters(FilterList(id: id, name: name, description: description, whenChanged: Date(timeIntervalSince1970: changed)))
        }
    }

    /// Every filter list with its filters, by name.
    public func filterLists() throws -> [FilterList] {
        try lists("1 ORDER BY name_key", [store])
    }

    public func filterList(named name: String) throws -> FilterList? {
        try lists("name_key = ?", [store, ObjectName.key(name)]).first
    }

    public func filterList(id: UUID) throws -> FilterList? {
        try lists("id = ?", [store, id.text]).first
    }

    public func requireFilterList(named name: String) throws -> FilterList {
        guard let list = try filterList(named: name) else { throw StoreError.notFound(kind: "filter list", name: name, store: location) }
        return list
    }

    /// The id of the filter list called `name`, or nil, without reading its filters.
    public func filterListID(named name: String) throws -> UUID? {
        try value(String.self, "SELECT id FROM filterlist WHERE store = ? AND name_key = ?", [store, ObjectName.key(name)])
            .flatMap { UUID(text: $0) }
    }

    public func requireFilterListID(named name: String) throws -> UUID {
        guard let id = try filterListID(named: name) else { throw StoreError.notFound(kind: "filter list", name: name, store: location) }
        return id
    }

    private func withFilters(_ list: FilterList) throws -> FilterList {
        var list = list
        list.filters = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.filterColumns) FROM filter WHERE store = ? AND filterlist_id = ? ORDER BY rowid"),
                                        arguments: [store, list.id.text]).map { try filter(from: $0, list: list.name) }
        return list
    }

    /// Adds a new filter list with its filters.
    public func insert(_ list: FilterList) throws {
        do { try list.validate() } catch { throw StoreError.invalid(error) }
        try insertRow(kind: "filter list", name: list.name,
                      "INSERT INTO filterlist (store, id, name, name_key, description, when_changed) VALUES (?, ?, ?, ?, ?, ?)",
                      [store, list.id.text, list.name, ObjectName.key(list.name), list.description, now.timeIntervalSince1970])
        try writeFilters(list.filters, of: list.id)
    }

    /// Replaces a stored filter list (matched by id), its name, description and filters.
    public func update(_ list: FilterList) throws {
        do { try list.validate() } catch { throw StoreError.invalid(error) }
        if let other = try filterListID(named: list.name), other != list.id {
            throw StoreError.duplicateName(kind: "filter list", name: list.name, store: location)
        }
        try checkTunnelRules(using: list.id, accept: list.filters)
        try execute("UPDATE filterlist SET name = ?, name_key = ?, description = ?, when_changed = ? WHERE store = ? AND id = ?",
                    [list.name, ObjectName.key(list.name), list.description, now.timeIntervalSince1970, store, list.id.text])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "filter list", name: list.name, store: location) }
        try execute("DELETE FROM filter WHERE store = ? AND filterlist_id = ?", [store, list.id.text])
        try writeFilters(list.filters, of: list.id)
    }

    /// Appends filters to a list without reading or rewriting the ones it has.
    public func append(_ filters: [Filter], toFilterList id: UUID, named name: String) throws {
        for filter in filters {
            do { try filter.validate() } catch { throw StoreError.invalid(error.on("filter list '\(name)'")) }
        }
        try checkTunnelRules(using: id, accept: filters)
        try execute("UPDATE filterlist SET when_changed = ? WHERE store = ? AND id = ?", [now.timeIntervalSince1970, store, id.text])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "filter list", name: name, store: location) }
        try writeFilters(filters, of: id)
    }

    /// Deletes a filter list; refused while a rule uses it.
    public func deleteFilterList(_ list: FilterList) throws {
        let users = try ruleNames(where: "filterlist_id = ?", list.id)
        if !users.isEmpty { throw StoreError.inUse(object: list.objectName, users: users) }
        try execute("DELETE FROM filterlist WHERE store = ? AND id = ?", [store, list.id.text])
    }

    private func writeFilters(_ filters: [Filter], of listID: UUID) throws {
        let id = listID.text
        for filter in filters {
            try execute("INSERT INTO filter (store, filterlist_id, \(Self.filterColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        filterArguments(filter, listID: id))
        }
    }

    /// A tunnel rule's list must hold no mirrored filter (reference a.4).
    private func checkTunnelRules(using listID: UUID, accept filters: [Filter]) throws {
        guard let mirrored = filters.first(where: \.mirrored) else { return }
        guard let rule = try rules("filterlist_id = ? AND tunnel IS NOT NULL LIMIT 1", [store, listID.text]).first else { return }
        let policyName = try policy(id: rule.policyID)?.name ?? "?"
        throw StoreError.invalid(ValidationError(object: "filter '\(mirrored.source) to \(mirrored.destination)'", field: "mirrored",
                                                 "tunnel rule '\(rule.name)' of policy '\(policyName)' uses this list; tunnel rules need mirrored=no"))
    }
}
