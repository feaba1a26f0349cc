import Foundation

/// The few system tools and knobs Platform drives: nft, ip, tc and sysctls.
public enum SystemCommand {
    /// Runs a tool to completion; throws with its command line and output when it fails.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws(SteeringError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        do { try process.run() } catch { throw SteeringError(command: ([tool] + arguments).joined(separator: " "), output: "\(error)") }
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SteeringError(command: ([tool] + arguments).joined(separator: " "), output: printed.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return printed
    }

    /// Writes `/proc/sys/<key with dots as slashes>`; a missing knob is ignored.
    public static func writeSysctl(_ key: String, _ value: String) {
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        try? value.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// `/proc/net/xfrm_stat` of this network namespace, by counter name (empty without XFRM).
    public static func xfrmStatistics() -> [String: UInt64] {
        guard let text = try? String(contentsOfFile: "/proc/net/xfrm_stat", encoding: .utf8) else { return [:] }
        var counters: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 2, let value = UInt64(fields[1]) { counters[String(fields[0])] = value }
        }
        return counters
    }
}
