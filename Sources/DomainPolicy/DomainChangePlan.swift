import Foundation

/// The LDAP operations that turn one image of the IP Security container into another, in an
/// order that never leaves a reference to a missing object, even half-way.
///
/// LDAP has no multi-entry transactions, so the order carries the guarantees:
/// 1. add new objects, those that are referred to before those that refer (filter lists,
///    filter actions and ISAKMP objects, then rules, then policies), without their owner
///    back-references;
/// 2. modify changed objects: value-specific deletes and adds (RFC 4511 §4.6), so a value
///    another administrator changed meanwhile makes the step fail instead of being overwritten;
/// 3. add owner back-references (`ipsecOwnersReference`), then remove the stale ones;
/// 4. delete removed objects, those that refer first.
/// `DomainChangeExecutor` runs the steps and undoes the ones it ran when a step fails.
public struct DomainChangePlan: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case add(DirectoryEntry)
        case modify(dn: String, [AttributeChange])
        /// Delete `entry.dn`; `entry` is the object as it was, for the undo.
        case delete(DirectoryEntry)
    }

    public var steps: [Step]
    /// DNs this plan deletes (lower case): owner references to them do not keep a shared
    /// object alive.
    public var deleted: Set<String> = []

    /// - Parameters:
    ///   - before: the encoder's image of the objects as read;
    ///   - after: the encoder's image after the command;
    ///   - actual: the entries as read, whose exact values the modifies delete.
    public init(before: [String: DirectoryEntry], after: [String: DirectoryEntry], actual: [String: DirectoryEntry]) {
        var adds: [Step] = [], modifies: [Step] = [], ownerAdds: [Step] = [], ownerDeletes: [Step] = []
        func rank(_ entry: DirectoryEntry) -> Int {
            let objectClass = entry.string(IPsecAttribute.objectClass)?.lowercased() ?? ""
            switch objectClass {
            case BlobKind.policy.objectClass.lowercased(): return 2
            case BlobKind.nfa.objectClass.lowercased(): return 1
            default: return 0
            }
        }
        let created = after.keys.filter { before[$0] == nil }.map { after[$0]! }.sorted { (rank($0), $0.dn) < (rank($1), $1.dn) }
        for entry in created {
            var bare = entry
            bare.attributes[IPsecAttribute.owners] = nil
            adds.append(.add(bare))
            let owners = entry.values(IPsecAttribute.owners)
            if !owners.isEmpty { ownerAdds.append(.modify(dn: entry.dn, [AttributeChange(.add, IPsecAttribute.owners, owners)])) }
        }
        for key in after.keys.sorted() {
            guard let old = before[key], let new = after[key] else { continue }
            var changes: [AttributeChange] = []
            let names = Set(old.attributes.keys).union(new.attributes.keys).subtracting([IPsecAttribute.objectClass, IPsecAttribute.owners])
            for name in names.sorted() {
                let oldValues = old.values(name), newValues = new.values(name)
                guard oldValues != newValues else { continue }
                // The exact value read is what must still be there (for a blob Windows wrote
                // with stray bytes, the image differs from what the server holds).
                let held = actual[key]?.values(name) ?? oldValues
                if Self.multiValued.contains(name) {
                    let removed = held.filter { value in !newValues.contains(value) && oldValues.contains { Self.sameValue($0, value, name) } }
                    let added = newValues.filter { value in !held.contains { Self.sameValue($0, value, name) } }
                    if !removed.isEmpty { changes.append(AttributeChange(.delete, name, removed)) }
                    if !added.isEmpty { changes.append(AttributeChange(.add, name, added)) }
                } else {
                    if !held.isEmpty { changes.append(AttributeChange(.delete, name, held)) }
                    if !newValues.isEmpty { changes.append(AttributeChange(.add, name, newValues)) }
                }
            }
            if !changes.isEmpty { modifies.append(.modify(dn: new.dn, changes)) }
            let oldOwners = old.values(IPsecAttribute.owners), newOwners = new.values(IPsecAttribute.owners)
            let heldOwners = actual[key]?.values(IPsecAttribute.owners) ?? oldOwners
            let addOwners = newOwners.filter { value in !heldOwners.contains { Self.sameValue($0, value, IPsecAttribute.owners) } }
            let dropOwners = heldOwners.filter { value in
                !newOwners.contains { Self.sameValue($0, value, IPsecAttribute.owners) } && oldOwners.contains { Self.sameValue($0, value, IPsecAttribute.owners) }
            }
            if !addOwners.isEmpty { ownerAdds.append(.modify(dn: new.dn, [AttributeChange(.add, IPsecAttribute.owners, addOwners)])) }
            if !dropOwners.isEmpty { ownerDeletes.append(.modify(dn: new.dn, [AttributeChange(.delete, IPsecAttribute.owners, dropOwners)])) }
        }
        let removedKeys = before.keys.filter { after[$0] == nil }
        let deletes: [Step] = removedKeys.map { actual[$0] ?? before[$0]! }
            .sorted { (-rank($0), $0.dn) < (-rank($1), $1.dn) }.map { .delete($0) }
        steps = adds + modifies + ownerAdds + ownerDeletes + deletes
        deleted = Set(removedKeys)
    }

    /// Attributes holding several values, changed value by value.
    static let multiValued: Set<String> = [IPsecAttribute.nfaReference, IPsecAttribute.filterReference, IPsecAttribute.owners]

    /// DN values compare case-insensitively; others byte for byte.
    static func sameValue(_ a: [UInt8], _ b: [UInt8], _ attribute: String) -> Bool {
        if multiValued.contains(attribute) || IPsecAttribute.forwardReferences.contains(attribute) {
            return String(decoding: a, as: UTF8.self).lowercased() == String(decoding: b, as: UTF8.self).lowercased()
        }
        return a == b
    }
}
