import Foundation
import GRDB
import Policy

extension StoreTransaction {
    private static let ruleColumns = "SELECT body, when_changed FROM rule WHERE store = ?"

    /// A policy's rules in the order they were added (`show rule` order; ids count from 1).
    public func rules(ofPolicy policyID: UUID) throws -> [Rule] {
        try objects(Rule.self, Self.ruleColumns + " AND policy_id = ? ORDER BY position", [store, policyID.uuidString])
    }

    public func rule(named name: String, inPolicy policyID: UUID) throws -> Rule? {
        try objects(Rule.self, Self.ruleColumns + " AND policy_id = ? AND name_key = ?",
                    [store, policyID.uuidString, ObjectName.key(name)]).first
    }

    /// Rules (of any policy in this store) that use a filter list.
    public func rulesUsing(filterList id: UUID) throws -> [Rule] {
        try objects(Rule.self, Self.ruleColumns + " AND filterlist_id = ?", [store, id.uuidString])
    }

    /// Rules (of any policy in this store) that use a filter action.
    public func rulesUsing(filterAction id: UUID) throws -> [Rule] {
        try objects(Rule.self, Self.ruleColumns + " AND filteraction_id = ?", [store, id.uuidString])
    }

    /// "rule 'X' of policy 'Y'" for each rule matching `condition` (a column test on `id`).
    func ruleNames(where condition: String, _ id: UUID) throws -> [String] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT rule.body, policy.body FROM rule
            JOIN policy ON policy.store = rule.store AND policy.id = rule.policy_id
            WHERE rule.store = ? AND rule.\(condition) ORDER BY policy.name_key, rule.position
            """), arguments: [store, id.uuidString])
        return try rows.map { row in
            let rule = try Self.decoder.decode(Rule.self, from: Data((row[0] as String).utf8))
            let policy = try Self.decoder.decode(IPsecPolicy.self, from: Data((row[1] as String).utf8))
            return "rule '\(rule.name)' of policy '\(policy.name)'"
        }
    }

    /// Appends a rule to its policy after checking its links.
    public func insert(_ rule: Rule) throws {
        try checkLinks(rule)
        if try exists("SELECT 1 FROM rule WHERE store = ? AND policy_id = ? AND name_key = ?",
                      [store, rule.policyID.uuidString, ObjectName.key(rule.name)]) {
            throw StoreError.duplicateName(kind: "rule", name: rule.name, store: location)
        }
        let next = try value(Int.self, "SELECT coalesce(max(position) + 1, 0) FROM rule WHERE store = ? AND policy_id = ?",
                             [store, rule.policyID.uuidString]) ?? 0
        try execute("""
            INSERT INTO rule (store, id, policy_id, position, name_key, filterlist_id, filteraction_id, is_tunnel, when_changed, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [store, rule.id.uuidString, rule.policyID.uuidString, next, ObjectName.key(rule.name),
                  rule.filterListID.uuidString, rule.filterActionID.uuidString, rule.isTunnel, now.timeIntervalSince1970, encode(rule)])
        try touchPolicy(rule.policyID)
    }

    /// Replaces a stored rule (matched by id), keeping its position.
    public func update(_ rule: Rule) throws {
        try checkLinks(rule)
        if try exists("SELECT 1 FROM rule WHERE store = ? AND policy_id = ? AND name_key = ? AND id != ?",
                      [store, rule.policyID.uuidString, ObjectName.key(rule.name), rule.id.uuidString]) {
            throw StoreError.duplicateName(kind: "rule", name: rule.name, store: location)
        }
        try execute("""
            UPDATE rule SET name_key = ?, filterlist_id = ?, filteraction_id = ?, is_tunnel = ?, when_changed = ?, body = ?
            WHERE store = ? AND id = ?
            """, [ObjectName.key(rule.name), rule.filterListID.uuidString, rule.filterActionID.uuidString, rule.isTunnel,
                  now.timeIntervalSince1970, encode(rule), store, rule.id.uuidString])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "rule", name: rule.name, store: location) }
        try touchPolicy(rule.policyID)
    }

    public func deleteRule(_ rule: Rule) throws {
        try execute("DELETE FROM rule WHERE store = ? AND id = ?", [store, rule.id.uuidString])
        try touchPolicy(rule.policyID)
    }

    /// The rule's policy, filter list and filter action exist; a tunnel rule's list has no
    /// mirrored filter (only then is the list read).
    private func checkLinks(_ rule: Rule) throws {
        do { try rule.validate() } catch { throw StoreError.invalid(error) }
        guard try exists("SELECT 1 FROM policy WHERE store = ? AND id = ?", [store, rule.policyID.uuidString]) else {
            throw StoreError.notFound(kind: "policy", name: "{\(rule.policyID.uuidString)}", store: location)
        }
        guard try exists("SELECT 1 FROM filteraction WHERE store = ? AND id = ?", [store, rule.filterActionID.uuidString]) else {
            throw StoreError.notFound(kind: "filter action", name: "{\(rule.filterActionID.uuidString)}", store: location)
        }
        if rule.isTunnel {
            guard let list = try filterList(id: rule.filterListID) else {
                throw StoreError.notFound(kind: "filter list", name: "{\(rule.filterListID.uuidString)}", store: location)
            }
            do { try rule.validateTunnel(filterList: list) } catch { throw StoreError.invalid(error) }
        } else if try !exists("SELECT 1 FROM filterlist WHERE store = ? AND id = ?", [store, rule.filterListID.uuidString]) {
            throw StoreError.notFound(kind: "filter list", name: "{\(rule.filterListID.uuidString)}", store: location)
        }
    }
}
