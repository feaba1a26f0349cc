import Foundation
import GRDB
import Policy

/// One transaction's view of one store: typed reads and writes of policy objects.
///
/// Writers check names and links and throw `StoreError` naming the object; SQLite's
/// constraints (unique names, foreign keys, one assigned policy) back every check up. Lookups
/// that only need to know whether an object exists, or its id, do not decode it.
public struct StoreTransaction {
    let db: Database
    /// The store this transaction works on.
    public let location: StoreLocation
    /// The time stamped on every object this transaction changes.
    public let now: Date
    /// The database file, for error messages.
    let path: String

    init(db: Database, location: StoreLocation, now: Date, path: String) {
        self.db = db
        self.location = location
        self.now = now
        self.path = path
    }

    /// The same transaction with another clock (import keeps exported times).
    func at(_ time: Date) -> StoreTransaction {
        StoreTransaction(db: db, location: location, now: time, path: path)
    }

    var store: String { location.rawValue }

    // MARK: SQL and encoding

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
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

    /// Runs a statement, compiled once per connection.
    func execute(_ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// Objects from a query whose columns are `body, when_changed`.
    func objects<T: StoredObject>(_ type: T.Type, _ sql: String, _ arguments: StatementArguments) throws -> [T] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            let body: String = row[0]
            do {
                var object = try Self.decoder.decode(T.self, from: Data(body.utf8))
                object.whenChanged = Date(timeIntervalSince1970: row[1])
                return object
            } catch {
                throw StoreError.unusableFile(path: path, reason: "a \(T.table) record is damaged (\(error))")
            }
        }
    }

    /// The first column of the first row, if any.
    func value<V: DatabaseValueConvertible & StatementColumnConvertible>(_ type: V.Type, _ sql: String, _ arguments: StatementArguments) throws -> V? {
        try V.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// Inserts an object's row; the UNIQUE constraint on its name becomes `duplicateName`.
    func insertRow(kind: String, name: String, _ sql: String, _ arguments: StatementArguments) throws {
        do {
            try execute(sql, arguments)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            && (error.message ?? "").contains("name_key") {
            throw StoreError.duplicateName(kind: kind, name: name, store: location)
        }
    }

    func exists(_ sql: String, _ arguments: StatementArguments) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (\(sql))"), arguments: arguments) ?? false
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
            try execute("DELETE FROM \(table) WHERE store = ?", [store])
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

/// A policy object kept as a JSON body with its last-change time in a column.
protocol StoredObject: Codable {
    var whenChanged: Date { get set }
    /// The table, for error messages.
    static var table: String { get }
}

extension IPsecPolicy: StoredObject { static var table: String { "policy" } }
extension FilterAction: StoredObject { static var table: String { "filter action" } }
