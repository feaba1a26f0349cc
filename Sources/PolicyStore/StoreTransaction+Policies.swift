import Foundation
import GRDB
import Policy

extension StoreTransaction {
    /// Every policy, by name.
    public func policies() throws -> [IPsecPolicy] {
        try fetchBodies("SELECT body FROM policy WHERE store = ? ORDER BY name_key", [store])
            .map { try decode(IPsecPolicy.self, $0, table: "policy") }
    }

    public func policy(named name: String) throws -> IPsecPolicy? {
        try fetchBodies("SELECT body FROM policy WHERE store = ? AND name_key = ?", [store, ObjectName.key(name)])
            .first.map { try decode(IPsecPolicy.self, $0, table: "policy") }
    }

    public func policy(id: UUID) throws -> IPsecPolicy? {
        try fetchBodies("SELECT body FROM policy WHERE store = ? AND id = ?", [store, id.uuidString])
            .first.map { try decode(IPsecPolicy.self, $0, table: "policy") }
    }

    /// `policy(named:)`, throwing `notFound` when it does not exist.
    public func requirePolicy(named name: String) throws -> IPsecPolicy {
        guard let policy = try policy(named: name) else { throw StoreError.notFound(kind: "policy", name: name, store: location) }
        return policy
    }

    /// The assigned policy of this store, if any.
    public func assignedPolicy() throws -> IPsecPolicy? {
        try fetchBodies("SELECT body FROM policy WHERE store = ? AND assigned = 1", [store])
            .first.map { try decode(IPsecPolicy.self, $0, table: "policy") }
    }

    /// Adds a new policy. When it is assigned, the previously assigned one is unassigned.
    public func insert(_ policy: IPsecPolicy) throws {
        var policy = policy
        policy.whenChanged = now
        do { try policy.validate() } catch { throw StoreError.invalid(error) }
        if try self.policy(named: policy.name) != nil {
            throw StoreError.duplicateName(kind: "policy", name: policy.name, store: location)
        }
        if policy.assigned { try unassignAll() }
        try db.execute(sql: "INSERT INTO policy (store, id, name_key, assigned, body) VALUES (?, ?, ?, ?, ?)",
                       arguments: [store, policy.id.uuidString, ObjectName.key(policy.name), policy.assigned, encode(policy)])
    }

    /// Replaces a stored policy (matched by id); a rename must not collide with another policy.
    public func update(_ policy: IPsecPolicy) throws {
        var policy = policy
        policy.whenChanged = now
        do { try policy.validate() } catch { throw StoreError.invalid(error) }
        if let other = try self.policy(named: policy.name), other.id != policy.id {
            throw StoreError.duplicateName(kind: "policy", name: policy.name, store: location)
        }
        if policy.assigned { try unassignAll(except: policy.id) }
        try db.execute(sql: "UPDATE policy SET name_key = ?, assigned = ?, body = ? WHERE store = ? AND id = ?",
                       arguments: [ObjectName.key(policy.name), policy.assigned, encode(policy), store, policy.id.uuidString])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "policy", name: policy.name, store: location) }
    }

    /// Deletes a policy with its rules, ISAKMP settings and default response rule; the filter
    /// lists and actions it used stay (they are shared objects).
    public func deletePolicy(id: UUID) throws {
        try db.execute(sql: "DELETE FROM policy WHERE store = ? AND id = ?", arguments: [store, id.uuidString])
    }

    private func unassignAll(except id: UUID? = nil) throws {
        for var other in try fetchBodies("SELECT body FROM policy WHERE store = ? AND assigned = 1 AND id != ?",
                                         [store, id?.uuidString ?? ""]).map({ try decode(IPsecPolicy.self, $0, table: "policy") }) {
            other.assigned = false
            other.whenChanged = now
            try db.execute(sql: "UPDATE policy SET assigned = 0, body = ? WHERE store = ? AND id = ?",
                           arguments: [encode(other), store, other.id.uuidString])
        }
    }
}
