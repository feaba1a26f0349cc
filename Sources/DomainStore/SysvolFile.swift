import DomainPolicy
import Foundation
import Platform

/// The GPO's `GPT.INI` on the domain's SYSVOL share, through Samba's `smbclient` with the
/// caller's Kerberos tickets (SMB with signing: a protocol Ward does not speak itself).
enum SysvolFile {
    static func writeVersion(_ version: Int, gpoGUID: String, domain: String, server: String) throws {
        let host = String(server.prefix { $0 != ":" })
        let directory = "\(domain)/Policies/\(gpoGUID)"
        let local = NSTemporaryDirectory() + "ward-gpt-\(getpid()).ini"
        defer { unlink(local) }
        _ = try? run(["//\(host)/sysvol", "--use-kerberos=required", "-c", "get \(directory)/GPT.INI \(local)"])
        var lines = ((try? String(contentsOfFile: local, encoding: .utf8)) ?? "[General]\r\n")
            .components(separatedBy: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
            .filter { !$0.isEmpty }
        if let index = lines.firstIndex(where: { $0.lowercased().hasPrefix("version=") }) {
            lines[index] = "Version=\(version)"
        } else {
            lines.append("Version=\(version)")
        }
        let text = lines.joined(separator: "\r\n") + "\r\n"
        guard FileManager.default.createFile(atPath: local, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DirectoryError(code: -1, operation: "write GPT.INI", message: "cannot write \(local)")
        }
        try run(["//\(host)/sysvol", "--use-kerberos=required", "-c", "put \(local) \(directory)/GPT.INI"])
    }

    /// smbclient reports some failures (NT_STATUS_…) with exit status 0: both count.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let printed: String
        do {
            printed = try SystemCommand.run("/usr/bin/smbclient", arguments)
        } catch {
            let line = error.output.split(separator: "\n").last(where: { $0.contains("NT_STATUS") }).map(String.init) ?? error.output
            throw DirectoryError(code: -1, operation: "update GPT.INI on SYSVOL", message: "smbclient: \(line.trimmingCharacters(in: .whitespaces))")
        }
        if let line = printed.split(separator: "\n").first(where: { $0.contains("NT_STATUS_") }) {
            throw DirectoryError(code: -1, operation: "update GPT.INI on SYSVOL", message: "smbclient: \(line.trimmingCharacters(in: .whitespaces))")
        }
        return printed
    }
}
