import GRDB
import Policy

/// Why a store operation failed. Every case prints as one line naming the culprit.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A policy object broke a model rule.
    case invalid(ValidationError)
    /// A named object does not exist.
    case notFound(kind: String, name: String, store: StoreLocation)
    /// A name is already taken by another object of the same kind.
    case duplicateName(kind: String, name: String, store: StoreLocation)
    /// The object is still referenced (deleting a filter list that a rule uses, say).
    case inUse(object: String, users: [String])
    /// The file is not a Ward store, is damaged, or was written by a newer Ward.
    case unusableFile(path: String, reason: String)
    /// The file or its directory cannot be written.
    case readOnly(path: String)
    /// Another process holds the store's write lock for longer than the busy timeout.
    case busy(path: String)
    /// A batch is already open, or none is open when one must be.
    case batchState(String)
    /// An import file could not be read or does not match the export format.
    case badImport(path: String, reason: String)
    /// Any other SQLite failure.
    case database(path: String, message: String)

    /// One line, whatever SQLite's own message held.
    public var description: String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private var text: String {
        switch self {
        case .invalid(let error): return error.description
        case let .notFound(kind, name, store): return "\(kind) '\(name)' does not exist in the \(store.rawValue) store"
        case let .duplicateName(kind, name, store): return "\(kind) '\(name)' already exists in the \(store.rawValue) store"
        case let .inUse(object, users):
            let shown = users.prefix(3).joined(separator: ", ") + (users.count > 3 ? " and \(users.count - 3) more" : "")
            return "\(object) is used by \(shown); change or delete \(users.count == 1 ? "that rule" : "those rules") first"
        case let .unusableFile(path, reason): return "store \(path): \(reason)"
        case .readOnly(let path): return "store \(path) is read-only (file system or permissions); nothing was changed"
        case .busy(let path): return "store \(path) is locked by another ward process; try again"
        case .batchState(let message): return message
        case let .badImport(path, reason): return "import \(path): \(reason)"
        case let .database(path, message): return "store \(path): \(message)"
        }
    }

    /// Maps a SQLite error onto the case an administrator can act on.
    static func from(_ error: any Error, path: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        if let validation = error as? ValidationError { return .invalid(validation) }
        guard let sqlite = error as? DatabaseError else {
            return .database(path: path, message: "\(error)")
        }
        switch sqlite.resultCode {
        case .SQLITE_READONLY:
            return .readOnly(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .busy(path: path)
        case .SQLITE_NOTADB:
            return .unusableFile(path: path, reason: "not an SQLite database (is this the right file?)")
        case .SQLITE_CORRUPT:
            return .unusableFile(path: path, reason: "the database is damaged (SQLite: \(sqlite.message ?? "corrupt"))")
        case .SQLITE_CANTOPEN:
            return .unusableFile(path: path, reason: "cannot be opened (\(sqlite.message ?? "unable to open"))")
        default:
            return .database(path: path, message: sqlite.message ?? "\(sqlite)")
        }
    }
}
