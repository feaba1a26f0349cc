import Foundation
import Monitor

/// `ward console url [read-only]`: the login URL of the running agent's web console (the
/// administrator's, or the read-only role's), and the TLS certificate's fingerprint when it
/// serves TLS. Root only, as the token files are.
struct ConsoleCommand {
    let arguments: [String]

    func run() -> Int32 {
        let words = arguments.map { $0.lowercased() }
        guard words.first == "url", words.count <= 2, words.count == 1 || ["read-only", "readonly", "--read-only"].contains(words[1]) else {
            FileHandle.standardError.write(Data("ward: usage: ward console url [read-only]\n".utf8))
            return 2
        }
        let directory = (DynamicCommands.socketPath as NSString).deletingLastPathComponent
        do {
            let credentials = try ConsoleCredentials.read(directory: directory)
            print(credentials.loginURL(readOnly: words.count == 2))
            if let fingerprint = credentials.fingerprint { print("TLS certificate SHA-256: \(fingerprint)") }
            return 0
        } catch {
            FileHandle.standardError.write(Data("ward: console url: \(error)\n".utf8))
            return 1
        }
    }
}
