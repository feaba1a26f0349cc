import Foundation
import Netsh

/// The interactive prompt: reads lines until `exit` or end of input. An error is printed and
/// the shell goes on (a failed command inside a batch is undone on its own).
struct InteractiveShell {
    let session: NetshSession
    let console: Console

    func run() -> Int32 {
        let interactive = isatty(STDIN_FILENO) == 1
        var failures = 0
        while !session.exitRequested {
            if interactive {
                FileHandle.standardOutput.write(Data((session.prompt + " ").utf8))
            }
            guard let line = readLine() else { break }
            do {
                console.show(try session.execute(line))
            } catch {
                failures += 1
                console.error(error.message)
            }
        }
        do {
            try session.finish()
        } catch {
            console.error(error.message)
            return 1
        }
        return interactive || failures == 0 ? 0 : 1
    }
}
