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
        guard String.validatingUTF8Bytes(data) else {
            console.error("\(path): not UTF-8 text")
            return 1
        }
        session.discardsBatchOnError = true
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            do {
                console.show(try session.execute(String(decoding: line, as: UTF8.self)))
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

extension String {
    /// Whether `bytes` are well-formed UTF-8.
    static func validatingUTF8Bytes(_ bytes: Data) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
