import Foundation
import GRDB
import Policy

extension StoreTransaction {
    private static let policyColumns = "SELECT body, when_changed FROM policy WHERE store = ?"

    /// Every policy, by name.
    public func policies() throws -> [IPsecPolicy] {
        try objects(IPsecPolicy.self, Self.policyColumns + " ORDER BY name_key", [store])
    }

    public func policy(named name: String) throws -> IPsecPolicy? {
        try objects(IPsecPolicy.self, Self.policyColumns + " AND name_key = ?", [store, ObjectName.key(name)]).first
    }

    public func policy(id: UUID) throws -> IPsecPolicy? {
        try objects(IPsecPolicy.self, Self.policyColumns + " AND id = ?", [store, id.text]).first
    }

    /// `policy(named:)`, throwing `notFound` when it does not exist.
    public func requirePolicy(named name: String) throws -> IPsecPolicy {
        guard let policy = try policy(named: name) else { throw StoreError.notFound(kind: "policy", name: name, store: location) }
        return policy
    }

    /// The assigned policy of this store, if any.
    public func assignedPolicy() throws -> IPsecPolicy? {
        try objects(IPsecPolicy.self, Self.policyColumns + " AND assigned = 1", [store]).first
    }

    /// Adds a new policy. When it is assigned, the previously assigned one is unassigned.
    public func insert(_ policy: IPsecPolicy) throws {
        do { try policy.validate() } catch { throw StoreError.invalid(error) }
        if policy.assigned { try unassignAll(except: policy.id) }
        try insertRow(kind: "policy", name: policy.name, "INSERT INTO policy (store, id, name_key, assigned, when_changed, body) VALUES (?, ?, ?, ?, ?, ?)",
                    [store, policy.id.text, ObjectName.key(policy.name), policy.assigned,
                     now.timeIntervalSince1970, encode(policy)])
    }

    /// Replaces a stored policy (matched by id); a rename must not collide with another policy.
    public func update(_ policy: IPsecPolicy) throws {
        do { try policy.validate() } catch { throw StoreError.invalid(error) }
        if try exists("SELECT 1 FROM policy WHERE store = ? AND name_key = ? AND id != ?",
                      [store, ObjectName.key(policy.name), policy.id.text]) {
            throw StoreError.duplicateName(kind: "policy", name: policy.name, store: location)
        }
        if policy.assigned { try unassignAll(except: policy.id) }
        try execute("UPDATE policy SET name_key = ?, assigned = ?, when_changed = ?, body = ? WHERE store = ? AND id = ?",
                    [ObjectName.key(policy.name), policy.assigned, now.timeIntervalSince1970, encode(policy), store, policy.id.text])
        if db.changesCount == 0 { throw StoreError.notFound(kind: "policy", name: policy.name, store: location) }
    }

    /// Deletes a policy with its rules, ISAKMP settings and default response rule; the filter
    /// lists and actions it used stay (they are shared objects).
    public func deletePolicy(id: UUID) throws {
        try execute("DELETE FROM policy WHERE store = ? AND id = ?", [store, id.text])
    }

    /// Marks a policy changed now (its rules changed).
    func touchPolicy(_ id: UUID) throws {
        try execute("UPDATE policy SET when_changed = ? WHERE store = ? AND id = ?", [now.timeIntervalSince1970, store, id.text])
    }

    private func unassignAll(except id: UUID) throws {
        let assigned = try objects(IPsecPolicy.self, Self.policyColumns + " AND assigned = 1 AND id != ?", [store, id.text])
        for var other in assigned {
            other.assigned = false
            try execute("UPDATE policy SET assigned = 0, when_changed = ?, body = ? WHERE store = ? AND id = ?",
                        [now.timeIntervalSince1970, encode(other), store, other.id.text])
        }
    }
}
