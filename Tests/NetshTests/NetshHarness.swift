import Foundation
import Netsh
import Packet
import Policy
import PolicyStore
import XCTest

/// A session on a fresh store in a temporary directory, with a fixed clock and a fake resolver.
final class NetshHarness {
    let directory: URL
    let path: String
    let session: NetshSession
    let database: PolicyDatabase

    static let resolver = StaticNameResolver([
        "dc1.lab.example": [IPAddress("10.77.0.10")!],
        "web.lab.example": [IPAddress("10.77.0.80")!, IPAddress("fd77::80")!],
        "hq-gw.lab.example": [IPAddress("10.77.100.1")!],
    ])

    init(_ test: XCTestCase, clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_000) }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-netsh-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let directory = directory
        test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        path = directory.appendingPathComponent("policy.db").path
        let database = try PolicyDatabase(path: path, now: clock)
        self.database = database
        session = NetshSession(resolver: Self.resolver, openDatabase: { () throws(StoreError) in database })
    }

    /// Runs lines that must succeed; returns the text of the last.
    @discardableResult
    func run(_ lines: String..., file: StaticString = #filePath, line: UInt = #line) -> String {
        var text = ""
        for command in lines {
            do { text = try session.execute(command).text } catch {
                XCTFail("\(command): \(error)", file: file, line: line)
            }
        }
        return text
    }

    func output(_ command: String) throws -> CommandOutput { try session.execute(command) }

    /// Both stores as export documents: a snapshot to compare before and after a failed command.
    func snapshot() throws -> [PolicyExport] {
        try StoreLocation.fileStores.map { location in try database.read(location) { try $0.exportDocument() } }
    }

    /// Runs a command that must fail with a message containing `expected`, and checks that the
    /// stores are exactly as they were.
    func fails(_ command: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let before = try snapshot()
            do {
                _ = try session.execute(command)
                XCTFail("'\(command)' succeeded; expected an error containing '\(expected)'", file: file, line: line)
            } catch {
                XCTAssertTrue(error.message.contains(expected), "'\(command)': \(error.message)", file: file, line: line)
                XCTAssertFalse(error.message.contains("\n"), "one-line error", file: file, line: line)
            }
            XCTAssertEqual(try snapshot(), before, "'\(command)' changed the store", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func read<T>(_ location: StoreLocation = .local, _ body: (StoreTransaction) throws -> T) throws -> T {
        try database.read(location, body)
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs a script the way `ward -f` does: every line, stopping at the first error.
    func runScript(_ text: String) throws {
        session.discardsBatchOnError = true
        defer { session.discardsBatchOnError = false }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            do { _ = try session.execute(String(line)) } catch {
                session.abandon()
                throw NetshError("line \(index + 1): \(error.message)")
            }
        }
        try session.finish()
    }
}
