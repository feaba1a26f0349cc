/// A parameter a command accepts.
public struct ParameterSpec: Sendable {
    /// The netsh tag, lower case.
    public var name: String
    public var required: Bool
    /// May be given several times (`rootca`).
    public var repeatable: Bool
    /// The value shape shown by help, e.g. `<string>`, `yes|no`.
    public var valueHelp: String

    public init(_ name: String, required: Bool = false, repeatable: Bool = false, _ valueHelp: String = "<string>") {
        self.name = name
        self.required = required
        self.repeatable = repeatable
        self.valueHelp = valueHelp
    }
}

/// One command of a context: its words, parameters in positional order, help text, handler.
struct CommandSpec {
    /// Words after the context, e.g. `["add", "policy"]`.
    var words: [String]
    var parameters: [ParameterSpec]
    /// Bare keywords the command accepts in place of a parameter, e.g. `all`, `default`.
    var keywords: [String] = []
    /// Groups of parameters of which exactly one is required (`name` | `guid`).
    var oneOf: [[String]] = []
    var summary: String
    var remarks: [String] = []
    var run: (NetshSession, BoundArguments) throws -> CommandOutput

    var usage: String {
        var parts = words
        for parameter in parameters {
            let text = "[\(parameter.name)=]\(parameter.valueHelp)"
            parts.append(parameter.required ? text : "[\(text)]")
        }
        for keyword in keywords { parts.append("[\(keyword)]") }
        return parts.joined(separator: " ")
    }
}

/// What a command printed and any warnings it raised.
public struct CommandOutput: Equatable, Sendable {
    public var text: String
    public var warnings: [String]

    public init(_ text: String = "", warnings: [String] = []) {
        self.text = text
        self.warnings = warnings
    }

    static let none = CommandOutput()
}
