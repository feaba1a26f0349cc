import Foundation

/// Runs a `DomainChangePlan` against a directory and, when a step fails, undoes the steps it
/// ran, newest first, so the container is left as it was.
///
/// Two administrators' changes interleave safely:
/// - modifies delete the exact values they read, so a concurrent change to the same value makes
///   the later one fail (and undo) instead of overwriting it;
/// - before deleting a filter list or filter action, the executor marks it (its own DN as an
///   extra owner) and reads it back: an owner it did not expect means another administrator's
///   new rule uses it, and the delete is abandoned;
/// - after adding a rule's owner reference to a filter list or action, it reads the object back:
///   a deletion mark means the object is about to go, and the new rule is undone.
/// Either side notices the other; neither leaves a reference to a missing object.
public final class DomainChangeExecutor {
    private let directory: DirectoryService
    /// Operations sent, undo included (the benchmark reports it).
    public private(set) var operations = 0

    private var deleting: Set<String> = []

    public init(directory: DirectoryService) { self.directory = directory }

    /// A change another writer made in between; nothing of this plan is left in the directory.
    public struct Conflict: Error, CustomStringConvertible, Sendable {
        public var object: String
        public var reason: String
        public var description: String {
            "\(object): \(reason); another administrator changed the domain policy at the same time. Nothing was written; run the command again"
        }
    }

    /// A step failed for another reason; `undoFailure` is set when the repair failed too.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var error: DirectoryError
        public var undoFailure: DirectoryError?
        public var description: String {
            if let undoFailure {
                return "\(error); repairing what was written failed too (\(undoFailure)): check the container with ldapsearch"
            }
            return "\(error); nothing was written"
        }
    }

    public func run(_ plan: DomainChangePlan) throws {
        var done: [DomainChangePlan.Step] = []
        deleting = plan.deleted
        do {
            for step in plan.steps {
                try apply(step)
                done.append(step)
                try check(step)
            }
        } catch {
            var undoFailure: DirectoryError?
            for step in done.reversed() {
                do { try undo(step) } catch { undoFailure = undoFailure ?? error }
            }
            if let conflict = error as? Conflict { throw conflict }
            if let directoryError = error as? DirectoryError {
                if directoryError.isConflict && undoFailure == nil {
                    throw Conflict(object: Self.cn(directoryError.operation), reason: directoryError.message)
                }
                throw Failure(error: directoryError, undoFailure: undoFailure)
            }
            throw error
        }
    }

    private func apply(_ step: DomainChangePlan.Step) throws(DirectoryError) {
        operations += 1
        switch step {
        case .add(let entry): try directory.add(entry)
        case .modify(let dn, let changes): try directory.modify(dn, changes)
        case .delete(let entry):
            if Self.isShared(entry) { try markAndCheck(entry) }
            try directory.delete(entry.dn)
        }
    }

    /// After adding owner references: the object must not be marked for deletion.
    private func check(_ step: DomainChangePlan.Step) throws {
        guard case .modify(let dn, let changes) = step,
              changes.contains(where: { $0.kind == .add && $0.attribute == IPsecAttribute.owners }) else { return }
        operations += 1
        let owners = try directory.search(base: dn, oneLevel: false, filter: "(objectClass=*)", attributes: [IPsecAttribute.owners])
            .first?.strings(IPsecAttribute.owners) ?? []
        if owners.contains(where: { $0.lowercased() == dn.lowercased() }) {
            throw Conflict(object: Self.cn(dn), reason: "is being deleted")
        }
    }

    /// Filter lists and filter actions are shared between rules; see the type's comment.
    private func markAndCheck(_ entry: DirectoryEntry) throws(DirectoryError) {
        let mark = AttributeChange(.add, IPsecAttribute.owners, strings: [entry.dn])
        operations += 2
        try directory.modify(entry.dn, [mark])
        let owners = try directory.search(base: entry.dn, oneLevel: false, filter: "(objectClass=*)", attributes: [IPsecAttribute.owners])
            .first?.strings(IPsecAttribute.owners) ?? []
        // AD rewrites a reference to a deleted object into its tombstone's DN (`…\0ADEL:…`).
        let others = owners.filter {
            $0.lowercased() != entry.dn.lowercased() && !deleting.contains($0.lowercased()) && !Self.isTombstone($0)
        }
        if !others.isEmpty {
            operations += 1
            try? directory.modify(entry.dn, [AttributeChange(.delete, IPsecAttribute.owners, strings: [entry.dn])])
            throw DirectoryError(code: DirectoryError.attributeOrValueExists, operation: "delete \(entry.dn)",
                                 message: "it is now used by \(others.map(Self.cn).joined(separator: ", "))")
        }
    }

    private func undo(_ step: DomainChangePlan.Step) throws(DirectoryError) {
        operations += 1
        switch step {
        case .add(let entry): try directory.delete(entry.dn)
        case .modify(let dn, let changes):
            let inverse = changes.reversed().map { change in
                AttributeChange(change.kind == .add ? .delete : .add, change.attribute, change.values)
            }
            try directory.modify(dn, inverse)
        case .delete(let entry):
            var restored = DirectoryEntry(dn: entry.dn)
            for (name, values) in entry.attributes where Self.writable.contains(name) { restored.attributes[name] = values }
            restored.attributes[IPsecAttribute.owners] = restored.values(IPsecAttribute.owners).filter {
                String(decoding: $0, as: UTF8.self).lowercased() != entry.dn.lowercased()
            }
            if restored.values(IPsecAttribute.owners).isEmpty { restored.attributes[IPsecAttribute.owners] = nil }
            try directory.add(restored)
        }
    }

    static let writable: Set<String> = [
        IPsecAttribute.objectClass, IPsecAttribute.name, IPsecAttribute.description, IPsecAttribute.id,
        IPsecAttribute.dataType, IPsecAttribute.data, IPsecAttribute.owners, IPsecAttribute.nfaReference,
        IPsecAttribute.isakmpReference, IPsecAttribute.filterReference, IPsecAttribute.negotiationReference,
        IPsecAttribute.negotiationType, IPsecAttribute.negotiationAction,
    ]

    /// A DN naming a deleted object (AD: `CN=…\0ADEL:<GUID>,CN=Deleted Objects,…`).
    static func isTombstone(_ dn: String) -> Bool {
        dn.contains("\\0ADEL:") || dn.lowercased().contains(",cn=deleted objects,")
    }

    static func isShared(_ entry: DirectoryEntry) -> Bool {
        let classes = entry.strings(IPsecAttribute.objectClass).map { $0.lowercased() }
        let type = entry.string(IPsecAttribute.negotiationType).flatMap(WindowsGUID.parse)
        return classes.contains(BlobKind.filter.objectClass.lowercased())
            || (classes.contains(BlobKind.negotiation.objectClass.lowercased()) && type != NegotiationPolicyGUID.defaultResponseType)
    }

    /// `ipsecNFA{…}` from a DN or an operation text naming one.
    static func cn(_ text: String) -> String {
        guard let start = text.range(of: "CN=", options: .caseInsensitive) else { return text }
        return String(text[start.upperBound...].prefix { $0 != "," })
    }
}
