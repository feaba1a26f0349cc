import Foundation
import GRDB
import Policy

/// The policy database: the local and persistent stores in one SQLite file (WAL mode).
///
/// Every `write` is one transaction (`BEGIN IMMEDIATE`, so two `ward` processes serialise
/// instead of corrupting each other). Between `beginBatch()` and `commitBatch()` the writes
/// share one transaction, each command inside its own savepoint so a failed command leaves the
/// batch as it was before it (unless `savepointPerCommand` is off); a process that dies mid-batch leaves the store as before the
/// batch (SQLite's journal discards the open transaction).
///
/// One instance serves one session at a time (the `ward` shell, a test); it is `Sendable` so it
/// can be handed to the thread that uses it, not shared between threads.
public final class PolicyDatabase: @unchecked Sendable {
    /// `/var/lib/ward/policy.db`, overridden by `WARD_STORE`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["WARD_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/lib/ward/policy.db"
    }

    public let path: String
    private let queue: DatabaseQueue
    private let now: @Sendable () -> Date
    public private(set) var inBatch = false
    /// Inside a batch, whether each `write` runs in its own savepoint, so that a failed command
    /// is undone alone (interactive use). A script that discards the whole batch on its first
    /// error turns this off and saves two statements per command.
    public var savepointPerCommand = true
    /// The file or its directory cannot be written: reads work, writes throw `readOnly`.
    public let isReadOnly: Bool

    /// Opens the store file, creating it (mode 0600, directory 0700) with the predefined
    /// objects when it does not exist. Refuses a file that is not a Ward store, without writing
    /// to it.
    ///
    /// - Parameter now: the clock that stamps `whenChanged`; truncated to whole seconds.
    public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws(StoreError) {
        self.path = path
        self.now = { Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down)) }
        let fileManager = FileManager.default
        let exists = fileManager.fileExists(atPath: path)
        let directory = (path as NSString).deletingLastPathComponent
        if !exists {
            if !directory.isEmpty && !fileManager.fileExists(atPath: directory) {
                do {
                    try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
                } catch {
                    throw .unusableFile(path: path, reason: "cannot create directory \(directory): \(error.localizedDescription)")
                }
            }
            // Create the file 0600 before SQLite opens it; the -wal and -shm files take their
            // mode from the database file (SQLite's unix VFS).
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd < 0 {
                if errno == EROFS || errno == EACCES { throw .readOnly(path: path) }
                if errno != EEXIST {
                    throw .unusableFile(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
                }
            } else {
                close(fd)
            }
        }
        // A store on a read-only file system, or without write permission, still opens for
        // reading; any write then fails with `readOnly` and changes nothing.
        let writable = access(path, W_OK) == 0 && access(directory.isEmpty ? "." : directory, W_OK) == 0
        isReadOnly = !writable
        var configuration = Configuration()
        configuration.readonly = !writable
        configuration.busyMode = .timeout(15)
        configuration.allowsUnsafeTransactions = true  // a batch spans several write() calls
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Read the header before anything writes: a foreign or damaged file stays untouched.
            let applicationID = try Int32(Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0)
            let tableCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            if applicationID != Schema.applicationID && !(applicationID == 0 && tableCount == 0) {
                throw StoreError.unusableFile(path: path, reason: "not a Ward policy store (SQLite application_id \(String(format: "0x%08X", UInt32(bitPattern: applicationID))))")
            }
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            if writable && mode.lowercased() != "wal" {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            // NORMAL in WAL mode: a crash never corrupts or half-applies a transaction; a
            // power loss may lose the last commits (SQLite's documented trade-off).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            // An up-to-date store needs no write lock to open (another process may hold it for
            // a batch); only creation and upgrades write.
            let version = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
            if version > Schema.version {
                throw StoreError.unusableFile(path: path, reason: "written by a newer Ward (schema \(version); this one knows \(Schema.version))")
            }
            if version == Schema.version {
                try queue.read { db in
                    try Self.checkTables(db, path: path)
                    try Self.checkIntegrity(db, path: path)
                }
                return
            }
            if !writable { throw StoreError.readOnly(path: path) }
            try queue.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try Self.migrate(db, path: path, now: self.now())
                    return .commit
                }
            }
        } catch let error as DatabaseError where !writable && error.resultCode == .SQLITE_CANTOPEN {
            // SQLite cannot open a WAL database on a read-only file system unless its -shm file
            // exists; report the cause the administrator can act on.
            throw StoreError.readOnly(path: path)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    private static func migrate(_ db: Database, path: String, now: Date) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if version > Schema.version {
            throw StoreError.unusableFile(path: path, reason: "written by a newer Ward (schema \(version); this one knows \(Schema.version))")
        }
        if version == Schema.version {
            try checkTables(db, path: path)
            return
        }
        try db.execute(sql: Schema.statements)
        try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
        try db.execute(sql: "PRAGMA user_version = \(Schema.version)")
        let transaction = StoreTransaction(db: db, location: .local, now: now, path: path)
        try transaction.insertPredefinedObjects()
    }

    /// SQLite's page-level check (`PRAGMA quick_check`, linear in the file size: tens of
    /// milliseconds for a 10,000-rule store). A damaged store is refused before anything reads
    /// half of it or writes into it.
    private static func checkIntegrity(_ db: Database, path: String) throws {
        let result = try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
        if result != ["ok"] {
            throw StoreError.unusableFile(path: path, reason: "the database is damaged (SQLite: \(result.joined(separator: "; "))); restore it from an export or a dump")
        }
    }

    private static func checkTables(_ db: Database, path: String) throws {
        let tables = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        if !Schema.expectedTables.isSubset(of: tables) {
            throw StoreError.unusableFile(path: path, reason: "missing tables \(Schema.expectedTables.subtracting(tables).sorted().joined(separator: ", "))")
        }
    }

    /// Runs `body` in a read transaction on `location`.
    public func read<T>(_ location: StoreLocation, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        do {
            let now = self.now()
            return try queue.writeWithoutTransaction { db in
                // Inside a batch, reads see the batch's own uncommitted changes.
                if db.isInsideTransaction { return try body(StoreTransaction(db: db, location: location, now: now, path: self.path)) }
                var result: T?
                try db.inTransaction(.deferred) {
                    result = try body(StoreTransaction(db: db, location: location, now: now, path: self.path))
                    return .commit
                }
                return result!
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Runs `body` as one atomic change of `location`: all of it lands, or none.
    public func write<T>(_ location: StoreLocation, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        if isReadOnly { throw .readOnly(path: path) }
        do {
            let now = self.now()
            return try queue.writeWithoutTransaction { db in
                var result: T?
                if inBatch && !savepointPerCommand {
                    result = try body(StoreTransaction(db: db, location: location, now: now, path: self.path))
                } else if inBatch {
                    try db.inSavepoint {
                        result = try body(StoreTransaction(db: db, location: location, now: now, path: self.path))
                        return .commit
                    }
                } else {
                    try db.inTransaction(.immediate) {
                        result = try body(StoreTransaction(db: db, location: location, now: now, path: self.path))
                        return .commit
                    }
                }
                return result!
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Opens a batch: later writes share one transaction until `commitBatch` or `rollbackBatch`.
    public func beginBatch() throws(StoreError) {
        guard !inBatch else { throw .batchState("batch mode is already enabled") }
        if isReadOnly { throw .readOnly(path: path) }
        do {
            try queue.writeWithoutTransaction { db in try db.beginTransaction(.immediate) }
        } catch {
            throw StoreError.from(error, path: path)
        }
        inBatch = true
    }

    /// Commits the open batch.
    public func commitBatch() throws(StoreError) {
        guard inBatch else { throw .batchState("batch mode is not enabled") }
        do {
            try queue.writeWithoutTransaction { db in try db.commit() }
        } catch {
            throw StoreError.from(error, path: path)
        }
        inBatch = false
    }

    /// Discards the open batch (a script that stopped on an error, say).
    public func rollbackBatch() {
        guard inBatch else { return }
        try? queue.writeWithoutTransaction { db in try db.rollback() }
        inBatch = false
    }

    /// SQLite's own consistency check (`PRAGMA quick_check`); nil when the file is sound.
    public func integrityProblem() -> String? {
        let result = try? queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        guard let result else { return "the integrity check could not run" }
        return result == ["ok"] ? nil : result.prefix(3).joined(separator: "; ")
    }
}
