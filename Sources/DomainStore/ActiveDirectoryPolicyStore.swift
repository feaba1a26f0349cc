import Directory
import DomainPolicy
import Foundation
import Netsh
import Policy
import PolicyStore

/// The domain store: Windows' own IPsec objects in Active Directory ([MS-GPIPSEC]), edited by
/// every `ward ipsec static` command.
///
/// Each command:
/// 1. reads the whole IP Security container (one one-level search);
/// 2. decodes it into Ward's objects and loads them into a scratch policy database;
/// 3. runs the command there, with the local store's validation and errors;
/// 4. for a write, encodes the objects before and after, and runs the difference as a
///    `DomainChangePlan`: all of it lands, or what landed is undone.
/// Windows objects the command did not touch are never rewritten.
public final class ActiveDirectoryPolicyStore: DomainPolicyStore {
    let directory: DirectoryService
    let container: IPsecContainer
    let domain: String
    private let random: () -> UUID
    /// LDAP operations this session sent (searches and undo included): `show store` prints it.
    public private(set) var operationCount = 0
    /// An open batch: the snapshot it started from and its scratch store.
    private var batch: (loaded: Loaded, before: DomainPolicyObjects, database: PolicyDatabase, path: String)?

    public init(directory: DirectoryService, domain: String, random: @escaping () -> UUID = { UUID() }) {
        self.directory = directory
        self.domain = domain
        self.random = random
        container = IPsecContainer(namingContext: directory.defaultNamingContext)
    }

    /// Connects to a controller of `domain` (nil: the machine's DNS domain) and binds with
    /// the caller's Kerberos tickets.
    public static func open(domain: String?) throws -> ActiveDirectoryPolicyStore {
        guard let name = domain ?? MachineDomain.name() else {
            throw DirectoryError(code: -1, operation: "find the domain", message: "this machine names no DNS domain (resolv.conf); give domain=<name>")
        }
        let connection = try DomainControllerLocator.connect(domain: name)
        return ActiveDirectoryPolicyStore(directory: connection, domain: name)
    }

    public var displayName: String { "Domain Store (\(domain), \(directory.serverName))" }

    public var details: [(String, String)] {
        [("Current Store", displayName), ("Batch Mode", batch == nil ? "DISABLED" : "ENABLED"),
         ("LDAP Operations", String(operationCount))]
    }

    deinit { batch.map { Self.remove($0.path) } }

    // MARK: Reading

    struct Loaded {
        var actual: [String: DirectoryEntry]
        var image: DomainPolicyDecoder.Image
    }

    func load() throws -> Loaded {
        let entries = try directory.search(base: container.dn, oneLevel: true, filter: "(objectClass=ipsecBase)", attributes: [])
        operationCount += 1
        var actual: [String: DirectoryEntry] = [:]
        for entry in entries { actual[IPsecContainer.key(entry.dn)] = entry }
        return Loaded(actual: actual, image: try DomainPolicyDecoder(container: container).decode(entries))
    }

    /// A scratch store holding `objects` as the domain store.
    func scratch(_ objects: DomainPolicyObjects) throws -> (PolicyDatabase, String) {
        let path = NSTemporaryDirectory() + "ward-domain-\(getpid())-\(random().uuidString).db"
        let database = try PolicyDatabase(path: path)
        var byPolicy: [UUID: [Rule]] = [:]
        for rule in objects.rules { byPolicy[rule.policyID, default: []].append(rule) }
        let document = PolicyExport(store: .domain,
                                    policies: objects.policies.map { .init(policy: $0, rules: byPolicy[$0.id] ?? []) },
                                    filterLists: objects.filterLists, filterActions: objects.filterActions)
        do {
            try database.write(.domain) { transaction in try transaction.importDocument(document) }
        } catch {
            Self.remove(path)
            throw DomainObjectError(object: "the domain's IPsec objects", attribute: "ipsecName",
                                    "cannot be held as one store (\(error)); rename the duplicate with the Windows snap-in or ldapmodify")
        }
        return (database, path)
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }

    static func objects(of database: PolicyDatabase) throws -> DomainPolicyObjects {
        let document = try database.read(.domain) { transaction in try transaction.exportDocument() }
        return DomainPolicyObjects(policies: document.policies.map(\.policy), rules: document.policies.flatMap(\.rules),
                                   filterLists: document.filterLists, filterActions: document.filterActions)
    }

    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        if let batch { return try batch.database.read(.domain, body) }
        let loaded = try load()
        let (database, path) = try scratch(loaded.image.objects)
        defer { Self.remove(path) }
        return try database.read(.domain, body)
    }

    // MARK: Writing

    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        // In a batch the commands change the scratch store only; `commitBatch` writes.
        if let batch { return try batch.database.write(.domain, body) }
        let loaded = try load()
        // `before` takes the same scratch round trip as `after`, so only the command's own
        // changes differ (the scratch store may order filters and rules its own way).
        let (database, path) = try scratch(loaded.image.objects)
        defer { Self.remove(path) }
        let before = try Self.objects(of: database)
        let result = try database.write(.domain, body)
        let after = try Self.objects(of: database)
        try commit(loaded: loaded, before: before, after: after)
        return result
    }

    // MARK: Batches

    public var inBatch: Bool { batch != nil }

    /// `set batch mode=enable`: one read of the container; the commands that follow work on
    /// the scratch copy, and `commitBatch` writes their sum as one plan (all or nothing).
    public func beginBatch() throws {
        guard batch == nil else { throw DomainObjectError(object: "batch", attribute: "mode", "batch mode is already enabled") }
        let loaded = try load()
        let (database, path) = try scratch(loaded.image.objects)
        do {
            batch = (loaded, try Self.objects(of: database), database, path)
        } catch {
            Self.remove(path)
            throw error
        }
    }

    public func commitBatch() throws {
        guard let open = batch else { throw DomainObjectError(object: "batch", attribute: "mode", "batch mode is not enabled") }
        batch = nil
        defer { Self.remove(open.path) }
        try commit(loaded: open.loaded, before: open.before, after: try Self.objects(of: open.database))
    }

    public func rollbackBatch() {
        guard let open = batch else { return }
        batch = nil
        Self.remove(open.path)
    }

    func commit(loaded: Loaded, before: DomainPolicyObjects, after: DomainPolicyObjects) throws {
        guard before != after else { return }
        var companions = loaded.image.companions
        for policy in after.policies where companions[policy.id] == nil { companions[policy.id] = .fresh(random) }
        let encoder = DomainPolicyEncoder(container: container)
        let plan = DomainChangePlan(before: try encoder.entries(before, companions: companions),
                                    after: try encoder.entries(after, companions: companions), actual: loaded.actual)
        let executor = DomainChangeExecutor(directory: directory)
        defer { operationCount += executor.operations }
        try executor.run(plan)
    }
}

/// The machine's DNS domain: `domain` or the first `search` entry of /etc/resolv.conf.
public enum MachineDomain {
    public static func name(resolvConf: String = "/etc/resolv.conf") -> String? {
        guard let text = try? String(contentsOfFile: resolvConf, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count >= 2, words[0] == "domain" || words[0] == "search" { return String(words[1]) }
        }
        return nil
    }
}
