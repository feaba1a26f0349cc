import Foundation
import XCTest

/// The Linux kernel's ESP/AH (XFRM, keys set with `ip xfrm state`) and Ward exchange pings in
/// both directions, inside a user-mode Linux guest: this host's kernel is built without ESP.
/// Every algorithm the kernel has, transport and tunnel, ESP-in-UDP, AH (Tests/Kernel).
final class KernelOracleTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Kernel")

    static var probe: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ward-esp-probe")
    }

    func testKernelAndWardExchangePingsForEveryAlgorithm() throws {
        guard geteuid() == 0 else { throw XCTSkip("kernel interop needs root (network namespaces, raw sockets)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/linux.uml") else {
            throw XCTSkip("kernel interop needs Debian's user-mode-linux (scripts/setup.sh installs it)")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.probe.path) else {
            throw XCTSkip("ward-esp-probe was not built next to the tests (\(Self.probe.path))")
        }
        // The guest sees the host's files read-only, but with a fresh /tmp: copy what it runs
        // into the shared directory, which it mounts at the same path.
        let share = URL(fileURLWithPath: "/tmp/ward-uml")
        let work = share.appendingPathComponent("kernel-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let script = work.appendingPathComponent("esp-interop.sh"), probe = work.appendingPathComponent("ward-esp-probe")
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("esp-interop.sh"), to: script)
        try FileManager.default.copyItem(at: Self.probe, to: probe)
        let process = Process()
        process.executableURL = Self.directory.appendingPathComponent("uml-run.sh")
        process.arguments = ["-t", "600", "--", script.path, probe.path]
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_SHARE"] = share.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let results = text.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.hasPrefix("kernel interop") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 13, text)
    }
}
