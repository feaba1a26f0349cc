import Foundation
import GRDB
import Policy

extension StoreTransaction {
    /// A policy's rules in the order they were added (`show rule` order; ids count from 1).
    public func rules(ofPolicy policyID: UUID) throws -> [Rule] {
        try rules("policy_id = ? ORDER BY rowid", [store, policyID.text])
    }

    public func rule(named name: String, inPolicy policyID: UUID) throws -> Rule? {
        try rules("policy_id = ? AND name_key = ?", [store, policyID.text, ObjectName.key(name)]).first
    }

    /// Rules (of any policy in this store) that use a filter list.
    public func rulesUsing(filterList id: UUID) throws -> [Rule] {
        try rules("filterlist_id = ? ORDER BY rowid", [store, id.text])
    }

    /// Rules (of any policy in this store) that use a filter action.
    public func rulesUsing(filterAction id: UUID) throws -> [Rule] {
        try rules("filteraction_id = ? ORDER BY rowid", [store, id.text])
    }

    /// "rule 'X' of policy 'Y'" for each rule matching `condition` (a column test on `id`).
    func ruleNames(where condition: String, _ id: UUID) throws -> [String] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT rule.name, policy.body, policy.when_changed FROM rule
            JOIN policy ON policy.store = rule.store AND policy.id = rule.policy_id
            WHERE rule.store = ? AND rule.\(condition) ORDER BY policy.name_key, rule.rowid
            """), arguments: [store, id.text])
        return try rows.map { row in
            let policy = try Self.decoder.decode(IPsecPolicy.self, from: Data((row[1] as String).utf8))
            return "rule '\(row[0] as String)' of policy '\(policy.name)'"
        }
    }

    private func ruleArguments(_ rule: Rule) -> [(any DatabaseValueConvertible)?] {
        [rule.name, ObjectName.key(rule.name), rule.description, rule.filterListID.text, rule.filterActionID.text,
         rule.tunnelEndpoint?.description, rule.connectionType.rawValue, rule.active,
         AuthenticationMethod.storageText(rule.authenticationMethods), now.timeIntervalSince1970]
    }

    /// The ids of a rule's policy, filter list and filter action, found by name in one query;
    /// throws `notFound` for the first that does not exist.
    public func ruleLinks(policy: String, filterList: String, filterAction: String) throws -> (policy: UUID, filterList: UUID, filterAction: UUID) {
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT (SELECT id FROM policy WHERE store = ?1 AND name_key = ?2),
                   (SELECT id FROM filterlist WHERE store = ?1 AND name_key = ?3),
                   (SELECT id FROM filteraction WHERE store = ?1 AND name_key = ?4)
            """), arguments: [store, ObjectName.key(policy), ObjectName.key(filterList), ObjectName.key(filterAction)])
        let ids = (0..<3).map { index in (row?[index] as String?).flatMap { UUID(text: $0) } }
        guard let policyID = ids[0] else { throw StoreError.notFound(kind: "policy", name: policy, store: location) }
        guard let listID = ids[1] else { throw StoreError.notFound(kind: "filter list", name: filterList, store: location) }
        guard let actionID = ids[2] else { throw StoreError.notFound(kind: "filter action", name: filterAction, store: location) }
        return (policyID, listID, actionID)
    }

    /// Appends a rule to its policy. SQLite's foreign keys check its links; only when one
    /// fails is the missing object looked up, to name it.
    public func insert(_ rule: Rule) throws {
        try validateRule(rule)
        do {
            try insertRow(kind: "rule", name: rule.name, """
                INSERT INTO rule (store, id, policy_id, name, name_key, description, filterlist_id, filteraction_id, tunnel, conntype,
                                  active, authentication, when_changed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, StatementArguments([store, rule.id.text, rule.policyID.text] + ruleArguments(rule)))
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            try checkLinks(rule)
            throw error
        }
        try touchPolicy(rule.policyID)
    }

    /// Replaces a stored rule (matched by id), keeping its position.
    public func update(_ rule: Rule) throws {
        try validateRule(rule)
        try checkLinks(rule)
        if try exists("SELECT 1 FROM rule WHERE store = ? AND policy_id = ? AND name_key = ? AND id != ?",
                      [store, rule.policyID.text, ObjectName.key(rule.name), rule.id.text]) {
            throw StoreError.duplicateName(kind: "rule", name: rule.name, store: location)
        }
        try execute("""
            UPDATE rule SET name = ?, name_key = ?, description = ?, filterlist_id = ?, filteraction_id = ?, tunnel = ?,
                            conntype = ?, active = ?, authentication = ?, when_changed = ?
            WHERE store = ? AND id = ?
            """, StatementArguments(ruleArguments(rule) + [store, rule.id.text]))
        if db.changesCount == 0 { throw StoreError.notFound(kind: "rule", name: rule.name, store: location) }
        try touchPolicy(rule.policyID)
    }

    public func deleteRule(_ rule: Rule) throws {
        try execute("DELETE FROM rule WHERE store = ? AND id = ?", [store, rule.id.text])
        try touchPolicy(rule.policyID)
    }

    /// The rule's policy, filter list and filter action exist; a tunnel rule's list has no
    /// mirrored filter (only then is the list read).
    /// The rule on its own, and a tunnel rule against its filter list (no mirrored filters).
    private func validateRule(_ rule: Rule) throws {
        do { try rule.validate() } catch { throw StoreError.invalid(error) }
        if rule.isTunnel, let list = try filterList(id: rule.filterListID) {
            do { try rule.validateTunnel(filterList: list) } catch { throw StoreError.invalid(error) }
        }
    }

    /// Throws `notFound` naming the first of the rule's links that does not exist.
    private func checkLinks(_ rule: Rule) throws {
        let found = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM policy WHERE store = ?1 AND id = ?2),
                   EXISTS (SELECT 1 FROM filterlist WHERE store = ?1 AND id = ?3),
                   EXISTS (SELECT 1 FROM filteraction WHERE store = ?1 AND id = ?4)
            """), arguments: [store, rule.policyID.text, rule.filterListID.text, rule.filterActionID.text])
        guard let found, found[0] as Bool else {
            throw StoreError.notFound(kind: "policy", name: "{\(rule.policyID.text)}", store: location)
        }
        guard found[1] as Bool else {
            throw StoreError.notFound(kind: "filter list", name: "{\(rule.filterListID.text)}", store: location)
        }
        guard found[2] as Bool else {
            throw StoreError.notFound(kind: "filter action", name: "{\(rule.filterActionID.text)}", store: location)
        }
    }
}
