import Foundation

/// Structured, journald-friendly log lines on stderr: `<priority>ward: key=value …`. The
/// priority prefix is what systemd-journald reads from a service's stderr (sd-daemon(3)).
/// Secrets are never passed here: callers log names, addresses, SPIs and counts only.
public struct Log: Sendable {
    public enum Level: Int, Sendable { case error = 3, warning = 4, notice = 5, info = 6, debug = 7 }

    public var minimum: Level = .info

    public init(minimum: Level = .info) { self.minimum = minimum }

    public func callAsFunction(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard level.rawValue <= minimum.rawValue else { return }
        var line = "<\(level.rawValue)>wardd: event=\(event)"
        for (key, value) in fields {
            let text = "\(value)"
            line += " \(key)=" + (text.contains(" ") || text.isEmpty ? "\"\(text.replacingOccurrences(of: "\"", with: "'"))\"" : text)
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
