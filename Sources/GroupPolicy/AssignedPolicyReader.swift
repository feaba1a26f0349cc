import DomainPolicy
import Filtering
import Foundation
import Policy

/// Reads the IPsec policy a GPO assigns: the policy object and what it references (its ISAKMP
/// object, rules, their filter actions and filter lists), no more.
///
/// Polling compares a *stamp*: every object of that closure with its `whenChanged` and
/// `uSNChanged`. [MS-GPIPSEC] §3.2.6.1 compares only the policy object's `whenChanged`; the
/// closure also notices a changed filter list or action that an editor wrote without touching
/// the policy object, and `uSNChanged` a second change within the same second. The poll asks
/// for those attributes and the references only (no blobs); the blobs are fetched only when
/// the stamp differs.
public struct AssignedPolicyReader {
    public let directory: any GroupPolicyDirectory
    public let container: IPsecContainer

    public init(directory: any GroupPolicyDirectory, namingContext: String) {
        self.directory = directory
        container = IPsecContainer(namingContext: namingContext)
    }

    static let references = ["ipsecISAKMPReference", "ipsecNFAReference", "ipsecNegotiationPolicyReference", "ipsecFilterReference"]

    /// The stamp of the closure of `policyDN`.
    ///
    /// - Throws: `GroupPolicyError` when the policy object does not exist (a GPO naming a
    ///   deleted policy), `DirectoryError` when the controller fails.
    public func stamp(of policyDN: String) throws -> [String] {
        let entries = try directory.search(base: container.dn, scope: .oneLevel, filter: "(objectClass=ipsecBase)",
                                           attributes: ["whenChanged", "uSNChanged"] + Self.references, securityDescriptor: false)
        return Self.stamp(try Self.closure(of: policyDN, in: entries))
    }

    /// The closure's entries with every attribute, and their stamp.
    public func fetch(_ policyDN: String) throws -> (entries: [DirectoryEntry], stamp: [String]) {
        let entries = try directory.search(base: container.dn, scope: .oneLevel, filter: "(objectClass=ipsecBase)", attributes: ["*", "whenChanged", "uSNChanged"],
                                           securityDescriptor: false)
        let closure = try Self.closure(of: policyDN, in: entries)
        return (closure, Self.stamp(closure))
    }

    /// Each object with its controller's change stamps, in DN order.
    static func stamp(_ closure: [DirectoryEntry]) -> [String] {
        closure.map { "\($0.dn.lowercased())|\($0.string("whenChanged") ?? "")|\($0.string("uSNChanged") ?? "")" }.sorted()
    }

    /// The policy object and everything it reaches by reference; a missing reference is left
    /// for the decoder to name (it reports dangling references by object and attribute).
    static func closure(of policyDN: String, in entries: [DirectoryEntry]) throws(GroupPolicyError) -> [DirectoryEntry] {
        let byKey = Dictionary(entries.map { (IPsecContainer.key($0.dn), $0) }, uniquingKeysWith: { first, _ in first })
        guard byKey[IPsecContainer.key(policyDN)] != nil else {
            throw GroupPolicyError("the assigned policy \(policyDN) cannot be read: it does not exist (deleted while a GPO still assigns it), "
                                   + "or the IP Security container's ACL does not let this computer read it (Docs/group-policy.md)")
        }
        var seen: Set<String> = []
        var result: [DirectoryEntry] = []
        var pending = [IPsecContainer.key(policyDN)]
        while let key = pending.popLast() {
            guard seen.insert(key).inserted, let entry = byKey[key] else { continue }
            result.append(entry)
            for attribute in references { pending += entry.strings(attribute).map(IPsecContainer.key) }
        }
        return result
    }

    /// The closure decoded into the snapshot the filter compiler takes, labelled with the GPO
    /// (`domain (GPO 'Ward Isolation')`) so `trace`, `show` and the logs name it.
    ///
    /// - Throws: `GroupPolicyError` naming the GPO, the object and the attribute.
    public static func snapshot(of policyDN: String, entries: [DirectoryEntry], namingContext: String, gpoName: String) throws(GroupPolicyError) -> PolicySnapshot {
        let container = IPsecContainer(namingContext: namingContext)
        let image: DomainPolicyDecoder.Image
        do {
            image = try DomainPolicyDecoder(container: container).decode(entries)
        } catch {
            throw GroupPolicyError("GPO '\(gpoName)': \(error)")
        }
        guard let id = container.parse(policyDN)?.id ?? entries.first(where: { IPsecContainer.key($0.dn) == IPsecContainer.key(policyDN) })
                .flatMap({ $0.string("ipsecID") }).flatMap(WindowsGUID.parse),
              var policy = image.objects.policies.first(where: { $0.id == id }) else {
            throw GroupPolicyError("GPO '\(gpoName)': the assigned policy \(policyDN) is not an ipsecPolicy Ward can read")
        }
        policy.assigned = true
        return PolicySnapshot(store: storeLabel(gpoName), policy: policy, rules: image.objects.rules.filter { $0.policyID == id },
                              filterLists: image.objects.filterLists, filterActions: image.objects.filterActions)
    }

    /// How the domain layer is named wherever a store is: `domain (GPO 'X')`.
    public static func storeLabel(_ gpoName: String) -> String { "domain (GPO '\(gpoName)')" }
}
