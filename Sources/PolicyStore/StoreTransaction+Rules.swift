import Foundation
import GRDB
import Policy

extension StoreTransaction {
    /// A policy's rules in the order they were added (`show rule` order; ids count from 1).
    public func rules(ofPolicy policyID: UUID) throws -> [Rule] {
        try fetchBodies("SELECT body FROM rule WHERE store = ? AND policy_id = ? ORDER BY position", [store, policyID.uuidString])
            .map { try decode(Rule.self, $0, table: "rule") }
    }

    public func rule(named name: String, inPolicy policyID: UUID) throws -> Rule? {
        try fetchBodies("SELECT body FROM rule WHERE store = ? AND policy_id = ? AND name_key = ?",
                        [store, policyID.uuidString, ObjectName.key(name)])
            .first.map { try decode(Rule.self, $0, table: "rule") }
    }

    /// Rules (of any policy in this store) that use a filter list.
    public func rulesUsing(filterList id: UUID) throws -> [Rule] {
        try fetchBodies("SELECT body FROM rule WHERE store = ? AND filterlist_id = ?", [store, id.uuidString])
            .map { try decode(Rule.self, $0, table: "rule") }
    }

    /// Rules (of any policy in this store) that use a filter action.
    public func rulesUsing(filterAction id: UUID) throws -> [Rule] {
        try fetchBodies("SELECT body FROM rule WHERE store = ? AND filteraction_id = ?", [store, id.uuidString])
            .map { try decode(Rule.self, $0, table: "rule") }
    }

    /// "rule 'X' of policy 'Y'" for each rule matching `condition` (a column test on `id`).
    func ruleNames(where condition: String, _ id: UUID) throws -> [String] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT rule.body AS rule, policy.body AS policy FROM rule
            JOIN policy ON policy.store = rule.store AND policy.id = rule.policy_id
            WHERE rule.store = ? AND rule.\(condition) ORDER BY policy.name_key, rule.position
            """, arguments: [store, id.uuidString])
        return try rows.map { row in
            let rule = try decode(Rule.self, row["rule"], table: "rule")
            let policy = try decode(IPsecPolicy.self, row["policy"], table: "policy")
            return "rule '\(rule.name)' of policy '\(policy.name)'"
        }
    }

    /// Appends a rule to its policy after checking its links.
    public func insert(_ rule: Rule) throws {
        var rule = rule
        rule.whenChanged = now
        try checkLinks(rule)
        if try self.rule(named: rule.name, inPolicy: rule.policyID) != nil {
            throw StoreError.duplicateName(kind: "rule", name: rule.name, store: location)
        }
        let next = try Int.fetchOne(db, sql: "SELECT coalesce(max(position) + 1, 0) FROM rule WHERE store = ? AND policy_id = ?",
                                    arguments: [store, rule.policyID.uuidString]) ?? 0
        try db.execute(sql: """
            INSERT INTO rule (store, id, policy_id, position, name_key, filterlist_id, filteraction_id, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [store, rule.id.uuidString, rule.policyID.uuidString, next, ObjectName.key(rule.name),
                             rule.filterListID.uuidString, rule.filterActionID.uuidString, encode(rule)])
        try touchPolicy(rule.policyID)
    }

    /// Replaces a stored rule (matched by id), keeping its position.
    public func update(_ rule: Rule) throws {
        var rule = rule
        rule.whenChanged = now
        try checkLinks(rule)
        if let other = try self.rule(named: rule.name, inPolicy: rule.policyID), other.id != rule.id {
            throw StoreError.duplicateName(kind: "rule", name: rule.name, store: location)
        }
        try db.execute(sql: """
            UPDATE rule SET name_key = ?, filterlist_id = ?, filteraction_id = ?, body = ? WHERE store = ? AND id = ?
            """, arguments: [ObjectName.key(rule.name), rule.filterListID.uuidString, rule.filterActionID.uuidString,
                             encode(rule), store, rule.id.uuidString])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "rule", name: rule.name, store: location) }
        try touchPolicy(rule.policyID)
    }

    public func deleteRule(_ rule: Rule) throws {
        try db.execute(sql: "DELETE FROM rule WHERE store = ? AND id = ?", arguments: [store, rule.id.uuidString])
        try touchPolicy(rule.policyID)
    }

    private func checkLinks(_ rule: Rule) throws {
        guard try policy(id: rule.policyID) != nil else {
            throw StoreError.notFound(kind: "policy", name: rule.policyID.uuidString, store: location)
        }
        guard let list = try filterList(id: rule.filterListID) else {
            throw StoreError.notFound(kind: "filter list", name: rule.filterListID.uuidString, store: location)
        }
        guard let action = try filterAction(id: rule.filterActionID) else {
            throw StoreError.notFound(kind: "filter action", name: rule.filterActionID.uuidString, store: location)
        }
        do { try rule.validate(filterList: list, filterAction: action) } catch { throw StoreError.invalid(error) }
    }

    /// A policy's last-change time follows its rules (the Policy Agent polls on it).
    private func touchPolicy(_ id: UUID) throws {
        guard var policy = try policy(id: id), policy.whenChanged != now else { return }
        policy.whenChanged = now
        try db.execute(sql: "UPDATE policy SET body = ? WHERE store = ? AND id = ?", arguments: [encode(policy), store, id.uuidString])
    }
}
