import Foundation
import Policy
import PolicyStore

/// One netsh session: the current context (`ipsec static`), the current store, batch mode,
/// and the command tables. Feed it lines; it returns what to print.
///
/// Each command runs in one store transaction, so a failing command leaves the store exactly as
/// it was. With `set batch mode=enable` commands share one transaction until
/// `mode=disable` or `finish()`; `abandon()` discards it.
public final class NetshSession {
    /// Opens the policy database on first use, so help and navigation work without a store.
    public typealias DatabaseOpener = () throws(StoreError) -> PolicyDatabase

    private let openDatabase: DatabaseOpener
    private var openedDatabase: PolicyDatabase?
    let resolver: NameResolver
    /// The context path, e.g. `["ipsec", "static"]`; empty is the top.
    public private(set) var context: [String] = []
    private var pushedContexts: [[String]] = []
    /// The store `ipsec static` commands work on (`set store`); local by default.
    public internal(set) var location: StoreLocation = .local
    /// Set by a script runner that stops at the first error and then calls `abandon()`: a
    /// failed command inside a batch need not be undone on its own, because the whole batch is.
    public var discardsBatchOnError = false {
        didSet { openedDatabase?.savepointPerCommand = !discardsBatchOnError }
    }
    /// Opens the domain store for `set store location=domain [domain=NAME]` (nil NAME: the
    /// machine's own domain). Nil when this build has no directory client.
    public var domainStoreOpener: ((String?) throws -> DomainPolicyStore)?
    /// The open domain store, while `location` is `.domain`.
    public internal(set) var domainStore: DomainPolicyStore?
    /// Commands other modules registered (`register(_:)`).
    var extensions: [ExtensionCommand] = []
    /// Set by `exit`, `quit` or `bye`.
    public private(set) var exitRequested = false

    public init(resolver: NameResolver = SystemNameResolver(), openDatabase: @escaping DatabaseOpener) {
        self.resolver = resolver
        self.openDatabase = openDatabase
    }

    /// The interactive prompt: `ward ipsec static>`.
    public var prompt: String { (["ward"] + context).joined(separator: " ") + ">" }

    func database() throws(NetshError) -> PolicyDatabase {
        if let openedDatabase { return openedDatabase }
        do {
            let database = try openDatabase()
            database.savepointPerCommand = !discardsBatchOnError
            openedDatabase = database
            return database
        } catch {
            throw NetshError(error)
        }
    }

    /// Whether a batch is open.
    public var inBatch: Bool { (openedDatabase?.inBatch ?? false) || (domainStore?.inBatch ?? false) }

    /// Ends the session normally: an open batch is committed (netsh applies a batch at the end
    /// of a script).
    public func finish() throws(NetshError) {
        if let domainStore, domainStore.inBatch {
            do { try domainStore.commitBatch() } catch { throw NetshError.wrap(error) }
        }
        guard let openedDatabase, openedDatabase.inBatch else { return }
        do { try openedDatabase.commitBatch() } catch { throw NetshError(error) }
    }

    /// Ends the session after an error: an open batch is discarded.
    public func abandon() {
        domainStore?.rollbackBatch()
        openedDatabase?.rollbackBatch()
    }

    func read<T>(_ body: (StoreTransaction) throws -> T) throws(NetshError) -> T {
        if location == .domain, let domainStore {
            do { return try domainStore.read(body) } catch { throw NetshError.wrap(error) }
        }
        do { return try database().read(location, body) } catch { throw NetshError.wrap(error) }
    }

    func write<T>(_ body: (StoreTransaction) throws -> T) throws(NetshError) -> T {
        if location == .domain, let domainStore {
            if openedDatabase?.inBatch == true {
                throw NetshError("set batch: a batch of the \(StoreLocation.local.displayName) or \(StoreLocation.persistent.displayName) is open; end it (set batch mode=disable) before writing to the domain store")
            }
            do { return try domainStore.write(body) } catch { throw NetshError.wrap(error) }
        }
        do { return try database().write(location, body) } catch { throw NetshError.wrap(error) }
    }

    // MARK: Lines

    /// Runs one line: navigation, help, or a command in the current context.
    public func execute(_ line: String) throws(NetshError) -> CommandOutput {
        let trimmed = String(line.trimmingBlanks)
        let firstWord = trimmed.prefix { $0 != " " && $0 != "\t" }
        if trimmed.isEmpty || trimmed.hasPrefix("#") || firstWord.lowercased() == "rem" {
            return .none
        }
        var tokens = try Tokenizer.tokenize(trimmed)
        var path = context
        // Leading words may name contexts: `ipsec static add policy ...` from the top.
        while let first = tokens.first, first.tag == nil {
            let word = first.value.lowercased()
            if word == ".." {
                if !path.isEmpty { path.removeLast() }
            } else if word == "/" {
                path = []
            } else if let child = ContextTable.child(of: path, named: word) {
                path.append(child)
            } else if path == context, let top = ContextTable.child(of: [], named: word) {
                // As in netsh, a full context path works from inside any context.
                path = [top]
            } else {
                break
            }
            tokens.removeFirst()
        }
        if tokens.isEmpty {
            try ContextTable.checkAvailable(path, session: self)
            context = path
            return .none
        }
        let first = tokens[0].value.lowercased()
        if tokens[0].tag == nil {
            switch first {
            case "exit", "quit", "bye":
                exitRequested = true
                return .none
            case "?", "help", "/?", "-?":
                return CommandOutput(ContextTable.help(for: path, topic: [], session: self))
            case "pushd":
                pushedContexts.append(context)
                do {
                    return try execute(String(trimmed.dropFirst("pushd".count)))
                } catch {
                    pushedContexts.removeLast()
                    throw error
                }
            case "popd":
                guard let previous = pushedContexts.popLast() else { throw NetshError("popd: no context was pushed") }
                context = previous
                return .none
            default:
                break
            }
        }
        try ContextTable.checkAvailable(path, session: self)
        return try ContextTable.run(tokens, in: path, session: self)
    }
}
