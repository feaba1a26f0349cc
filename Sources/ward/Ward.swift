import ArgumentParser
import DomainStore
import Foundation
import Monitor
import Netsh
import PolicyStore

/// `ward`: the netsh-style command line.
///
/// `ward ipsec static add policy name=X` runs one command; `ward -f script` runs a script and
/// stops at the first error (`file:line: message`); `ward` alone is an interactive shell.
/// swift-argument-parser handles only these outer options; the netsh grammar is `Netsh`'s.
@main
struct Ward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ward",
        abstract: "Policy-based IPsec for Linux, administered in the netsh ipsec language.",
        discussion: """
            Examples:
              ward ipsec static add policy name="Server Isolation" assign=yes
              ward -f isolation.txt
              ward certificate import host.pem host.key   (list, delete, map, unmap: ward certificate help)
              ward console url [read-only]   (the web console's login URL, when wardd runs with --console)
              ward            (interactive: ipsec, static, ?, .., exit)
            """)

    @Option(name: .long, help: "Policy database file (default: $WARD_STORE or /var/lib/ward/policy.db).")
    var store: String?

    @Option(name: .customShort("f"), help: "Run the commands in this script file, stopping at the first error.")
    var file: String?

    @Argument(parsing: .captureForPassthrough, help: "A command, e.g. ipsec static show all.")
    var command: [String] = []

    mutating func run() throws {
        umask(0o077)  // stores, their WAL files and exports are root-only
        let path = store ?? PolicyDatabase.defaultPath
        let session = NetshSession(openDatabase: { () throws(StoreError) in try PolicyDatabase(path: path) })
        session.domainStoreOpener = { domain in try ActiveDirectoryPolicyStore.open(domain: domain) }
        session.register(TraceCommand.command(socketPath: DynamicCommands.socketPath))
        DynamicCommands.all.forEach(session.register)
        GroupPolicyCommands.all.forEach(session.register)
        let console = Console()
        if let file {
            guard command.isEmpty else { throw ValidationError("give either -f FILE or a command, not both") }
            throw ExitCode(ScriptRunner(session: session, console: console).run(path: file))
        }
        if command.first?.lowercased() == "console" {
            throw ExitCode(ConsoleCommand(arguments: Array(command.dropFirst())).run())
        }
        if command.first?.lowercased() == "certificate" {
            throw ExitCode(CertificateCommand(arguments: Array(command.dropFirst())).run())
        }
        if !command.isEmpty {
            throw ExitCode(console.runOne(CommandLineText.join(command), in: session))
        }
        throw ExitCode(InteractiveShell(session: session, console: console).run())
    }
}
