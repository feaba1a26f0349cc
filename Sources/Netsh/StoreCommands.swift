import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static var storeCommands: [CommandSpec] {
        [
            CommandSpec(words: ["set", "store"], parameters: [ParameterSpec("location", required: true, "local|persistent|domain"), ParameterSpec("domain")],
                        summary: "Chooses the store later commands of this session work on.",
                        remarks: ["The choice lasts for this session or script only; local is the default."],
                        run: setStore),
            CommandSpec(words: ["set", "batch"], parameters: [ParameterSpec("mode", required: true, "enable|disable")],
                        summary: "Groups the following commands into one store transaction.",
                        remarks: ["mode=disable (or the end of the script) commits the batch; a script that stops on an error discards it."],
                        run: setBatch),
            CommandSpec(words: ["delete", "all"], parameters: [],
                        summary: "Deletes every policy, filter list and filter action of the current store, predefined ones too.",
                        run: deleteAll),
            CommandSpec(words: ["exportpolicy"], parameters: [ParameterSpec("file", required: true, "<path>")],
                        summary: "Writes every policy, filter list and filter action of the current store to a file (mode 0600).",
                        run: exportPolicy),
            CommandSpec(words: ["importpolicy"], parameters: [ParameterSpec("file", required: true, "<path>")],
                        summary: "Adds the objects of an export file to the current store; objects with the same GUID are replaced.",
                        run: importPolicy),
        ]
    }

    static func setStore(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let text = try arguments.requiredString("location")
        if text.lowercased() == "domain" {
            guard let opener = session.domainStoreOpener else {
                throw arguments.fail("location", "this build of ward has no directory client; use local or persistent")
            }
            if session.inBatch { throw arguments.fail("location", "a batch is open; end it (set batch mode=disable) before changing the store") }
            let store: DomainPolicyStore
            do { store = try opener(arguments.string("domain")) } catch { throw NetshError("set store: \(error)") }
            session.domainStore = store
            session.location = .domain
            return .none
        }
        guard let location = StoreLocation(rawValue: text.lowercased()) else {
            throw arguments.fail("location", "'\(text)' is not local, persistent or domain")
        }
        if arguments.has("domain") { throw arguments.fail("domain", "applies only to location=domain") }
        if session.domainStore?.inBatch == true {
            throw arguments.fail("location", "a batch of the domain store is open; end it (set batch mode=disable) before changing the store")
        }
        session.location = location
        session.domainStore = nil
        return .none
    }

    static func setBatch(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let mode = try arguments.requiredString("mode").lowercased()
        if session.location == .domain, let store = session.domainStore {
            do {
                switch mode {
                case "enable": try store.beginBatch()
                case "disable": try store.commitBatch()
                default: throw arguments.fail("mode", "'\(mode)' is not enable or disable")
                }
            } catch let error as NetshError {
                throw error
            } catch {
                throw NetshError("set batch: \(error)")
            }
            return .none
        }
        let database = try session.database()
        switch mode {
        case "enable": try database.beginBatch()
        case "disable": try database.commitBatch()
        default: throw arguments.fail("mode", "'\(mode)' is not enable or disable")
        }
        return .none
    }

    static func deleteAll(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        try session.write { transaction in try transaction.deleteAll() }
        return .none
    }

    static func exportPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let path = try arguments.requiredString("file")
        let document = try session.read { transaction in try transaction.exportDocument() }
        let data = try document.encoded()
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw arguments.fail("file", "cannot create \(path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw arguments.fail("file", "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return .none
    }

    static func importPolicy(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let path = try arguments.requiredString("file")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw arguments.fail("file", "cannot read \(path)")
        }
        let document = try PolicyExport.decode(data, path: path)
        try session.write { transaction in try transaction.importDocument(document) }
        return .none
    }
}
