import Foundation
import Policy
import PolicyStore
import XCTest

final class CrashAndConcurrencyTests: XCTestCase {
    /// A batched script of `count` filter lists with a `show store` marker half-way.
    func batchedScript(count: Int, prefix: String) -> String {
        var lines = ["pushd ipsec static", "set batch mode=enable"]
        for index in 0..<count {
            lines.append("add filterlist name=\(prefix)\(index) description=\"generated\"")
            lines.append("add filter filterlist=\(prefix)\(index) srcaddr=me dstaddr=10.77.\(index / 250).\(index % 250 + 1)")
            if index == count / 2 { lines.append("show store") }
        }
        lines.append("set batch mode=disable")
        return lines.joined(separator: "\n") + "\n"
    }

    func count(_ prefix: String, in store: String) throws -> Int {
        let database = try PolicyDatabase(path: store)
        XCTAssertNil(database.integrityProblem())
        return try database.read(.local) { try $0.filterLists().filter { $0.name.hasPrefix(prefix) }.count }
    }

    func testKillDashNineMidBatchLeavesAllOrNothing() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        let script = directory.appendingPathComponent("batch.txt")
        try batchedScript(count: 2000, prefix: "crash").write(to: script, atomically: true, encoding: .utf8)

        // 1. Killed half-way through the batch (after the marker line is printed): nothing lands.
        let process = Process()
        process.executableURL = WardProcess.executable
        process.arguments = ["--store", store, "-f", script.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(120)
        while !String(decoding: seen, as: UTF8.self).contains("Batch Mode") && Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        XCTAssertTrue(String(decoding: seen, as: UTF8.self).contains("ENABLED"), "the marker shows the batch is open")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try count("crash", in: store), 0, "a batch killed half-way leaves nothing")

        // 2. Killed at arbitrary moments: all or nothing, never a part.
        for delay in [50_000, 400_000, 1_500_000] as [useconds_t] {
            let again = Process()
            again.executableURL = WardProcess.executable
            again.arguments = ["--store", store, "-f", script.path]
            again.standardOutput = FileHandle.nullDevice
            again.standardError = FileHandle.nullDevice
            try again.run()
            usleep(delay)
            kill(again.processIdentifier, SIGKILL)
            again.waitUntilExit()
            let landed = try count("crash", in: store)
            XCTAssertTrue(landed == 0 || landed == 2000, "after kill at \(delay) µs: \(landed) of 2000 filter lists")
            if landed == 2000 { break }  // the next run would fail on duplicate names
        }

        // 3. Run to completion: everything lands.
        let fresh = directory.appendingPathComponent("fresh.db").path
        let complete = try WardProcess.run(["--store", fresh, "-f", script.path], timeout: 300)
        XCTAssertEqual(complete.status, 0, complete.stderr)
        XCTAssertEqual(try count("crash", in: fresh), 2000)
    }

    func testTwoWardProcessesWritingAtOnce() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        XCTAssertEqual(try WardProcess.run(["--store", store, "ipsec", "static", "show", "store"]).status, 0)
        var scripts: [URL] = []
        for writer in ["a", "b"] {
            // Unbatched: every command is its own transaction, so the two interleave.
            let lines = (0..<150).map { "ipsec static add filter filterlist=\(writer)\($0 % 10) srcaddr=me dstaddr=10.77.1.\($0 + 1)" }
            let url = directory.appendingPathComponent("\(writer).txt")
            try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            scripts.append(url)
        }
        let results = LockedBox<[WardProcess.Result?]>([nil, nil])
        let paths = scripts.map(\.path)
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = try? WardProcess.run(["--store", store, "-f", paths[index]], timeout: 300)
            results.update { $0[index] = result }
        }
        for result in results.value {
            XCTAssertEqual(result?.status, 0, result?.stderr ?? "did not run")
        }
        let database = try PolicyDatabase(path: store)
        XCTAssertNil(database.integrityProblem())
        let lists = try database.read(.local) { try $0.filterLists() }
        XCTAssertEqual(lists.filter { $0.name.hasPrefix("a") || $0.name.hasPrefix("b") }.reduce(0) { $0 + $1.filters.count }, 300)
    }
}
