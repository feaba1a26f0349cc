import Foundation
import GRDB
import Policy

/// One transaction's view of one store: typed reads and writes of policy objects.
///
/// Writers check names and links and throw `StoreError` naming the object; SQLite's
/// constraints (unique names, foreign keys, one assigned policy) back every check up.
public struct StoreTransaction {
    let db: Database
    /// The store this transaction works on.
    public let location: StoreLocation
    /// The time stamped on every object this transaction changes.
    public let now: Date

    init(db: Database, location: StoreLocation, now: Date) {
        self.db = db
        self.location = location
        self.now = now
    }

    var store: String { location.rawValue }

    // MARK: Encoding

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    func encode(_ value: some Encodable) throws -> String {
        String(decoding: try Self.encoder.encode(value), as: UTF8.self)
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: String, table: String) throws -> T {
        do {
            return try Self.decoder.decode(type, from: Data(body.utf8))
        } catch {
            throw StoreError.unusableFile(path: db.description, reason: "a \(table) record is damaged (\(error))")
        }
    }

    func fetchBodies(_ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        try String.fetchAll(db, sql: sql, arguments: arguments)
    }

    // MARK: Predefined objects

    /// Adds the objects Windows ships (reference d) to this store.
    public func insertPredefinedObjects() throws {
        let predefined = PredefinedObjects(now: now)
        for list in predefined.filterLists { try insert(list) }
        for action in predefined.filterActions { try insert(action) }
        for policy in predefined.policies { try insert(policy) }
        for rule in predefined.rules { try insert(rule) }
    }

    // MARK: Whole-store operations

    /// Deletes every policy, rule, filter list and filter action of this store (`delete all`).
    public func deleteAll() throws {
        for table in ["rule", "policy", "filter", "filterlist", "filteraction"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE store = ?", arguments: [store])
        }
    }

    /// Every object of the store, as an export document.
    public func exportDocument() throws -> PolicyExport {
        var entries: [PolicyExport.PolicyEntry] = []
        for policy in try policies() {
            entries.append(.init(policy: policy, rules: try rules(ofPolicy: policy.id)))
        }
        return PolicyExport(store: location, policies: entries, filterLists: try filterLists(),
                            filterActions: try filterActions())
    }
}
