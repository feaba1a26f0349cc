import Foundation
import Netsh

/// Where command output (stdout) and errors and warnings (stderr) go.
struct Console {
    func print(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func error(_ text: String) {
        FileHandle.standardError.write(Data(("ward: " + text + "\n").utf8))
    }

    func show(_ output: CommandOutput) {
        print(output.text)
        for warning in output.warnings { FileHandle.standardError.write(Data("Warning: \(warning)\n".utf8)) }
    }

    /// Runs one command and ends the session; returns the exit status.
    func runOne(_ line: String, in session: NetshSession) -> Int32 {
        do {
            show(try session.execute(line))
            try session.finish()
            return 0
        } catch {
            session.abandon()
            self.error(error.message)
            return 1
        }
    }
}

/// Turns argv back into one netsh line: the shell removed the quotes, so values with blanks
/// are quoted again (`name=All Web` → `name="All Web"`).
enum CommandLineText {
    static func join(_ arguments: [String]) -> String {
        arguments.map { argument in
            if argument.hasPrefix("\"") && argument.hasSuffix("\"") && argument.count > 1 { return argument }
            if let equals = argument.firstIndex(of: "="), equals != argument.startIndex {
                let value = String(argument[argument.index(after: equals)...])
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count > 1 { return argument }
                return String(argument[..<equals]) + "=" + Tokenizer.quote(value)
            }
            return argument.contains(" ") ? Tokenizer.quote(argument) : argument
        }.joined(separator: " ")
    }
}
