import DomainPolicy
import Foundation

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

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/smbclient")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DirectoryError(code: -1, operation: "update GPT.INI on SYSVOL", message: "cannot run smbclient (apt-get install smbclient): \(error)")
        }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, !printed.contains("NT_STATUS_") else {
            let line = printed.split(separator: "\n").last(where: { $0.contains("NT_STATUS") }) ?? Substring(printed)
            throw DirectoryError(code: -1, operation: "update GPT.INI on SYSVOL", message: "smbclient: \(line.trimmingCharacters(in: .whitespaces))")
        }
        return printed
    }
}
