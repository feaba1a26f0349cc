import Foundation

/// One word of a netsh command line: `tag=value`, or a bare value.
public struct Token: Equatable, Sendable {
    /// The tag before `=`, as typed; nil for a bare (positional) word.
    public var tag: String?
    /// The value with its quotes removed.
    public var value: String
    /// 1-based column where the token starts, for error messages.
    public var column: Int

    public init(tag: String?, value: String, column: Int) {
        self.tag = tag
        self.value = value
        self.column = column
    }
}

/// Splits a command line into tokens the way netsh does.
///
/// Words are separated by blanks. A double-quoted stretch keeps its blanks and `=` signs and
/// loses its quotes (`name="All Web"`, `"name=odd"`). The first `=` outside quotes separates a
/// tag from its value. Backslashes are literal (Windows paths); `\'` inside a quoted `rootca`
/// value is left for the rootca parser, which reads it as an embedded double quote.
public enum Tokenizer {
    /// Splits `line` into tokens; `column` counts bytes from 1 (the same as characters for ASCII).
    /// Works on UTF-8 bytes: every delimiter is ASCII, so multi-byte characters pass through.
    public static func tokenize(_ line: String) throws(NetshError) -> [Token] {
        var tokens: [Token] = []
        var current: [UInt8] = []
        var tag: String?
        var inQuotes = false
        var started = false
        var quoteColumn = 0
        var startColumn = 0
        var column = 0
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let quote = UInt8(ascii: "\""), equals = UInt8(ascii: "=")
        func finish() {
            if started { tokens.append(Token(tag: tag, value: String(decoding: current, as: UTF8.self), column: startColumn)) }
            current.removeAll(keepingCapacity: true)
            tag = nil
            started = false
        }
        for byte in line.utf8 {
            column += 1
            if inQuotes {
                if byte == quote { inQuotes = false } else { current.append(byte) }
                continue
            }
            switch byte {
            case space, tab, cr, lf:
                finish()
            case quote:
                if !started { startColumn = column }
                started = true
                inQuotes = true
                quoteColumn = column
            case equals where tag == nil:
                guard started else { throw NetshError("'=' without a tag at column \(column)") }
                tag = String(decoding: current, as: UTF8.self)
                current.removeAll(keepingCapacity: true)
            default:
                if !started { startColumn = column }
                started = true
                current.append(byte)
            }
        }
        if inQuotes {
            throw NetshError("unterminated quote starting at column \(quoteColumn)")
        }
        finish()
        return tokens
    }

    /// Quotes a value for a netsh command line when it needs it (empty, blanks, `=`).
    public static func quote(_ value: String) -> String {
        if value.isEmpty || value.contains(where: { $0 == " " || $0 == "=" || $0 == "\t" || $0 == "\"" }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\\'") + "\""
        }
        return value
    }
}
