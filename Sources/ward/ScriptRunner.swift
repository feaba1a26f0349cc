import Foundation
import Netsh

/// Runs a script file line by line; the first error stops it as `file:line: message`, discards
/// an open batch, and gives exit status 1. Blank lines and `#`/`rem` comments are skipped.
struct ScriptRunner {
    let session: NetshSession
    let console: Console

    func run(path: String) -> Int32 {
        guard let data = FileManager.default.contents(atPath: path) else {
            console.error("\(path): cannot read the script file")
            return 1
        }
        guard let text = String(data: data, encoding: .utf8) else {
            console.error("\(path): not UTF-8 text")
            return 1
        }
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            do {
                console.show(try session.execute(String(line)))
            } catch {
                session.abandon()
                console.error("\(path):\(lineNumber): \(error.message)")
                return 1
            }
            if session.exitRequested { break }
        }
        do {
            try session.finish()
        } catch {
            console.error("\(path): \(error.message)")
            return 1
        }
        return 0
    }
}
