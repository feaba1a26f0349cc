import Foundation

/// The contexts of the command tree and the commands each offers.
///
/// `ipsec` holds `static` (stores) and `dynamic` (the running agent, commands registered by `ward`). Verbs
/// and nouns may be abbreviated to an unambiguous prefix, as in netsh (`sh po` = `show policy`).
enum ContextTable {
    static let children: [[String]: [String]] = [
        []: ["ipsec"],
        ["ipsec"]: ["static", "dynamic"],
    ]

    static let staticVerbs = Array(Set(StaticCommands.all.map { $0.words[0] })).sorted()

    static func child(of path: [String], named word: String) -> String? {
        children[path]?.first { $0 == word }
    }

    /// Refuses a context this session cannot serve: `ipsec dynamic` talks to the running agent,
    /// and only a shell that registered its commands (the `ward` binary) can reach it.
    static func checkAvailable(_ path: [String], session: NetshSession) throws(NetshError) {
        if path == ["ipsec", "dynamic"] && !session.extensions.contains(where: { $0.context == path }) {
            throw NetshError("the ipsec dynamic context acts on the running agent (wardd), which this shell cannot reach; use ipsec static")
        }
    }

    static func commands(in path: [String], session: NetshSession) -> [CommandSpec] {
        let builtIn: [CommandSpec] = switch path {
        case ["ipsec", "static"]: StaticCommands.all
        case ["ipsec"]: [StaticCommands.dump]
        default: []
        }
        let added = session.extensions.filter { $0.context == path }.map(\.spec)
        return added.isEmpty ? builtIn : builtIn + added
    }

    /// Help for a context (`topic` empty), a verb (`["add"]`) or a command.
    static func help(for path: [String], topic: [String], session: NetshSession) -> String {
        let commands = commands(in: path, session: session)
        var lines: [String] = []
        let where_ = path.isEmpty ? "the top level" : "the \(path.joined(separator: " ")) context"
        if topic.isEmpty {
            lines.append("Commands in \(where_):")
            lines.append(String(format: "  %-26@ %@", ".." as NSString, "go up one context" as NSString))
            lines.append(String(format: "  %-26@ %@", "? | help" as NSString, "show this list" as NSString))
            lines.append(String(format: "  %-26@ %@", "exit | quit | bye" as NSString, "leave the shell" as NSString))
            lines.append(String(format: "  %-26@ %@", "pushd <context> | popd" as NSString, "enter a context, return" as NSString))
            for child in children[path] ?? [] {
                lines.append(String(format: "  %-26@ %@", child as NSString, "enter the \((path + [child]).joined(separator: " ")) context" as NSString))
            }
            var seenVerbs = Set<String>()
            for command in commands {
                let verb = command.words[0]
                let groups = commands.filter { $0.words[0] == verb }
                if groups.count > 1 {
                    guard seenVerbs.insert(verb).inserted else { continue }
                    let nouns = groups.map { $0.words[1] }.joined(separator: ", ")
                    lines.append(String(format: "  %-26@ %@", verb as NSString, "\(verb) \(nouns)" as NSString))
                } else {
                    lines.append(String(format: "  %-26@ %@", command.words.joined(separator: " ") as NSString, command.summary as NSString))
                }
            }
            lines.append("Type a command followed by ? for its parameters.")
        } else if let command = commands.first(where: { $0.words == topic }) {
            lines.append("Usage: \(command.usage)")
            lines.append("")
            lines.append(command.summary)
            if !command.parameters.isEmpty {
                lines.append("")
                lines.append("Parameters (tags may be abbreviated; untagged values fill parameters in this order):")
                for parameter in command.parameters {
                    let need = parameter.required ? "required" : "optional"
                    lines.append(String(format: "  %-22@ %@, %@%@", parameter.name as NSString, parameter.valueHelp as NSString,
                                        need as NSString, (parameter.repeatable ? ", repeatable" : "") as NSString))
                }
            }
            if !command.remarks.isEmpty {
                lines.append("")
                lines.append("Remarks:")
                lines += command.remarks.map { "  " + $0 }
            }
        } else {
            let matching = commands.filter { $0.words.starts(with: topic) }
            lines.append("Commands:")
            for command in matching {
                lines.append(String(format: "  %-26@ %@", command.words.joined(separator: " ") as NSString, command.summary as NSString))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func isHelpWord(_ token: Token) -> Bool {
        token.tag == nil && ["?", "help", "/?", "-?"].contains(token.value.lowercased())
    }

    /// Finds the command the tokens name and runs it.
    static func run(_ tokens: [Token], in path: [String], session: NetshSession) throws(NetshError) -> CommandOutput {
        let commands = commands(in: path, session: session)
        let place = path.isEmpty ? "at the top level" : "in the \(path.joined(separator: " ")) context"
        guard let first = tokens.first, first.tag == nil else {
            throw NetshError("'\(tokens.first.map { "\($0.tag ?? "")=\($0.value)" } ?? "")' is not a command \(place); type ? for the list")
        }
        let verbs = path == ["ipsec", "static"] && session.extensions.isEmpty ? staticVerbs : Array(Set(commands.map { $0.words[0] })).sorted()
        let verb = try pick(first.value, from: verbs, what: "command", place: place)
        var candidates = commands.filter { $0.words[0] == verb }
        var used = 1
        if candidates.count > 1 || candidates.first?.words.count == 2 {
            guard tokens.count > 1, tokens[1].tag == nil, !isHelpWord(tokens[1]) else {
                if tokens.count > 1 && isHelpWord(tokens[1]) || tokens.count == 1 {
                    return CommandOutput(help(for: path, topic: [verb], session: session))
                }
                throw NetshError("\(verb): name what to \(verb): \(candidates.map { $0.words[1] }.joined(separator: ", "))")
            }
            let nouns = candidates.map { $0.words[1] }
            let noun = try pick(tokens[1].value, from: nouns, what: "\(verb) command", place: place)
            candidates = candidates.filter { $0.words[1] == noun }
            used = 2
        }
        let command = candidates[0]
        let rest = Array(tokens.dropFirst(used))
        if rest.contains(where: isHelpWord) {
            return CommandOutput(help(for: path, topic: command.words, session: session))
        }
        let arguments = try BoundArguments(tokens: rest, spec: command)
        do {
            return try command.run(session, arguments)
        } catch {
            throw NetshError.wrap(error)
        }
    }

    /// Exact word, or the only word `typed` is a prefix of.
    static func pick(_ typed: String, from words: [String], what: String, place: String) throws(NetshError) -> String {
        let lowered = typed.lowercased()
        if words.contains(lowered) { return lowered }
        let matches = words.filter { $0.hasPrefix(lowered) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw NetshError("'\(typed)' is not a \(what) \(place); expected one of: \(words.joined(separator: ", "))")
        }
        throw NetshError("'\(typed)' is ambiguous (\(matches.joined(separator: ", ")))")
    }
}
