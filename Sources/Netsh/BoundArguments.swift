import Foundation
import Packet
import Policy

/// A command's tokens matched to its parameters.
///
/// Tags may be abbreviated to any unambiguous prefix; an exact match always wins. Bare values
/// fill the parameters not yet given, in the command's documented order (reference 0.3).
struct BoundArguments {
    /// The command as typed, for error messages (`add filter`).
    let command: String
    /// Values per parameter name, each with the index of its token (the order on the line).
    private(set) var values: [String: [(index: Int, value: String)]] = [:]
    private(set) var keywords: Set<String> = []

    init(tokens: [Token], spec: CommandSpec) throws(NetshError) {
        command = spec.words.joined(separator: " ")
        var nextPositional = 0
        for (index, token) in tokens.enumerated() {
            if let tag = token.tag {
                let parameter = try Self.match(tag: tag, in: spec, command: command)
                if values[parameter.name] != nil && !parameter.repeatable {
                    throw NetshError("\(command): \(parameter.name) is given twice")
                }
                values[parameter.name, default: []].append((index, token.value))
            } else if let keyword = spec.keywords.first(where: { $0.caseInsensitiveCompare(token.value) == .orderedSame }) {
                keywords.insert(keyword)
            } else {
                while nextPositional < spec.parameters.count && values[spec.parameters[nextPositional].name] != nil {
                    nextPositional += 1
                }
                guard nextPositional < spec.parameters.count else {
                    throw NetshError("\(command): unexpected value '\(token.value)' at column \(token.column) (every parameter is already given)")
                }
                values[spec.parameters[nextPositional].name] = [(index, token.value)]
                nextPositional += 1
            }
        }
        for group in spec.oneOf {
            let given = group.filter { values[$0] != nil } + group.filter { keywords.contains($0) }
            if given.count > 1 {
                throw NetshError("\(command): give only one of \(group.joined(separator: ", "))")
            }
            if given.isEmpty {
                throw NetshError("\(command): one of \(group.map { spec.keywords.contains($0) ? $0 : "\($0)=" }.joined(separator: ", ")) is required")
            }
        }
        for parameter in spec.parameters where parameter.required && values[parameter.name] == nil {
            throw NetshError("\(command): \(parameter.name)= is required")
        }
    }

    static func match(tag: String, in spec: CommandSpec, command: String) throws(NetshError) -> ParameterSpec {
        let lowered = tag.lowercased()
        if let exact = spec.parameters.first(where: { $0.name == lowered }) { return exact }
        let candidates = spec.parameters.filter { $0.name.hasPrefix(lowered) }
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty {
            throw NetshError("\(command): unknown tag '\(tag)'; valid tags: \(spec.parameters.map(\.name).joined(separator: ", "))")
        }
        throw NetshError("\(command): tag '\(tag)' is ambiguous (\(candidates.map(\.name).joined(separator: ", ")))")
    }

    func has(_ name: String) -> Bool { values[name] != nil }

    func keyword(_ name: String) -> Bool { keywords.contains(name) }

    /// The tags given, in command-line order.
    var orderedTags: [String] { values.flatMap { tag, entries in entries.map { ($0.index, tag) } }.sorted { $0.0 < $1.0 }.map(\.1) }

    func string(_ name: String) -> String? { values[name]?.first?.value }

    /// All values of a repeatable parameter with their token positions.
    func all(_ name: String) -> [(index: Int, value: String)] { values[name] ?? [] }

    func fail(_ name: String, _ message: String) -> NetshError {
        NetshError("\(command): \(name): \(message)")
    }

    func requiredString(_ name: String) throws(NetshError) -> String {
        guard let value = string(name) else { throw NetshError("\(command): \(name)= is required") }
        return value
    }

    func bool(_ name: String) throws(NetshError) -> Bool? {
        guard let text = string(name) else { return nil }
        guard let value = NetshBoolean.parse(text) else { throw fail(name, "'\(text)' is not yes or no") }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>, unit: String = "") throws(NetshError) -> Int? {
        guard let text = string(name) else { return nil }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            throw fail(name, "'\(text)' is not a whole number")
        }
        guard range.contains(value) else {
            throw fail(name, "\(value) is out of range; allowed \(range.lowerBound)-\(range.upperBound)\(unit.isEmpty ? "" : " " + unit)")
        }
        return value
    }

    func choice<T>(_ name: String, _ parse: (String) -> T?, allowed: String) throws(NetshError) -> T? {
        guard let text = string(name) else { return nil }
        guard let value = parse(text) else { throw fail(name, "'\(text)' is not one of \(allowed)") }
        return value
    }

    /// Parses a value with a Policy parser, re-attributing its error to this command.
    func parse<T>(_ name: String, _ parser: (String) throws(ValidationError) -> T) throws(NetshError) -> T? {
        guard let text = string(name) else { return nil }
        do { return try parser(text) } catch { throw NetshError("\(command): \(error.description)") }
    }

    /// A GUID given as `{...}` or bare.
    func guid(_ name: String) throws(NetshError) -> UUID? {
        guard let text = string(name) else { return nil }
        let bare = text.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
        guard let id = UUID(uuidString: bare) else { throw fail(name, "'\(text)' is not a GUID like {01234567-89AB-CDEF-0123-456789ABCDEF}") }
        return id
    }
}
