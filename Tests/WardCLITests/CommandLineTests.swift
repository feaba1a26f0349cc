import Foundation
import Policy
import PolicyStore
import XCTest

final class CommandLineTests: XCTestCase {
    func testOneShotCommandsRequoteArgumentsWithBlanks() throws {
        let store = try temporaryDirectory(self).appendingPathComponent("p.db").path
        let add = try WardProcess.run(["--store", store, "ipsec", "static", "add", "policy", "name=Two Words", "description=has = sign"])
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertEqual(add.stdout, "")
        let show = try WardProcess.run(["ipsec", "static", "show", "policy", "name=Two Words"], environment: ["WARD_STORE": store])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("Policy Name             : Two Words"))
        XCTAssertTrue(show.stdout.contains("Description             : has = sign"))
    }

    func testErrorsAreOneLineOnStderrWithNonZeroStatus() throws {
        let store = try temporaryDirectory(self).appendingPathComponent("p.db").path
        let result = try WardProcess.run(["--store", store, "ipsec", "static", "add", "filter", "filterlist=L", "srcaddr=me", "dstaddr=any", "protocol=ICMP", "dstport=7"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "ward: add filter: dstport: ports can be given only with protocol=TCP or protocol=UDP (protocol is ICMP)\n")
        XCTAssertEqual(result.stdout, "")
        let usage = try WardProcess.run(["--bogus"])
        XCTAssertNotEqual(usage.status, 0)
    }

    func testScriptStopsAtTheFirstErrorWithFileAndLine() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        let script = directory.appendingPathComponent("setup.txt")
        try """
            # comment
            rem another comment
            ipsec static
            set batch mode=enable
            add filterlist name=Kept

            add filterlist name=kept
            add filterlist name=NeverReached
            """.write(to: script, atomically: true, encoding: .utf8)
        let result = try WardProcess.run(["--store", store, "-f", script.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "ward: \(script.path):7: filter list 'kept' already exists in the local store\n")
        let database = try PolicyDatabase(path: store)
        XCTAssertNil(try database.read(.local) { try $0.filterList(named: "Kept") }, "the failed script's batch is discarded")
    }

    func testScriptRunsToTheEndAndCommitsItsBatch() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        let script = directory.appendingPathComponent("ok.txt")
        try "ipsec static set batch mode=enable\nipsec static add filterlist name=A\nipsec static show filterlist name=A\n"
            .write(to: script, atomically: true, encoding: .utf8)
        let result = try WardProcess.run(["--store", store, "-f", script.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("FilterList Name         : A"), "show inside the batch sees the batch")
        XCTAssertNotNil(try PolicyDatabase(path: store).read(.local) { try $0.filterList(named: "A") })
        let missing = try WardProcess.run(["--store", store, "-f", directory.appendingPathComponent("none.txt").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot read the script file"))
    }

    func testInteractiveShellNavigatesAndKeepsGoingAfterAnError() throws {
        let store = try temporaryDirectory(self).appendingPathComponent("p.db").path
        let input = """
            ipsec
            static
            add filterlist name=Shell
            add filterlist name=shell
            ?
            show filterlist name=Shell format=table
            ..
            exit
            add filterlist name=AfterExit
            """
        let result = try WardProcess.run(["--store", store], stdin: input)
        XCTAssertEqual(result.status, 1, "an error happened in a non-interactive session")
        XCTAssertEqual(result.stderr, "ward: filter list 'shell' already exists in the local store\n")
        XCTAssertTrue(result.stdout.contains("Commands in the ipsec static context:"))
        XCTAssertTrue(result.stdout.contains("Shell            0"), result.stdout)
        XCTAssertNil(try PolicyDatabase(path: store).read(.local) { try $0.filterList(named: "AfterExit") })
    }

    func testTraceExplainsTheStoredPolicy() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/server-isolation.txt").path
        XCTAssertEqual(try WardProcess.run(["--store", store, "-f", script]).status, 0)
        let telnet = try WardProcess.run(["--store", store, "ipsec", "trace", "srcaddr=192.0.2.7", "dstaddr=me", "protocol=tcp",
                                          "srcport=40000", "dstport=23"])
        XCTAssertEqual(telnet.status, 0, telnet.stderr)
        XCTAssertTrue(telnet.stdout.contains("Policies    : Boot Safety (persistent), Server Isolation (local)"), telnet.stdout)
        XCTAssertTrue(telnet.stdout.contains("Decision    : BLOCK"), telnet.stdout)
        XCTAssertTrue(telnet.stdout.contains("Rule        : Block Telnet"), telnet.stdout)
        XCTAssertTrue(telnet.stdout.contains("(inbound)"), "direction inferred from dstaddr=me")
        let lab = try WardProcess.run(["--store", store, "ipsec", "trace", "me", "10.77.5.5", "tcp", "40000", "445"])
        XCTAssertTrue(lab.stdout.contains("Decision    : NEGOTIATE") && lab.stdout.contains("Filter List : Isolation Domain"), lab.stdout)
        let bad = try WardProcess.run(["--store", store, "ipsec", "trace", "srcaddr=me", "dstaddr=10.77.5.5", "protocol=icmp", "dstport=80"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "ward: trace: dstport: ports need protocol=TCP or UDP\n")
        XCTAssertTrue(try WardProcess.run(["ipsec", "?"]).stdout.contains("trace"))
    }

    func testHelpNeedsNoStore() throws {
        let result = try WardProcess.run(["--store", "/nonexistent/dir/that/cannot/exist/p.db", "ipsec", "static", "add", "rule", "?"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("Usage: add rule [name=]<string> [policy=]<string>"))
    }

    func testStoreFileModesAndForeignFiles() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("sub/p.db").path
        XCTAssertEqual(try WardProcess.run(["--store", store, "ipsec", "static", "show", "store"]).status, 0)
        XCTAssertEqual(try WardProcess.run(["--store", store, "ipsec", "static", "add", "filterlist", "x"]).status, 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("sub").path) {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("sub/\(file)").path)[.posixPermissions] as? Int
            XCTAssertEqual(mode.map { $0 & 0o077 }, 0, "\(file) must not be readable by group or others")
        }
        let foreign = directory.appendingPathComponent("notes.txt")
        try "just text, not a database\n".write(to: foreign, atomically: true, encoding: .utf8)
        let result = try WardProcess.run(["--store", foreign.path, "ipsec", "static", "add", "policy", "name=X"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "ward: store \(foreign.path): not an SQLite database (is this the right file?)\n")
        XCTAssertEqual(try String(contentsOf: foreign, encoding: .utf8), "just text, not a database\n")
    }

    func testDamagedStoreIsRefusedAndLeftAsItWas() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        let script = directory.appendingPathComponent("fill.txt")
        try (0..<300).map { "ipsec static add filter filterlist=L\($0) srcaddr=me dstaddr=10.77.1.\($0 % 250 + 1) description=\"filler \($0)\"" }
            .joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(try WardProcess.run(["--store", store, "-f", script.path]).status, 0)
        // Overwrite the headers of b-tree pages, as a failing disk would.
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: store)[.size] as? Int)
        XCTAssertGreaterThan(size, 10 * 4096)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: store))
        for page in stride(from: 3, to: size / 4096, by: 3) {
            try handle.seek(toOffset: UInt64(page * 4096))
            handle.write(Data(repeating: 0xA5, count: 12))
        }
        try handle.close()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: store))
        for arguments in [["ipsec", "static", "add", "filterlist", "name=New"], ["ipsec", "static", "show", "all"]] {
            let result = try WardProcess.run(["--store", store] + arguments)
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.hasPrefix("ward: store \(store): the database is damaged"), result.stderr)
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "one line")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), damaged)
    }

    func testReadOnlyStoreRefusesWritesAndStaysAsItWas() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("p.db").path
        XCTAssertEqual(try WardProcess.run(["--store", store, "ipsec", "static", "add", "filterlist", "name=Before"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        let ward = WardProcess.executable.path
        let result: WardProcess.Result
        if geteuid() == 0 {
            // Root ignores file modes: make the directory read-only in a private mount namespace.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
                throw XCTSkip("read-only store test needs unshare (util-linux) when run as root")
            }
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            shell.arguments = ["-m", "sh", "-c",
                               "mount --bind -o ro '\(directory.path)' '\(directory.path)' && exec '\(ward)' --store '\(store)' ipsec static add filterlist name=After"]
            let errors = Pipe()
            shell.standardError = errors
            try shell.run()
            shell.waitUntilExit()
            result = WardProcess.Result(status: shell.terminationStatus, stdout: "",
                                        stderr: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            if result.stderr.contains("mount:") || result.stderr.contains("unshare:") {
                throw XCTSkip("cannot make a read-only mount here: \(result.stderr)")
            }
        } else {
            chmod(store, 0o400)
            chmod(directory.path, 0o500)
            defer { chmod(directory.path, 0o700) }
            result = try WardProcess.run(["--store", store, "ipsec", "static", "add", "filterlist", "name=After"])
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "ward: store \(store) is read-only (file system or permissions); nothing was changed\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), before)
    }
}
