import Foundation
import PolicyStore

/// A command that a module below `Netsh` adds to a context: the command language may not
/// depend on `Filtering` or the agent (DESIGN.md's module order), so `ward` registers
/// `ipsec trace` and, later, the `ipsec dynamic` commands this way.
public struct ExtensionCommand {
    public var context: [String]
    public var words: [String]
    public var parameters: [ParameterSpec]
    public var summary: String
    public var remarks: [String]
    /// Bare words accepted in place of a parameter (`all`).
    public var keywords: [String]
    public var run: (NetshSession, ExtensionArguments) throws -> CommandOutput

    public init(context: [String], words: [String], parameters: [ParameterSpec], summary: String, remarks: [String] = [],
                keywords: [String] = [], run: @escaping (NetshSession, ExtensionArguments) throws -> CommandOutput) {
        self.context = context
        self.words = words
        self.parameters = parameters
        self.summary = summary
        self.remarks = remarks
        self.keywords = keywords
        self.run = run
    }

    var spec: CommandSpec {
        var spec = CommandSpec(words: words, parameters: parameters, summary: summary, remarks: remarks,
                               run: { session, arguments in try run(session, ExtensionArguments(bound: arguments)) })
        spec.keywords = keywords
        return spec
    }
}

/// An extension command's arguments, bound with netsh's rules (abbreviations, positions).
public struct ExtensionArguments {
    let bound: BoundArguments

    /// The value given for `tag`, or nil.
    public func string(_ tag: String) -> String? { bound.string(tag) }

    /// Whether the bare keyword was given (`all`).
    public func keyword(_ name: String) -> Bool { bound.keyword(name) }

    /// The tags given, in the order they were typed (an order of preference for some lists).
    public var orderedTags: [String] { bound.orderedTags }

    /// The value of a required tag (binding already checked it is there).
    public func requiredString(_ tag: String) throws(NetshError) -> String { try bound.requiredString(tag) }

    /// An error naming the command and the tag.
    public func fail(_ tag: String, _ message: String) -> NetshError { bound.fail(tag, message) }
}

extension NetshSession {
    /// Adds a command to a context of this session.
    public func register(_ command: ExtensionCommand) {
        extensions.append(command)
    }

    /// Runs `body` in a read transaction on a store, for extension commands.
    public func readStore<T>(_ location: StoreLocation, _ body: (StoreTransaction) throws -> T) throws(NetshError) -> T {
        do { return try database().read(location, body) } catch { throw NetshError.wrap(error) }
    }
}
